"""The curriculum shipped in courses/curriculum/*.json: format, typeability, key order,
vocabulary and course structure. Pure: no database."""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from wordfreq import top_n_list

from courses.curriculum import build
from courses.curriculum.build import VOCABULARY_SIZE, is_offensive
from courses.layouts import LAYOUTS
from courses.text import lesson_text_errors, normalise

CURRICULUM_DIR = Path(build.__file__).resolve().parent

COURSES: dict[str, dict[str, Any]] = {
    "touch-typing-fundamentals": {
        "language": "en",
        "layout": "qwerty",
        "level": "beginner",
        "position": 1,
        "min_lessons": 25,
        "length": (150, 400),
    },
    "speed-building": {
        "language": "en",
        "layout": "qwerty",
        "level": "intermediate",
        "position": 2,
        "min_lessons": 10,
        "length": (150, 500),
    },
    "osnovy-slepoy-pechati": {
        "language": "ru",
        "layout": "jcuken",
        "level": "beginner",
        "position": 3,
        "min_lessons": 12,
        "length": (150, 400),
    },
    "typing-code-python": {
        "language": "python",
        "layout": "qwerty",
        "level": "advanced",
        "position": 4,
        "min_lessons": 6,
        "length": (150, 600),
    },
}
ALL = list(COURSES)
KEY_ORDER = ["touch-typing-fundamentals", "osnovy-slepoy-pechati"]
WORDS = [*KEY_ORDER, "speed-building"]
DRILL_LESSONS = {"touch-typing-fundamentals": 4, "osnovy-slepoy-pechati": 2, "speed-building": 0}
"""Lessons up to this number may contain letter drills ("fff jjj fj") instead of real words."""

COURSE_KEYS = {
    "slug",
    "title",
    "description",
    "language",
    "level",
    "layout",
    "is_premium",
    "position",
    "lessons",
}
LESSON_KEYS = {"title", "new_keys", "text", "target_wpm", "is_premium"}
WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


@cache
def _raw(slug: str) -> str:
    return (CURRICULUM_DIR / f"{slug}.json").read_text(encoding="utf-8")


def course(slug: str) -> dict[str, Any]:
    return json.loads(_raw(slug))


def lessons(slug: str) -> list[dict[str, Any]]:
    return course(slug)["lessons"]


@cache
def top_words(language: str) -> frozenset[str]:
    return frozenset(top_n_list(language, VOCABULARY_SIZE[language]))


def is_listed(word: str, language: str) -> bool:
    """In the wordfreq top list the curriculum uses: alphabetic words, or contractions as
    wordfreq spells them ("don't")."""
    if "'" not in word and not word.isalpha():
        return False
    return word in top_words(language)


def words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())


def cumulative_keys(slug: str) -> list[set[str]]:
    """The characters each lesson may use: space plus every key introduced up to it."""
    allowed = {" "}
    result = []
    for lesson in lessons(slug):
        allowed = allowed | set(lesson["new_keys"].split())
        result.append(allowed)
    return result


# Format ----------------------------------------------------------------------------------------


def test_the_shipped_files_are_the_four_courses() -> None:
    assert sorted(path.stem for path in CURRICULUM_DIR.glob("*.json")) == sorted(COURSES)


@pytest.mark.parametrize("slug", ALL)
def test_course_has_the_required_fields(slug: str) -> None:
    data = course(slug)
    expected = COURSES[slug]
    assert set(data) == COURSE_KEYS
    assert data["slug"] == slug
    assert data["language"] == expected["language"]
    assert data["layout"] == expected["layout"]
    assert data["level"] == expected["level"]
    assert data["position"] == expected["position"]
    assert data["layout"] in LAYOUTS
    assert isinstance(data["is_premium"], bool)
    assert isinstance(data["title"], str)
    assert 0 < len(data["title"]) <= 120
    assert isinstance(data["description"], str)
    assert len(data["description"]) >= 80
    assert data["description"].count(".") >= 2
    assert len(data["lessons"]) >= expected["min_lessons"]
    for lesson in data["lessons"]:
        assert set(lesson) == LESSON_KEYS, lesson["title"]
        assert isinstance(lesson["title"], str)
        assert 0 < len(lesson["title"]) <= 120
        assert isinstance(lesson["new_keys"], str)
        assert len(lesson["new_keys"]) <= 40
        assert isinstance(lesson["text"], str)
        assert type(lesson["target_wpm"]) is int
        assert 5 <= lesson["target_wpm"] <= 200
        assert isinstance(lesson["is_premium"], bool)
    titles = [lesson["title"] for lesson in data["lessons"]]
    assert len(set(titles)) == len(titles)


@pytest.mark.parametrize("slug", ALL)
def test_file_is_written_as_specified(slug: str) -> None:
    raw = _raw(slug)
    assert raw == json.dumps(json.loads(raw), ensure_ascii=False, indent=2) + "\n"


