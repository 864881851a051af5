from __future__ import annotations

import pytest

from coach.models import Report
from courses.models import Lesson
from lessons.models import EarnedAchievement, LessonProgress, PracticeSession

from .conftest import play, post_json, send_batches, start, typed_keys

pytestmark = pytest.mark.django_db


def test_completion_replays_the_keys_and_answers_the_servers_figures(client, learner, lesson1):
    client.force_login(learner)
    # 29 characters, 2 mistakes → 31 keys, 200 ms apart: T = 6 000 ms.
    keys = typed_keys(lesson1.text, mistakes={3: "g", 10: "q"})
    response = play(client, lesson1, keys)
    assert response.status_code == 200
    body = response.json()
    assert body["wpm"] == 58.0  # (29 / 5) / (6000 / 60000)
    assert body["raw_wpm"] == 62.0  # (31 / 5) / 0.1
    assert body["accuracy"] == 93.5  # 100 × 29 / 31
    assert body["errors"] == 2
    assert body["rating"] == 3  # r = 2.9 but accuracy below 95
    assert body["flagged"] is False
    assert body["improvement"] is None
    assert body["next_lesson"]["title"] == "Lesson 2"
    assert body["next_lesson"]["unlocked"] is True
    session = PracticeSession.objects.get()
    assert (session.status, session.rating, session.wpm) == ("completed", 3, 58.0)


