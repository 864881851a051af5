"""The coach for a learner it knows little about, and its texts on one session (the result
card's keys and tip)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from coach.analysis import Snapshot, findings, session_tip, summary
from coach.exercises import exercise_purpose, exercise_title, home_row_keys
from coach.models import Exercise, Report
from coach.templatetags.coach_format import ago
from courses.layouts import LAYOUTS
from lessons import scoring
from lessons.tests.conftest import play, typed_keys
from stats.aggregates import KeyFigures, SessionKeys, key_deltas, session_keys

QWERTY = LAYOUTS["qwerty"]


def replayed(text: str, typed: str, interval: int = 200) -> scoring.Replay:
    """`typed` is what the learner pressed, in order, in must-correct mode."""
    keys, pos, t = [], 0, 0
    for ch in typed:
        keys.append(scoring.Keystroke(pos=pos, typed=ch, t=t))
        if ch == text[pos]:
            pos += 1
        t += interval
    return scoring.replay(text, keys, skip_indent=False)


# --- One session's keys (stats.aggregates.session_keys) --------------------------------------


def test_the_missed_keys_come_with_what_was_typed_instead_the_most_missed_first():
    # e typed as r three times and as w once; h typed as j once.
    replay = replayed("were here", "wrrrwere jhere")
    keys = session_keys(key_deltas(replay.events))
    assert [(k.char, k.errors, k.typed_instead) for k in keys.missed] == [
        ("e", 4, (("r", 3), ("w", 1))),
        ("h", 1, (("j", 1),)),
    ]


def test_the_slowest_keys_need_three_timed_presses_and_come_slowest_first():
    text = "abab abab c"
    keys, t = [], 0
    for pos, ch in enumerate(text):
        if pos:
            t += {"a": 300, "b": 500, "c": 2000}.get(ch, 100)
        keys.append(scoring.Keystroke(pos=pos, typed=ch, t=t))
    found = session_keys(key_deltas(scoring.replay(text, keys, skip_indent=False).events))
    # "c" was slowest but pressed once, Space twice; the first "a" has no interval before it.
    assert [(k.char, k.mean_ms, k.timed) for k in found.slowest] == [
        ("b", 500.0, 4),
        ("a", 300.0, 3),
    ]


# --- The tip on one session -----------------------------------------------------------------


def tip(keys: SessionKeys, accuracy: float = 95.0, wpm: float = 30, target: int = 30) -> str:
    return session_tip(keys, accuracy=accuracy, wpm=wpm, target_wpm=target, layout=QWERTY)


def test_the_tip_names_what_was_typed_for_the_most_missed_key_and_its_finger():
    keys = session_keys(key_deltas(replayed("were", "wrrrere").events))
    assert tip(keys) == (
        "You typed r for e 3 times. e is for your left middle finger, reach up. "
        "Let that finger make the move, slowly, until it lands without looking."
    )


def test_with_low_accuracy_the_tip_says_to_slow_down_on_the_key_missed_most():
    keys = session_keys(key_deltas(replayed("were", "wrrrere").events))
    assert tip(keys, accuracy=70.0).startswith(
        "Accuracy 70.0 %: slow down until the misses stop — most were on e."
    )


def test_a_clean_session_gets_a_tip_on_its_slowest_key_or_to_push_the_pace():
    keys = session_keys(key_deltas(replayed("asdf asdf asdf", "asdf asdf asdf").events))
    slowest = keys.slowest[0].label
    assert tip(keys, accuracy=100.0, wpm=40, target=30).startswith(
        f"Your slowest key was {slowest} (200 ms on average):"
    )
    assert tip(keys, accuracy=100.0, wpm=20, target=30).startswith(
        "No misses at 100.0 %: push the pace towards 30 WPM"
    )


# --- The coach's texts for a new learner ----------------------------------------------------


def test_with_too_little_data_the_coach_says_so_and_its_summary_is_another_sentence():
    snapshot = Snapshot(
        keys=[KeyFigures("f", hits=8, errors=1)],
        recent_wpm=21,
        recent_accuracy=94.5,
        recent_sessions=1,
    )
    found = findings(snapshot, QWERTY)
    assert [f.message for f in found] == ["Type a few lessons so I can find your weak keys."]
    text = summary(snapshot, found)
    assert text == (
        "Your last session in the past two weeks: 21 WPM at 94.5 % accuracy. "
        "That is too early to judge single keys: each needs about 20 presses."
    )
    assert all(f.message not in text for f in found)


def test_the_summary_names_the_weak_keys_the_recommendations_explain():
    snapshot = Snapshot(
        keys=[KeyFigures("e", hits=60, errors=20), KeyFigures("r", hits=60, errors=15)],
        recent_wpm=30,
        recent_accuracy=90.0,
        recent_sessions=4,
    )
    found = findings(snapshot, QWERTY)
    text = summary(snapshot, found)
    assert "Your 4 sessions in the past two weeks: 30 WPM at 90.0 % accuracy on average." in text
    assert "2 keys hold you back: e, r." in text
    assert all(f.message not in text for f in found)


def test_exercise_titles_say_what_they_train_and_claim_weak_keys_only_when_there_are_some():
    def title(keys, pairs=(), weak=(), slow=()):
        purpose = exercise_purpose(
            focus_keys=keys, focus_bigrams=pairs, weak_keys=weak, slow_pairs=slow, layout=QWERTY
        )
        return exercise_title(purpose, keys, pairs)

    assert title(("e", "r"), weak={"e", "r"}) == "Weak keys: e r"
    assert title(("e", "r"), weak=set()) == "Keys: e r"
    assert title(home_row_keys(QWERTY)) == "Home row: f j d k s l a"
    assert title(()) == "Common words warm-up"
    assert title((), ("th",), slow={"th"}) == "Slow pairs: th"
    assert title((), ("th",)) == "Key pairs: th"


def test_under_a_minute_is_just_now_never_0_minutes_ago():
    now = timezone.now()
    assert ago(now - timedelta(seconds=20)) == "just now"
    assert ago(now - timedelta(minutes=3, seconds=5)) == "3\xa0minutes ago"
    assert ago(now - timedelta(days=2, hours=5)) == "2\xa0days ago"


# --- The coach page -------------------------------------------------------------------------


def header(html: str) -> str:
    """The exercise page's title and the line under it."""
    found = re.search(r'<header class="lesson-header">.*?</header>', html, re.S)
    assert found is not None
    return found.group(0)


