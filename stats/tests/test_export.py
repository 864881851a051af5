"""/stats/export/: everything a learner has, as CSV tables and one JSON document."""

from __future__ import annotations

import csv
import io
import json

import pytest

from lessons.models import KeystrokeBatch, PracticeSession
from stats.models import BigramStat, DailyStat, KeyConfusion, KeyStat

from .conftest import aggregates_of, play, typed_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def practised(client, learner, other_learner, lesson1, lesson2):
    client.force_login(other_learner)
    play(client, lesson1, typed_keys(lesson1.text, mistakes={0: "x"}))
    client.force_login(learner)
    play(client, lesson1, typed_keys(lesson1.text, mistakes={3: "g"}))
    play(client, lesson2, typed_keys(lesson2.text, mistakes={0: "s", 10: "\n"}))
    return learner


def download(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment; filename=" in response["Content-Disposition"]
    return b"".join(response.streaming_content).decode()


def read_csv(client, table: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(download(client, f"/stats/export/{table}.csv"))))


def test_the_export_page_links_every_file(client, learner):
    client.force_login(learner)
    html = client.get("/stats/export/").content.decode()
    for name in ("sessions", "keys", "confusions", "bigrams", "days"):
        assert f'href="/stats/export/{name}.csv"' in html
    assert 'href="/stats/export/data.json"' in html
    assert 'href="/accounts/delete/"' in html


def test_sessions_csv_holds_every_session_of_the_learner(client, practised):
    rows = read_csv(client, "sessions")
    sessions = PracticeSession.objects.filter(user=practised).order_by("started_at")
    assert [row["id"] for row in rows] == [str(s.pk) for s in sessions]
    for row, session in zip(rows, sessions, strict=True):
        assert float(row["wpm"]) == session.wpm
        assert float(row["accuracy"]) == session.accuracy
        assert int(row["errors"]) == session.errors
        assert int(row["rating"]) == session.rating
        assert session.lesson is not None
        assert row["lesson"] == session.lesson.title
        assert row["course"] == "Home Row Basics"


def test_the_aggregate_csvs_hold_exactly_what_the_database_has(client, practised):
    stored = aggregates_of(practised)
    keys = read_csv(client, "keys")
    assert [
        (r["char"], int(r["hits"]), int(r["errors"]), int(r["time_sum_ms"]), int(r["time_count"]))
        for r in keys
    ] == stored["keys"]
    assert {"Space", "a"} <= {r["key"] for r in keys}
    assert [
        (r["expected"], r["typed"], int(r["count"])) for r in read_csv(client, "confusions")
    ] == stored["confusions"]
    assert (" ", "\n", 1) in stored["confusions"]  # Enter where a space was meant
    assert [
        (
            r["previous"],
            r["char"],
            int(r["count"]),
            int(r["errors"]),
            int(r["time_sum_ms"]),
            int(r["time_count"]),
        )
        for r in read_csv(client, "bigrams")
    ] == stored["bigrams"]
    days = read_csv(client, "days")
    assert [(r["date"], int(r["sessions"]), int(r["wpm_tenths_sum"])) for r in days] == [
        (d[0].isoformat(), d[1], d[7]) for d in stored["days"]
    ]


def test_the_json_export_round_trips_sessions_keystrokes_and_aggregates(client, practised):
    data = json.loads(download(client, "/stats/export/data.json"))
    assert data["account"]["email"] == practised.email
    assert data["account"]["time_zone"] == "UTC"
    sessions = PracticeSession.objects.filter(user=practised).order_by("started_at")
    assert [s["id"] for s in data["sessions"]] == [str(s.pk) for s in sessions]
    for exported, session in zip(data["sessions"], sessions, strict=True):
        stored_keys = [
            key
            for batch in KeystrokeBatch.objects.filter(session=session).order_by("seq")
            for key in batch.keys
        ]
        assert exported["keys"] == stored_keys
        assert exported["text"] == session.text
        assert exported["wpm"] == session.wpm
    assert [
        (k["char"], k["hits"], k["errors"], k["time_sum_ms"], k["time_count"]) for k in data["keys"]
    ] == list(
        KeyStat.objects.filter(user=practised)
        .order_by("char")
        .values_list("char", "hits", "errors", "time_sum_ms", "time_count")
    )
    f = next(k for k in data["keys"] if k["char"] == "f")
    assert f["confusions"] == {"g": 1}
    assert len(data["bigrams"]) == BigramStat.objects.filter(user=practised).count()
    assert [d["sessions"] for d in data["days"]] == list(
        DailyStat.objects.filter(user=practised).values_list("sessions", flat=True)
    )
    assert {a["code"] for a in data["achievements"]} >= {"first_lesson"}
    assert {p["lesson"] for p in data["lesson_progress"]} == {"Lesson 1", "Lesson 2"}


def test_an_export_never_contains_another_learners_data(client, practised, other_learner):
    data = json.loads(download(client, "/stats/export/data.json"))
    theirs = {
        str(pk)
        for pk in PracticeSession.objects.filter(user=other_learner).values_list("pk", flat=True)
    }
    assert theirs.isdisjoint({s["id"] for s in data["sessions"]})
    assert KeyConfusion.objects.filter(user=other_learner, typed="x").exists()
    assert "x" not in {r["typed"] for r in read_csv(client, "confusions")}


def test_a_new_learner_exports_empty_tables(client, learner):
    client.force_login(learner)
    assert read_csv(client, "sessions") == []
    assert download(client, "/stats/export/keys.csv").splitlines() == [
        "char,key,hits,errors,time_sum_ms,time_count"
    ]
    assert json.loads(download(client, "/stats/export/data.json"))["sessions"] == []


def test_an_unknown_table_is_not_found_and_exports_need_an_account(client, learner):
    assert client.get("/stats/export/data.json").status_code == 302
    assert client.get("/stats/export/keys.csv").status_code == 302
    client.force_login(learner)
    assert client.get("/stats/export/passwords.csv").status_code == 404
