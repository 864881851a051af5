"""An open-loop HTTP/1.1 load generator: requests go out on a fixed schedule, whatever the server
answers, and each latency is measured from the request's SCHEDULED send time.

A closed loop (wrk, ab, a pool of clients each waiting for its answer) sends the next request
only when the last one came back, so when the server stalls it also stops sending, and the
requests that would have waited are never counted ("coordinated omission"): its percentiles
describe the client, not the users. Here request i is due at start + i / rate. If it leaves
late (no connection free, the event loop busy) the wait still counts, because the clock starts
at the due time. Connections are raw asyncio streams kept alive between requests; when none
is free a new one is opened, so the client never holds requests back (`Result.opened` says how
many it needed, `Result.send_lag_ms` how late the worst request left).

Used by bench/ingest.py; it can also be pointed at any server:

    uv run python bench/openloop.py --url http://127.0.0.1:8000/healthz --rate 200 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    tag: Any = None  # handed back with the answer (e.g. the batch's session and seq)


@dataclass
class Answer:
    tag: Any
    status: int  # 0: no answer (connection failed or closed, timeout)
    latency_ms: float  # from the scheduled send time to the last byte of the answer
    body: bytes = b""


@dataclass
class Result:
    rate: float  # offered, requests per second
    seconds: float  # the schedule's length
    answers: list[Answer] = field(default_factory=list)
    elapsed: float = 0.0  # first scheduled send to last answer
    opened: int = 0  # connections opened
    send_lag_ms: float = 0.0  # how late the latest request left after its due time

    @property
    def unanswered(self) -> int:
        return sum(1 for a in self.answers if not a.status)

    @property
    def achieved(self) -> float:
        """Answered requests per second of the schedule's length (the last answers come in
        after it ends; a server that keeps up achieves the offered rate)."""
        done = sum(1 for a in self.answers if a.status)
        return done / max(self.elapsed, self.seconds)

    def percentile(self, share: float) -> float:
        ordered = sorted(a.latency_ms for a in self.answers)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    @property
    def p50(self) -> float:
        return statistics.median(a.latency_ms for a in self.answers) if self.answers else 0.0

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    @property
    def max(self) -> float:
        return max((a.latency_ms for a in self.answers), default=float("nan"))

    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for answer in self.answers:
            counts[answer.status] = counts.get(answer.status, 0) + 1
        return dict(sorted(counts.items()))


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def close(self) -> None:
        self.writer.close()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep-alive) of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            chunks.append(chunk[:-2])
        body = b"".join(chunks)
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:
        body = await reader.read()
        return status, body, False
    keep = headers.get("connection") != "close" and lines[0].startswith("HTTP/1.1")
    return status, body, keep


def encode(request: Request, host: str) -> bytes:
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in request.headers]
    if request.body or request.method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(request.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body


async def run(
    host: str,
    port: int,
    requests: Sequence[Request],
    rate: float,
    *,
    connections: int = 32,
    most: int = 512,
    timeout: float = 5.0,
    host_header: str | None = None,
) -> Result:
    """Send `requests` at `rate` per second on a fixed schedule; `connections` are opened
    beforehand and more when all are busy, up to `most` at once (a server that has that many
    requests in hand is saturated anyway; the requests beyond wait for a connection, their
    clock running). An answer that takes longer than `timeout` counts as none (status 0)."""
    result = Result(rate=rate, seconds=len(requests) / rate)
    idle: deque[Connection] = deque()  # first in, first out: every connection stays warm
    header_host = host_header or f"{host}:{port}"

    async def connect() -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        result.opened += 1
        return Connection(reader, writer)

    idle.extend(await asyncio.gather(*(connect() for _ in range(connections))))

    limit = asyncio.Semaphore(most)

    async def one(request: Request, due: float) -> None:
        async with limit:
            await send(request, due)

    async def send(request: Request, due: float) -> None:
        lag = time.perf_counter() - due
        result.send_lag_ms = max(result.send_lag_ms, lag * 1000)
        conn: Connection | None = None
        try:
            left = timeout - (time.perf_counter() - due)
            if left <= 0:
                raise TimeoutError
            conn = idle.popleft() if idle else await asyncio.wait_for(connect(), left)
            conn.writer.write(encode(request, header_host))
            left = timeout - (time.perf_counter() - due)
            status, body, keep = await asyncio.wait_for(_read_answer(conn.reader), max(left, 0))
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            if conn is not None:
                conn.close()
            result.answers.append(Answer(request.tag, 0, (time.perf_counter() - due) * 1000))
            return
        result.answers.append(Answer(request.tag, status, (time.perf_counter() - due) * 1000, body))
        if keep:
            idle.append(conn)
        else:
            conn.close()

    loop_start = time.perf_counter() + 0.05
    tasks = []
    for index, request in enumerate(requests):
        due = loop_start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(request, due)))
    await asyncio.gather(*tasks)
    result.elapsed = time.perf_counter() - loop_start
    for conn in idle:
        conn.close()
    return result


def run_sync(
    url_host: str, port: int, requests: Sequence[Request], rate: float, **options: Any
) -> Result:
    return asyncio.run(run(url_host, port, requests, rate, **options))


def describe(result: Result) -> str:
    return (
        f"offered {result.rate:5.0f}/s  achieved {result.achieved:6.1f}/s  "
        f"p50 {result.p50:7.1f} ms  p99 {result.p99:7.1f} ms  max {result.max:7.1f} ms  "
        f"statuses {result.statuses()}  connections {result.opened}  "
        f"latest send {result.send_lag_ms:.1f} ms after its time"
    )


def main(argv: Sequence[str] | None = None, make: Callable[[int], Request] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args(argv)
    url = urlsplit(args.url)
    count = int(args.rate * args.seconds)
    path = url.path + (f"?{url.query}" if url.query else "")
    requests = [make(i) if make else Request("GET", path or "/") for i in range(count)]
    result = run_sync(
        url.hostname or "127.0.0.1",
        url.port or 80,
        requests,
        args.rate,
        connections=args.connections,
        host_header=url.netloc,
    )
    print(describe(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
