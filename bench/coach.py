"""Coach benchmark: how long the built-in coach takes.

    uv run python bench/coach.py [--seeds 50]

A measurement, not a test: it prints figures and targets and exits 0 whether or not a target is
met. Each section is a function that takes the parsed arguments and returns its result lines;
add a section by writing one and listing it in SECTIONS.

Built-in exercise generation: for en/qwerty and ru/jcuken, one generation first (it loads and
caches the word lists, once per process), then one per seed; printed are the first call, and
the median and maximum of the others against the target (≤ 50 ms). The focus is two of the
commonest letters of the language and a bigram, in sentences: the most words to weigh, so the
slowest kind of request. Run it on an idle machine: the wall-clock times include waiting for a
core; the CPU times in brackets do not.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from coach.analysis import BigramFigures, Confusion, Snapshot, findings  # noqa: E402
from coach.exercises import ExerciseRequest, generate_exercise  # noqa: E402
from courses.layouts import LAYOUTS  # noqa: E402
from stats.aggregates import KeyFigures  # noqa: E402

TARGET_EXERCISE_MS = 50.0
TARGET_ANALYSIS_MS = 100.0

EXERCISE_CASES = (
    ExerciseRequest("en", "qwerty", ("e", "t"), ("th",), sentences=True),
    ExerciseRequest("ru", "jcuken", ("о", "е"), ("ст",), sentences=True),
)


def _milliseconds_to_generate(request: ExerciseRequest) -> tuple[float, float]:
    """(wall-clock, CPU) milliseconds of one generation."""
    wall, cpu = time.perf_counter(), time.process_time()
    generate_exercise(request)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def exercise_generation(args: argparse.Namespace) -> list[str]:
    lines = [
        f"Built-in exercise generation ({args.seeds} seeds after a first call; "
        "wall-clock, CPU in brackets)"
    ]
    for case in EXERCISE_CASES:
        first, _ = _milliseconds_to_generate(case)
        # The collector's first full pass over the freshly loaded lists (about 20 ms) belongs to
        # the warm-up: a long-running worker has long since made it.
        gc.collect()
        times = [
            _milliseconds_to_generate(replace(case, seed=seed)) for seed in range(1, args.seeds + 1)
        ]
        walls, cpus = [wall for wall, _ in times], [cpu for _, cpu in times]
        verdict = "met" if max(walls) <= TARGET_EXERCISE_MS else "MISSED"
        focus = " ".join((*case.focus_keys, *case.focus_bigrams))
        lines.append(
            f"  {case.language}/{case.layout:<7} focus {focus:<8} first {first:5.0f} ms   "
            f"median {statistics.median(walls):4.1f} ({statistics.median(cpus):4.1f}) ms   "
            f"max {max(walls):4.1f} ({max(cpus):4.1f}) ms   "
            f"target max ≤ {TARGET_EXERCISE_MS:.0f} ms: {verdict}"
        )
    return lines


def _largest_snapshot() -> Snapshot:
    """Aggregates as full as any history makes them: every character of the layout with
    thousands of presses, every pair of them timed, a confusion for most pairs. History only
    raises the counts in these rows, never their number."""
    chars = sorted(LAYOUTS["qwerty"].typeable)
    keys = [
        KeyFigures(
            ch,
            hits=5000 + i,
            errors=300 + i * 7,
            time_sum_ms=(5000 + i) * (250 + i),
            time_count=5000 + i,
        )
        for i, ch in enumerate(chars)
    ]
    bigrams = [
        BigramFigures(a + b, 900, 40, 900 * (300 + (i * 37) % 400), 900)
        for i, (a, b) in enumerate((a, b) for a in chars for b in chars)
    ]
    confusions = [
        Confusion(a, b, 5 + (i % 50))
        for i, (a, b) in enumerate((a, b) for a in chars for b in chars if a != b)
    ]
    return Snapshot(
        keys=keys,
        bigrams=bigrams,
        confusions=confusions,
        recent_wpm=48.0,
        recent_accuracy=95.5,
        target_wpm=55,
    )


def analysis(args: argparse.Namespace) -> list[str]:
    snapshot = _largest_snapshot()
    layout = LAYOUTS["qwerty"]
    findings(snapshot, layout)
    times = []
    for _ in range(args.seeds):
        started = time.perf_counter()
        findings(snapshot, layout)
        times.append((time.perf_counter() - started) * 1000)
    verdict = "met" if max(times) <= TARGET_ANALYSIS_MS else "MISSED"
    return [
        "Analysis rules on the largest possible aggregates "
        f"({len(snapshot.keys)} keys, {len(snapshot.bigrams)} pairs, "
        f"{len(snapshot.confusions)} confusions; the page and the task read them with five "
        "bounded queries, which history does not grow)",
        f"  median {statistics.median(times):5.1f} ms   max {max(times):5.1f} ms   "
        f"target max ≤ {TARGET_ANALYSIS_MS:.0f} ms: {verdict}",
    ]


SECTIONS: tuple[Callable[[argparse.Namespace], list[str]], ...] = (exercise_generation, analysis)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, default=50, help="generations per case")
    args = parser.parse_args()
    for section in SECTIONS:
        print("\n".join(section(args)))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
