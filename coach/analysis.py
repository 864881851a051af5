"""The built-in coach's findings (DESIGN §6): from a learner's aggregates — weak keys, slow
transitions, confused key pairs, the speed/accuracy balance — ranked, each tied to its evidence.
Pure: figures in, findings out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from courses.layouts import FINGER_NAMES, Layout
from stats.aggregates import (
    WEAK_ERROR_PERCENT,
    WEAK_MEAN_MS,
    WEAK_MIN_SAMPLES,
    KeyFigures,
    mean_ms,
    shown_key,
)

# The statistics' weak-key rule (DESIGN §5) is the coach's too; pairs are judged like keys.
MIN_SAMPLES = WEAK_MIN_SAMPLES
SLOW_BIGRAM_MS = WEAK_MEAN_MS
MAX_FINDINGS = 6


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


@dataclass(frozen=True)
class Finding:
    kind: str  # weak_key | slow_key | slow_pair | slow_down | push_speed | keep_going
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
    if accuracy is not None and accuracy < 92:
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
    elif accuracy is not None and accuracy >= 97 and wpm is not None and target and wpm < target:
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
    if not found:
        found.append(
            Finding(
                "keep_going",
                _(
                    "No weak keys yet: keep practising — the coach needs about 20 presses of a key "
                    "to judge it."
                ),
                weight=0,
            )
        )
    return sorted(found, key=lambda f: -f.weight)[:MAX_FINDINGS]
