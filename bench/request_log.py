"""What the request log costs the keystroke endpoint: real batches through
typingtrainer.wsgi.application, in this one process, with the request line off and on (and the
database pool's own INFO lines on), interleaved in short blocks so the machine's load falls on
every variant alike.

    uv run python bench/request_log.py [--rounds 12] [--block 200]

Uses bench/ingest.py's database (`typingtrainer_bench`, recreated from its template) and
settings (production's: JSON lines, LOG_LEVEL=INFO); the lines go to a file. Prints the median
time per request of each variant and its difference from "off".
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import ingest  # noqa: E402

VARIANTS = {
    "off": {"typingtrainer.request": logging.WARNING, "psycopg.pool": logging.WARNING},
    "request line": {"typingtrainer.request": logging.INFO, "psycopg.pool": logging.WARNING},
    "+ pool at INFO": {"typingtrainer.request": logging.INFO, "psycopg.pool": logging.INFO},
}


def environ(session: ingest.Session, body: bytes) -> dict[str, Any]:
    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": ingest.REAL_PATH % session.id,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in session.headers.items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--block", type=int, default=200, help="requests per variant per round")
    opts = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tt-bench-log-"))
    groups, text = ingest.setup(workdir, typists=16, sets=1)
    sessions = groups[0]

    from typingtrainer import wsgi

    log_file = (workdir / "app.log").open("w")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_file)
    statuses: dict[int, int] = {}

    def one(session: ingest.Session) -> float:
        body = json.dumps(
            {"seq": session.next_seq, "keys": ingest.batch_keys(text, session.next_seq)}
        ).encode()
        session.next_seq += 1
        started = time.perf_counter()
        answer: list[str] = []
        result = wsgi.application(environ(session, body), lambda s, h, e=None: answer.append(s))
        b"".join(result)
        result.close()  # type: ignore[attr-defined]
        elapsed = time.perf_counter() - started
        code = int(answer[0].split()[0])
        statuses[code] = statuses.get(code, 0) + 1
        return elapsed

    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    turn = 0
    for _ in range(3 * len(sessions)):  # warm: the text cache, the pool, the code paths
        one(sessions[turn % len(sessions)])
        turn += 1
    for number in range(opts.rounds):
        order = list(VARIANTS) if number % 2 == 0 else list(reversed(VARIANTS))
        for name in order:
            for logger, level in VARIANTS[name].items():
                logging.getLogger(logger).setLevel(level)
            block = []
            for _ in range(opts.block):
                block.append(one(sessions[turn % len(sessions)]))
                turn += 1
            times[name].append(statistics.median(block))
    log_file.close()
    lines = (workdir / "app.log").read_text().splitlines()
    base = statistics.median(times["off"])
    print(
        f"{opts.rounds} rounds x {opts.block} requests per variant, in one process, "
        f"statuses {statuses}, {len(lines)} log lines written"
    )
    for name, medians in times.items():
        value = statistics.median(medians)
        print(
            f"  {name:<16} {value * 1e6:8.0f} µs per request   "
            f"{(value - base) * 1e6:+6.0f} µs   x{value / base:.3f}"
        )
    ingest.close_django()
    return 0 if set(statuses) <= {200, 201} else 1


if __name__ == "__main__":
    sys.exit(main())
