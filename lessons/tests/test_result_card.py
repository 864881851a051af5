"""The result card the widget swaps in on completion: the session's keys from the server's
replay, a coach tip on them, a link to the session page, its shortcuts, and what the WPM
change compares with."""

from __future__ import annotations

import re

import pytest

from lessons.models import PracticeSession

from .conftest import play, post_json, send_batches, start, typed_keys

pytestmark = pytest.mark.django_db

HTML = {"Accept": "text/html", "HX-Request": "true"}


def keys_with_pauses(text: str, *, slow: dict[str, int], mistakes: dict[int, str]) -> list[list]:
    """Typing `text` at 150 ms a key, but `slow[ch]` ms before each correct `ch`, and a wrong
    key first at each position in `mistakes`."""
    keys: list[list] = []
    t = 0
    for pos, ch in enumerate(text):
        if pos in mistakes:
            keys.append([pos, mistakes[pos], t])
            t += 150
        keys.append([pos, ch, t])
        t += slow.get(text[pos + 1] if pos + 1 < len(text) else "", 150)
    return keys


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_card_shows_the_keys_missed_with_what_was_typed_instead_and_the_slowest(
    client, learner, lesson1
):
    client.force_login(learner)
    text = lesson1.text  # "asdf jkl; asdf jkl; fads lads"
    d_at = [pos for pos, ch in enumerate(text) if ch == "d"]
    mistakes = {d_at[0]: "e", d_at[1]: "e", d_at[2]: "e", text.index("j"): "h"}
    keys = keys_with_pauses(text, slow={"l": 700, "s": 450}, mistakes=mistakes)
    html = play(client, lesson1, keys, **HTML).content.decode()
    shown = text_of(html)
    assert "Most missed" in shown
    assert "d → typed e ×3" in shown
    assert "j → typed h ×1" in shown
    assert shown.index("d → typed") < shown.index("j → typed")  # the most missed first
    assert "Slowest keys" in shown
    slowest = shown[shown.index("Slowest keys") :]
    assert slowest.index("l 700 ms on average") < slowest.index("s 450 ms on average")
    # Accuracy 4 wrong of 33: the tip is grounded in the key missed most.
    session = PracticeSession.objects.get()
    assert session.accuracy == 87.9
    assert "Coach tip: Accuracy 87.9 %: slow down until the misses stop — most were on d." in shown
    assert f'href="/stats/sessions/{session.pk}/"' in html
    assert "See this session key by key" in shown


def test_a_clean_session_gets_a_tip_on_its_slowest_key_and_no_missed_list(client, learner, lesson1):
    client.force_login(learner)
    keys = keys_with_pauses(lesson1.text, slow={"l": 900}, mistakes={})
    shown = text_of(play(client, lesson1, keys, **HTML).content.decode())
    assert "Most missed" not in shown
    assert "l 900 ms on average" in shown
    assert "Your slowest key was l (900 ms on average): right ring finger, home row." in shown


def test_the_next_lesson_is_the_focused_primary_action_with_its_shortcuts_shown(
    client, learner, lesson1, lesson2
):
    client.force_login(learner)
    html = play(client, lesson1, typed_keys(lesson1.text), **HTML).content.decode()
    [primary] = re.findall(r"<a [^>]*data-autofocus[^>]*>.*?</a>", html, re.S)
    assert 'data-shortcut="next"' in primary
    assert 'aria-keyshortcuts="Enter"' in primary
    assert f'href="/lessons/{lesson2.pk}/"' in primary
    assert "Next lesson: Lesson 2" in primary
    assert "↵" in primary
    [retry] = re.findall(r'<a [^>]*data-shortcut="retry"[^>]*>.*?</a>', html, re.S)
    assert f'href="/lessons/{lesson1.pk}/"' in retry
    assert "Esc" in retry
    assert 'aria-keyshortcuts="Escape Tab"' in retry
    assert 'tabindex="-1"' in html  # the heading can still be reached, but is not focused


def test_when_the_next_lesson_stays_locked_try_again_is_the_primary_action(
    client, learner, lesson1
):
    client.force_login(learner)
    mistakes = {p: "q" for p in (1, 4, 7, 11, 15, 19)}  # 1 star: lesson 2 stays locked
    html = play(client, lesson1, typed_keys(lesson1.text, mistakes=mistakes), **HTML)
    [primary] = re.findall(r"<a [^>]*data-autofocus[^>]*>", html.content.decode())
    assert 'data-shortcut="retry"' in primary
    assert 'data-shortcut="next"' not in html.content.decode()


def test_a_first_attempt_says_which_lesson_it_is_compared_with(client, learner, lesson1, lesson2):
    client.force_login(learner)
    play(client, lesson1, typed_keys(lesson1.text, interval=300))
    first = text_of(play(client, lesson2, typed_keys(lesson2.text), **HTML).content.decode())
    assert re.search(r"\+\d+(\.\d)? WPM vs your last session \(Lesson 1: Lesson 1\)", first)
    again = text_of(play(client, lesson2, typed_keys(lesson2.text), **HTML).content.decode())
    assert "+0 WPM from your last attempt at this lesson" in again


def test_completing_again_shows_the_same_card(client, learner, lesson1, lesson2):
    client.force_login(learner)
    play(client, lesson1, typed_keys(lesson1.text, interval=300))
    session = start(client, lesson2)
    keys = typed_keys(lesson2.text, mistakes={2: "x"})
    count = send_batches(client, session, keys)
    url = f"/sessions/{session}/complete"
    first = post_json(client, url, {"batches": count}, **HTML).content.decode()
    second = post_json(client, url, {"batches": count}, **HTML).content.decode()
    assert "s → typed x ×1" in text_of(second)
    assert "vs your last session (Lesson 1: Lesson 1)" in text_of(second)
    for line in ("s → typed x ×1", "Slowest keys", "Coach tip:"):
        assert line in text_of(first)


def test_a_guest_is_offered_to_sign_up_first_and_gets_no_session_link(client, lesson1):
    html = play(client, lesson1, typed_keys(lesson1.text, mistakes={0: "s"}), **HTML)
    body = html.content.decode()
    [primary] = re.findall(r"<a [^>]*data-autofocus[^>]*>.*?</a>", body, re.S)
    assert "Sign up to keep this result" in primary
    assert "a → typed s ×1" in text_of(body)
    assert "/stats/sessions/" not in body