def test_the_result_fragment_shows_figures_stars_and_the_next_lesson(client, learner, lesson1):
    client.force_login(learner)
    response = play(
        client, lesson1, typed_keys(lesson1.text), HX_Request="true", Accept="text/html"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="result"')
    assert "<html" not in html
    assert 'aria-label="5 of 5 stars"' in html
    assert "Next lesson: Lesson 2" in html
    assert "Speed Demon" in html
    assert "First steps" in html


def test_missing_batches_are_listed_in_a_409_and_nothing_is_completed(client, learner, lesson1):
    client.force_login(learner)
    session = start(client, lesson1)
    keys = typed_keys(lesson1.text)
    post_json(client, f"/sessions/{session}/keystrokes", {"seq": 1, "keys": keys[10:20]})
    response = post_json(client, f"/sessions/{session}/complete", {"batches": 3})
    assert response.status_code == 409
    assert response.json()["missing"] == [0, 2]
    assert "Batches 0, 2 have not arrived" in response.json()["error"]
    assert PracticeSession.objects.get().status == "started"


def test_completion_after_the_missing_batches_arrive_succeeds(client, learner, lesson1):
    client.force_login(learner)
    session = start(client, lesson1)
    keys = typed_keys(lesson1.text)
    post_json(client, f"/sessions/{session}/keystrokes", {"seq": 1, "keys": keys[20:]})
    assert post_json(client, f"/sessions/{session}/complete", {"batches": 2}).status_code == 409
    post_json(client, f"/sessions/{session}/keystrokes", {"seq": 0, "keys": keys[:20]})
    assert post_json(client, f"/sessions/{session}/complete", {"batches": 2}).status_code == 200


def test_a_batch_count_that_disagrees_with_what_arrived_is_a_409(client, learner, lesson1):
    client.force_login(learner)
    session = start(client, lesson1)
    send_batches(client, session, typed_keys(lesson1.text), size=10)  # 3 batches
    response = post_json(client, f"/sessions/{session}/complete", {"batches": 2})
    assert response.status_code == 409
    assert "not expected" in response.json()["error"]


@pytest.mark.parametrize("batches", [0, -1, "2", None, True])
def test_a_bad_batch_count_is_a_400(client, learner, lesson1, batches):
    client.force_login(learner)
    session = start(client, lesson1)
    response = post_json(client, f"/sessions/{session}/complete", {"batches": batches})
    assert response.status_code == 400
    assert '"batches" must be a positive integer' in response.json()["error"]


def test_keys_that_do_not_replay_against_the_text_are_rejected_with_a_422(client, learner, lesson1):
    client.force_login(learner)
    session = start(client, lesson1)
    keys = typed_keys(lesson1.text)
    # Each batch is consistent on its own, but batch 1 skips five characters.
    post_json(client, f"/sessions/{session}/keystrokes", {"seq": 0, "keys": keys[:10]})
    post_json(client, f"/sessions/{session}/keystrokes", {"seq": 1, "keys": keys[15:]})
    response = post_json(client, f"/sessions/{session}/complete", {"batches": 2})
    assert response.status_code == 422
    assert (
        "keystroke 10 is at position 15 but the cursor was at position 10"
        in (response.json()["error"])
    )
    assert PracticeSession.objects.get().status == "started"


def test_time_going_backwards_across_batches_is_rejected(client, learner, lesson1):
    client.force_login(learner)
    session = start(client, lesson1)
    keys = typed_keys(lesson1.text)
    late = [[pos, ch, t - 3000] for pos, ch, t in keys[20:]]  # 4 000 ms → 1 000 ms
    post_json(client, f"/sessions/{session}/keystrokes", {"seq": 0, "keys": keys[:20]})
    post_json(client, f"/sessions/{session}/keystrokes", {"seq": 1, "keys": late})
    response = post_json(client, f"/sessions/{session}/complete", {"batches": 2})
    assert response.status_code == 422
    assert "earlier than keystroke" in response.json()["error"]


def test_an_unfinished_text_cannot_be_completed(client, learner, lesson1):
    client.force_login(learner)
    session = start(client, lesson1)
    post_json(
        client,
        f"/sessions/{session}/keystrokes",
        {"seq": 0, "keys": typed_keys(lesson1.text)[:20]},
    )
    response = post_json(client, f"/sessions/{session}/complete", {"batches": 1})
    assert response.status_code == 422
    assert "not finished" in response.json()["error"]


def test_a_session_under_a_second_is_too_short_to_score(client, learner, lesson1):
    client.force_login(learner)
    response = play(client, lesson1, typed_keys(lesson1.text, interval=30))
    assert response.status_code == 422
    assert "too short to score" in response.json()["error"]
    assert not LessonProgress.objects.exists()


def test_completing_twice_returns_the_same_result_and_counts_once(client, learner, lesson1):
    client.force_login(learner)
    session = start(client, lesson1)
    count = send_batches(client, session, typed_keys(lesson1.text))
    first = post_json(client, f"/sessions/{session}/complete", {"batches": count}).json()
    second = post_json(client, f"/sessions/{session}/complete", {"batches": count}).json()
    assert first == second
    assert LessonProgress.objects.get().attempts == 1


def test_two_stars_open_the_next_lesson(client, learner, lesson1, lesson2):
    client.force_login(learner)
    assert client.get(f"/lessons/{lesson2.pk}/").status_code == 403
    # Accuracy 82.9 % → 1 star: lesson 2 stays locked and the result says how to open it.
    mistakes = {p: "q" for p in (1, 4, 7, 11, 15, 19)}
    html = play(
        client, lesson1, typed_keys(lesson1.text, mistakes=mistakes), Accept="text/html"
    ).content.decode()
    assert "Try again to reach 2 stars" in html
    assert client.get(f"/lessons/{lesson2.pk}/").status_code == 403
    assert LessonProgress.objects.get(lesson=lesson1).best_rating == 1
    body = play(client, lesson1, typed_keys(lesson1.text)).json()
    assert body["rating"] == 5
    assert body["next_lesson"]["unlocked"] is True
    assert client.get(f"/lessons/{lesson2.pk}/").status_code == 200
    progress = LessonProgress.objects.get(lesson=lesson1)
    assert (progress.best_rating, progress.attempts) == (5, 2)


def test_improvement_compares_with_the_previous_session_of_the_same_lesson(
    client, learner, lesson1
):
    client.force_login(learner)
    play(client, lesson1, typed_keys(lesson1.text, interval=300))
    body = play(client, lesson1, typed_keys(lesson1.text, interval=200)).json()
    assert body["improvement"] == 20.7  # 62.1 − 41.4
    html = play(
        client, lesson1, typed_keys(lesson1.text, interval=200), Accept="text/html"
    ).content.decode()
    assert "+0 WPM from your last attempt at this lesson" in html


def test_achievements_are_earned_once(client, learner, lesson1):
    client.force_login(learner)
    first = play(client, lesson1, typed_keys(lesson1.text)).json()
    assert [a["code"] for a in first["achievements"]] == [
        "first_lesson",
        "speed_demon",
        "five_stars",
    ]
    again = play(client, lesson1, typed_keys(lesson1.text)).json()
    assert again["achievements"] == []
    assert EarnedAchievement.objects.filter(user=learner).count() == 3


def test_finishing_every_lesson_earns_course_finished(client, learner, lesson1, lesson2):
    client.force_login(learner)
    play(client, lesson1, typed_keys(lesson1.text))
    body = play(client, lesson2, typed_keys(lesson2.text)).json()
    assert "course_finished" in [a["code"] for a in body["achievements"]]
    assert body["next_lesson"] is None


def test_a_robotic_result_is_stored_flagged_and_earns_nothing(client, learner, course):
    client.force_login(learner)
    lesson = Lesson.objects.create(
        course=course, position=0, title="Fast", text="asdf jkl; " * 6, target_wpm=20
    )
    body = play(client, lesson, typed_keys(lesson.text, interval=25)).json()
    assert body["flagged"] is True
    assert body["rating"] == 0
    assert body["achievements"] == []
    session = PracticeSession.objects.get()
    assert session.flagged
    assert session.flag_reason
    assert body["wpm"] > 350
    assert not LessonProgress.objects.exists()
    assert not EarnedAchievement.objects.exists()


def test_completion_queues_the_coach_analysis_which_writes_a_report(
    client, learner, lesson1, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    with django_capture_on_commit_callbacks(execute=True):
        play(client, lesson1, typed_keys(lesson1.text, mistakes={3: "g", 4: "g", 5: "g"}))
    session = PracticeSession.objects.get()
    assert session.analysis_queued_at is not None
    report = Report.objects.get(session=session)
    # Accuracy 90.6 %: the built-in coach says to slow down, in plain words.
    assert report.findings[0]["kind"] == "slow_down"
    assert "90.6 % accuracy" in report.advice  # a summary of the figures …
    assert report.findings[0]["message"].startswith("Accuracy 90.6 % in your recent sessions")
    assert report.findings[0]["message"] not in report.advice  # … not the recommendation again
    assert report.source == "built-in"


@pytest.fixture
def refusing_broker():
    """The Celery app publishes, eager off, to an amqp:// address where nothing listens."""
    import socket

    from typingtrainer.celery import app

    with socket.socket() as probe:  # a port that was free a moment ago: connecting is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configured, eager = app.conf.broker_url, app.conf.task_always_eager

    def forget_connections() -> None:  # Celery caches its pools: make them follow the URL
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None  # type: ignore[attr-defined]

    app.conf.update(broker_url=f"amqp://guest:guest@127.0.0.1:{port}//", task_always_eager=False)
    forget_connections()
    app.connection_for_write().get_transport_cls()  # import it now, not in the timed part
    yield
    app.conf.update(broker_url=configured, task_always_eager=eager)
    forget_connections()


def test_completion_answers_at_once_when_the_broker_refuses_and_the_sweep_queues_it_later(
    client, learner, lesson1, refusing_broker, django_capture_on_commit_callbacks, caplog
):
    import time
    from datetime import timedelta

    from django.utils import timezone

    from coach.tasks import sweep_unqueued_sessions
    from typingtrainer.celery import app

    client.force_login(learner)
    session_id = start(client, lesson1)
    batches = send_batches(client, session_id, typed_keys(lesson1.text))
    # In production the analysis is queued after commit, before the response goes out; here the
    # callback is run by hand so that its cost, the broker's share, is measured on its own.
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_json(client, f"/sessions/{session_id}/complete", {"batches": batches})
    assert response.status_code == 200
    assert (response.json()["wpm"], response.json()["accuracy"]) == (62.1, 100.0)
    assert len(callbacks) == 1
    began = time.monotonic()
    callbacks[0]()
    took = time.monotonic() - began
    # Celery's default publish retries alone would take 0.6 s here.
    assert took < 0.4, f"queueing held the completion {took:.2f} s with the broker refusing"
    assert "Could not queue analysis" in caplog.text
    session = PracticeSession.objects.get()
    assert session.status == "completed"
    assert session.analysis_queued_at is None
    assert not Report.objects.exists()

    app.conf.task_always_eager = True  # the broker is back (eager runs it in-process)
    assert sweep_unqueued_sessions() == 0  # too recent: the completion may still be queueing it
    PracticeSession.objects.update(completed_at=timezone.now() - timedelta(minutes=2))
    assert sweep_unqueued_sessions() == 1
    session.refresh_from_db()
    assert session.analysis_queued_at is not None
    assert Report.objects.filter(session=session).exists()
