from __future__ import annotations

import pytest

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
