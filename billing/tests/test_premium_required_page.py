"""The 403 page a free learner gets for a Premium lesson (the lessons app renders it)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from billing.views import premium_required

pytestmark = pytest.mark.django_db


def test_it_says_the_lesson_needs_premium_lists_what_premium_includes_and_links_to_upgrade(
    course, learner
):
    lesson = course.lessons.get(position=2)
    request = RequestFactory().get(f"/lessons/{lesson.pk}/")
    request.user = learner

    response = premium_required(request, lesson=lesson)

    page = response.content.decode()
    assert response.status_code == 403
    assert "“Lesson 2” needs Premium" in page
    assert "Home Row Basics" in page
    assert "Unlimited coach exercises aimed at your weak keys" in page
    assert "Premium costs from $6.00 a month." in page  # the yearly price, from the catalogue
    assert '<a class="button" href="/pricing/">Upgrade to Premium</a>' in page
    assert f'href="/courses/{course.slug}/"' in page
