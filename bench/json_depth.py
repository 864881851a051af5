"""What the nesting check costs on the keystroke endpoint's body: parse_json (check + parse) vs
json.loads alone, on a 20-key batch, interleaved in one run, in CPU time per call.

    uv run python bench/json_depth.py [--rounds 7] [--number 20000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from typingtrainer.http import parse_json  # noqa: E402

TARGET_US = 10.0  # the check's own cost; a batch's whole request is ~1,000 µs here


def batch(keys: int = 20) -> bytes:
    text = "the quick brown fox jumps over the lazy dog\n"
    return json.dumps(
        {"seq": 7, "keys": [[i, text[i % len(text)], 1000 + i * 180] for i in range(keys)]}
    ).encode()


def cpu_seconds(call: Callable[[], object], number: int) -> float:
    """CPU time per call: on a shared machine, wall time also counts the other processes' turns."""
    return timeit.Timer(call, timer=time.process_time).timeit(number=number) / number


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=20_000)
    args = parser.parse_args()
    body = batch()
    plain: list[float] = []
    checked: list[float] = []
    for _ in range(args.rounds):  # A, B, A, B …: both see the same machine load
        plain.append(cpu_seconds(lambda: json.loads(body), args.number))
        checked.append(cpu_seconds(lambda: parse_json(body, max_depth=3), args.number))
    best_plain, best_checked = min(plain) * 1e6, min(checked) * 1e6
    extra = best_checked - best_plain
    print(f"20-key batch, {len(body)} bytes, CPU time, best of {args.rounds} × {args.number}")
    print(f"  json.loads           {best_plain:7.2f} µs")
    print(f"  parse_json (checked) {best_checked:7.2f} µs   ratio {best_checked / best_plain:.2f}")
    print(f"  the check itself     {extra:7.2f} µs   target < {TARGET_US:.0f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
