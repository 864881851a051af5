"""Per-learner aggregates (DESIGN §5), updated in the completing transaction by
`stats.recording.record_session`. Pages read these, never the sessions' keystrokes, so no page
gets slower as a learner's history grows.

Sums are integers (milliseconds, counts, WPM in tenths) so that adding sessions in any order
gives exactly the same rows: `rebuild_stats` relies on it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, models

from .aggregates import KeyFigures


class KeyStatQuerySet(models.QuerySet["KeyStat"]):
    def for_user(self, user: Any) -> KeyStatQuerySet:
        return self.filter(user=user)

    def figures(self, user: Any) -> dict[str, KeyFigures]:
        """Character → figures, for every key the learner has typed."""
        rows = self.filter(user=user).values_list(
            "char", "hits", "errors", "time_sum_ms", "time_count"
        )
        return {row[0]: KeyFigures(*row) for row in rows}


class KeyStat(models.Model):
    """One learner and one character they were meant to type."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="key_stats",
        db_index=False,  # the unique constraint's index starts with the user
    )
    char = models.CharField(max_length=1)
    hits = models.PositiveIntegerField(default=0, help_text="Keystrokes meant for this key.")
    errors = models.PositiveIntegerField(default=0, help_text="Of those, the wrong ones.")
    time_sum_ms = models.BigIntegerField(default=0)
    time_count = models.PositiveIntegerField(default=0)

    objects = KeyStatQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "char"], name="unique_key_stat")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.char!r}"

    def as_figures(self) -> KeyFigures:
        return KeyFigures(
            char=self.char,
            hits=self.hits,
            errors=self.errors,
            time_sum_ms=self.time_sum_ms,
            time_count=self.time_count,
        )

    @property
    def is_weak(self) -> bool:
        return self.as_figures().weak


class KeyConfusion(models.Model):
    """How often a learner typed `typed` when `expected` was meant."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="key_confusions",
        db_index=False,  # the unique constraint's index starts with the user
    )
    expected = models.CharField(max_length=1)
    typed = models.CharField(max_length=1)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "expected", "typed"], name="unique_key_confusion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.typed!r} for {self.expected!r}"


class BigramStat(models.Model):
    """One learner and one transition: `char` typed right after `previous`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="bigram_stats",
        db_index=False,  # the unique constraint's index starts with the user
    )
    previous = models.CharField(max_length=1)
    char = models.CharField(max_length=1)
    count = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    time_sum_ms = models.BigIntegerField(default=0)
    time_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "previous", "char"], name="unique_bigram_stat")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.previous!r}→{self.char!r}"

    @property
    def mean_ms(self) -> float | None:
        return self.time_sum_ms / self.time_count if self.time_count else None


class DailyStatQuerySet(models.QuerySet["DailyStat"]):
    def for_user(self, user: Any) -> DailyStatQuerySet:
        return self.filter(user=user)

    def practice_days(self, user_id: int, *, since: date | None = None) -> set[date]:
        days = self.filter(user_id=user_id)
        if since is not None:
            days = days.filter(date__gte=since)
        return set(days.values_list("date", flat=True))

    def streaks(self, user_id: int, today: date) -> tuple[int, int]:
        """(current, longest) runs of consecutive practice days up to `today`; the current run
        ends today, or yesterday while today has no practice yet (as `current_streak`). The
        database finds the runs ("gaps and islands": a run's dates minus their row numbers are
        all the same day), so a long history costs one row here, not a row per day."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        if connection.vendor == "postgresql":
            island = "date - CAST(ROW_NUMBER() OVER (ORDER BY date) AS integer)"
        else:
            island = "julianday(date) - ROW_NUMBER() OVER (ORDER BY date)"
        sql = f"""
            WITH runs AS (
                SELECT MAX(date) AS last, COUNT(*) AS days
                FROM (
                    SELECT date, {island} AS island FROM {table}
                    WHERE user_id = %s AND date <= %s
                ) AS practice
                GROUP BY island
            )
            SELECT (SELECT MAX(days) FROM runs), last, days FROM runs ORDER BY last DESC LIMIT 1
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id, connection.ops.adapt_datefield_value(today)])
            row = cursor.fetchone()
        if row is None:
            return 0, 0
        longest, last, days = row
        last = date.fromisoformat(str(last))
        current = days if (today - last).days <= 1 else 0
        return current, longest

    def total_typed_ms(self, user_id: int) -> int:
        total = self.filter(user_id=user_id).aggregate(total=models.Sum("typed_ms"))["total"]
        return int(total or 0)


class DailyStat(models.Model):
    """One learner and one day in their time zone."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="daily_stats",
        db_index=False,  # the unique constraint's index starts with the user
    )
    date = models.DateField()
    sessions = models.PositiveIntegerField(default=0)
    typed_ms = models.BigIntegerField(default=0, help_text="Time typed, first to last key.")
    characters = models.PositiveIntegerField(default=0, help_text="Length of the texts typed.")
    keystrokes = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    best_wpm = models.FloatField(default=0)
    wpm_tenths_sum = models.BigIntegerField(
        default=0, help_text="Sum of the sessions' WPM in tenths; the mean is this / sessions."
    )

    objects = DailyStatQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "date"], name="unique_daily_stat")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.date}"

    @property
    def mean_wpm(self) -> float:
        return self.wpm_tenths_sum / self.sessions / 10 if self.sessions else 0.0

    @property
    def accuracy(self) -> float:
        if not self.keystrokes:
            return 0.0
        return 100 * (self.keystrokes - self.errors) / self.keystrokes


class WeeklyEmail(models.Model):
    """The weekly progress email sent to a learner for the week starting `week` (a Monday in
    their time zone). The unique row is the claim that makes sending idempotent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_emails"
    )
    week = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="unique_weekly_email")]

    def __str__(self) -> str:
        return f"{self.user_id} · week of {self.week}"
