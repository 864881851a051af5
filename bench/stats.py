"""Statistics benchmark: does the dashboard stay as fast for a long history, and what does the
statistics update add to completing a session?

    uv run python bench/stats.py [--renders 100] [--completions 50] [--keep] [--profile]

A measurement, not a test: it exits 0 whether or not the targets are met. What it does:

1. (Re)creates the PostgreSQL database `typingtrainer_bench_stats` (postgres@127.0.0.1:5432,
   trust auth) and migrates it.
2. Builds two learners by bulk inserts: "heavy" with 1,000,000 keystrokes of history (about
   2,900 sessions over a year, packed 20 keys to a batch as the widget sends them) and "light"
   with 1,000. Their aggregates come from replaying those keystrokes with the same code as
   completion (`stats.aggregates.session_deltas`, `stats.recording.apply`).
3. Renders `/stats/` through the test Client (the whole middleware stack, DEBUG off) for each
   learner, N times after a warm-up, and prints the medians and their ratio (target ≤ 1.1).
   The heatmap and history pages are measured the same way, for information.
4. Times `lessons.attempts.complete_session` for fresh 1,000-keystroke sessions (p50 over the
   runs; target ≤ 20 ms), ten learners with a history (the heavy one among them) taking turns,
   so each completion updates existing rows as in production. Tasks are queued to an in-memory
   broker, as `.delay()` would queue them to Redis, so the coach's analysis is not part of it.
   --compare REV times lessons/attempts.py of git revision REV too, turn and turn about with
   the current one (a before/after ratio that the machine's other load does not skew).
   --profile adds where the time goes: each statement's count and mean time, and cProfile's
   top functions.
5. Drops the database (unless --keep).

The last line is `stats: complete_p50_ms=<p50> stats_heavy_over_light=<ratio>`.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "typingtrainer_bench_stats"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
HEAVY_KEYSTROKES = 1_000_000
LIGHT_KEYSTROKES = 1_000
HISTORY_DAYS = 365
TEXT_LENGTH = 330
COMPLETION_KEYSTROKES = 1_000
TYPISTS = 10
TYPIST_KEYSTROKES = 20_000
TARGET_RATIO = 1.1
TARGET_COMPLETE_MS = 20.0


def configure() -> None:
    """Environment for the project's own settings, pointed at the benchmark database."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "typingtrainer.settings"
    os.environ["DATABASE_URL"] = f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{DB_NAME}"
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="bench-stats-")
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))


def recreate_database(*, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def words() -> list[str]:
    from wordfreq import top_n_list

    return [word for word in top_n_list("en", 600) if word.isalpha() and word.isascii()]


def make_text(rng: random.Random, vocabulary: list[str], length: int) -> str:
    out: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(vocabulary)
        if rng.random() < 0.08:
            word = word.capitalize()
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:length].strip()


def type_text(rng: random.Random, text: str, *, base_ms: float) -> list[list]:
    """Keystrokes for `text` in must-correct mode: gaussian intervals, slower on a few keys, a
    wrong neighbour about 3 % of the time."""
    slow = {"q": 2.2, "z": 2.0, "x": 1.7, "p": 1.5, "b": 1.4, "y": 1.3}
    keys: list[list] = []
    t = 0
    for pos, ch in enumerate(text):
        if pos:
            t += max(45, int(rng.gauss(base_ms * slow.get(ch.lower(), 1.0), base_ms * 0.25)))
        if rng.random() < 0.03:
            keys.append([pos, "e" if ch != "e" else "r", t])
            t += max(45, int(rng.gauss(base_ms * 1.3, base_ms * 0.3)))
        keys.append([pos, ch, t])
    return keys


