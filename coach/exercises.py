"""Built-in exercises (DESIGN §6): about a hundred real words, dense in the learner's focus keys
and bigrams. Pure: an `ExerciseRequest` in, an `Exercise` out; no ORM, no request.

Where the words come from: the curriculum's practice words (`courses.curriculum.build`): wordfreq's
most frequent lowercase alphabetic words for the language, without offensive words and without
tokens that are poor typing material. The coach keeps those the layout can type, checks each
with `is_offensive` once more (it must never rely on another module's filtering for that), and
drops a few more that read badly in a random drill (see `UNSUITABLE`). The lists are loaded once
per process and cached, so every generation after the first is quick.

How dense: "dense" means the focus keys make up at least three times their share of ordinary
text of the language (`baseline_share`); for keys so common that three times would take
contrived words, a little less (`required_share`). `check_exercise` applies the same bar to
text written by the LLM coach.
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
from array import array
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from itertools import accumulate

from django.utils.translation import gettext
from wordfreq import cB_to_freq, get_frequency_list

from courses.curriculum.build import (
    VOCABULARY_SIZE,
    is_known_word,
    is_offensive,
    practice_words,
    vocabulary,
    words_of,
)
from courses.layouts import LAYOUTS, Layout

MIN_WORDS, MAX_WORDS = 40, 200
MIN_CHARS, MAX_CHARS = 150, 1500
DENSITY_FACTOR = 3
"""Focus keys must be at least this many times as frequent as in ordinary text."""
GAP_CLOSED = 0.4
"""For common keys: the share of the way from ordinary text to all focus keys (see
`required_share`)."""
DENSITY_MARGIN = 1.05
"""The generator aims this much above the bar, so that sentence punctuation cannot sink it."""
CANDIDATES = 300
"""How many of the best-scoring words an exercise draws from: enough for variety, few enough
that the words stay common."""
SCAN_LIMIT = 8000
"""An exercise looks at most at this many of the most frequent words with its focus: common
words are what it wants, and it keeps a generation quick for the commonest letters."""
DENSEST = 30
"""How many of the densest words stand in when too few common words reach the goal."""
FREQUENCY_EXPONENT = 0.5
"""Damps word frequency in the weights, so that "the" does not crowd out everything else."""
SHORT_WORD_RANK = {1: 300, 2: 300, 3: 5000}
"""Words this short must be among the most frequent N: further down, they are mostly
abbreviations and fragments ("tra", "ott")."""
SENTENCE_PUNCTUATION = ".,?"


def _entries(text: str) -> tuple[str, ...]:
    return tuple(text.split())


UNSUITABLE: dict[str, tuple[str, ...]] = {
    # Beyond the curriculum's NOT_PRACTICE: exercises reach much deeper into the frequency lists
    # than letter lessons, and meet more grim words (which read badly next to random
    # neighbours), names that dense drills of common letters keep drawing (they read as typos
    # in lowercase) and fragments. An entry ending in "*" is a stem. Candidates for NOT_PRACTICE.
    "en": _entries(
        """
        airstrike* auschwitz blacks bomb* execution* executed explosive* jew jews jihad* murder*
        qaeda stabbed terror* tortur* wounded
        barrett brett garrett jarrett pratt starr terry trent matteo mateo otto eaton ottawa
        toyota twitter thats uttar
        """
    ),
    "ru": _entries(
        """
        взрыв* террор* пытк* пыток пытать пытали убий* убит* убить убил* убью убьют
        """
    ),
}


def _is_unsuitable(word: str, language: str) -> bool:
    for entry in UNSUITABLE.get(language, ()):
        if word == entry or (entry.endswith("*") and word.startswith(entry[:-1])):
            return True
    return False


@dataclass(frozen=True)
class ExerciseRequest:
    language: str  # "en" or "ru" (wordfreq language)
    layout: str  # a courses.layouts slug
    focus_keys: tuple[str, ...]  # characters to drill, e.g. ("t", "r")
    focus_bigrams: tuple[str, ...] = ()  # two-character strings, e.g. ("th",)
    sentences: bool = False  # the learner's level includes capitals and punctuation
    words: int = 100
    seed: int = 0


@dataclass(frozen=True)
class Exercise:
    text: str
    focus_keys: tuple[str, ...]  # the focus the text serves (keys no word can carry dropped)
    focus_bigrams: tuple[str, ...]
    source: str  # "built-in" or "llm"


# Word lists (cached per process) ---------------------------------------------------------------


@cache
def _frequencies(language: str) -> dict[str, float]:
    """wordfreq's frequency of every vocabulary word. The top list is the start of wordfreq's
    frequency bands (band i holds the words at -i centibels), so reading bands until every
    vocabulary word is seen is enough."""
    wanted = set(vocabulary(language))
    found: dict[str, float] = {}
    for index, band in enumerate(get_frequency_list(language)):
        frequency = cB_to_freq(-index)
        for word in band:
            if word in wanted:
                found[word] = frequency
        if len(found) == len(wanted):
            break
    return found


@cache
def _letter_shares(language: str) -> dict[str, float]:
    """Each letter's share of the letters of ordinary text: the vocabulary's letters, each word
    weighted by its frequency."""
    totals: dict[str, float] = defaultdict(float)
    for word, frequency in _frequencies(language).items():
        for letter in word:
            totals[letter] += frequency
    whole = sum(totals.values())
    return {letter: total / whole for letter, total in sorted(totals.items())}


@dataclass(frozen=True)
class _WordPool:
    words: tuple[str, ...]  # most frequent first
    commonness: tuple[float, ...]  # frequency ** FREQUENCY_EXPONENT, per word
    containing: dict[str, array[int]]  # letter or bigram -> positions of the words with it


@lru_cache(maxsize=16)
def _word_pool(language: str, layout: str) -> _WordPool:
    """The words an exercise in this language may use on this layout, indexed by the letters
    and bigrams they contain (so that a generation looks only at words with its focus)."""
    typeable = LAYOUTS[layout].typeable
    frequencies = _frequencies(language)
    words = tuple(
        word
        for rank, word in enumerate(practice_words(language))
        if set(word) <= typeable
        and rank < SHORT_WORD_RANK.get(len(word), rank + 1)
        and not _is_unsuitable(word, language)
        and not is_offensive(word, language)
    )
    containing: dict[str, array[int]] = {}
    for position, word in enumerate(words):
        parts = set(word) | {word[i : i + 2] for i in range(len(word) - 1)}
        for part in sorted(parts):
            containing.setdefault(part, array("I")).append(position)
    return _WordPool(
        words=words,
        commonness=tuple(frequencies.get(word, 0.0) ** FREQUENCY_EXPONENT for word in words),
        containing=containing,
    )


def _check_language_and_layout(language: str, layout: str) -> None:
    if language not in VOCABULARY_SIZE:
        raise ValueError(f"no word list for language {language!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")


# Density --------------------------------------------------------------------------------------


def focus_share(text: str, focus_keys: Iterable[str]) -> float:
    """The share of the text's non-space characters that are focus keys (case-insensitive)."""
    keys = {key.lower() for key in focus_keys}
    typed = [ch.lower() for ch in text if not ch.isspace()]
    if not typed:
        return 0.0
    return sum(ch in keys for ch in typed) / len(typed)


