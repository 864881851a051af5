"""/stats/: the learner's summary, today's goal, and the speed and accuracy chart."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from conftest import make_user
from stats.models import DailyStat, KeyStat

from .conftest import play_at, typed_keys

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def now(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return NOW


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_dashboard_needs_an_account(client):
    response = client.get("/stats/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_new_learner_is_pointed_to_the_first_lesson(client, learner, course):
    client.force_login(learner)
    first = course.lessons.get(position=1)
    html = text(client.get("/stats/"))
    assert "Nothing to show yet" in html
    assert f'href="/lessons/{first.pk}/"' in html
    assert "Start your first lesson: Lesson 1" in html
    assert "<svg" not in html


def test_the_summary_shows_sessions_time_speed_accuracy_lessons_and_streaks(
    client, learner, course, monkeypatch
):
    client.force_login(learner)
    lesson1, lesson2 = course.lessons.order_by("position")
    # 9 and 10 March: a two-day streak; 5 March stands alone.
    for day, lesson, interval in ((5, lesson1, 300), (9, lesson1, 200), (10, lesson2, 250)):
        play_at(
            client,
            lesson,
            typed_keys(lesson.text, interval=interval, mistakes={1: "q"}),
            datetime(2025, 3, day, 9, tzinfo=UTC),
            monkeypatch,
        )
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    html = text(client.get("/stats/"))
    assert "Sessions</dt> <dd>3</dd>" in html
    assert "Best speed</dt> <dd> 60.0<small>WPM</small>" in html  # 29 characters in 5.8 s
    assert "Lessons completed</dt> <dd>2</dd>" in html
    assert "Current streak</dt> <dd> 2<small>days</small>" in html
    assert "including today" in html
    assert "Longest streak</dt> <dd> 2<small>days</small>" in html
    # Texts of 29, 29 and 31 characters, one mistake each: 3 wrong of 92 keystrokes.
    assert "Accuracy</dt> <dd> 96.7<small>%</small>" in html
    assert "Time typed</dt> <dd>" in html


def test_todays_minutes_are_shown_against_the_daily_goal(client, now):
    learner = make_user("goal@example.com", daily_goal_minutes=15)
    DailyStat.objects.create(
        user=learner,
        date=date(2025, 3, 10),
        sessions=2,
        typed_ms=6 * 60_000 + 59_000,
        keystrokes=100,
        wpm_tenths_sum=800,
        best_wpm=40,
    )
    client.force_login(learner)
    html = text(client.get("/stats/"))
    assert "<strong>6</strong> of 15 min" in html
    assert 'max="15" value="6"' in html
    assert "9 more minutes to reach your goal" in html


def test_a_met_goal_is_celebrated(client, learner, now):
    DailyStat.objects.create(
        user=learner,
        date=date(2025, 3, 10),
        sessions=5,
        typed_ms=12 * 60_000,
        keystrokes=100,
        wpm_tenths_sum=2000,
        best_wpm=40,
    )
    client.force_login(learner)
    html = text(client.get("/stats/"))
    assert 'max="10" value="10"' in html
    assert "Daily goal reached" in html


def test_a_streak_that_ended_yesterday_is_still_current_until_today_ends(client, learner, now):
    DailyStat.objects.bulk_create(
        [
            DailyStat(
                user=learner,
                date=date(2025, 3, 9) - timedelta(days=n),
                sessions=1,
                keystrokes=10,
                wpm_tenths_sum=300,
                best_wpm=30,
            )
            for n in range(3)
        ]
    )
    client.force_login(learner)
    html = text(client.get("/stats/"))
    assert "Current streak</dt> <dd> 3<small>days</small>" in html
    assert "practise today to keep it going" in html


def test_the_streak_follows_the_learners_time_zone(client, lesson1, monkeypatch):
    tokyo = make_user("tokyo@example.com", time_zone="Asia/Tokyo")
    client.force_login(tokyo)
    # 23:30 UTC on 9 March is 08:30 on 10 March in Tokyo: "today" there.
    play_at(
        client,
        lesson1,
        typed_keys(lesson1.text),
        datetime(2025, 3, 9, 23, 30, tzinfo=UTC),
        monkeypatch,
    )
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    html = text(client.get("/stats/"))
    assert "Current streak</dt> <dd> 1<small>day</small>" in html
    assert "including today" in html


def test_the_chart_draws_each_day_of_the_last_30_days(client, learner, now):
    DailyStat.objects.bulk_create(
        [
            DailyStat(
                user=learner,
                date=date(2025, 3, 10),
                sessions=2,
                keystrokes=200,
                errors=10,
                wpm_tenths_sum=900,
                best_wpm=47.5,
            ),
            DailyStat(
                user=learner,
                date=date(2025, 3, 1),
                sessions=1,
                keystrokes=100,
                errors=2,
                wpm_tenths_sum=400,
                best_wpm=40,
            ),
            DailyStat(
                user=learner,
                date=date(2025, 1, 1),
                sessions=1,
                keystrokes=100,
                errors=0,
                wpm_tenths_sum=300,
                best_wpm=30,
            ),
        ]
    )
    client.force_login(learner)
    html = text(client.get("/stats/"))
    assert html.count('class="chart-dot"') == 4  # two days × (WPM, accuracy); 1 January is older
    assert "<title>10 Mar 2025: 45.0 WPM</title>" in html
    assert "<title>1 Mar 2025: 98.0 %</title>" in html
    assert '<a href="?days=30"' in html
    assert 'aria-current="true">30 days' in html
    # The same figures as a table, for screen readers and anyone who prefers one.
    assert (
        '<th scope="row">Mon 10 Mar 2025</th><td>2</td><td>45.0</td><td>47.5</td>'
        "<td>95.0 %</td>" in html
    )
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_the_chart_switches_to_365_days_as_an_htmx_fragment(client, learner, now):
    DailyStat.objects.bulk_create(
        [
            DailyStat(
                user=learner,
                date=date(2025, 3, 10),
                sessions=1,
                keystrokes=100,
                wpm_tenths_sum=450,
                best_wpm=45,
            ),
            DailyStat(
                user=learner,
                date=date(2024, 6, 1),
                sessions=1,
                keystrokes=100,
                wpm_tenths_sum=300,
                best_wpm=30,
            ),
        ]
    )
    client.force_login(learner)
    response = client.get("/stats/?days=365", headers={"HX-Request": "true"})
    html = text(response)
    assert html.lstrip().startswith('<section id="progress-chart"')
    assert "<html" not in html
    assert "Best speed" not in html  # only the chart
    assert 'aria-current="true">365 days' in html
    assert "<title>1 Jun 2024: 30.0 WPM</title>" in html


def test_the_same_switch_works_without_javascript(client, learner, now):
    DailyStat.objects.create(
        user=learner,
        date=date(2024, 6, 1),
        sessions=1,
        keystrokes=100,
        wpm_tenths_sum=300,
        best_wpm=30,
    )
    client.force_login(learner)
    html = text(client.get("/stats/?days=365"))
    assert "<html" in html
    assert "<title>1 Jun 2024: 30.0 WPM</title>" in html
    assert "No practice in the last" not in html
    assert "No practice in the last 30 days" in text(client.get("/stats/?days=30"))


@pytest.mark.parametrize("days", ["7", "abc", "-30"])
def test_an_unknown_period_shows_30_days(client, learner, now, days):
    DailyStat.objects.create(
        user=learner,
        date=date(2025, 3, 10),
        sessions=1,
        keystrokes=100,
        wpm_tenths_sum=300,
        best_wpm=30,
    )
    client.force_login(learner)
    response = client.get(f"/stats/?days={days}")
    assert response.status_code == 200
    assert 'aria-current="true">30 days' in text(response)


def test_weak_keys_are_listed_with_what_is_wrong(client, learner, now):
    DailyStat.objects.create(
        user=learner,
        date=date(2025, 3, 10),
        sessions=1,
        keystrokes=100,
        wpm_tenths_sum=300,
        best_wpm=30,
    )
    KeyStat.objects.create(user=learner, char="t", hits=40, errors=10, time_sum_ms=0, time_count=0)
    KeyStat.objects.create(user=learner, char="q", hits=19, errors=19, time_sum_ms=0, time_count=0)
    client.force_login(learner)
    html = text(client.get("/stats/"))
    assert "<kbd>t</kbd> <span>25 % wrong</span>" in html
    assert "<kbd>q</kbd>" not in html  # 19 keystrokes are not enough to judge
    assert 'href="/stats/keys/"' in html
