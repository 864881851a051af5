"""The weekly progress email: Monday morning (08:00–11:59) in each learner's time zone, once a
week, only to verified addresses of learners who want it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from allauth.account.models import EmailAddress
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from conftest import make_user
from stats.models import DailyStat, KeyStat, WeeklyEmail
from stats.tasks import send_weekly_progress_emails
from stats.weekly import send_due_weekly_emails

pytestmark = pytest.mark.django_db

# Monday 10 March 2025, 07:30 UTC: 08:30 in Berlin (CET), 07:30 in London, 16:30 in Tokyo.
MONDAY_0730_UTC = datetime(2025, 3, 10, 7, 30, tzinfo=UTC)


def learner_in(zone: str, email: str = "lena@example.com", *, verified: bool = True, **extra):
    user = make_user(email, display_name="Lena", time_zone=zone, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def practised(user, day: date, *, sessions: int = 1, minutes: int = 5, wpm: float = 40.0):
    DailyStat.objects.create(
        user=user,
        date=day,
        sessions=sessions,
        typed_ms=minutes * 60_000,
        keystrokes=300,
        errors=6,
        best_wpm=wpm + 2,
        wpm_tenths_sum=round(wpm * 10) * sessions,
    )


@pytest.fixture
def berliner(db):
    user = learner_in("Europe/Berlin")
    practised(user, date(2025, 3, 3), sessions=2, minutes=12, wpm=41.5)  # last week's Monday
    practised(user, date(2025, 3, 9), sessions=1, minutes=30, wpm=44.5)  # last week's Sunday
    practised(user, date(2025, 2, 26), sessions=2, minutes=10, wpm=40.0)  # the week before
    practised(user, date(2025, 3, 10), sessions=1, minutes=3, wpm=60.0)  # this week: not in it
    KeyStat.objects.create(user=user, char="t", hits=40, errors=10)
    KeyStat.objects.create(user=user, char="q", hits=30, time_sum_ms=30 * 520, time_count=30)
    return user


def test_it_is_sent_on_monday_morning_with_last_weeks_figures(berliner):
    assert send_due_weekly_emails(MONDAY_0730_UTC) == 1
    [message] = mail.outbox
    assert message.to == ["lena@example.com"]
    assert message.subject == "Your week in typing: 42 min, 3 sessions, +2.5 WPM"
    body = message.body
    assert "3 Mar to 9 Mar 2025" in body
    assert "Minutes typed:   42" in body
    assert "Sessions:        3 on 2 days" in body
    assert "Mean speed:      42.5 WPM (+2.5 on the week before)" in body
    assert "Best speed:      46.5 WPM" in body
    assert "Keys to practise: t (25 % wrong), q (520 ms)" in body  # weakest first
    assert f"All your statistics: {settings.SITE_URL}/stats/" in body
    assert f"Turn it off: {settings.SITE_URL}/accounts/settings/" in body
    assert isinstance(message, EmailMultiAlternatives)
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert isinstance(html, str)
    assert "Hello Lena," in html
    assert "(+2.5)" in html
    assert ">q</span>" in html
    assert message.extra_headers["List-Unsubscribe"] == f"<{settings.SITE_URL}/accounts/settings/>"


def test_it_is_sent_once_a_week_however_often_the_task_runs(berliner):
    assert send_due_weekly_emails(MONDAY_0730_UTC) == 1
    assert send_due_weekly_emails(MONDAY_0730_UTC.replace(minute=55)) == 0
    assert len(mail.outbox) == 1
    assert list(WeeklyEmail.objects.values_list("week", flat=True)) == [date(2025, 3, 10)]
    next_monday = datetime(2025, 3, 17, 7, 5, tzinfo=UTC)
    assert send_due_weekly_emails(next_monday) == 1


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2025, 3, 10, 6, 59, tzinfo=UTC),  # 07:59 in Berlin
        datetime(2025, 3, 10, 11, 0, tzinfo=UTC),  # 12:00 in Berlin
        datetime(2025, 3, 11, 7, 30, tzinfo=UTC),  # Tuesday
    ],
)
def test_it_waits_for_monday_morning_where_the_learner_lives(berliner, moment):
    assert send_due_weekly_emails(moment) == 0
    assert mail.outbox == []


def test_each_time_zone_gets_it_at_its_own_8_oclock(db):
    tokyo = learner_in("Asia/Tokyo", "tokyo@example.com")
    london = learner_in("Europe/London", "london@example.com")
    for user in (tokyo, london):
        practised(user, date(2025, 3, 5))
    assert send_due_weekly_emails(datetime(2025, 3, 9, 23, 15, tzinfo=UTC)) == 1  # 08:15 Tokyo
    assert send_due_weekly_emails(datetime(2025, 3, 10, 8, 15, tzinfo=UTC)) == 1  # 08:15 London
    assert [m.to for m in mail.outbox] == [["tokyo@example.com"], ["london@example.com"]]


def test_learners_who_turned_it_off_get_nothing(berliner):
    berliner.weekly_email = False
    berliner.save()
    assert send_due_weekly_emails(MONDAY_0730_UTC) == 0


def test_unverified_addresses_get_nothing(db):
    unverified = learner_in("Europe/Berlin", verified=False)
    practised(unverified, date(2025, 3, 5))
    no_address = make_user("bare@example.com", time_zone="Europe/Berlin")
    practised(no_address, date(2025, 3, 5))
    assert send_due_weekly_emails(MONDAY_0730_UTC) == 0
    assert mail.outbox == []


def test_a_week_off_gets_a_nudge_but_a_long_break_gets_nothing(db):
    paused = learner_in("Europe/Berlin", "paused@example.com")
    practised(paused, date(2025, 2, 26))  # the week before last
    gone = learner_in("Europe/Berlin", "gone@example.com")
    practised(gone, date(2025, 1, 15))
    assert send_due_weekly_emails(MONDAY_0730_UTC) == 1
    [message] = mail.outbox
    assert message.to == ["paused@example.com"]
    assert message.subject == "Your week in typing: a week off"
    assert "You took the week off" in message.body


def test_an_hour_missed_on_monday_morning_is_made_up_later_that_morning(berliner):
    at_1105_in_berlin = datetime(2025, 3, 10, 10, 5, tzinfo=UTC)  # beat was down until now
    assert send_due_weekly_emails(at_1105_in_berlin) == 1
    assert send_due_weekly_emails(at_1105_in_berlin.replace(hour=10, minute=55)) == 0


def test_a_failed_send_is_retried_by_the_next_run(berliner, monkeypatch):
    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    assert send_due_weekly_emails(MONDAY_0730_UTC) == 0
    assert not WeeklyEmail.objects.exists()
    monkeypatch.undo()
    assert send_due_weekly_emails(MONDAY_0730_UTC) == 1


def test_beat_runs_the_task_every_hour(berliner, monkeypatch):
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "stats.tasks.send_weekly_progress_emails"
    )
    assert entry["schedule"] == crontab(minute=5)  # at :05 past every hour
    monkeypatch.setattr("django.utils.timezone.now", lambda: MONDAY_0730_UTC)
    assert send_weekly_progress_emails.delay().get() == 1
    assert len(mail.outbox) == 1