@pytest.mark.django_db
def test_a_new_learner_is_offered_the_first_lesson_of_their_course_and_a_first_exercise(
    client, learner, course
):
    client.force_login(learner)
    html = client.get("/coach/").content.decode()
    assert "Type a few lessons so I can find your weak keys." in html
    lesson1 = course.lessons.get(position=1)
    # No placement test on this site yet: the first lesson of the learner's course instead.
    assert re.search(rf'href="/lessons/{lesson1.pk}/">\s*Type Lesson 1: Lesson 1', html)
    assert '<input type="hidden" name="keys" value="fjdksla">' in html
    assert "First exercise: the home row" in html
    assert "Make a common-words warm-up" in html
    assert "Make an exercise for my weakest keys" not in html
    assert "Practise this" not in html


@pytest.mark.django_db
def test_the_first_exercise_is_titled_for_the_home_row_and_says_so(client, learner):
    client.force_login(learner)
    response = client.post("/coach/exercises/", {"keys": "fjdksla"})
    exercise = Exercise.objects.get(user=learner)
    assert exercise.title == "Home row: f j d k s l a"
    assert exercise.purpose == "home_row"
    page = header(client.get(response["Location"]).content.decode())
    assert "Home row: f j d k s l a" in page
    assert "Real words on the home row, where your fingers rest" in page
    assert "weak keys" not in page
    listed = client.get("/coach/").content.decode()
    assert "Home row: f j d k s l a" in listed
    assert "just now" in listed
    assert "0 minutes ago" not in listed


@pytest.mark.django_db
def test_without_weak_keys_the_exercise_button_makes_a_common_words_warm_up(client, learner):
    client.force_login(learner)
    client.post("/coach/exercises/")
    exercise = Exercise.objects.get(user=learner)
    assert exercise.title == "Common words warm-up"
    page = header(client.get(f"/coach/exercises/{exercise.pk}/").content.decode())
    assert "Common words to warm up" in page
    assert "weak keys" not in page


@pytest.mark.django_db
def test_after_the_first_lesson_the_summary_and_the_recommendation_differ(
    client, learner, course, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    lesson = course.lessons.get(position=1)
    with django_capture_on_commit_callbacks(execute=True):
        play(client, lesson, typed_keys(lesson.text))
    report = Report.objects.get(user=learner)
    html = client.get("/coach/").content.decode()
    assert "Updated after your session just now" in html
    assert report.advice in html
    assert "That is too early to judge single keys" in report.advice
    assert "Type a few lessons so I can find your weak keys." in html
    assert "Type a few lessons" not in report.advice
    # Lesson 1 is done: the coach points on to lesson 2.
    lesson2 = course.lessons.get(position=2)
    assert re.search(rf'href="/lessons/{lesson2.pk}/">\s*Type Lesson 2: Lesson 2', html)


@pytest.mark.django_db
def test_weak_keys_make_a_weak_keys_exercise(
    client, learner, course, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    lesson = course.lessons.get(position=1)
    mistakes = {pos: "e" for pos, ch in enumerate(lesson.text) if ch == "d"}
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(7):
            play(client, lesson, typed_keys(lesson.text, mistakes=mistakes))
    html = client.get("/coach/").content.decode()
    assert "Make an exercise for my weakest keys" in html
    assert "One key holds you back: d." in html
    client.post("/coach/exercises/")
    exercise = Exercise.objects.get(user=learner)
    assert exercise.title == "Weak keys: d"
    page = client.get(f"/coach/exercises/{exercise.pk}/").content.decode()
    assert "Real words chosen for your weak keys" in page
