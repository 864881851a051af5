from __future__ import annotations

import json
from html import unescape

import pytest

from lessons.admin import describe_keys
from lessons.models import PracticeSession

from .conftest import play, typed_keys

pytestmark = pytest.mark.django_db


def test_staff_see_flagged_results_in_the_admin(client, learner, staff, course):
    from courses.models import Lesson

    lesson = Lesson.objects.create(
        course=course, position=0, title="Fast", text="asdf jkl; " * 6, target_wpm=20
    )
    client.force_login(learner)
    play(client, lesson, typed_keys(lesson.text, interval=25))
    play(client, lesson, typed_keys(lesson.text, interval=200))
    client.force_login(staff)
    response = client.get("/admin/lessons/practicesession/?flagged__exact=1")
    assert response.status_code == 200
    flagged = PracticeSession.objects.get(flagged=True)
    assert str(flagged.pk) in response.content.decode()
    assert "speed above 350 WPM" in response.content.decode()
    assert response.context["cl"].result_count == 1


def test_authors_cannot_see_learners_sessions(client, author):
    client.force_login(author)
    assert client.get("/admin/lessons/practicesession/").status_code == 403


def test_staff_read_a_sessions_keystrokes_decoded(client, learner, staff, course):
    lesson = course.lessons.get(position=1)
    client.force_login(learner)
    keys = typed_keys(lesson.text, mistakes={0: "Й"})
    assert play(client, lesson, keys).status_code == 200
    session = PracticeSession.objects.get()
    first = session.batches.get(seq=0)
    client.force_login(staff)

    response = client.get(f"/admin/lessons/practicesession/{session.pk}/change/")
    page = unescape(response.content.decode())
    assert f"{len(first.keys)} key(s):" in page
    assert '     0 "Й"            0 ms' in page  # the wrong key before the right one
    assert "\\x01" not in page
    assert "b'" not in page

    batch_page = client.get(f"/admin/lessons/keystrokebatch/{first.pk}/change/")
    assert batch_page.status_code == 200
    text = unescape(batch_page.content.decode())
    pos, typed, t = first.keys[-1]
    assert f"{pos:>6} {json.dumps(typed, ensure_ascii=False):<6} {t:>9} ms" in text

    listing = client.get("/admin/lessons/keystrokebatch/")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == session.batches.count()


def test_a_long_batch_shows_its_count_and_the_first_keys(db):
    keys = [[i, "a", i * 150] for i in range(250)]
    shown = describe_keys(keys, limit=100)
    assert shown.splitlines()[0] == "250 key(s), the first 100:"
    assert len(shown.splitlines()) == 101
    assert describe_keys([[3, "\n", 9]]).splitlines() == [
        "1 key(s):",
        '     3 "\\n"           9 ms',
    ]
