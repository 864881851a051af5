"""Fast typists do not grind: a one-minute placement test opens a course's lessons up to the
measured speed, and a locked lesson can be tested out of (README "Access rules"). Both are
ordinary practice sessions, replayed and scored by the server; Premium still needs Premium."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from billing.tests.conftest import (  # noqa: F401 — fixtures: a subscriber made through webhooks
    deliver,
    fake_stripe,
    fresh,
    premium_prices,
    subscribe,
    webhook_endpoint,
)
from conftest import PASSWORD, make_user
from courses.models import Course, Lesson
from lessons import placement, scoring
from lessons.access import access_for
from lessons.models import LessonProgress, LevelTest, PracticeSession

from .conftest import post_json, send_batches, typed_keys

pytestmark = pytest.mark.django_db

TARGETS = [10, 20, 40, 60, 90, 100]
TEXTS = [
    "asdf jkl; asdf jkl; fads lads",
    "a sad lad; a dad asks; all fall",
    "the last glass has a red flask",
    "she reads the letters he sent her",
    "a large garden grows near the road",
    "their green trees stand tall and still",
]


@pytest.fixture
def ladder(db) -> Course:
    """Six lessons of rising target speed; the fourth is Premium."""
    course = Course.objects.create(
        slug="ladder",
        title="Ladder",
        description="Rising speed.",
        language="en",
        layout="qwerty",
        is_published=True,
    )
    for number, (target, text) in enumerate(zip(TARGETS, TEXTS, strict=True), start=1):
        Lesson.objects.create(
            course=course,
            position=number,
            title=f"Step {number}",
            text=text,
            target_wpm=target,
            is_premium=number == 4,
        )
    return course


def step(course: Course, number: int) -> Lesson:
    return course.lessons.get(position=number)


def log_in(client, user) -> None:
    client.force_login(user)


def take_placement(client, course, *, chars: int, interval: int, mistakes=None, **headers):
    """Open the placement page, start the test and type the first `chars` characters of its
    text, one key every `interval` ms, then complete it."""
    page = client.get(f"/courses/{course.slug}/placement/")
    assert page.status_code == 200
    text = page.context["text"]
    response = post_json(client, f"/courses/{course.slug}/placement/start", {})
    assert response.status_code == 201, response.content
    session = response.json()["session"]
    keys = typed_keys(text[:chars], interval=interval, mistakes=mistakes)
    count = send_batches(client, session, keys)
    done = post_json(client, f"/sessions/{session}/complete", {"batches": count}, **headers)
    return session, done


def test_a_placement_at_80_wpm_opens_the_lessons_up_to_that_speed(client, learner, ladder):
    log_in(client, learner)
    # 400 characters and 8 wrong keys, a key every 150 ms: 98 % accurate.
    mistakes = {n: "q" for n in range(1, 400, 50)}
    session, done = take_placement(client, ladder, chars=400, interval=150, mistakes=mistakes)
    assert done.status_code == 200, done.content
    figures = done.json()
    assert figures["wpm"] == 78.6  # 400 characters in 61.05 s
    assert figures["accuracy"] >= 95
    assert figures["level_test"] == {
        "kind": "placement",
        "passed": True,
        "opened": 4,  # targets 10, 20, 40 and 60 are at most 80 WPM; 90 is not
        "premium_opened": 1,
        "course": "ladder",
    }
    stored = PracticeSession.objects.get(pk=session)
    assert stored.status == "completed"
    assert stored.keystrokes == 408
    # The learner sees it: lessons 1-3 are links on the course page, the Premium fourth and
    # the 90-WPM fifth are not.
    page = client.get("/courses/ladder/").content.decode()
    for number in (1, 2, 3):
        assert f'href="/lessons/{step(ladder, number).pk}/"' in page
    for number in (4, 5, 6):
        assert f'href="/lessons/{step(ladder, number).pk}/"' not in page
    assert client.get(f"/lessons/{step(ladder, 3).pk}/").status_code == 200
    assert client.get(f"/lessons/{step(ladder, 5).pk}/").status_code == 403
    # Premium is not bypassed: the fourth, though within the speed, still needs Premium.
    premium = client.get(f"/lessons/{step(ladder, 4).pk}/")
    assert premium.status_code == 403
    assert "needs Premium" in premium.content.decode()
    # No stars were invented: a placement is not a lesson completion.
    assert not LessonProgress.objects.filter(user=learner).exists()
    # The history names it.
    assert "Placement test" in client.get("/stats/history/").content.decode()


def test_the_result_card_says_the_speed_accuracy_and_the_lessons_opened(client, learner, ladder):
    log_in(client, learner)
    _, done = take_placement(
        client, ladder, chars=400, interval=150, **{"HX-Request": "true", "Accept": "text/html"}
    )
    card = done.content.decode()
    assert "Placement: 80.2 WPM, 100 % — lessons 1–4 opened" in card
    assert "1 of them is a Premium lesson" in card
    assert "Continue with “Step 3”" in card  # the furthest lesson the learner can open


def test_a_subscriber_placed_at_80_wpm_types_the_premium_lesson_too(
    client,
    learner,
    ladder,
    subscribe,  # noqa: F811 — the fixture imported above
):
    subscribe(learner)
    log_in(client, fresh(learner))
    take_placement(client, ladder, chars=400, interval=150)
    assert client.get(f"/lessons/{step(ladder, 4).pk}/").status_code == 200
    assert client.get(f"/lessons/{step(ladder, 5).pk}/").status_code == 403


def test_a_placement_below_95_percent_opens_nothing(client, learner, ladder):
    log_in(client, learner)
    mistakes = {n: "q" for n in range(0, 400, 10)}  # 40 wrong keys in 440: 90.9 %
    _, done = take_placement(
        client,
        ladder,
        chars=400,
        interval=150,
        mistakes=mistakes,
        **{"HX-Request": "true", "Accept": "text/html"},
    )
    card = done.content.decode()
    assert "— no lessons opened" in card
    assert "Lessons open at 95 % accuracy or more" in card
    assert LevelTest.objects.get().opened == 0
    assert client.get(f"/lessons/{step(ladder, 2).pk}/").status_code == 403


def test_a_slow_placement_opens_only_what_its_speed_reaches(client, learner, ladder):
    log_in(client, learner)
    # A key every 400 ms is 30 WPM: the 10 and 20 WPM lessons open, the 40 WPM one does not.
    take_placement(client, ladder, chars=100, interval=400)
    assert LevelTest.objects.get().opened == 2
    assert client.get(f"/lessons/{step(ladder, 2).pk}/").status_code == 200
    assert client.get(f"/lessons/{step(ladder, 3).pk}/").status_code == 403


def test_a_placement_faster_than_a_person_types_is_flagged_and_opens_nothing(
    client, learner, ladder
):
    log_in(client, learner)
    # A key every 20 ms for 31 s: 600 WPM.
    _, done = take_placement(
        client, ladder, chars=1550, interval=20, **{"HX-Request": "true", "Accept": "text/html"}
    )
    assert "Result recorded for review" in done.content.decode()
    assert PracticeSession.objects.get().flagged
    assert LevelTest.objects.get().opened_through is None
    assert client.get(f"/lessons/{step(ladder, 2).pk}/").status_code == 403


def test_a_placement_of_ten_seconds_is_refused_and_changes_nothing(client, learner, ladder):
    log_in(client, learner)
    session, done = take_placement(client, ladder, chars=60, interval=150)
    assert done.status_code == 422
    assert "at least 30 seconds" in done.json()["error"]
    stored = PracticeSession.objects.get(pk=session)
    assert stored.status == "started"
    assert stored.wpm is None
    assert LevelTest.objects.get().opened_through is None
    assert client.get(f"/lessons/{step(ladder, 2).pk}/").status_code == 403


def test_keys_that_do_not_follow_the_placement_text_are_refused(client, learner, ladder):
    log_in(client, learner)
    client.get("/courses/ladder/placement/")
    session = post_json(client, "/courses/ladder/placement/start", {}).json()["session"]
    # Position 5 right after position 0: not where the cursor was.
    bad = post_json(
        client,
        f"/sessions/{session}/keystrokes",
        {"seq": 0, "keys": [[0, "x", 0], [5, "y", 200]]},
    )
    assert bad.status_code == 400
    assert not PracticeSession.objects.get(pk=session).batches.exists()


def test_a_code_course_has_no_placement_test_and_an_unknown_course_none_either(client, learner):
    log_in(client, learner)
    Course.objects.create(
        slug="py", title="Python", description="-", language="python", is_published=True
    )
    assert client.get("/courses/py/placement/").status_code == 404
    assert post_json(client, "/courses/py/placement/start", {}).status_code == 404
    assert post_json(client, "/courses/nope/placement/start", {}).status_code == 404
    assert client.get("/courses/ladder/placement/start").status_code in (404, 405)
    assert not PracticeSession.objects.exists()


def test_the_course_page_and_the_dashboard_offer_the_placement_test(client, learner, ladder):
    offer = "Already type? Take a 1-minute placement test"
    assert offer in client.get("/courses/ladder/").content.decode()
    log_in(client, learner)
    dashboard = client.get("/stats/").content.decode()
    assert offer in dashboard
    picked = client.get("/placement/")
    assert picked.status_code == 302
    assert picked["Location"] == "/courses/ladder/placement/"


def test_a_visitors_placement_opens_the_lessons_once_they_have_an_account(client, ladder):
    _, done = take_placement(
        client, ladder, chars=400, interval=150, **{"HX-Request": "true", "Accept": "text/html"}
    )
    assert "sign up to open lessons 1–4" in done.content.decode()
    assert client.get(f"/lessons/{step(ladder, 2).pk}/").status_code == 403
    user = make_user("visitor@example.com")
    assert client.login(email=user.email, password=PASSWORD)  # claims the visitor's sessions
    assert PracticeSession.objects.get().user == user
    assert client.get(f"/lessons/{step(ladder, 3).pk}/").status_code == 200
    assert access_for(AnonymousUser(), step(ladder, 3)).needs_account


def test_a_new_placement_test_gets_new_words(client, learner, ladder):
    log_in(client, learner)
    first = client.get("/courses/ladder/placement/").context["text"]
    assert client.get("/courses/ladder/placement/").context["text"] == first  # a reload
    take_placement(client, ladder, chars=400, interval=150)
    assert client.get("/courses/ladder/placement/").context["text"] != first


# --- Test-out ----------------------------------------------------------------------------------


def take_test_out(client, lesson, *, interval: int, mistakes=None, **headers):
    response = post_json(client, f"/lessons/{lesson.pk}/test-out/start", {})
    assert response.status_code == 201, response.content
    session = response.json()["session"]
    keys = typed_keys(lesson.text, interval=interval, mistakes=mistakes)
    count = send_batches(client, session, keys)
    return post_json(client, f"/sessions/{session}/complete", {"batches": count}, **headers)


def test_the_locked_page_offers_a_test_out(client, learner, ladder):
    log_in(client, learner)
    locked = client.get(f"/lessons/{step(ladder, 3).pk}/")
    assert locked.status_code == 403
    page = locked.content.decode()
    assert "Test out: type this lesson at its target WPM (40) with ≥ 95 % accuracy" in page
    assert f'href="/lessons/{step(ladder, 3).pk}/test-out/"' in page
    assert client.get(f"/lessons/{step(ladder, 3).pk}/test-out/").status_code == 200


def test_testing_out_at_the_target_opens_the_lesson_and_all_before_it(client, learner, ladder):
    log_in(client, learner)
    third = step(ladder, 3)
    # A key every 150 ms is about 80 WPM, twice the 40 WPM target, without a mistake.
    done = take_test_out(
        client, third, interval=150, **{"HX-Request": "true", "Accept": "text/html"}
    )
    assert done.status_code == 200
    assert "Test-out passed: lessons 1–3 opened" in done.content.decode()
    for number in (2, 3):
        assert client.get(f"/lessons/{step(ladder, number).pk}/").status_code == 200
    # A passed test-out is a completion of the lesson, with its stars.
    progress = LessonProgress.objects.get(user=learner, lesson=third)
    assert progress.best_rating >= 4
    assert not LessonProgress.objects.filter(user=learner, lesson=step(ladder, 2)).exists()
    # The next lesson is Premium: the stars do not open it without Premium.
    assert client.get(f"/lessons/{step(ladder, 4).pk}/").status_code == 403


def test_a_test_out_below_the_target_opens_nothing(client, learner, ladder):
    log_in(client, learner)
    third = step(ladder, 3)
    # A key every 600 ms is about 20 WPM: half the target.
    done = take_test_out(
        client, third, interval=600, **{"HX-Request": "true", "Accept": "text/html"}
    )
    card = done.content.decode()
    assert "Not yet:" in card
    assert "you need 40 WPM with at least 95 % accuracy" in card
    assert client.get(f"/lessons/{third.pk}/").status_code == 403
    assert client.get(f"/lessons/{step(ladder, 2).pk}/").status_code == 403
    assert not LessonProgress.objects.filter(user=learner).exists()


def test_a_fast_test_out_with_too_many_mistakes_opens_nothing(client, learner, ladder):
    log_in(client, learner)
    third = step(ladder, 3)
    mistakes = {0: "x", 5: "x", 10: "x"}  # 3 wrong keys in 33: 90.9 %
    figures = take_test_out(client, third, interval=150, mistakes=mistakes).json()
    assert figures["level_test"]["passed"] is False
    assert client.get(f"/lessons/{third.pk}/").status_code == 403


def test_testing_out_does_not_bypass_premium(client, learner, ladder):
    log_in(client, learner)
    fourth = step(ladder, 4)
    page = client.get(f"/lessons/{fourth.pk}/test-out/")
    assert page.status_code == 403
    assert "needs Premium" in page.content.decode()
    refused = post_json(client, f"/lessons/{fourth.pk}/test-out/start", {})
    assert refused.status_code == 403
    assert not PracticeSession.objects.exists()


def test_there_is_nothing_to_test_out_of_in_an_open_lesson_or_as_a_visitor(client, learner, ladder):
    second = step(ladder, 2)
    refused = post_json(client, f"/lessons/{second.pk}/test-out/start", {})
    assert refused.status_code == 403  # a visitor: sign up first
    assert client.get(f"/lessons/{second.pk}/test-out/").status_code == 403
    log_in(client, learner)
    first = step(ladder, 1)
    assert post_json(client, f"/lessons/{first.pk}/test-out/start", {}).status_code == 409
    assert client.get(f"/lessons/{first.pk}/test-out/").status_code == 302
    assert post_json(client, "/lessons/99999/test-out/start", {}).status_code == 404
    assert not PracticeSession.objects.exists()


# --- The rules, without a database ------------------------------------------------------------


def test_placement_opens_the_run_of_lessons_whose_targets_the_speed_reaches():
    targets = [10, 20, 40, 30, 90]
    assert placement.lessons_opened(wpm=45, accuracy=97, targets=targets) == 4
    assert placement.lessons_opened(wpm=35, accuracy=97, targets=targets) == 2  # not past 40
    assert placement.lessons_opened(wpm=40, accuracy=95, targets=targets) == 4  # at the target
    assert placement.lessons_opened(wpm=200, accuracy=94.9, targets=targets) == 0
    assert placement.lessons_opened(wpm=5, accuracy=100, targets=targets) == 0


def test_a_test_out_passes_at_its_target_with_95_percent():
    assert placement.tested_out(wpm=40, accuracy=95, target_wpm=40)
    assert not placement.tested_out(wpm=39.9, accuracy=100, target_wpm=40)
    assert not placement.tested_out(wpm=80, accuracy=94.9, target_wpm=40)
    # The same bar as four stars.
    assert scoring.rating_for(wpm=40, accuracy=95, target_wpm=40) == 4


def test_placement_texts_are_common_words_the_same_for_a_seed():
    text = placement.placement_text(language="en", layout="qwerty", seed=7)
    assert text == placement.placement_text(language="en", layout="qwerty", seed=7)
    assert text != placement.placement_text(language="en", layout="qwerty", seed=8)
    assert len(text) >= placement.TEXT_LENGTH
    assert set(text) <= set("abcdefghijklmnopqrstuvwxyz '")
    russian = placement.placement_text(language="ru", layout="jcuken", seed=7)
    assert all(ch == " " or "а" <= ch <= "я" or ch == "ё" for ch in russian)
    with pytest.raises(ValueError, match="no word list"):
        placement.placement_text(language="python", layout="qwerty", seed=7)


def test_a_partial_replay_counts_what_was_typed_as_the_text():
    keys = [scoring.Keystroke(*key) for key in typed_keys("the cat", interval=200)]
    keys.append(scoring.Keystroke(7, "x", 1500))  # a wrong key as the time ran out
    replay = scoring.replay("the cat sat on the mat", keys, skip_indent=False, partial=True)
    assert (replay.text_length, replay.keystrokes, replay.errors) == (7, 8, 1)
    with pytest.raises(scoring.ReplayError, match="not finished"):
        scoring.replay("the cat sat on the mat", keys, skip_indent=False)
