from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from .models import EarnedAchievement, KeystrokeBatch, LessonProgress, PracticeSession

KEYS_SHOWN = 100


def describe_keys(keys: list[list[Any]] | None, limit: int = KEYS_SHOWN) -> str:
    """A batch's keys as staff read them: the count, then one `pos typed t` line a key, the
    character quoted so a space or Enter is visible ("\\n")."""
    keys = keys or []
    lines = [f"{len(keys)} key(s)" + (f", the first {limit}:" if len(keys) > limit else ":")]
    lines += [
        f"{pos:>6} {json.dumps(typed, ensure_ascii=False):<6} {t:>9} ms"
        for pos, typed, t in keys[:limit]
    ]
    return "\n".join(lines)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Results are computed by the server; staff look at them, they do not edit them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class KeysDisplay:
    @admin.display(description="keys (pos, typed, t)")
    def keys_display(self, obj: KeystrokeBatch) -> str:
        return format_html("<pre>{}</pre>", describe_keys(obj.keys))

    @admin.display(description="keys")
    def key_count(self, obj: KeystrokeBatch) -> int:
        return len(obj.keys or [])


class KeystrokeBatchInline(KeysDisplay, admin.TabularInline):
    model = KeystrokeBatch
    fields = ["seq", "received_at", "keys_display"]
    readonly_fields = ["seq", "received_at", "keys_display"]
    ordering = ["seq"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(KeystrokeBatch)
class KeystrokeBatchAdmin(KeysDisplay, ReadOnlyAdmin):
    list_display = ["session", "seq", "key_count", "received_at"]
    list_select_related = ["session", "session__lesson"]
    search_fields = ["session__id"]
    ordering = ["-received_at"]
    show_full_result_count = False
    fields = ["session", "seq", "received_at", "keys_display"]
    readonly_fields = ["session", "seq", "received_at", "keys_display"]


@admin.register(PracticeSession)
class PracticeSessionAdmin(ReadOnlyAdmin):
    inlines = [KeystrokeBatchInline]
    list_display = [
        "started_at",
        "user",
        "lesson",
        "status",
        "wpm",
        "accuracy",
        "rating",
        "flagged",
        "flag_reason",
    ]
    list_filter = ["flagged", "status", "lesson__course"]
    list_select_related = ["user", "lesson", "lesson__course"]
    search_fields = ["user__email", "id"]
    date_hierarchy = "started_at"
    ordering = ["-started_at"]
    show_full_result_count = False


@admin.register(LessonProgress)
class LessonProgressAdmin(ReadOnlyAdmin):
    list_display = ["user", "lesson", "best_rating", "best_wpm", "attempts", "last_completed_at"]
    list_select_related = ["user", "lesson", "lesson__course"]
    search_fields = ["user__email"]


@admin.register(EarnedAchievement)
class EarnedAchievementAdmin(ReadOnlyAdmin):
    list_display = ["user", "code", "earned_at"]
    list_filter = ["code"]
    search_fields = ["user__email"]
