from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from courses.models import Course, Lesson

from . import placement, scoring
from .keypack import PackedKeysField


class PracticeSessionQuerySet(models.QuerySet["PracticeSession"]):
    def for_user(self, user: Any) -> PracticeSessionQuerySet:
        return self.filter(user=user)

    def completed(self) -> PracticeSessionQuerySet:
        return self.filter(status=PracticeSession.Status.COMPLETED)

    def counted(self) -> PracticeSessionQuerySet:
        """Completed and not flagged: what earns stars, achievements and statistics."""
        return self.completed().filter(flagged=False)


class PracticeSession(models.Model):
    """One attempt at a text: keystrokes arrive in batches, the server scores it at the end."""

    class Status(models.TextChoices):
        STARTED = "started", _("Started")
        COMPLETED = "completed", _("Completed")

    class Kind(models.TextChoices):
        PRACTICE = "practice", _("Practice")  # a lesson or an exercise
        PLACEMENT = "placement", _("Placement test")
        TEST_OUT = "test_out", _("Test-out")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="practice_sessions",
    )
    guest_key = models.CharField(max_length=64, blank=True, db_index=True)
    lesson = models.ForeignKey(
        Lesson, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    # Snapshots: the result stays true even if an author edits the lesson later.
    text = models.TextField()
    skip_indent = models.BooleanField(default=False)
    target_wpm = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.STARTED)
    # A placement or test-out has a LevelTest; a placement is timed (`is_timed`).
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PRACTICE)
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The server's result.
    wpm = models.FloatField(null=True, blank=True)
    raw_wpm = models.FloatField(null=True, blank=True)
    accuracy = models.FloatField(null=True, blank=True)
    errors = models.PositiveIntegerField(null=True, blank=True)
    keystrokes = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    improvement = models.FloatField(null=True, blank=True)
    flagged = models.BooleanField(default=False)
    flag_reason = models.CharField(max_length=80, blank=True)
    analysis_queued_at = models.DateTimeField(null=True, blank=True)

    objects = PracticeSessionQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["user", "status", "completed_at"]),
            models.Index(fields=["user", "lesson", "status", "completed_at"]),
            # The coach's sweep (every 30 s) reads the last day's completions of everyone.
            models.Index(
                fields=["completed_at"],
                condition=models.Q(status="completed"),
                name="session_completed_recently",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lesson or 'Exercise'} · {self.status}"

    @property
    def is_completed(self) -> bool:
        return self.status == self.Status.COMPLETED

    @property
    def is_timed(self) -> bool:
        """Scored on what was typed before the time ran out: the text need not be finished."""
        return self.kind == self.Kind.PLACEMENT

    @property
    def seconds(self) -> float:
        return (self.duration_ms or 0) / 1000

    def belongs_to(self, user: object, guest_key: str | None) -> bool:
        if self.user_id is not None:
            return getattr(user, "pk", None) == self.user_id
        return bool(guest_key) and guest_key == self.guest_key

    def replay(self, batches: Sequence[Any] | None = None) -> scoring.Replay:
        """Replay the session from its stored batches (all of them, in seq order; `batches`:
        their keys, when the caller has read them already)."""
        if batches is None:
            batches = list(self.batches.order_by("seq").values_list("keys", flat=True))
        keys = [scoring.Keystroke(*key) for batch in batches for key in batch]
        return scoring.replay(self.text, keys, skip_indent=self.skip_indent, partial=self.is_timed)


class KeystrokeBatch(models.Model):
    """One batch as the widget sent it — never a row per keystroke. `keys` reads and writes as
    [[pos, typed, t], ...] and is stored packed (lessons.keypack, ~3-5 bytes a key)."""

    # No index of its own: the unique (session, seq) index serves lookups by session.
    session = models.ForeignKey(
        PracticeSession, on_delete=models.CASCADE, related_name="batches", db_index=False
    )
    seq = models.PositiveIntegerField()
    keys = PackedKeysField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="unique_batch_per_seq")
        ]

    def __str__(self) -> str:
        return f"batch {self.seq} of {self.session_id}"


class LevelTest(models.Model):
    """A placement test of a course, or a test-out of one of its lessons (the session's lesson):
    once its session is scored, the lessons it opened, from the course's first through
    `opened_through` (README "Access rules"; the rules in lessons.placement). It opens them for
    whoever owns the session, so a visitor's placement counts once they sign up."""

    session = models.OneToOneField(
        PracticeSession, on_delete=models.CASCADE, related_name="level_test"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    opened_through = models.ForeignKey(
        Lesson, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened = models.PositiveSmallIntegerField(
        default=0, help_text=_("How many lessons it opened, from the course's first.")
    )
    premium_opened = models.PositiveSmallIntegerField(
        default=0, help_text=_("How many of them are Premium lessons.")
    )
    passed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.session.get_kind_display()} · {self.course}: {self.opened}"

    def settle(self) -> None:
        """Decide and store what the scored, unflagged session opens."""
        session = self.session
        assert session.wpm is not None
        assert session.accuracy is not None
        lessons = list(
            Lesson.objects.filter(course_id=self.course_id, is_published=True)
            .order_by("position", "id")
            .values_list("pk", "target_wpm", "is_premium")
        )
        if session.kind == PracticeSession.Kind.TEST_OUT:
            ids = [pk for pk, _, _ in lessons]
            # 0 when an author unpublished the lesson meanwhile: nothing to open.
            count = ids.index(session.lesson_id) + 1 if session.lesson_id in ids else 0
            self.passed = count > 0 and placement.tested_out(
                wpm=session.wpm, accuracy=session.accuracy, target_wpm=session.target_wpm
            )
            self.opened = count if self.passed else 0
        else:
            self.opened = placement.lessons_opened(
                wpm=session.wpm,
                accuracy=session.accuracy,
                targets=[target for _, target, _ in lessons],
            )
            self.passed = self.opened > 0
        course_premium = Course.objects.filter(pk=self.course_id, is_premium=True).exists()
        opened = lessons[: self.opened]
        self.opened_through_id = opened[-1][0] if opened else None
        self.premium_opened = sum(1 for *_, paid in opened if paid or course_premium)
        self.save(update_fields=["opened", "opened_through", "premium_opened", "passed"])


class LessonProgress(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    best_rating = models.PositiveSmallIntegerField(default=0)
    best_wpm = models.FloatField(default=0)
    best_accuracy = models.FloatField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    first_completed_at = models.DateTimeField(auto_now_add=True)
    last_completed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="unique_progress_per_lesson")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson}: {self.best_rating}★"


class EarnedAchievement(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="achievements"
    )
    code = models.CharField(max_length=32)
    session = models.ForeignKey(
        PracticeSession, null=True, on_delete=models.SET_NULL, related_name="achievements"
    )
    earned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code"], name="unique_achievement_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.code}"
