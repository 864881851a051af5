"""Per-learner aggregates (DESIGN §5), updated in the completing transaction by the statements
of `stats.recording`. Pages read these, never the sessions' keystrokes, so no page gets slower
as a learner's history grows. The figures read from them (summaries, means, streaks) are
QuerySet methods here, so every page, the coach, the email and the API share them.

Sums are integers (milliseconds, counts, WPM in tenths) so that adding sessions in any order
gives exactly the same rows: `rebuild_stats` relies on it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, models
from django.db.models.functions import Cast, Coalesce, NullIf

from .aggregates import DaySummary, KeyFigures, accuracy, mean_wpm


def mean_ms_expression() -> models.Expression:
    """Mean time of a key or transition in SQL, NULL when none was timed: the twin of
    `stats.aggregates.mean_ms`, for ordering in the database."""
    return models.ExpressionWrapper(
        Cast("time_sum_ms", models.FloatField()) / NullIf("time_count", 0),
        output_field=models.FloatField(),
    )


M = TypeVar("M", bound=models.Model)


class TimedQuerySet(models.QuerySet[M]):
    """Rows with a time sum and count: per key, per transition."""

    def for_user(self, user: Any) -> Any:
        return self.filter(user=user)

    def with_mean(self) -> Any:
        """Each row with `mean_ms` (float, None when nothing was timed)."""
        return self.annotate(mean_ms=mean_ms_expression())


class KeyStatQuerySet(TimedQuerySet["KeyStat"]):
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


class BigramStatQuerySet(TimedQuerySet["BigramStat"]):
    def slowest(self, n: int, *, min_samples: int = 1) -> BigramStatQuerySet:
        """The `n` slowest transitions with at least `min_samples` timed ones, with `mean_ms`."""
        return (
            self.filter(time_count__gte=max(min_samples, 1))
            .annotate(mean_ms=mean_ms_expression())
            .order_by("-mean_ms", "previous", "char")[:n]
        )


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

    objects = BigramStatQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "previous", "char"], name="unique_bigram_stat")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.previous!r}→{self.char!r}"


class DailyStatQuerySet(models.QuerySet["DailyStat"]):
    def for_user(self, user: Any) -> DailyStatQuerySet:
        return self.filter(user=user)

    def between(self, since: date | None = None, until: date | None = None) -> DailyStatQuerySet:
        """Days from `since` to `until`, both included (either bound may be left open)."""
        days = self
        if since is not None:
            days = days.filter(date__gte=since)
        if until is not None:
            days = days.filter(date__lte=until)
        return days

    def recent(self, today: date, days: int) -> DailyStatQuerySet:
        """The `days` calendar days ending `today` (a day in the learner's time zone, see
        `stats.aggregates.learner_today`). Open above: a learner who moved west can have a day
        that is still "tomorrow" where they are now, and it is recent too."""
        return self.between(since=today - timedelta(days=days - 1))

    def last_practised(self, days: int) -> DailyStatQuerySet:
        """The learner's last `days` days with practice, however far back."""
        return self.order_by("-date")[:days]

    def summary(self, since: date | None = None, until: date | None = None) -> DaySummary:
        """These days added up, in one aggregate query (see `DaySummary`)."""
        days = self if self.query.is_sliced else self.between(since, until)
        totals = days.aggregate(
            sessions=Coalesce(models.Sum("sessions"), 0),
            days=models.Count("id"),
            typed_ms=Coalesce(models.Sum("typed_ms"), 0),
            characters=Coalesce(models.Sum("characters"), 0),
            keystrokes=Coalesce(models.Sum("keystrokes"), 0),
            errors=Coalesce(models.Sum("errors"), 0),
            best_wpm=models.Max("best_wpm"),
            wpm_tenths_sum=Coalesce(models.Sum("wpm_tenths_sum"), 0),
        )
        return DaySummary(**{name: totals[name] for name in totals})

    def practice_days(self, user_id: int, *, since: date | None = None) -> set[date]:
        days = self.filter(user_id=user_id)
        if since is not None:
            days = days.filter(date__gte=since)
        return set(days.values_list("date", flat=True))

    def streaks(self, user_id: int, today: date) -> tuple[int, int]:
        """(current, longest) runs of consecutive practice days up to `today`; the current run
        ends today, or yesterday while today has no practice yet (as `current_streak`). The
        database finds the runs (`runs_sql`), so a long history costs one row here, not a row
        per day."""
        runs, params = self.runs_sql(user_id, until=today)
        sql = f"""
            WITH runs AS ({runs})
            SELECT (SELECT MAX(days) FROM runs), last, days FROM runs ORDER BY last DESC LIMIT 1
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return 0, 0
        longest, last, days = row
        last = date.fromisoformat(str(last))
        current = days if (today - last).days <= 1 else 0
        return current, longest

    def runs_sql(
        self, user_id: int, *, until: date, since: date | None = None
    ) -> tuple[str, list[Any]]:
        """The learner's runs of consecutive practice days from `since` (or the first) to
        `until`, as SQL of (last, days) rows: the one definition of a streak, which the
        dashboard, the weekly email and the streak achievement read. "Gaps and islands": a
        run's dates minus their row numbers are all the same day."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        if connection.vendor == "postgresql":
            island = "date - CAST(ROW_NUMBER() OVER (ORDER BY date) AS integer)"
        else:
            island = "julianday(date) - ROW_NUMBER() OVER (ORDER BY date)"
        params: list[Any] = [user_id, connection.ops.adapt_datefield_value(until)]
        bound = ""
        if since is not None:
            bound = " AND date >= %s"
            params.append(connection.ops.adapt_datefield_value(since))
        sql = (
            f"SELECT MAX(date) AS last, COUNT(*) AS days FROM ("
            f"SELECT date, {island} AS island FROM {table} "
            f"WHERE user_id = %s AND date <= %s{bound}"
            f") AS practice GROUP BY island"
        )
        return sql, params

    def streak_ending_sql(self, user_id: int, day: date, *, since: date) -> tuple[str, list[Any]]:
        """SQL of one number: the run of practice days ending on `day` (0 when `day` has no
        practice), counted back no further than `since` (bounded, for the completion)."""
        runs, params = self.runs_sql(user_id, until=day, since=since)
        day_value = connection.ops.adapt_datefield_value(day)
        return (
            f"COALESCE((SELECT days FROM ({runs}) AS runs WHERE last = %s), 0)",
            [*params, day_value],
        )

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
        return mean_wpm(self.wpm_tenths_sum, self.sessions) or 0.0

    @property
    def accuracy(self) -> float:
        return accuracy(self.keystrokes, self.errors) or 0.0


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
