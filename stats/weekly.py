"""The weekly progress email: on Monday morning in each learner's time zone, last week's
minutes, sessions, speed trend and weak keys. Beat runs `send_due_weekly_emails` every hour; a
learner is due while it is Monday 08:00–11:59 where they live, has the email on, has a verified
address and has not had this week's email yet (the `WeeklyEmail` row is the claim, so the later
runs of the morning, or a second beat, send nothing; and an hour missed while beat or the mail
server was down is made up by the next one)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from typingtrainer.models import User

from .aggregates import KeyFigures, learner_today, time_zone, weak_keys, week_start
from .models import DailyStat, KeyStat, WeeklyEmail

log = logging.getLogger(__name__)

SEND_WEEKDAY = 0  # Monday
SEND_HOURS = range(8, 12)  # Monday morning, local time
WEAK_KEYS_SHOWN = 5


@dataclass(frozen=True)
class WeekSummary:
    first_day: date
    last_day: date
    minutes: int
    sessions: int
    days_practised: int
    mean_wpm: float | None
    previous_mean_wpm: float | None
    best_wpm: float | None
    streak: int
    weak_keys: list[KeyFigures]

    @property
    def wpm_change(self) -> float | None:
        if self.mean_wpm is None or self.previous_mean_wpm is None:
            return None
        return round(self.mean_wpm - self.previous_mean_wpm, 1)


def is_send_time(now: datetime, zone_name: str) -> bool:
    local = now.astimezone(time_zone(zone_name))
    return local.weekday() == SEND_WEEKDAY and local.hour in SEND_HOURS


def due_learners(now: datetime) -> QuerySet[User]:
    """Learners for whom it is now Monday morning, who want the email and can get it."""
    wanting = User.objects.filter(is_active=True, weekly_email=True)
    zones = set(wanting.values_list("time_zone", flat=True).distinct())
    due_zones = [zone for zone in zones if is_send_time(now, zone)]
    verified = EmailAddress.objects.filter(
        user=OuterRef("pk"), email__iexact=OuterRef("email"), verified=True
    )
    return wanting.filter(time_zone__in=due_zones).filter(Exists(verified)).order_by("pk")


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def week_summary(user: User, *, today: date) -> WeekSummary:
    """The seven days before this week's Monday, compared with the seven before those."""
    monday = week_start(today)
    first, last = monday - timedelta(days=7), monday - timedelta(days=1)
    days = DailyStat.objects.for_user(user)
    week = days.summary(since=first, until=last)
    earlier = days.summary(since=first - timedelta(days=7), until=last - timedelta(days=7))
    return WeekSummary(
        first_day=first,
        last_day=last,
        minutes=round(week.typed_ms / 60_000),
        sessions=week.sessions,
        days_practised=week.days,
        mean_wpm=_rounded(week.mean_wpm),
        previous_mean_wpm=_rounded(earlier.mean_wpm),
        best_wpm=week.best_wpm,
        streak=DailyStat.objects.streaks(user.pk, today)[0],
        weak_keys=weak_keys(KeyStat.objects.figures(user).values(), limit=WEAK_KEYS_SHOWN),
    )


def send_weekly_email(user: User, *, now: datetime) -> bool:
    """Send this week's email unless it was sent already or there is nothing to report (no
    practice in the last two weeks). True when an email went out."""
    today = learner_today(user, now)
    summary = week_summary(user, today=today)
    if summary.sessions == 0 and summary.previous_mean_wpm is None:
        return False
    claim, created = WeeklyEmail.objects.get_or_create(user=user, week=week_start(today))
    if not created:
        return False
    context = {
        "user": user,
        "summary": summary,
        "stats_url": settings.SITE_URL + reverse("stats:dashboard"),
        "keys_url": settings.SITE_URL + reverse("stats:keys"),
        "settings_url": settings.SITE_URL + reverse("account_settings"),
    }
    # In the learner's language, whatever the worker's is.
    with translation.override(user.preferred_language):
        subject = render_to_string("emails/weekly_progress_subject.txt", context)
        body = render_to_string("emails/weekly_progress_body.txt", context)
        html = render_to_string("emails/weekly_progress_body.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=body,
        to=[user.email],
        headers={"List-Unsubscribe": f"<{context['settings_url']}>"},
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        claim.delete()  # not sent: the next run this morning tries again
        raise
    return True


def send_due_weekly_emails(now: datetime) -> int:
    """Send the weekly email to every learner due now. Returns how many were sent."""
    sent = 0
    for user in due_learners(now):
        try:
            sent += send_weekly_email(user, now=now)
        except Exception:
            log.exception("Weekly progress email to user %s failed", user.pk)
    return sent
