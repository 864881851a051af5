from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import EarnedAchievement, LessonProgress, PracticeSession


class ReadOnlyAdmin(admin.ModelAdmin):
    """Results are computed by the server; staff look at them, they do not edit them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PracticeSession)
class PracticeSessionAdmin(ReadOnlyAdmin):
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
