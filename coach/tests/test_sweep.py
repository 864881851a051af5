"""The periodic sweep: analyses never queued, or queued and lost, are queued (again)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from coach.models import Report
from coach.tasks import analyze_session, sweep_unqueued_sessions
from courses.models import Lesson
from lessons.models import PracticeSession
from lessons.tests.conftest import play, typed_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(client, learner, course):
    """A learner's completed session with no report yet. The test's transaction never commits,
    so the completion's after-commit queueing does not run: it is up to the sweep."""

    def complete(*, ago: timedelta, queued_ago: timedelta | None) -> PracticeSession:
        client.force_login(learner)
        lesson = course.lessons.get(position=1)
        assert play(client, lesson, typed_keys(lesson.text)).status_code == 200
        session = PracticeSession.objects.order_by("-started_at").first()
        assert session is not None
        now = timezone.now()
        PracticeSession.objects.filter(pk=session.pk).update(
            completed_at=now - ago,
            analysis_queued_at=None if queued_ago is None else now - queued_ago,
        )
        return session

    return complete


def test_it_queues_again_an_analysis_queued_over_a_minute_ago_and_not_done(completed, caplog):
    session = completed(ago=timedelta(minutes=2), queued_ago=timedelta(seconds=90))
    assert sweep_unqueued_sessions() == 1
    assert Report.objects.filter(session=session).exists()
    session.refresh_from_db()
    assert session.analysis_queued_at is not None
    assert timezone.now() - session.analysis_queued_at < timedelta(seconds=10)
    assert "Queued analysis again for 1 sessions queued over 60 s ago" in caplog.text


def test_it_leaves_alone_an_analysis_queued_less_than_a_minute_ago(completed):
    session = completed(ago=timedelta(minutes=5), queued_ago=timedelta(seconds=40))
    assert sweep_unqueued_sessions() == 0
    assert not Report.objects.filter(session=session).exists()


def test_it_waits_twice_as_long_each_time_it_queues_the_same_analysis_again(completed):
    # Last queued 30 minutes after completion: due again 30 minutes after that, not before.
    session = completed(ago=timedelta(minutes=50), queued_ago=timedelta(minutes=20))
    assert sweep_unqueued_sessions() == 0
    PracticeSession.objects.filter(pk=session.pk).update(
        analysis_queued_at=timezone.now() - timedelta(minutes=31),
        completed_at=timezone.now() - timedelta(minutes=61),
    )
    assert sweep_unqueued_sessions() == 1
    assert Report.objects.filter(session=session).exists()


def test_it_queues_an_analysis_the_broker_missed_once_the_completion_is_a_minute_old(completed):
    session = completed(ago=timedelta(seconds=30), queued_ago=None)
    assert sweep_unqueued_sessions() == 0  # the completion itself may still be queueing it
    PracticeSession.objects.filter(pk=session.pk).update(
        completed_at=timezone.now() - timedelta(seconds=70)
    )
    assert sweep_unqueued_sessions() == 1
    assert Report.objects.filter(session=session).exists()


def test_it_never_queues_what_gets_no_report_or_has_one(completed, client, learner, course):
    reported = completed(ago=timedelta(minutes=5), queued_ago=timedelta(minutes=4))
    assert analyze_session(str(reported.pk)) is True
    stale = completed(ago=timedelta(days=1, minutes=1), queued_ago=None)
    guest = completed(ago=timedelta(minutes=5), queued_ago=None)
    PracticeSession.objects.filter(pk=guest.pk).update(user=None, guest_key="a-visitor")
    fast = Lesson.objects.create(
        course=course, position=0, title="Fast", text="asdf jkl; " * 6, target_wpm=20
    )
    assert play(client, fast, typed_keys(fast.text, interval=25)).json()["flagged"] is True
    PracticeSession.objects.filter(flagged=True).update(
        completed_at=timezone.now() - timedelta(minutes=5)
    )

    assert sweep_unqueued_sessions() == 0
    assert list(Report.objects.values_list("session", flat=True)) == [reported.pk]
    assert PracticeSession.objects.get(pk=stale.pk).analysis_queued_at is None


def test_a_redelivered_analysis_finds_its_report_and_writes_no_second_one(completed):
    session = completed(ago=timedelta(minutes=1), queued_ago=timedelta(minutes=1))
    assert analyze_session(str(session.pk)) is True
    assert analyze_session(str(session.pk)) is False
    assert Report.objects.filter(session=session).count() == 1
