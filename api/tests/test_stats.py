"""The statistics over the API: the same figures the dashboard, history and keys pages show for
the same learner, the filters and their 422s, and never another learner's data."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest

from conftest import make_user
from courses.models import Course, Lesson
from lessons.models import PracticeSession
from stats.aggregates import WEAK_ERROR_PERCENT, WEAK_MEAN_MS, WEAK_MIN_SAMPLES
from stats.models import BigramStat, DailyStat, KeyConfusion, KeyStat
from stats.tests.conftest import play_at, typed_keys

from .conftest import ApiClient, error_of, log_in

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def played(client, learner, course, monkeypatch):
    """Three sessions typed on the site: 5 March alone, then 9 and 10 March (a streak)."""
    client.force_login(learner)
    lesson1, lesson2 = course.lessons.order_by("position")
    for day, lesson, interval in ((5, lesson1, 300), (9, lesson1, 200), (10, lesson2, 250)):
        play_at(
            client,
            lesson,
            typed_keys(lesson.text, interval=interval, mistakes={1: "q"}),
            datetime(2025, 3, day, 9, tzinfo=UTC),
            monkeypatch,
        )
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return learner


# --- Summary -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/stats/summary", "/api/v1/users/me/stats"])
def test_the_summary_is_the_dashboards(played, api, client, path):
    dashboard = client.get("/stats/").context
    response = api.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["today"] == "2025-03-10"
    assert body["sessions"] == dashboard["sessions"] == 3
    assert body["typed_ms"] == dashboard["typed_ms"]
    assert body["best_wpm"] == dashboard["best_wpm"] == 60.0
    assert body["recent_wpm"] == pytest.approx(dashboard["recent_wpm"])
    assert body["recent_days"] == dashboard["recent_days"] == 3
    assert body["accuracy"] == pytest.approx(dashboard["accuracy"])
    assert round(body["accuracy"], 1) == 96.7  # 3 wrong of 92 keystrokes
    assert body["lessons_completed"] == dashboard["lessons_completed"] == 2
    assert body["current_streak"] == dashboard["current_streak"] == 2
    assert body["longest_streak"] == dashboard["longest_streak"] == 2
    assert body["practised_today"] is dashboard["practised_today"] is True
    assert body["today_minutes"] == dashboard["today_minutes"]
    assert body["goal_minutes"] == dashboard["goal_minutes"]
    assert body["goal_met"] is dashboard["goal_met"]
    assert body["goal_left"] == dashboard["goal_left"]
    assert [k["char"] for k in body["weak_keys"]] == [k.char for k in dashboard["weak_keys"]]


def test_todays_minutes_and_streak_are_in_the_learners_time_zone(client, monkeypatch):
    # 10 March, 12:00 UTC is already 11 March in Kiritimati (UTC+14).
    far = make_user("far@example.com", time_zone="Pacific/Kiritimati", daily_goal_minutes=5)
    for day, minutes in ((date(2025, 3, 10), 3), (date(2025, 3, 11), 6)):
        DailyStat.objects.create(
            user=far,
            date=day,
            sessions=1,
            typed_ms=minutes * 60_000 + 30_000,
            keystrokes=100,
            errors=5,
            best_wpm=40,
            wpm_tenths_sum=400,
        )
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    body = ApiClient(log_in(far.email).access).get("/api/v1/stats/summary").json()
    client.force_login(far)
    dashboard = client.get("/stats/").context
    assert body["today"] == "2025-03-11"
    assert body["today_minutes"] == dashboard["today_minutes"] == 6
    assert body["goal_met"] is True
    assert body["goal_left"] == 0
    assert body["current_streak"] == dashboard["current_streak"] == 2


def test_a_new_learner_has_an_empty_summary(api):
    body = api.get("/api/v1/stats/summary").json()
    assert body["sessions"] == 0
    assert body["best_wpm"] is None
    assert body["accuracy"] is None
    assert body["current_streak"] == 0
    assert body["today_minutes"] == 0
    assert body["goal_left"] == body["goal_minutes"]
    assert body["weak_keys"] == []


def test_another_learners_figures_never_show(played, other_api):
    body = other_api.get("/api/v1/stats/summary").json()
    assert body["sessions"] == 0
    assert other_api.get("/api/v1/stats/history").json()["total"] == 0
    assert other_api.get("/api/v1/stats/weak-keys").json()["keys"] == []
    assert other_api.get("/api/v1/stats/bigrams").json()["items"] == []
    assert other_api.get("/api/v1/stats/confusions").json() == []
    assert other_api.get("/api/v1/stats/progress-chart").json()["series"] == []
    exported = json.loads(b"".join(other_api.get("/api/v1/stats/export").streaming_content))
    assert exported["sessions"] == []
    assert exported["account"]["email"] == "other@example.com"


# --- History -------------------------------------------------------------------------------------


def session(user, lesson, *, when: datetime, wpm=40.0, accuracy=95.0, rating=3, **extra):
    return PracticeSession.objects.create(
        user=user,
        lesson=lesson,
        text=lesson.text,
        target_wpm=20,
        status="completed",
        completed_at=when,
        wpm=wpm,
        raw_wpm=wpm,
        accuracy=accuracy,
        errors=1,
        keystrokes=30,
        duration_ms=65_000,
        rating=rating,
        **extra,
    )


@pytest.fixture
def python_course(db):
    course = Course.objects.create(
        slug="python",
        title="Python Code",
        description="Code.",
        language="python",
        is_published=True,
        position=2,
    )
    Lesson.objects.create(
        course=course, position=1, title="Functions", text="def f(x):\n    return x"
    )
    return course


def _wpms(response) -> list[float]:
    assert response.status_code == 200, response.content
    return [item["wpm"] for item in response.json()["items"]]


def test_history_lists_the_history_pages_sessions_with_a_total(api, client, learner, course):
    lesson = course.lessons.get(position=1)
    made = [
        session(learner, lesson, when=datetime(2025, 3, day, tzinfo=UTC), wpm=day)
        for day in range(1, 26)
    ]
    response = api.get("/api/v1/stats/history", {"page_size": 20})
    body = response.json()
    assert body["total"] == 25
    assert body["page"] == 1
    assert body["page_size"] == 20
    client.force_login(learner)
    page = client.get("/stats/history/").context["page"]
    assert [item["id"] for item in body["items"]] == [str(s.pk) for s in page.object_list]
    first = body["items"][0]
    assert first["id"] == str(made[-1].pk)
    assert first["completed_at"] == "2025-03-25T00:00:00Z"
    assert first["course"] == {"id": course.pk, "slug": course.slug, "title": course.title}
    assert first["lesson"] == {"id": lesson.pk, "title": lesson.title}
    assert first["rating"] == 3
    assert first["flagged"] is False
    assert _wpms(api.get("/api/v1/stats/history", {"page": 2})) == [5, 4, 3, 2, 1]
    assert _wpms(api.get("/api/v1/stats/history", {"page": 3})) == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-date", [30.0, 50.0, 40.0]),
        ("date", [40.0, 50.0, 30.0]),
        ("-wpm", [50.0, 40.0, 30.0]),
        ("wpm", [30.0, 40.0, 50.0]),
        ("-accuracy", [40.0, 30.0, 50.0]),
        ("stars", [50.0, 40.0, 30.0]),
    ],
)
def test_history_sorts_as_the_page_does(api, client, learner, course, sort, expected):
    lesson = course.lessons.get(position=1)
    session(learner, lesson, when=datetime(2025, 3, 1, tzinfo=UTC), wpm=40, accuracy=99, rating=3)
    session(learner, lesson, when=datetime(2025, 3, 2, tzinfo=UTC), wpm=50, accuracy=90, rating=1)
    session(learner, lesson, when=datetime(2025, 3, 3, tzinfo=UTC), wpm=30, accuracy=95, rating=5)
    assert _wpms(api.get("/api/v1/stats/history", {"sort": sort})) == expected
    client.force_login(learner)
    page = client.get("/stats/history/", {"sort": sort}).context["page"]
    assert [s.wpm for s in page.object_list] == expected


def test_history_filters_by_course_slug_or_id(api, learner, course, python_course):
    functions = python_course.lessons.get()
    session(learner, course.lessons.get(position=1), when=datetime(2025, 3, 1, tzinfo=UTC), wpm=30)
    session(learner, functions, when=datetime(2025, 3, 2, tzinfo=UTC), wpm=50)
    assert _wpms(api.get("/api/v1/stats/history", {"course": "python"})) == [50.0]
    assert _wpms(api.get("/api/v1/stats/history", {"course": str(python_course.pk)})) == [50.0]
    assert _wpms(api.get("/api/v1/stats/history", {"course": "no-such"})) == []


def test_history_dates_are_whole_days_in_the_learners_time_zone(course):
    lesson = course.lessons.get(position=1)
    tokyo = make_user("tokyo@example.com", time_zone="Asia/Tokyo")
    session(tokyo, lesson, when=datetime(2025, 3, 3, 14, 59, tzinfo=UTC), wpm=1)  # 3 Mar, 23:59
    session(tokyo, lesson, when=datetime(2025, 3, 3, 15, 0, tzinfo=UTC), wpm=2)  # 4 Mar, 00:00
    session(tokyo, lesson, when=datetime(2025, 3, 4, 14, 59, tzinfo=UTC), wpm=3)  # 4 Mar, 23:59
    session(tokyo, lesson, when=datetime(2025, 3, 4, 15, 0, tzinfo=UTC), wpm=4)  # 5 Mar
    api = ApiClient(log_in(tokyo.email).access)
    day = {"from": "2025-03-04", "to": "2025-03-04"}
    assert _wpms(api.get("/api/v1/stats/history", day)) == [3.0, 2.0]
    assert _wpms(api.get("/api/v1/stats/history", {"from": "2025-03-05"})) == [4.0]
    assert _wpms(api.get("/api/v1/stats/history", {"to": "2025-03-03"})) == [1.0]
    assert _wpms(api.get("/api/v1/stats/history", {"from": "0001-01-01", "to": "9999-12-31"})) == [
        4.0,
        3.0,
        2.0,
        1.0,
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "-speed"}, "sort"),
        ({"sort": "completed_at"}, "sort"),
        ({"from": "31.01.2025"}, "from"),
        ({"to": "2025-02-30"}, "to"),
        ({"from": "2025-03-05", "to": "2025-03-04"}, "from"),
        ({"page": 0}, "page"),
        ({"page_size": 101}, "page_size"),
        ({"course": "x" * 101}, "course"),
        ({"course": "a b"}, "course"),
    ],
)
def test_history_refuses_bad_filters_with_422(api, params, field):
    response = api.get("/api/v1/stats/history", params)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]


def test_history_never_lists_another_learners_sessions(api, learner, other_learner, course):
    lesson = course.lessons.get(position=1)
    session(other_learner, lesson, when=datetime(2025, 3, 1, tzinfo=UTC), wpm=99)
    session(learner, lesson, when=datetime(2025, 3, 2, tzinfo=UTC), wpm=30)
    assert _wpms(api.get("/api/v1/stats/history")) == [30.0]


# --- Keys, pairs, confusions ---------------------------------------------------------------------


@pytest.fixture
def key_figures(learner):
    KeyStat.objects.bulk_create(
        [
            # 25 % wrong over 40: weak by errors.
            KeyStat(
                user=learner, char="d", hits=40, errors=10, time_sum_ms=30 * 250, time_count=30
            ),
            # 450 ms over 20 timed: weak by time, and less far past its threshold.
            KeyStat(user=learner, char="k", hits=20, errors=0, time_sum_ms=20 * 450, time_count=20),
            KeyStat(user=learner, char="f", hits=50, errors=1, time_sum_ms=49 * 200, time_count=49),
            KeyStat(user=learner, char="j", hits=5, errors=5, time_sum_ms=0, time_count=0),
        ]
    )
    KeyConfusion.objects.bulk_create(
        [
            KeyConfusion(user=learner, expected="d", typed="e", count=7),
            KeyConfusion(user=learner, expected="d", typed="s", count=3),
            KeyConfusion(user=learner, expected="j", typed="h", count=5),
        ]
    )
    BigramStat.objects.bulk_create(
        [
            BigramStat(
                user=learner,
                previous="t",
                char="h",
                count=10,
                errors=1,
                time_sum_ms=10 * 300,
                time_count=10,
            ),
            BigramStat(
                user=learner,
                previous="h",
                char="e",
                count=10,
                errors=0,
                time_sum_ms=8 * 500,
                time_count=8,
            ),
            BigramStat(
                user=learner,
                previous="e",
                char=" ",
                count=4,
                errors=0,
                time_sum_ms=4 * 900,
                time_count=4,
            ),  # the slowest, but too few timed to be listed
        ]
    )
    return learner


def test_weak_keys_with_their_figures_and_the_thresholds(key_figures, api, client):
    response = api.get("/api/v1/stats/weak-keys")
    assert response.status_code == 200
    body = response.json()
    assert body["thresholds"] == {
        "min_samples": WEAK_MIN_SAMPLES,
        "error_percent": WEAK_ERROR_PERCENT,
        "mean_ms": WEAK_MEAN_MS,
    }
    assert body["weak"] == ["d", "k"]
    assert [k["char"] for k in body["keys"]] == ["d", "k", "j", "f"]
    d = body["keys"][0]
    assert d["hits"] == 40
    assert d["error_percent"] == 25.0
    assert d["mean_ms"] == 250.0
    assert d["weak"] is True
    assert d["weakness"] == "25 % wrong"
    assert body["keys"][1]["weakness"] == "450 ms"
    assert body["keys"][2]["mean_ms"] is None
    client.force_login(key_figures)
    page = client.get("/stats/keys/").context
    assert [k["char"] for k in body["keys"]] == [k.char for k in page["key_rows"]]
    dashboard_weak = [k["char"] for k in api.get("/api/v1/stats/summary").json()["weak_keys"]]
    assert dashboard_weak == body["weak"]


def test_bigrams_are_the_keys_pages_slowest_pairs(key_figures, api, client):
    body = api.get("/api/v1/stats/bigrams").json()
    assert body["min_samples"] == 5
    assert body["items"] == [
        {
            "previous": "h",
            "char": "e",
            "label": "h → e",
            "mean_ms": 500.0,
            "count": 8,
            "error_rate": 0.0,
        },
        {
            "previous": "t",
            "char": "h",
            "label": "t → h",
            "mean_ms": 300.0,
            "count": 10,
            "error_rate": 10.0,
        },
    ]
    client.force_login(key_figures)
    page = client.get("/stats/keys/").context
    assert [(p["previous"], p["char"], p["mean_ms"], p["count"]) for p in page["slow_pairs"]] == [
        (i["previous"], i["char"], i["mean_ms"], i["count"]) for i in body["items"]
    ]
    assert [i["char"] for i in api.get("/api/v1/stats/bigrams", {"limit": 1}).json()["items"]] == [
        "e"
    ]


def test_confusions_are_the_keys_pages(key_figures, api, client):
    body = api.get("/api/v1/stats/confusions").json()
    assert body == [
        {"expected": "d", "typed": "e", "count": 7, "percent": 17.5},
        {"expected": "j", "typed": "h", "count": 5, "percent": 100.0},
        {"expected": "d", "typed": "s", "count": 3, "percent": 7.5},
    ]
    client.force_login(key_figures)
    page = client.get("/stats/keys/").context
    assert [(c["expected"], c["typed"], c["count"], c["percent"]) for c in page["confusions"]] == [
        (c["expected"], c["typed"], c["count"], c["percent"]) for c in body
    ]
    assert len(api.get("/api/v1/stats/confusions", {"limit": 2}).json()) == 2


@pytest.mark.parametrize("path", ["/api/v1/stats/bigrams", "/api/v1/stats/confusions"])
@pytest.mark.parametrize("limit", [0, 51, "many"])
def test_a_limit_out_of_range_is_422(api, path, limit):
    response = api.get(path, {"limit": limit})
    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["limit"]


# --- Progress chart ------------------------------------------------------------------------------


def test_the_progress_chart_is_the_dashboards_days(played, api, client):
    response = api.get("/api/v1/stats/progress-chart", {"days": 30})
    assert response.status_code == 200
    body = response.json()
    assert body["days"] == 30
    assert body["first"] == "2025-02-09"
    assert body["last"] == "2025-03-10"
    assert [day["date"] for day in body["series"]] == ["2025-03-05", "2025-03-09", "2025-03-10"]
    client.force_login(played)
    table = client.get("/stats/", {"days": 30}).context["chart_rows"]
    assert [
        (f"{d['mean_wpm']:.1f}", f"{d['best_wpm']:.1f}", f"{d['accuracy']:.1f} %")
        for d in body["series"]
    ] == [(row[2], row[3], row[4]) for row in table]
    day = DailyStat.objects.get(user=played, date=date(2025, 3, 10))
    assert body["series"][-1]["typed_ms"] == day.typed_ms
    assert body["series"][-1]["minutes"] == day.typed_ms // 60_000
    assert body["series"][-1]["sessions"] == 1


@pytest.mark.parametrize("days", [90, 365])
def test_the_chart_covers_90_and_365_days(played, api, days):
    body = api.get("/api/v1/stats/progress-chart", {"days": days}).json()
    assert body["days"] == days
    assert len(body["series"]) == 3


@pytest.mark.parametrize("days", [0, 7, 31, 366, "month"])
def test_other_chart_windows_are_422(api, days):
    response = api.get("/api/v1/stats/progress-chart", {"days": days})
    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["days"]


# --- Export --------------------------------------------------------------------------------------


def test_the_json_export_is_the_sites(played, api, client):
    response = api.get("/api/v1/stats/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="typingtrainer-data-')
    exported = json.loads(b"".join(response.streaming_content))
    client.force_login(played)
    site = json.loads(b"".join(client.get("/stats/export/data.json").streaming_content))
    del exported["exported_at"], site["exported_at"]
    assert exported == site
    assert len(exported["sessions"]) == 3
    assert exported["account"]["email"] == played.email


@pytest.mark.parametrize("table", ["sessions", "keys", "confusions", "bigrams", "days"])
def test_a_csv_export_is_the_sites_table(played, api, client, table):
    response = api.get("/api/v1/stats/export", {"format": "csv", "table": table})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = b"".join(response.streaming_content).decode()
    client.force_login(played)
    site = b"".join(client.get(f"/stats/export/{table}.csv").streaming_content).decode()
    assert content == site
    if table == "sessions":
        assert len(list(csv.DictReader(io.StringIO(content)))) == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"format": "csv"}, "table"),
        ({"format": "xml"}, "format"),
        ({"format": "csv", "table": "passwords"}, "table"),
    ],
)
def test_a_bad_export_request_is_422(api, params, field):
    response = api.get("/api/v1/stats/export", params)
    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == [field]


# --- Access --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/stats/summary",
        "/api/v1/users/me/stats",
        "/api/v1/stats/history",
        "/api/v1/stats/weak-keys",
        "/api/v1/stats/progress-chart",
        "/api/v1/stats/bigrams",
        "/api/v1/stats/confusions",
        "/api/v1/stats/export",
    ],
)
def test_anonymous_is_401(anonymous_api, path):
    response = anonymous_api.get(path)
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
