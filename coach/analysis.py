"""Findings about one session, from its replayed keystrokes (DESIGN §6, built-in coach).
Pure: events in, findings out. The learner-wide analysis builds on the same findings."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from lessons.scoring import KeyEvent

MIN_PRESSES_FOR_SPEED = 3
SLOW_KEY_MS = 400


@dataclass(frozen=True)
class Finding:
    kind: str  # "missed_key" | "slow_key" | "slow_down" | "push_speed"
    key: str
    message: str
    weight: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _shown(ch: str) -> str:
    return {" ": "Space", "\n": "Enter"}.get(ch, ch)


def session_findings(
    events: Sequence[KeyEvent], *, wpm: float, accuracy: float, target_wpm: int
) -> list[Finding]:
    """Ranked findings, most important first."""
    findings: list[Finding] = []
    presses: Counter[str] = Counter()
    misses: Counter[str] = Counter()
    confusions: dict[str, Counter[str]] = defaultdict(Counter)
    timings: dict[str, list[int]] = defaultdict(list)
    for event in events:
        presses[event.expected] += 1
        if not event.correct:
            misses[event.expected] += 1
            confusions[event.expected][event.typed] += 1
        elif event.interval_ms is not None:
            timings[event.expected].append(event.interval_ms)
    for key, count in misses.most_common(3):
        instead, times = confusions[key].most_common(1)[0]
        findings.append(
            Finding(
                kind="missed_key",
                key=key,
                message=f"{_shown(key)}: missed {count} of {presses[key]} times, "
                f"most often typed as {_shown(instead)} ({times}×).",
                weight=count / presses[key] + count,
            )
        )
    slow = {
        key: sum(values) / len(values)
        for key, values in timings.items()
        if len(values) >= MIN_PRESSES_FOR_SPEED and sum(values) / len(values) > SLOW_KEY_MS
    }
    for key, mean in sorted(slow.items(), key=lambda item: -item[1])[:3]:
        findings.append(
            Finding(
                kind="slow_key",
                key=key,
                message=f"{_shown(key)}: {mean:.0f} ms on average before you find it.",
                weight=mean / SLOW_KEY_MS,
            )
        )
    if accuracy < 92:
        findings.append(
            Finding(
                kind="slow_down",
                key="",
                message=f"Accuracy {accuracy:.1f} %: slow down a little — accuracy first, "
                "speed follows.",
                weight=10,
            )
        )
    elif accuracy >= 97 and wpm < target_wpm:
        findings.append(
            Finding(
                kind="push_speed",
                key="",
                message=f"Accuracy {accuracy:.1f} % is excellent: push the pace towards "
                f"{target_wpm} WPM.",
                weight=5,
            )
        )
    return sorted(findings, key=lambda finding: -finding.weight)