def test_the_titles_are_the_catalogue_titles() -> None:
    assert course("touch-typing-fundamentals")["title"] == "Touch Typing Fundamentals"
    assert course("speed-building")["title"] == "Speed Building"
    assert course("osnovy-slepoy-pechati")["title"] == "Основы слепой печати"
    assert re.search(r"[а-я]", course("osnovy-slepoy-pechati")["description"])


# Text rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ALL)
def test_every_lesson_is_typeable_and_normalised(slug: str) -> None:
    layout = course(slug)["layout"]
    for lesson in lessons(slug):
        text = lesson["text"]
        assert normalise(text) == text, lesson["title"]
        assert lesson_text_errors(normalise(text), layout) == [], lesson["title"]


@pytest.mark.parametrize("slug", ALL)
def test_lesson_lengths_are_within_bounds(slug: str) -> None:
    shortest, longest = COURSES[slug]["length"]
    for lesson in lessons(slug):
        assert shortest <= len(lesson["text"]) <= longest, (lesson["title"], len(lesson["text"]))


@pytest.mark.parametrize("slug", WORDS)
def test_prose_lessons_are_single_clean_lines(slug: str) -> None:
    for lesson in lessons(slug):
        text = lesson["text"]
        assert "\n" not in text, lesson["title"]
        assert "  " not in text, lesson["title"]
        assert text == text.strip(), lesson["title"]


# Key order -------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", KEY_ORDER)
def test_new_keys_are_single_typeable_characters_introduced_once(slug: str) -> None:
    layout = LAYOUTS[course(slug)["layout"]]
    seen: set[str] = set()
    for lesson in lessons(slug):
        keys = lesson["new_keys"].split()
        assert " ".join(keys) == lesson["new_keys"], lesson["title"]
        for key in keys:
            assert len(key) == 1, (lesson["title"], key)
            assert key in layout.chars, (lesson["title"], key)
            assert key not in seen, (lesson["title"], key)
            seen.add(key)


@pytest.mark.parametrize("slug", KEY_ORDER)
def test_lessons_use_only_the_keys_introduced_so_far(slug: str) -> None:
    for lesson, allowed in zip(lessons(slug), cumulative_keys(slug), strict=True):
        extra = set(lesson["text"]) - allowed
        assert not extra, (lesson["title"], sorted(extra))


def test_fundamentals_key_order() -> None:
    firsts = [lesson["new_keys"] for lesson in lessons("touch-typing-fundamentals")[:5]]
    assert firsts == ["f j", "d k", "s l", "a ;", "g h"]
    introduced = cumulative_keys("touch-typing-fundamentals")[-1]
    lower = set("abcdefghijklmnopqrstuvwxyz")
    assert lower | {c.upper() for c in lower} | set("0123456789.,';:?!-\"") <= introduced
    order = [
        key for lesson in lessons("touch-typing-fundamentals") for key in lesson["new_keys"].split()
    ]
    last_letter = max(order.index(letter) for letter in lower)
    first_capital = min(order.index(letter.upper()) for letter in lower)
    first_mark = min(order.index(mark) for mark in ".,'?!-\":")
    first_digit = min(order.index(digit) for digit in "0123456789")
    assert last_letter < first_capital < first_mark < first_digit


def test_the_all_letters_review_has_every_letter() -> None:
    review = next(
        lesson
        for lesson in lessons("touch-typing-fundamentals")
        if lesson["title"] == "All 26 letters"
    )
    assert set("abcdefghijklmnopqrstuvwxyz") <= set(review["text"])


def test_russian_key_order() -> None:
    home_row = set("фывапролдж")
    introduced: set[str] = set()
    for lesson in lessons("osnovy-slepoy-pechati")[:5]:
        introduced |= set(lesson["new_keys"].split())
    assert introduced == home_row
    everything = cumulative_keys("osnovy-slepoy-pechati")[-1]
    letters = set("абвгдежзийклмнопрстуфхцчшщъыьэюя")
    assert letters <= everything
    assert {letter.upper() for letter in letters} <= everything
    assert {".", ","} <= everything


@pytest.mark.parametrize("slug", KEY_ORDER)
def test_lessons_favour_their_new_keys(slug: str) -> None:
    """Most words contain a new letter, and each new letter, mark or digit shows up several
    times; a capitals lesson starts a good share of its words with its capitals."""
    for lesson in lessons(slug):
        keys = lesson["new_keys"].split()
        tokens = lesson["text"].split()
        letters = [key for key in keys if key.isalpha() and key.islower()]
        capitals = {key for key in keys if key.isalpha() and key.isupper()}
        others = [key for key in keys if not key.isalpha()]
        with_new = sum(any(key in token for key in letters) for token in tokens)
        assert not letters or with_new >= len(tokens) / 2, lesson["title"]
        for key in [*letters, *others]:
            assert lesson["text"].count(key) >= 3, (lesson["title"], key)
        starts = sum(token.lstrip('"')[:1] in capitals for token in tokens)
        assert not capitals or starts >= len(tokens) / 5, lesson["title"]