def build_history(user, lesson_texts, *, keystrokes: int, days: int, rng: random.Random) -> int:
    """Sessions, batches, lesson progress and aggregates for `keystrokes` keystrokes of practice
    over `days` days ending today; returns the number of sessions."""
    from lessons import scoring
    from lessons.models import KeystrokeBatch, LessonProgress, PracticeSession
    from stats.aggregates import Deltas, local_date, session_deltas
    from stats.recording import apply

    now = datetime.now(UTC)
    planned = []
    total = 0
    while total < keystrokes:
        lesson, text = rng.choice(lesson_texts)
        keys = type_text(rng, text, base_ms=rng.uniform(140, 320))
        planned.append((lesson, text, keys))
        total += len(keys)
    sessions: list = []
    batches: list = []
    deltas = Deltas()
    for index, (lesson, text, keys) in enumerate(planned):
        age = (len(planned) - 1 - index) * days / len(planned)
        completed = now - timedelta(days=age, minutes=rng.randint(0, 600))
        replay = scoring.replay(text, [scoring.Keystroke(*k) for k in keys], skip_indent=False)
        result = scoring.score(replay, target_wpm=lesson.target_wpm)
        session = PracticeSession(
            user=user,
            lesson=lesson,
            text=text,
            target_wpm=lesson.target_wpm,
            status=PracticeSession.Status.COMPLETED,
            completed_at=completed,
            wpm=result.wpm,
            raw_wpm=result.raw_wpm,
            accuracy=result.accuracy,
            errors=result.errors,
            keystrokes=result.keystrokes,
            duration_ms=result.duration_ms,
            rating=result.rating,
            analysis_queued_at=completed,
        )
        sessions.append(session)
        batches.extend(
            KeystrokeBatch(session=session, seq=seq // 20, keys=keys[seq : seq + 20])
            for seq in range(0, len(keys), 20)
        )
        deltas.add(
            session_deltas(
                replay.events,
                day=local_date(completed, user.time_zone),
                wpm=result.wpm,
                duration_ms=result.duration_ms,
                text_length=len(text),
            )
        )
    PracticeSession.objects.bulk_create(sessions, batch_size=1000)
    KeystrokeBatch.objects.bulk_create(batches, batch_size=2000)
    for lesson, _ in lesson_texts:
        mine = [s for s in sessions if s.lesson_id == lesson.pk]
        if mine:
            LessonProgress.objects.create(
                user=user,
                lesson=lesson,
                best_rating=max(s.rating for s in mine),
                best_wpm=max(s.wpm for s in mine),
                best_accuracy=max(s.accuracy for s in mine),
                attempts=len(mine),
            )
    apply(user.pk, deltas)
    return len(sessions)


def medians_ms(clients: list, url: str, renders: int) -> list[float]:
    """Median render time of `url` for each client. The clients take turns, render by render,
    so that whatever else the machine is doing slows them alike and the ratio stays fair."""
    for client in clients:
        for _ in range(5):
            assert client.get(url).status_code == 200
    times: list[list[float]] = [[] for _ in clients]
    for _ in range(renders):
        for index, client in enumerate(clients):
            start = time.perf_counter()
            response = client.get(url)
            times[index].append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
    return [statistics.median(series) for series in times]


def time_completions(
    users: list,
    lesson,
    runs: int,
    rng: random.Random,
    profiler: Any = None,
    before: Any = None,
) -> tuple[list[float], list[float]]:
    """Milliseconds per `complete_session` of a fresh session of `lesson`, the learners taking
    turns (as many learners finish sessions, each a while after their last one). With
    `before` (the module of an earlier lessons/attempts.py), its complete_session takes every
    other turn, so both are timed under the same conditions; its times come second."""
    from lessons.attempts import complete_session, start_session, store_batch

    # As each gunicorn worker does once the app is loaded (gunicorn.conf.py): what is alive now
    # is left out of full garbage collections.
    gc.collect()
    gc.freeze()
    times: list[float] = []
    earlier: list[float] = []
    variants = [(complete_session, times)]
    if before is not None:
        variants.append((before.complete_session, earlier))
    for run in range((runs + 5) * len(variants)):
        complete, series = variants[run % len(variants)]
        warm = run >= 5 * len(variants)  # the first few warm the caches
        user = users[(run // len(variants)) % len(users)]
        session = start_session(lesson=lesson, user=user)
        keys = type_text(rng, lesson.text, base_ms=200)
        for seq in range(0, len(keys), 20):
            store_batch(session=session, seq=seq // 20, keys=keys[seq : seq + 20])
        count = (len(keys) + 19) // 20
        if profiler is not None and warm and series is times:
            profiler.enable()
        start = time.perf_counter()
        complete(session=session, batches=count)
        elapsed = (time.perf_counter() - start) * 1000
        if profiler is not None:
            profiler.disable()
        if warm:
            series.append(elapsed)
    return times, earlier


def load_attempts_at(revision: str) -> Any:
    """lessons/attempts.py as it was at `revision`, loaded beside the current one."""
    import types

    source = subprocess.run(
        ["git", "show", f"{revision}:lessons/attempts.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType("lessons.attempts_before")
    module.__package__ = "lessons"
    module.__file__ = f"{revision}:lessons/attempts.py"
    sys.modules[module.__name__] = module  # its dataclasses look their module up
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--renders", type=int, default=100, help="renders per page and learner")
    parser.add_argument("--completions", type=int, default=50, help="timed completions")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--profile", action="store_true", help="print where the completions' time goes (cProfile)"
    )
    parser.add_argument(
        "--compare",
        metavar="REV",
        help="also time lessons/attempts.py of this git revision, turn and turn about",
    )
    args = parser.parse_args()

    configure()
    print(f"== database {DB_NAME}: recreating and migrating (dj-stripe's migrations take a while)")
    recreate_database()
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        from courses.models import Course, Lesson
        from lessons.models import PracticeSession
        from typingtrainer.models import User

        call_command("migrate", verbosity=0)
        rng = random.Random(20250310)
        vocabulary = words()
        course = Course.objects.create(
            slug="bench", title="Bench", description="Benchmark texts.", is_published=True
        )
        lesson_texts = []
        for position in range(1, 13):
            text = make_text(rng, vocabulary, TEXT_LENGTH)
            lesson = Lesson.objects.create(
                course=course, position=position, title=f"Text {position}", text=text
            )
            lesson_texts.append((lesson, text))
        long_text = make_text(rng, vocabulary, COMPLETION_KEYSTROKES - 30)
        long_lesson = Lesson.objects.create(
            course=course, position=99, title="Long", text=long_text, target_wpm=40
        )

        started = time.perf_counter()
        heavy = User.objects.create_user(email="heavy@example.com", time_zone="Europe/Berlin")
        light = User.objects.create_user(email="light@example.com", time_zone="Europe/Berlin")
        heavy_sessions = build_history(
            heavy, lesson_texts, keystrokes=HEAVY_KEYSTROKES, days=HISTORY_DAYS, rng=rng
        )
        light_sessions = build_history(
            light, lesson_texts, keystrokes=LIGHT_KEYSTROKES, days=3, rng=rng
        )
        typists = [heavy]
        for number in range(1, TYPISTS):
            typist = User.objects.create_user(email=f"typist{number}@example.com")
            build_history(typist, lesson_texts, keystrokes=TYPIST_KEYSTROKES, days=60, rng=rng)
            typists.append(typist)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(
            f"== history: heavy {heavy_sessions} sessions, light {light_sessions} sessions "
            f"({time.perf_counter() - started:.0f} s to build)"
        )
        typed = {
            user.email: sum(
                PracticeSession.objects.filter(user=user).values_list("keystrokes", flat=True)
            )
            for user in (heavy, light)
        }
        print(f"   heavy {typed[heavy.email]:,} keystrokes, light {typed[light.email]:,}")

        print(f"\n== page renders through the test Client, median of {args.renders}")
        clients = []
        for user in (light, heavy):
            client = Client()
            client.force_login(user)
            clients.append(client)
        results = {}
        for url in ("/stats/", "/stats/keys/", "/stats/history/"):
            light_ms, heavy_ms = medians_ms(clients, url, args.renders)
            results[url] = heavy_ms / light_ms
            print(
                f"   {url:<17} light {light_ms:6.2f} ms   heavy {heavy_ms:6.2f} ms"
                f"   ratio {heavy_ms / light_ms:.2f}"
            )
        ratio = results["/stats/"]
        verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
        print(f"   /stats/ ratio heavy/light: {ratio:.2f} (target ≤ {TARGET_RATIO}: {verdict})")

        print(
            f"\n== complete_session, {COMPLETION_KEYSTROKES:,}-keystroke sessions, "
            f"{TYPISTS} learners taking turns (heavy among them)"
        )
        profiler = None
        statement_ms: dict[str, list[float]] = {}
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()

            def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
                start = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    head = " ".join(sql.split()[:6])[:70]
                    statement_ms.setdefault(head, []).append((time.perf_counter() - start) * 1000)

            connection.execute_wrappers.append(timed)
            commit = connection.commit

            def timed_commit() -> None:  # the WAL flush, not seen by execute wrappers
                start = time.perf_counter()
                try:
                    commit()
                finally:
                    spent = (time.perf_counter() - start) * 1000
                    statement_ms.setdefault("COMMIT", []).append(spent)

            connection.commit = timed_commit
        before = load_attempts_at(args.compare) if args.compare else None
        times, earlier = time_completions(
            typists, long_lesson, args.completions, rng, profiler, before
        )
        if statement_ms:
            print("   statements (all runs, warm-up included): count, mean ms")
            for head, spent in sorted(statement_ms.items(), key=lambda kv: -sum(kv[1])):
                print(f"   {len(spent):5d} {statistics.mean(spent):7.2f}  {head}")
        if profiler is not None:
            import pstats

            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        p50, p90 = percentile(times, 0.5), percentile(times, 0.9)
        verdict = "met" if p50 <= TARGET_COMPLETE_MS else "MISSED"
        print(
            f"   {len(times)} runs: p50 {p50:.1f} ms, p90 {p90:.1f} ms, max {max(times):.1f} ms "
            f"(target p50 ≤ {TARGET_COMPLETE_MS:.0f} ms: {verdict})"
        )
        if earlier:
            old50 = percentile(earlier, 0.5)
            print(
                f"   lessons/attempts.py at {args.compare}, the same turns interleaved: "
                f"p50 {old50:.1f} ms, p90 {percentile(earlier, 0.9):.1f} ms -> now "
                f"{p50 / old50:.2f} x that"
            )
        summary = f"stats: complete_p50_ms={p50:.1f} stats_heavy_over_light={ratio:.2f}"
    finally:
        try:
            from django.db import connections

            for conn in connections.all():
                conn.close()
                if hasattr(conn, "close_pool"):
                    conn.close_pool()
        except Exception:  # django may not be set up if migrating failed
            pass
        if not args.keep:
            recreate_database(drop_only=True)
            print(f"\n== dropped {DB_NAME}")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
