"""The built-in coach's findings (DESIGN §6): from a learner's aggregates — weak keys, slow
transitions, confused key pairs, the speed/accuracy balance — ranked, each tied to its evidence.
Pure: figures in, findings out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from courses.layouts import FINGER_NAMES, LAYOUTS, Layout
from lessons.hooks import ScoredSession
from stats.aggregates import (
    WEAK_ERROR_PERCENT,
    WEAK_MEAN_MS,
    WEAK_MIN_SAMPLES,
    KeyFigures,
    SessionKeys,
    key_deltas,
    mean_ms,
    session_keys,
    shown_key,
)

# The statistics' weak-key rule (DESIGN §5) is the coach's too; pairs are judged like keys.
MIN_SAMPLES = WEAK_MIN_SAMPLES
SLOW_BIGRAM_MS = WEAK_MEAN_MS
MAX_FINDINGS = 6
SLOW_DOWN_BELOW = 92
"""Accuracy (%) under which the coach says to slow down (DESIGN §6)."""
PUSH_SPEED_FROM = 97
"""Accuracy (%) from which, below the target, the coach says to push the pace."""
KEY_KINDS = ("weak_key", "slow_key")


@dataclass(frozen=True)
class BigramFigures:
    pair: str  # previous character + character
    count: int
    errors: int
    time_sum_ms: int
    time_count: int

    @property
    def mean_ms(self) -> float | None:
        return mean_ms(self.time_sum_ms, self.time_count)


@dataclass(frozen=True)
class Confusion:
    expected: str
    typed: str
    count: int


@dataclass(frozen=True)
class Snapshot:
    """What the coach knows about a learner, read from the aggregates."""

    keys: Sequence[KeyFigures]
    bigrams: Sequence[BigramFigures] = ()
    confusions: Sequence[Confusion] = ()
    recent_wpm: float | None = None
    recent_accuracy: float | None = None
    target_wpm: int | None = None
    recent_sessions: int = 0

    @property
    def judges_keys(self) -> bool:
        """Whether any key has been pressed often enough to be judged."""
        return any(key.hits >= MIN_SAMPLES for key in self.keys)


@dataclass(frozen=True)
class Finding:
    # weak_key | slow_key | slow_pair | slow_down | push_speed | too_little_data | keep_going
    kind: str
    message: str
    weight: float
    focus_keys: tuple[str, ...] = field(default=())
    focus_bigrams: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            kind=str(data["kind"]),
            message=str(data["message"]),
            weight=float(data["weight"]),
            focus_keys=tuple(data.get("focus_keys") or ()),
            focus_bigrams=tuple(data.get("focus_bigrams") or ()),
        )

    @property
    def practisable(self) -> bool:
        return bool(self.focus_keys or self.focus_bigrams)


def _reach(char: str, layout: Layout) -> str:
    """Which finger types `char` and where it reaches, e.g. "left index finger, reach up"."""
    found = layout.chars.get(char.lower()) or layout.chars.get(char)
    if found is None:
        return str(FINGER_NAMES["thumb"]) if char == " " else ""
    key, _shifted = found
    finger = FINGER_NAMES[key.finger]
    rows = {0: _("reach up two rows"), 1: _("reach up"), 2: _("home row"), 3: _("reach down")}
    return f"{finger}, {rows[key.row]}"


def findings(snapshot: Snapshot, layout: Layout) -> list[Finding]:
    """Ranked findings, the most useful first."""
    found: list[Finding] = []
    confused: dict[str, Confusion] = {}
    for confusion in sorted(snapshot.confusions, key=lambda c: -c.count):
        confused.setdefault(confusion.expected, confusion)
    for key in snapshot.keys:
        if key.hits < MIN_SAMPLES:
            continue
        rate = key.error_rate
        if rate * 100 > WEAK_ERROR_PERCENT:
            evidence = _("%(key)s: %(rate).0f %% errors over %(hits)d presses") % {
                "key": key.label,
                "rate": rate * 100,
                "hits": key.hits,
            }
            instead = confused.get(key.char)
            if instead is not None:
                evidence += _(", most often typed as %(typed)s") % {
                    "typed": shown_key(instead.typed)
                }
            reach = _reach(key.char, layout)
            if reach:
                evidence += f" — {reach}"
            found.append(
                Finding("weak_key", evidence + ".", weight=rate * 10 + 2, focus_keys=(key.char,))
            )
        elif key.time_count >= MIN_SAMPLES and (key.mean_ms or 0) > WEAK_MEAN_MS:
            found.append(
                Finding(
                    "slow_key",
                    _("%(key)s: %(ms).0f ms on average over %(count)d presses — %(reach)s.")
                    % {
                        "key": key.label,
                        "ms": key.mean_ms,
                        "count": key.time_count,
                        "reach": _reach(key.char, layout) or _("find it without looking"),
                    },
                    weight=(key.mean_ms or 0) / WEAK_MEAN_MS,
                    focus_keys=(key.char,),
                )
            )
    slow_pairs = sorted(
        (
            b
            for b in snapshot.bigrams
            if b.time_count >= MIN_SAMPLES
            and (b.mean_ms or 0) > SLOW_BIGRAM_MS
            and " " not in b.pair
        ),
        key=lambda b: -(b.mean_ms or 0),
    )
    for pair in slow_pairs[:3]:
        found.append(
            Finding(
                "slow_pair",
                _(
                    "%(first)s → %(second)s: %(ms).0f ms on average over %(count)d times; "
                    "practise the two as one movement."
                )
                % {
                    "first": pair.pair[0],
                    "second": pair.pair[1],
                    "ms": pair.mean_ms,
                    "count": pair.time_count,
                },
                weight=(pair.mean_ms or 0) / SLOW_BIGRAM_MS,
                focus_bigrams=(pair.pair,),
            )
        )
    accuracy, wpm, target = snapshot.recent_accuracy, snapshot.recent_wpm, snapshot.target_wpm
    if accuracy is not None and accuracy < SLOW_DOWN_BELOW:
        found.append(
            Finding(
                "slow_down",
                _(
                    "Accuracy %(accuracy).1f %% in your recent sessions: slow down a little — "
                    "accuracy first, speed follows."
                )
                % {"accuracy": accuracy},
                weight=10,
            )
        )
    elif (
        accuracy is not None
        and accuracy >= PUSH_SPEED_FROM
        and wpm is not None
        and target
        and wpm < target
    ):
        found.append(
            Finding(
                "push_speed",
                _(
                    "Accuracy %(accuracy).1f %% is excellent: push the pace from %(wpm).0f towards "
                    "%(target)s WPM."
                )
                % {"accuracy": accuracy, "wpm": wpm, "target": target},
                weight=5,
            )
        )
    if not snapshot.judges_keys:
        found.append(Finding("too_little_data", str(TOO_LITTLE_DATA), weight=-1))
    elif not found:
        found.append(
            Finding(
                "keep_going",
                _(
                    "No weak keys: every key you have pressed 20 times or more is accurate and "
                    "quick. Keep going, and raise the pace a little each session."
                ),
                weight=0,
            )
        )
    return sorted(found, key=lambda f: -f.weight)[:MAX_FINDINGS]


TOO_LITTLE_DATA = gettext_lazy("Type a few lessons so I can find your weak keys.")


def summary(snapshot: Snapshot, found: Sequence[Finding]) -> str:
    """The built-in coach's summary above its recommendations: how the learner types lately
    and what the findings add up to — never one of the recommendations again."""
    parts = []
    if snapshot.recent_sessions and snapshot.recent_wpm is not None:
        parts.append(
            ngettext(
                "Your last session in the past two weeks: %(wpm).0f WPM at %(accuracy).1f %% "
                "accuracy.",
                "Your %(count)d sessions in the past two weeks: %(wpm).0f WPM at "
                "%(accuracy).1f %% accuracy on average.",
                snapshot.recent_sessions,
            )
            % {
                "count": snapshot.recent_sessions,
                "wpm": snapshot.recent_wpm,
                "accuracy": snapshot.recent_accuracy or 0,
            }
        )
    keys = [key for f in found if f.kind in KEY_KINDS for key in f.focus_keys]
    pairs = [pair for f in found if f.kind == "slow_pair" for pair in f.focus_bigrams]
    if not snapshot.judges_keys:
        parts.append(_("That is too early to judge single keys: each needs about 20 presses."))
    elif keys:
        parts.append(
            ngettext(
                "One key holds you back: %(keys)s.",
                "%(count)d keys hold you back: %(keys)s.",
                len(keys),
            )
            % {"count": len(keys), "keys": ", ".join(shown_key(k) for k in keys)}
        )
    elif pairs:
        parts.append(
            _("Every key is fine on its own; a few pairs are slow: %(pairs)s.")
            % {"pairs": ", ".join(pairs)}
        )
    else:
        parts.append(_("Your keys are even: none is slow or often missed."))
    return " ".join(parts)


# --- One session: the result card's tip ----------------------------------------------------------


def session_tip(
    keys: SessionKeys, *, accuracy: float, wpm: float, target_wpm: int, layout: Layout
) -> str:
    """One tip on a session just typed, grounded in its most-missed and slowest keys
    (`stats.aggregates.session_keys`)."""
    missed = keys.missed[0] if keys.missed else None
    slow = keys.slowest[0] if keys.slowest else None
    if missed is not None and accuracy < SLOW_DOWN_BELOW:
        return _(
            "Accuracy %(accuracy).1f %%: slow down until the misses stop — most were on "
            "%(key)s. Speed follows accuracy."
        ) % {"accuracy": accuracy, "key": missed.label}
    if missed is not None:
        reach = _reach(missed.char, layout)
        where = (
            _("%(key)s is for your %(reach)s.") % {"key": missed.label, "reach": reach}
            if reach
            else ""
        )
        if missed.instead:
            typed, count = missed.instead[0]
            said = ngettext(
                "You typed %(typed)s for %(key)s once.",
                "You typed %(typed)s for %(key)s %(count)d times.",
                count,
            ) % {"typed": typed, "key": missed.label, "count": count}
        else:
            said = _("You missed %(key)s.") % {"key": missed.label}
        advice = _("Let that finger make the move, slowly, until it lands without looking.")
        return " ".join(part for part in (said, where, advice) if part)
    if slow is not None and accuracy >= PUSH_SPEED_FROM and wpm < target_wpm:
        return _(
            "No misses at %(accuracy).1f %%: push the pace towards %(target)d WPM, and keep "
            "%(key)s (your slowest key, %(ms).0f ms) in the rhythm."
        ) % {"accuracy": accuracy, "target": target_wpm, "key": slow.label, "ms": slow.mean_ms}
    if slow is not None:
        reach = _reach(slow.char, layout) or _("find it without looking")
        return _(
            "Your slowest key was %(key)s (%(ms).0f ms on average): %(reach)s. Type it a few "
            "times without looking before your next try."
        ) % {"key": slow.label, "ms": slow.mean_ms, "reach": reach}
    return _("Clean and even: keep this rhythm on the next lesson.")


class ResultNotes:
    """The result card's notes (`lessons.hooks.ResultNotes`): the session's most-missed and
    slowest keys, and a tip on them."""

    def result_context(self, session: ScoredSession) -> dict[str, Any]:
        keys = session_keys(key_deltas(session.events))
        layout = LAYOUTS.get(session.layout, LAYOUTS["qwerty"])
        tip = session_tip(
            keys,
            accuracy=session.accuracy,
            wpm=session.wpm,
            target_wpm=session.target_wpm,
            layout=layout,
        )
        return {"keys": keys, "tip": tip}


result_notes = ResultNotes()
