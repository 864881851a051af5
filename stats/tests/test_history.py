"""/stats/history/: every session, paginated, filtered by course and dates, sortable."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from conftest import make_user
from courses.models import Course, Lesson
from lessons.models import PracticeSession

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


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


def rows(html: str) -> list[str]:
    """The WPM column, top to bottom."""
    return re.findall(r'</td> <td class="num">([\d.]+)</td> <td class="num">[\d.]+ %', html)


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


def test_a_new_learner_is_told_what_will_show_here(client, learner):
    client.force_login(learner)
    html = text(client.get("/stats/history/"))
    assert "No sessions yet" in html
    assert 'href="/courses/"' in html


def test_every_completed_session_is_listed_newest_first_and_opens_its_detail(
    client, learner, lesson1
):
    first = session(learner, lesson1, when=datetime(2025, 3, 1, 9, tzinfo=UTC), wpm=31)
    second = session(learner, lesson1, when=datetime(2025, 3, 2, 9, tzinfo=UTC), wpm=32)
    PracticeSession.objects.create(user=learner, lesson=lesson1, text="x" * 20, target_wpm=20)
    client.force_login(learner)
    html = text(client.get("/stats/history/"))
    assert rows(html) == ["32.0", "31.0"]  # the unfinished session is not listed
    assert f'href="/stats/sessions/{second.pk}/">2 Mar 2025, 09:00</a>' in html
    assert f'href="/stats/sessions/{first.pk}/"' in html
    assert 'Lesson 1 <span class="muted small">· Home Row Basics</span>' in html
    assert 'aria-label="3 of 5 stars"' in html
    assert ">1:05</td>" in html


def test_times_are_shown_in_the_learners_time_zone(client, lesson1):
    tokyo = make_user("tokyo@example.com", time_zone="Asia/Tokyo")
    session(tokyo, lesson1, when=datetime(2025, 3, 3, 23, 30, tzinfo=UTC))
    client.force_login(tokyo)
    assert "4 Mar 2025, 08:30" in text(client.get("/stats/history/"))


def test_a_flagged_session_is_listed_as_not_counted(client, learner, lesson1):
    session(
        learner,
        lesson1,
        when=datetime(2025, 3, 1, tzinfo=UTC),
        flagged=True,
        flag_reason="speed above 350 WPM",
        rating=0,
    )
    client.force_login(learner)
    assert 'title="speed above 350 WPM">Not counted</span>' in text(client.get("/stats/history/"))


def test_another_learners_sessions_are_not_listed(client, learner, other_learner, lesson1):
    session(other_learner, lesson1, when=datetime(2025, 3, 1, tzinfo=UTC))
    client.force_login(learner)
    assert "No sessions yet" in text(client.get("/stats/history/"))


def test_pages_hold_twenty_sessions_and_link_to_each_other(client, learner, lesson1):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(45):
        session(learner, lesson1, when=start + timedelta(hours=n), wpm=n)
    client.force_login(learner)
    html = text(client.get("/stats/history/"))
    assert len(rows(html)) == 20
    assert rows(html)[0] == "44.0"
    assert "Page 1 of 3 · 45 sessions" in html
    assert 'href="?sort=-date&amp;page=2"' in html
    last = text(client.get("/stats/history/?sort=-date&page=3"))
    assert rows(last) == ["4.0", "3.0", "2.0", "1.0", "0.0"]
    assert 'href="?sort=-date&amp;page=2"' in last
    assert "Next →" not in last
    assert client.get("/stats/history/?page=99").status_code == 200  # the last page


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("wpm", ["20.0", "30.0", "40.0"]),
        ("-wpm", ["40.0", "30.0", "20.0"]),
        ("accuracy", ["40.0", "20.0", "30.0"]),
        ("-stars", ["30.0", "40.0", "20.0"]),
        ("date", ["30.0", "20.0", "40.0"]),
        ("nonsense", ["40.0", "20.0", "30.0"]),
    ],
)
def test_sessions_sort_by_date_speed_accuracy_or_stars(client, learner, lesson1, sort, expected):
    day = datetime(2025, 3, 1, tzinfo=UTC)
    session(learner, lesson1, when=day, wpm=30, accuracy=99, rating=5)
    session(learner, lesson1, when=day + timedelta(days=1), wpm=20, accuracy=96, rating=2)
    session(learner, lesson1, when=day + timedelta(days=2), wpm=40, accuracy=90, rating=4)
    client.force_login(learner)
    assert rows(text(client.get(f"/stats/history/?sort={sort}"))) == expected


def test_a_sorted_column_says_so_and_its_link_reverses_the_order(client, learner, lesson1):
    session(learner, lesson1, when=datetime(2025, 3, 1, tzinfo=UTC))
    client.force_login(learner)
    html = text(client.get("/stats/history/?sort=-wpm"))
    assert '<th scope="col" aria-sort="descending" class="num"> <a href="?sort=wpm"' in html
    assert '<th scope="col" aria-sort="none" class=""> <a href="?sort=-date"' in html


def test_the_course_filter_keeps_one_course(client, learner, lesson1, python_course):
    from lessons.models import LessonProgress

    functions = python_course.lessons.get()
    session(learner, lesson1, when=datetime(2025, 3, 1, tzinfo=UTC), wpm=30)
    session(learner, functions, when=datetime(2025, 3, 2, tzinfo=UTC), wpm=50)
    LessonProgress.objects.create(user=learner, lesson=functions)
    LessonProgress.objects.create(user=learner, lesson=lesson1)
    client.force_login(learner)
    html = text(client.get("/stats/history/?course=python"))
    assert rows(html) == ["50.0"]
    assert '<option value="python" selected>Python Code</option>' in html
    assert 'href="?course=python&amp;sort=-wpm"' in html  # sorting keeps the filter


def test_the_date_filter_takes_whole_days_in_the_learners_time_zone(client, lesson1):
    tokyo = make_user("tokyo@example.com", time_zone="Asia/Tokyo")
    session(tokyo, lesson1, when=datetime(2025, 3, 3, 14, 59, tzinfo=UTC), wpm=1)  # 3 Mar, 23:59
    session(tokyo, lesson1, when=datetime(2025, 3, 3, 15, 0, tzinfo=UTC), wpm=2)  # 4 Mar, 00:00
    session(tokyo, lesson1, when=datetime(2025, 3, 4, 14, 59, tzinfo=UTC), wpm=3)  # 4 Mar, 23:59
    session(tokyo, lesson1, when=datetime(2025, 3, 4, 15, 0, tzinfo=UTC), wpm=4)  # 5 Mar
    client.force_login(tokyo)
    assert rows(text(client.get("/stats/history/?from=2025-03-04&to=2025-03-04"))) == ["3.0", "2.0"]
    assert rows(text(client.get("/stats/history/?from=2025-03-05"))) == ["4.0"]
    assert rows(text(client.get("/stats/history/?to=2025-03-03"))) == ["1.0"]


def test_a_filter_that_matches_nothing_says_so(client, learner, lesson1):
    session(learner, lesson1, when=datetime(2025, 3, 1, tzinfo=UTC))
    client.force_login(learner)
    html = text(client.get("/stats/history/?from=2030-01-01"))
    assert "No session matches these filters" in html


def test_a_malformed_date_is_left_out_and_the_page_says_so(client, learner, lesson1):
    session(learner, lesson1, when=datetime(2025, 3, 1, tzinfo=UTC))
    client.force_login(learner)
    response = client.get("/stats/history/?from=yesterday&to=2025-13-45")
    assert response.status_code == 200
    html = text(response)
    assert len(rows(html)) == 1
    assert "“yesterday” is not a date (like 2025-01-31), so “From” was left out." in html
    assert "“2025-13-45” is not a date (like 2025-01-31), so “To” was left out." in html


ZONES = ["UTC", "Asia/Tokyo", "Pacific/Kiritimati", "America/New_York", "Pacific/Pago_Pago"]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("to=9999-12-31", 2),
        ("from=0001-01-01", 2),
        ("from=0001-01-01&to=9999-12-31", 2),
        ("from=9999-12-31", 0),
        ("to=0001-01-01", 0),
        ("from=2025-03-03&to=9999-12-31", 1),
    ],
)
def test_the_first_and_last_days_a_date_can_name_filter_like_any_other(
    client, lesson1, zone, htmx, query, listed
):
    learner = make_user("far@example.com", time_zone=zone)
    session(learner, lesson1, when=datetime(2025, 3, 1, 12, tzinfo=UTC), wpm=1)
    session(learner, lesson1, when=datetime(2025, 3, 3, 12, tzinfo=UTC), wpm=2)
    client.force_login(learner)
    response = client.get(
        f"/stats/history/?{query}", headers={"HX-Request": "true"} if htmx else {}
    )
    assert response.status_code == 200
    html = text(response)
    assert len(rows(html)) == listed
    assert ("No session matches these filters" in html) == (listed == 0)
    assert "is not a date" not in html


def test_filtering_with_htmx_answers_the_results_fragment(client, learner, lesson1):
    session(learner, lesson1, when=datetime(2025, 3, 1, tzinfo=UTC), wpm=33)
    client.force_login(learner)
    response = client.get(
        f"/stats/history/?from={date(2025, 3, 1)}", headers={"HX-Request": "true"}
    )
    html = text(response)
    assert html.lstrip().startswith('<section id="history-results"')
    assert "<html" not in html
    assert "<form" not in html
    assert rows(html) == ["33.0"]


def test_a_session_without_a_lesson_is_listed_as_an_exercise(client, learner, lesson1):
    PracticeSession.objects.create(
        user=learner,
        lesson=None,
        text="fjfj jfjf",
        target_wpm=20,
        status="completed",
        completed_at=datetime(2025, 3, 1, tzinfo=UTC),
        wpm=30,
        accuracy=99,
        rating=3,
        duration_ms=5000,
    )
    client.force_login(learner)
    html = text(client.get("/stats/history/"))
    assert '<span class="muted">Exercise</span>' in html
    assert rows(html) == ["30.0"]