def baseline_share(language: str, focus_keys: Iterable[str]) -> float:
    """The share of the focus keys among the letters of ordinary text of the language: the
    letters of wordfreq's top words, each word weighted by its frequency."""
    shares = _letter_shares(language)
    return sum(shares.get(key, 0.0) for key in {key.lower() for key in focus_keys})


def required_share(baseline: float) -> float:
    """The least share of focus keys an exercise must have: three times their share of ordinary
    text, but for keys that are more than a sixth of all text (where three times needs
    contrived words, or is out of reach), ordinary text plus 40 % of the way to all focus
    keys."""
    return min(DENSITY_FACTOR * baseline, baseline + GAP_CLOSED * (1 - baseline))


def usable_focus(request: ExerciseRequest) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(keys, bigrams) of the request that some word of the pool contains, lowercase, sorted
    and without duplicates. The rest (digits, punctuation, letters of another alphabet) cannot
    be drilled with words and are dropped."""
    _check_language_and_layout(request.language, request.layout)
    pool = _word_pool(request.language, request.layout)
    if not pool.words:
        raise ValueError(f"no {request.language!r} words can be typed on {request.layout!r}")
    keys = {key.lower() for key in request.focus_keys if len(key) == 1}
    bigrams = {pair.lower() for pair in request.focus_bigrams if len(pair) == 2}
    return (
        tuple(sorted(keys & pool.containing.keys())),
        tuple(sorted(bigrams & pool.containing.keys())),
    )


# Generation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Choice:
    """Words to draw from, each with a weight."""

    words: tuple[str, ...]
    cumulative: tuple[float, ...]  # running total of the weights

    @classmethod
    def best(cls, scored: Iterable[tuple[float, int, str]]) -> _Choice:
        """The CANDIDATES heaviest of (-weight, position, word), ties going to the more frequent
        word (the lower position)."""
        top = heapq.nsmallest(CANDIDATES, scored)
        return cls(
            words=tuple(word for _, _, word in top),
            cumulative=tuple(accumulate(-weight for weight, _, _ in top)),
        )

    def draw(self, rng: random.Random) -> str:
        position = bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])
        return self.words[min(position, len(self.words) - 1)]


@dataclass(frozen=True)
class _Candidates:
    dense: _Choice  # words whose share of focus keys reaches the goal
    related: _Choice  # every word with a focus key or bigram

    def densest(self, keys: Sequence[str], count: int) -> list[str]:
        """The `count` words of both with the highest share of focus keys, densest first."""
        words = sorted(set(self.dense.words) | set(self.related.words))
        return sorted(words, key=lambda word: -_key_hits(word, keys) / len(word))[:count]


@lru_cache(maxsize=16)
def _common_words(language: str, layout: str) -> _Candidates:
    pool = _word_pool(language, layout)
    common = _Choice.best(
        (-commonness, position, word)
        for position, (word, commonness) in enumerate(
            zip(pool.words[:CANDIDATES], pool.commonness, strict=False)
        )
    )
    return _Candidates(dense=common, related=common)


def _key_hits(word: str, keys: Sequence[str]) -> int:
    return sum(map(word.count, keys))


def _candidates(
    pool: _WordPool, keys: Sequence[str], bigrams: Sequence[str], goal: float
) -> _Candidates:
    """The words to draw from, each weighted by its focus keys and bigrams (a bigram counts
    double) and by how common it is."""
    # The SCAN_LIMIT most frequent words with a focus key or bigram: the first SCAN_LIMIT of the
    # union are among the first SCAN_LIMIT of each part's (ascending) positions.
    parts = [pool.containing[part][:SCAN_LIMIT] for part in [*keys, *bigrams]]
    positions = sorted(set().union(*parts))[:SCAN_LIMIT]
    words, commonness = pool.words, pool.commonness
    dense: list[tuple[float, int, str]] = []
    related: list[tuple[float, int, str]] = []
    for position in positions:
        word = words[position]
        key_hits = sum(map(word.count, keys))
        hits = key_hits + 2 * sum(map(word.count, bigrams)) if bigrams else key_hits
        scored = (-hits * commonness[position], position, word)
        related.append(scored)
        if key_hits >= goal * len(word):
            dense.append(scored)
    candidates = _Candidates(dense=_Choice.best(dense or related), related=_Choice.best(related))
    if keys and len(dense) < DENSEST // 3:
        # Too few common words reach the goal (focus keys that are much of all text).
        chosen = set(candidates.densest(keys, DENSEST))
        dense = [item for item in related if item[2] in chosen]
        candidates = replace(candidates, dense=_Choice.best(dense))
    return candidates


def _draw_words(
    rng: random.Random, candidates: _Candidates, keys: Sequence[str], goal: float, count: int
) -> list[str]:
    """`count` words (fewer if the characters run out), keeping the running share of focus keys
    at the goal: while it is below, only dense words are drawn. No word comes back within three
    words of itself, nor more often than its fair share."""
    dense, related = candidates.dense, candidates.related
    variety = len(set(dense.words) | set(related.words))
    most = max(3, math.ceil(2 * count / variety))
    recent = 3 if variety > 6 else 1
    chosen: list[str] = []
    uses: Counter[str] = Counter()
    focus_chars = letters = 0
    budget = MAX_CHARS - 100  # room for sentence punctuation
    while len(chosen) < count or letters + len(chosen) < MIN_CHARS:
        source = related if letters and focus_chars >= goal * letters else dense
        for _ in range(50):
            word = source.draw(rng)
            if word not in chosen[-recent:] and uses[word] < most:
                break
        if letters + len(chosen) + len(word) > budget or len(chosen) >= MAX_WORDS:
            break
        chosen.append(word)
        uses[word] += 1
        letters += len(word)
        focus_chars += _key_hits(word, keys)
    return chosen


def _densified(
    rng: random.Random, words: list[str], candidates: _Candidates, keys: Sequence[str], goal: float
) -> list[str]:
    """The words with the sparsest replaced by some of the densest until the share of focus keys
    reaches the goal. The drawing above almost always gets there; this is for its last words
    and for focus keys so common that few words reach the goal."""
    words = list(words)
    focus_chars = sum(_key_hits(word, keys) for word in words)
    letters = sum(map(len, words))
    if focus_chars >= goal * letters:
        return words
    densest = candidates.densest(keys, DENSEST)
    best = [word for word in densest if _key_hits(word, keys) >= goal * len(word)] or densest[:1]
    sparsest = sorted(
        range(len(words)), key=lambda i: (_key_hits(words[i], keys) / len(words[i]), i)
    )
    for i in sparsest:
        if focus_chars >= goal * letters or not best:
            break
        new = rng.choice(best)
        focus_chars += _key_hits(new, keys) - _key_hits(words[i], keys)
        letters += len(new) - len(words[i])
        words[i] = new
    return words


def _as_sentences(rng: random.Random, words: Sequence[str], layout: Layout) -> str:
    """Words grouped into sentences of four to ten words: a capital first letter, a full stop
    (now and then a question mark), sometimes a comma; only what the layout can type."""
    stop = "." if "." in layout.typeable else ""
    question = "?" if "?" in layout.typeable else stop
    comma = "," if "," in layout.typeable else ""
    sentences: list[str] = []
    start = 0
    while start < len(words):
        length = rng.randint(4, 10)
        if len(words) - start - length < 4:
            length = len(words) - start  # no stub sentence at the end
        sentence = list(words[start : start + length])
        start += length
        first = sentence[0][:1].upper() + sentence[0][1:]
        if set(first) <= layout.typeable:
            sentence[0] = first
        if comma and len(sentence) >= 6 and rng.random() < 0.3:
            sentence[rng.randint(2, len(sentence) - 3)] += comma
        sentence[-1] += question if rng.random() < 0.12 else stop
        sentences.append(" ".join(sentence))
    return " ".join(sentences)


def generate_exercise(request: ExerciseRequest) -> Exercise:
    """About `request.words` real words dense in the focus keys and bigrams; the same text for
    the same request and seed. Focus that no word can carry is dropped (see `usable_focus`);
    with no focus left, the exercise is common words."""
    keys, bigrams = usable_focus(request)
    layout = LAYOUTS[request.layout]
    # Aim a little above the bar, so that sentence punctuation cannot sink the exercise below.
    goal = required_share(baseline_share(request.language, keys)) * DENSITY_MARGIN if keys else 0
    if keys or bigrams:
        pool = _word_pool(request.language, request.layout)
        candidates = _candidates(pool, keys, bigrams, goal)
    else:
        candidates = _common_words(request.language, request.layout)
    rng = random.Random(request.seed)
    count = min(max(request.words, MIN_WORDS), MAX_WORDS)
    words = _draw_words(rng, candidates, keys, goal, count)
    if keys:
        words = _densified(rng, words, candidates, keys, goal)
    text = _as_sentences(rng, words, layout) if request.sentences else " ".join(words)
    return Exercise(text=text, focus_keys=keys, focus_bigrams=bigrams, source="built-in")


# Checking -------------------------------------------------------------------------------------


def allowed_characters(request: ExerciseRequest) -> frozenset[str]:
    """What the learner's level allows: lowercase letters and spaces, and with sentences also
    capitals and sentence punctuation, all as far as the layout types them."""
    layout = LAYOUTS[request.layout]
    letters = {ch for ch in layout.chars if ch.isalpha()}
    if request.sentences:
        allowed = letters | set(SENTENCE_PUNCTUATION) | {"'", "-", "!", ":", ";", '"'}
    else:
        allowed = {ch for ch in letters if ch == ch.lower()}
    return frozenset(allowed & layout.typeable) | {" "}


def check_exercise(text: str, request: ExerciseRequest) -> list[str]:
    """What is wrong with `text` as an exercise for `request`, one line per problem; [] when it
    is fine. Checks length, characters (typeable on the layout and within the learner's level),
    real words, offensive words and the density of the focus keys."""
    _check_language_and_layout(request.language, request.layout)
    language = request.language
    layout = LAYOUTS[request.layout]
    problems: list[str] = []
    words = words_of(text)
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        problems.append(f"length: {len(words)} words, expected {MIN_WORDS}–{MAX_WORDS}")
    if not MIN_CHARS <= len(text) <= MAX_CHARS:
        problems.append(f"length: {len(text)} characters, expected {MIN_CHARS}–{MAX_CHARS}")
    if untypeable := layout.untypeable(text):
        problems.append(f"characters not typeable on {layout.label}: {' '.join(untypeable)}")
    allowed = allowed_characters(request)
    beyond = [ch for ch in dict.fromkeys(text) if ch in layout.typeable and ch not in allowed]
    if beyond:
        problems.append(f"characters beyond the learner's level: {' '.join(beyond)}")
    offensive = {word for word in words if is_offensive(word, language)}
    if offensive:
        problems.append(f"offensive words: {len(offensive)}")
    unknown = sorted(
        {word for word in words if word not in offensive and not is_known_word(word, language)}
    )
    if unknown:
        problems.append(f"not dictionary words: {', '.join(unknown[:10])}")
    keys, _pairs = usable_focus(request)
    if keys:
        share = focus_share(text, keys)
        needed = required_share(baseline_share(language, keys))
        if share < needed:
            problems.append(
                f"focus keys {' '.join(keys)} too sparse: {share:.1%} of characters, "
                f"needs {needed:.1%}"
            )
    return problems


# What an exercise trains --------------------------------------------------------------------

WARM_UP = "warm_up"
WEAK_KEYS = "weak_keys"
SLOW_PAIRS = "slow_pairs"
HOME_ROW = "home_row"
CHOSEN_KEYS = "keys"
HOME_ROW_ORDER = (3, 6, 2, 7, 1, 8, 0, 9)
"""Columns of the home row's keys, index fingers first (f j d k s l a ; on QWERTY)."""


def home_row_keys(layout: Layout) -> tuple[str, ...]:
    """The letters under the resting fingers, index fingers first: f j d k s l a on QWERTY."""
    row = layout.rows[2]
    return tuple(row[col].base for col in HOME_ROW_ORDER if row[col].base.isalpha())


def exercise_purpose(
    *,
    focus_keys: Sequence[str],
    focus_bigrams: Sequence[str],
    weak_keys: Collection[str],
    slow_pairs: Collection[str],
    layout: Layout,
) -> str:
    """What an exercise with this focus trains, for its title: the learner's weak keys (or
    slow pairs) only when every focus key (pair) is one; else the home row, or the keys asked
    for; a warm-up of common words without focus."""
    if not focus_keys and not focus_bigrams:
        return WARM_UP
    if (
        focus_keys
        and all(key in weak_keys for key in focus_keys)
        and all(pair in slow_pairs for pair in focus_bigrams)
    ):
        return WEAK_KEYS
    if not focus_keys and all(pair in slow_pairs for pair in focus_bigrams):
        return SLOW_PAIRS
    if focus_keys and not focus_bigrams and set(focus_keys) <= set(home_row_keys(layout)):
        return HOME_ROW
    return CHOSEN_KEYS


def exercise_title(purpose: str, focus_keys: Sequence[str], focus_bigrams: Sequence[str]) -> str:
    """A title that says what the exercise trains, e.g. "Weak keys: e r", "Home row: f j d k",
    "Common words warm-up"."""
    keys = " ".join(focus_keys)
    pairs = " ".join(focus_bigrams)
    focus = " · ".join(part for part in (keys, pairs) if part)
    if purpose == WARM_UP:
        return gettext("Common words warm-up")
    if purpose == WEAK_KEYS:
        return gettext("Weak keys: %(focus)s") % {"focus": focus}
    if purpose == SLOW_PAIRS:
        return gettext("Slow pairs: %(pairs)s") % {"pairs": pairs}
    if purpose == HOME_ROW:
        return gettext("Home row: %(keys)s") % {"keys": keys}
    if not focus_keys:
        return gettext("Key pairs: %(pairs)s") % {"pairs": pairs}
    return gettext("Keys: %(focus)s") % {"focus": focus}
