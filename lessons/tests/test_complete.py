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
    assert "+0 WPM from last session" in html


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
    assert report.advice.startswith("Accuracy 90.6 % in your recent sessions: slow down")
    assert report.source == "built-in"


def test_completion_succeeds_when_the_broker_is_down_and_the_sweep_catches_up(
    client, learner, lesson1, monkeypatch, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone
    from kombu.exceptions import OperationalError

    from coach.tasks import sweep_unqueued_sessions
    from typingtrainer.celery import app

    client.force_login(learner)

    class BrokerDown:
        def apply_async(self):
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(app, "signature", lambda *args, **kwargs: BrokerDown())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = play(client, lesson1, typed_keys(lesson1.text))
    assert len(callbacks) == 1  # the analysis was attempted, and failed
    assert response.status_code == 200
    session = PracticeSession.objects.get()
    assert session.status == "completed"
    assert session.analysis_queued_at is None
    monkeypatch.undo()
    PracticeSession.objects.update(completed_at=timezone.now() - timedelta(minutes=5))
    assert sweep_unqueued_sessions() == 1
    session.refresh_from_db()
    assert session.analysis_queued_at is not None
    assert Report.objects.filter(session=session).exists()
