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

from coach.exercises import ExerciseRequest, generate_exercise  # noqa: E402

TARGET_EXERCISE_MS = 50.0

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


SECTIONS: tuple[Callable[[argparse.Namespace], list[str]], ...] = (exercise_generation,)


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
