"""The built-in exercise generator and the checks every exercise (built-in or LLM) must pass.
Pure: no database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest
from wordfreq import top_n_list

from coach import exercises
from coach.exercises import (
    ExerciseRequest,
    baseline_share,
    check_exercise,
    focus_share,
    generate_exercise,
)
from courses.curriculum import build
from courses.layouts import LAYOUTS, Layout

PROJECT = Path(__file__).resolve().parents[2]


def words_in(text: str) -> list[str]:
    return [token.strip(".,?").lower() for token in text.split()]


@pytest.fixture
def fresh_word_lists() -> Iterator[None]:
    """Forget the cached word lists before and after a test that changes where they come from."""

    def forget() -> None:
        exercises._frequencies.cache_clear()
        exercises._letter_shares.cache_clear()
        exercises._word_pool.cache_clear()
        exercises._common_words.cache_clear()

    forget()
    yield
    forget()


# Density ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "layout", "keys"),
    [
        ("en", "qwerty", ("t", "r")),
        ("en", "qwerty", ("j", "k")),
        ("en", "dvorak", ("s", "h")),
        ("en", "colemak", ("q", "z")),
        ("en", "qwerty", ("e",)),
        ("ru", "jcuken", ("ф", "ж")),
        ("ru", "jcuken", ("о", "л")),
        ("ru", "jcuken", ("ш", "щ", "ц")),
    ],
)
@pytest.mark.parametrize("sentences", [False, True])
def test_focus_keys_are_at_least_three_times_as_frequent_as_in_ordinary_text(
    language: str, layout: str, keys: tuple[str, ...], sentences: bool
) -> None:
    request = ExerciseRequest(language, layout, keys, sentences=sentences, seed=11)
    exercise = generate_exercise(request)
    assert exercise.focus_keys == tuple(sorted(keys))
    assert focus_share(exercise.text, keys) >= 3 * baseline_share(language, keys)
    assert check_exercise(exercise.text, request) == []


@pytest.mark.parametrize(
    ("language", "key", "low", "high"),
    [
        ("en", "e", 0.10, 0.14),
        ("en", "t", 0.08, 0.11),
        ("en", "z", 0.0, 0.002),
        ("ru", "о", 0.09, 0.125),
        ("ru", "ф", 0.0, 0.005),
    ],
)
def test_ordinary_text_has_the_letter_frequencies_of_the_language(
    language: str, key: str, low: float, high: float
) -> None:
    # Published letter frequencies (en: e 12.7 %, t 9.1 %, z 0.07 %; ru: о 11 %, ф 0.3 %).
    assert low <= baseline_share(language, [key]) <= high


def test_focus_share_counts_every_typed_character_but_spaces_and_ignores_case() -> None:
    assert focus_share("Tart tree.", ["t"]) == pytest.approx(3 / 9)  # T t t of Tarttree.
    assert focus_share("", ["t"]) == 0.0


def test_keys_that_are_much_of_all_text_get_a_bar_real_words_can_reach() -> None:
    # Three times their share of English is out of reach for these (more than all text); the
    # bar closes 40 % of the gap between ordinary text and nothing but focus keys.
    keys = ("a", "e", "o", "t")
    request = ExerciseRequest("en", "qwerty", keys, seed=3)
    text = generate_exercise(request).text
    baseline = baseline_share("en", keys)
    assert 3 * baseline > 1
    assert focus_share(text, keys) >= baseline + 0.4 * (1 - baseline)
    assert check_exercise(text, request) == []


def test_focus_bigrams_fill_the_exercise() -> None:
    text = generate_exercise(ExerciseRequest("en", "qwerty", (), ("th",), seed=5)).text
    words = words_in(text)
    assert sum("th" in word for word in words) >= 0.8 * len(words)


# Words -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "layout", "keys"),
    [("en", "qwerty", ("j", "k")), ("en", "colemak", ()), ("ru", "jcuken", ("ф", "ж"))],
)
def test_every_word_is_a_dictionary_word(language: str, layout: str, keys: tuple[str, ...]) -> None:
    dictionary = set(top_n_list(language, 50_000))
    text = generate_exercise(ExerciseRequest(language, layout, keys, sentences=True)).text
    for word in words_in(text):
        assert word.isalpha()
        assert word in dictionary


def test_an_exercise_has_about_a_hundred_words() -> None:
    assert len(generate_exercise(ExerciseRequest("en", "qwerty", ("t",))).text.split()) == 100
    request = ExerciseRequest("ru", "jcuken", ("д",), words=60)
    assert len(generate_exercise(request).text.split()) == 60


def test_no_word_repeats_right_after_itself() -> None:
    for seed in range(5):
        words = words_in(generate_exercise(ExerciseRequest("en", "qwerty", ("x",), seed=seed)).text)
        assert all(a != b for a, b in pairwise(words))


@pytest.mark.usefixtures("fresh_word_lists")
def test_offensive_words_are_never_used_even_when_the_word_list_offers_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Word lists that (wrongly) offer a blocklisted word, at the top, dense in the focus keys.
    practice, known = build.practice_words("en"), build.vocabulary("en")
    monkeypatch.setattr(exercises, "practice_words", lambda language: ("shit", *practice))
    monkeypatch.setattr(exercises, "vocabulary", lambda language: ("shit", *known))
    assert exercises._frequencies("en")["shit"] > exercises._frequencies("en")["ship"]
    for seed in range(3):
        text = generate_exercise(ExerciseRequest("en", "qwerty", ("s", "h"), seed=seed)).text
        assert "shit" not in words_in(text)


def test_without_focus_keys_it_drills_common_words() -> None:
    common = set(top_n_list("en", 2_000))
    exercise = generate_exercise(ExerciseRequest("en", "qwerty", ()))
    assert exercise.focus_keys == ()
    assert all(word in common for word in words_in(exercise.text))


def test_focus_keys_no_word_can_carry_are_dropped() -> None:
    request = ExerciseRequest("en", "qwerty", ("5", "T", "%", "ж"), ("t5",))
    exercise = generate_exercise(request)
    assert exercise.focus_keys == ("t",)
    assert exercise.focus_bigrams == ()
    assert check_exercise(exercise.text, request) == []
    only_digits = generate_exercise(ExerciseRequest("en", "qwerty", ("5", "7")))
    assert only_digits.focus_keys == ()
    assert check_exercise(only_digits.text, ExerciseRequest("en", "qwerty", ("5", "7"))) == []


def test_it_refuses_a_language_or_layout_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="language"):
        generate_exercise(ExerciseRequest("xx", "qwerty", ()))
    with pytest.raises(ValueError, match="layout"):
        generate_exercise(ExerciseRequest("en", "azerty", ()))
    with pytest.raises(ValueError, match="typed"):
        generate_exercise(ExerciseRequest("ru", "qwerty", ()))


# Characters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "layout"),
    [("en", "qwerty"), ("en", "dvorak"), ("en", "colemak"), ("ru", "jcuken")],
)
def test_it_uses_only_characters_typeable_on_the_layout(language: str, layout: str) -> None:
    text = generate_exercise(ExerciseRequest(language, layout, (), sentences=True)).text
    assert LAYOUTS[layout].untypeable(text) == []


@pytest.mark.usefixtures("fresh_word_lists")
def test_it_leaves_out_what_the_layout_cannot_type(monkeypatch: pytest.MonkeyPatch) -> None:
    # A QWERTY board whose Q key types "§"/"±" and whose slash key has no "?" when shifted.
    qwerty = LAYOUTS["qwerty"]
    changed = {"q": ("§", "±"), "/": ("/", "/")}
    rows = tuple(
        tuple(
            replace(key, base=changed[key.base][0], shifted=changed[key.base][1])
            if key.base in changed
            else key
            for key in row
        )
        for row in qwerty.rows
    )
    monkeypatch.setitem(LAYOUTS, "no-q", Layout(slug="no-q", label="No Q", rows=rows))
    request = ExerciseRequest("en", "no-q", ("q", "u"), sentences=True, words=200)
    exercise = generate_exercise(request)
    assert exercise.focus_keys == ("u",)
    assert not {"q", "Q", "?"} & set(exercise.text)
    assert check_exercise(exercise.text, request) == []


def test_sentences_have_capitals_and_full_stops() -> None:
    text = generate_exercise(ExerciseRequest("en", "qwerty", ("t", "r"), sentences=True)).text
    sentences = text.replace("?", ".").split(". ")
    assert len(sentences) >= 10
    assert all(sentence[0].isupper() for sentence in sentences)
    assert text.endswith((".", "?"))
    assert text.count(".") >= len(sentences) // 2


def test_without_sentences_it_is_lowercase_words_only() -> None:
    text = generate_exercise(ExerciseRequest("ru", "jcuken", ("ф",))).text
    assert text == text.lower()
    assert all(word.isalpha() for word in text.split())


# Determinism -----------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_text_and_another_seed_another() -> None:
    def text(seed: int, keys: tuple[str, ...] = ("t", "r")) -> str:
        return generate_exercise(
            ExerciseRequest("en", "qwerty", keys, ("th",), True, seed=seed)
        ).text

    assert text(1) == text(1)
    assert text(1, ("r", "t", "t")) == text(1)
    assert text(1) != text(2)


def test_the_same_seed_gives_the_same_text_in_another_process() -> None:
    # Another worker process has another string hash seed, so another set iteration order.
    request = "ExerciseRequest('ru', 'jcuken', ('ф', 'ж'), ('ст',), seed=4)"
    script = (
        "from coach.exercises import ExerciseRequest, generate_exercise\n"
        f"print(generate_exercise({request}).text)"
    )
    here = generate_exercise(ExerciseRequest("ru", "jcuken", ("ф", "ж"), ("ст",), seed=4)).text
    for hash_seed in ("1", "2"):
        there = subprocess.run(
            [sys.executable, "-c", script],
            cwd=PROJECT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONIOENCODING": "utf-8"},
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=True,
        ).stdout.strip()
        assert there == here


# check_exercise --------------------------------------------------------------------------------


@pytest.fixture
def request_tr() -> ExerciseRequest:
    return ExerciseRequest("en", "qwerty", ("t", "r"), seed=9)


@pytest.fixture
def good_text(request_tr: ExerciseRequest) -> str:
    return generate_exercise(request_tr).text


def test_a_generated_exercise_passes_the_checks(
    request_tr: ExerciseRequest, good_text: str
) -> None:
    assert check_exercise(good_text, request_tr) == []


def test_it_rejects_an_exercise_that_is_too_short(request_tr: ExerciseRequest) -> None:
    [problem] = check_exercise("street art tart start", request_tr)[:1]
    assert problem.startswith("length")


def test_it_rejects_an_exercise_that_is_too_long(
    request_tr: ExerciseRequest, good_text: str
) -> None:
    problems = check_exercise(" ".join([good_text] * 3), request_tr)
    assert [problem for problem in problems if not problem.startswith("length")] == []
    assert problems


def test_it_rejects_characters_the_layout_cannot_type(
    request_tr: ExerciseRequest, good_text: str
) -> None:
    assert check_exercise(f"{good_text} café €", request_tr) == [
        "characters not typeable on QWERTY (US): é €"
    ]


def test_it_rejects_characters_beyond_the_learners_level(
    request_tr: ExerciseRequest, good_text: str
) -> None:
    assert check_exercise(f"Start {good_text}.", request_tr) == [
        "characters beyond the learner's level: S ."
    ]
    assert check_exercise(f"Start {good_text}.", replace(request_tr, sentences=True)) == []


def test_it_rejects_words_that_are_not_in_the_dictionary(
    request_tr: ExerciseRequest, good_text: str
) -> None:
    assert check_exercise(f"{good_text} trrt tartx", request_tr) == [
        "not dictionary words: tartx, trrt"
    ]


def test_it_rejects_offensive_words(request_tr: ExerciseRequest, good_text: str) -> None:
    assert check_exercise(f"{good_text} shit", request_tr) == ["offensive words: 1"]
    ru = ExerciseRequest("ru", "jcuken", ())
    ru_text = generate_exercise(ru).text
    assert check_exercise(f"{ru_text} блядь", ru) == ["offensive words: 1"]


def test_it_rejects_an_exercise_too_sparse_in_the_focus_keys() -> None:
    common = generate_exercise(ExerciseRequest("en", "qwerty", ())).text
    [problem] = check_exercise(common, ExerciseRequest("en", "qwerty", ("j", "k")))
    assert problem.startswith("focus keys j k too sparse")
