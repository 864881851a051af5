"""Placement tests and testing out (README "Access rules"): the rules, as pure functions. No
ORM, no request: numbers and texts in, numbers and texts out.

- A **placement test** is one minute of the most common words of a course's language. The
  server scores it like any session (over the part typed: the text is longer than anyone types
  in a minute). With at least `PASS_ACCURACY` % accuracy it opens the course's lessons from the
  first up to, not including, the first whose target WPM is above the measured WPM: exactly
  the lessons on which the same figures would earn 4 stars (`scoring.rating_for`).
- **Testing out** of a locked lesson is typing that lesson at its target WPM with at least
  `PASS_ACCURACY` % accuracy (again a 4-star result); it opens the lesson and all before it.

Neither opens a Premium lesson without Premium: access checks the plan first.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache

from courses.curriculum.build import VOCABULARY_SIZE, is_offensive, practice_words
from courses.layouts import LAYOUTS

PASS_ACCURACY = 95
SECONDS = 60
"""How long a placement test lasts (PLACEMENT_SECONDS overrides it, for tests)."""
COMMON_WORDS = 200
"""A placement test draws from this many of the language's most frequent practice words."""
TEXT_LENGTH = 1600
"""Characters of a placement text: more than 300 WPM types in a minute (1500), and a result
above 350 WPM is flagged anyway."""
NO_REPEAT_WITHIN = 6


def has_placement(language: str) -> bool:
    """Courses in a language with a word list have a placement test; code courses do not
    (the speed of prose says little about the speed of code: test out of a lesson instead)."""
    return language in VOCABULARY_SIZE


@cache
def _common_words(language: str, layout: str) -> tuple[str, ...]:
    typeable = LAYOUTS[layout].typeable
    words = [
        word
        for word in practice_words(language)
        if set(word) <= typeable and not is_offensive(word, language)
    ]
    return tuple(words[:COMMON_WORDS])


def placement_text(*, language: str, layout: str, seed: int, length: int = TEXT_LENGTH) -> str:
    """Common words in a random order (the same for the same seed), no word again within six
    words, at least `length` characters. Raises ValueError for a language without words."""
    if not has_placement(language):
        raise ValueError(f"no word list for language {language!r}")
    pool = _common_words(language, layout)
    if len(pool) <= NO_REPEAT_WITHIN:
        raise ValueError(f"too few {language!r} words can be typed on {layout!r}")
    rng = random.Random(seed)
    words: list[str] = []
    size = -1
    while size < length:
        word = rng.choice(pool)
        if word in words[-NO_REPEAT_WITHIN:]:
            continue
        words.append(word)
        size += len(word) + 1
    return " ".join(words)


def lessons_opened(*, wpm: float, accuracy: float, targets: Sequence[int]) -> int:
    """How many of a course's lessons (their target WPMs, in course order) a placement result
    opens: the run from the first whose targets are all at most `wpm`, or none below
    `PASS_ACCURACY`."""
    if accuracy < PASS_ACCURACY:
        return 0
    opened = 0
    for target in targets:
        if target > wpm:
            break
        opened += 1
    return opened


def tested_out(*, wpm: float, accuracy: float, target_wpm: int) -> bool:
    """Whether a test-out attempt at a lesson passes: its target speed at `PASS_ACCURACY` %."""
    return wpm >= target_wpm and accuracy >= PASS_ACCURACY
