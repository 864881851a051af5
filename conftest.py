"""Personas and shared fixtures for every app's tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache

from courses.models import Course, Lesson
from typingtrainer.celery import app as celery_app
from typingtrainer.models import User

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"  # uploads (avatars) never land in var/
    # allauth keeps its rate limits in the cache; every test starts with a clean slate.
    cache.clear()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager
    cache.clear()


def make_user(email: str, **extra) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


@pytest.fixture
def learner(db) -> User:
    return make_user("learner@example.com", display_name="Lena")


@pytest.fixture
def other_learner(db) -> User:
    return make_user("other@example.com")


@pytest.fixture
def author(db) -> User:
    # The group comes from a migration, but a transactional test's flush (the browser tests)
    # removes it from a reused test database; recreate it the way the migration does.
    group, _ = Group.objects.get_or_create(name="Authors")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="courses", content_type__model__in=["course", "lesson"]
        )
    )
    user = make_user("author@example.com", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_superuser(email="staff@example.com", password=PASSWORD)


@pytest.fixture
def course(db) -> Course:
    course = Course.objects.create(
        slug="home-row",
        title="Home Row Basics",
        description="The eight keys your fingers rest on.",
        language="en",
        level="beginner",
        layout="qwerty",
        is_published=True,
        position=1,
    )
    for position, text in enumerate(
        ["asdf jkl; asdf jkl; fads lads", "a sad lad; a dad asks; all fall"], start=1
    ):
        Lesson.objects.create(
            course=course, position=position, title=f"Lesson {position}", text=text
        )
    return course


# --- Browser tests: Debian's Chromium driven by Playwright (never `playwright install`). ---

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("REQUIRE_BROWSER_TESTS"):
        raise pytest.UsageError(f"Browser tests are required but {CHROMIUM} is missing.")
    skip = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--disable-dev-shm-usage",
        ],
    }
