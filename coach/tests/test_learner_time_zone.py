"""The coach reads the learner's days in their time zone, as the statistics pages do: for a
learner far from UTC, its "recent" and "today" are the dashboard's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coach.coaching import exercises_left_today, snapshot_for
from coach.models import Exercise
from stats.models import DailyStat
from stats.tests.conftest import play_at, typed_keys

pytestmark = pytest.mark.django_db

# Pago Pago is UTC−11: at 05:00 UTC on 10 March it is 18:00 on 9 March there.
NOW = datetime(2025, 3, 10, 5, tzinfo=UTC)


@pytest.fixture
def far_learner(learner, client, course, monkeypatch):
    learner.time_zone = "Pacific/Pago_Pago"
    learner.save(update_fields=["time_zone"])
    client.force_login(learner)
    lesson = course.lessons.get(position=1)
    text = lesson.text
    # 18:00 on 23 February there (5 Feb 24 UTC): fourteen local days before today, so the
    # coach's two weeks and today include it, though it is fifteen UTC days before.
    play_at(
        client,
        lesson,
        typed_keys(text, interval=300),
        datetime(2025, 2, 24, 5, tzinfo=UTC),
        monkeypatch,
    )
    # 17:00 today there, 04:00 on 10 March in UTC.
    play_at(
        client,
        lesson,
        typed_keys(text, interval=150),
        datetime(2025, 3, 10, 4, tzinfo=UTC),
        monkeypatch,
    )
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return learner


def test_the_coach_and_the_dashboard_agree_on_a_learner_far_from_utc(client, far_learner):
    assert sorted(DailyStat.objects.filter(user=far_learner).values_list("date", flat=True)) == [
        datetime(2025, 2, 23).date(),
        datetime(2025, 3, 9).date(),
    ]
    dashboard = client.get("/stats/").context
    snapshot = snapshot_for(far_learner)
    assert dashboard["recent_days"] == 2
    assert snapshot.recent_wpm == pytest.approx(dashboard["recent_wpm"])
    assert snapshot.recent_accuracy == pytest.approx(dashboard["accuracy"])
    assert dashboard["practised_today"] is True


def test_the_daily_allowance_counts_the_learners_own_today(client, far_learner):
    made = [
        datetime(2025, 3, 9, 10, 30, tzinfo=UTC),  # 23:30 on 8 March there: yesterday
        datetime(2025, 3, 9, 20, tzinfo=UTC),  # 09:00 on 9 March there: today (UTC: yesterday)
        datetime(2025, 3, 10, 4, 30, tzinfo=UTC),  # 17:30 on 9 March there: today
    ]
    for moment in made:
        exercise = Exercise.objects.create(user=far_learner, title="x", text="jjj")
        Exercise.objects.filter(pk=exercise.pk).update(created_at=moment)
    assert exercises_left_today(far_learner) == 1
    Exercise.objects.create(user=far_learner, title="x", text="jjj")
    response = client.post(
        "/coach/exercises/", {"keys": "j"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 429
    # Until midnight in Pago Pago: six hours from 18:00.
    assert int(response["Retry-After"]) == 6 * 3600