# Words -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", WORDS)
def test_words_are_real_and_not_offensive(slug: str) -> None:
    language = course(slug)["language"]
    for number, lesson in enumerate(lessons(slug), start=1):
        for word in words(lesson["text"]):
            assert not is_offensive(word.replace("'", ""), language), (lesson["title"], word)
            if number <= DRILL_LESSONS[slug] and len(word) <= 4:
                continue  # a letter drill such as "fjf"
            assert is_listed(word, language), (lesson["title"], word)


@pytest.mark.parametrize("slug", WORDS)
def test_words_use_no_yo_or_normalised_letters(slug: str) -> None:
    for lesson in lessons(slug):
        assert "ё" not in lesson["text"].lower(), lesson["title"]


def test_later_fundamentals_lessons_have_no_drills() -> None:
    for lesson in lessons("touch-typing-fundamentals")[
        DRILL_LESSONS["touch-typing-fundamentals"] :
    ]:
        assert all(is_listed(word, "en") for word in words(lesson["text"])), lesson["title"]


def test_speed_building_starts_with_the_most_common_words() -> None:
    top = {100: frozenset(top_n_list("en", 100)), 200: frozenset(top_n_list("en", 200))}
    first, second = lessons("speed-building")[:2]
    assert set(words(first["text"])) <= top[100]
    assert set(words(second["text"])) <= top[200]
    later = lessons("speed-building")[-4:]
    assert all(re.search(r"[A-Z]", lesson["text"]) for lesson in later)
    assert all(re.search(r"[.,?!]", lesson["text"]) for lesson in later)


# Speed and premium -----------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ALL)
def test_target_wpm_never_decreases(slug: str) -> None:
    targets = [lesson["target_wpm"] for lesson in lessons(slug)]
    assert targets == sorted(targets)
    assert targets[0] < targets[-1]


@pytest.mark.parametrize("slug", ALL)
def test_premium_marks(slug: str) -> None:
    data = course(slug)
    premium = [lesson["is_premium"] for lesson in data["lessons"]]
    if slug == "typing-code-python":
        assert data["is_premium"] is True
        assert all(premium)
        return
    assert data["is_premium"] is False
    assert premium[0] is False
    assert any(premium)
    first_premium = premium.index(True)
    assert all(premium[first_premium:]), "premium lessons are the last ones"


# Code ------------------------------------------------------------------------------------------


def test_code_lessons_are_real_python() -> None:
    for lesson in lessons("typing-code-python"):
        text = lesson["text"]
        lines = text.split("\n")
        assert len(lines) >= 4, lesson["title"]
        assert "\t" not in text, lesson["title"]
        assert all(line == line.rstrip() for line in lines), lesson["title"]
        assert lines[0], lesson["title"]
        assert lines[-1], lesson["title"]
        for line in lines:
            indent = len(line) - len(line.lstrip(" "))
            assert indent % 4 == 0, (lesson["title"], line)
        assert any(line.startswith("    ") for line in lines), lesson["title"]
        ast.parse(text)


# Blocklists and the generator ------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ru"])
def test_blocklist_files_are_clean(language: str) -> None:
    path = CURRICULUM_DIR / f"blocklist_{language}.txt"
    entries = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert len(entries) >= 50
    assert len(set(entries)) == len(entries)
    for entry in entries:
        assert entry == entry.strip().lower(), entry
        assert " " not in entry, entry
        assert entry.rstrip("*").isalpha(), entry


@pytest.mark.parametrize(
    ("word", "language", "expected"),
    [
        ("fuck", "en", True),
        ("Fucking", "en", True),
        ("bullshit", "en", True),
        ("faggot", "en", True),
        ("kkk", "en", True),
        ("hello", "en", False),
        ("shell", "en", False),
        ("assist", "en", False),
        ("cocktail", "en", False),
        ("pakistan", "en", False),
        ("class", "en", False),
        ("хуй", "ru", True),
        ("пиздец", "ru", True),
        ("ёбаный", "ru", True),
        ("заебал", "ru", True),
        ("блядь", "ru", True),
        ("мандат", "ru", False),
        ("мудрый", "ru", False),
        ("сукно", "ru", False),
        ("страхуй", "ru", False),
        ("хлеб", "ru", False),
        ("небо", "ru", False),
        ("print", "python", False),
    ],
)
def test_is_offensive(word: str, language: str, expected: bool) -> None:
    assert is_offensive(word, language) is expected


def test_build_is_deterministic_and_matches_the_shipped_files() -> None:
    first = build.build_courses()
    second = build.build_courses()
    assert first == second
    assert list(first) == [
        "touch-typing-fundamentals",
        "speed-building",
        "osnovy-slepoy-pechati",
        "typing-code-python",
    ]
    for slug, data in first.items():
        assert build.dump(data) == _raw(slug), f"{slug}.json is stale: rerun the build"
