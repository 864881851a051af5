"""What goes into the image: .dockerignore, matched as Docker matches it, keeps secrets, local
state and caches out of `COPY . .` and lets every tracked file in."""

from __future__ import annotations

import subprocess

import pytest

from typingtrainer.tests.production import ROOT, dockerignore_excludes, dockerignore_rules


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        ("var", "var/static/site.css", True),
        ("var", "lessons/var/notes.txt", False),  # patterns start at the context's root
        ("**/__pycache__", "lessons/tests/__pycache__/test_x.pyc", True),
        ("**/__pycache__", "__pycache__/x.pyc", True),
        ("*.md\n!README.md", "README.md", False),
        ("*.md\n!README.md", "bench/README.md", False),  # *.md is one segment: not excluded
        ("/.env", ".env", True),
        ("bench/out", "bench/outline.py", False),
    ],
)
def test_the_ignore_matcher_follows_dockers_rules(patterns, path, excluded):
    assert dockerignore_excludes(path, dockerignore_rules(patterns)) is excluded


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.production",
        ".git",
        ".git/config",
        ".venv/bin/python",
        "var/typingtrainer.sqlite3",
        "var/static/staticfiles.json",
        "lessons/__pycache__/views.cpython-311.pyc",
        "typingtrainer/tests/__pycache__/conftest.cpython-311-pytest-8.pyc",
        "node_modules/axe-core/axe.min.js",
        "static/js/typing/node_modules/x/index.js",
        "bench/out/ingest.json",
        "test-results/trace.zip",
        "screenshots/lesson.png",
        ".pytest_cache/v/cache/lastfailed",
        ".mypy_cache/3.11/cache.db",
    ],
)
def test_secrets_local_state_and_caches_stay_out_of_the_image(path):
    assert dockerignore_excludes(path, dockerignore_rules()), f"{path} would be copied"


def test_every_tracked_file_goes_into_the_image():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    rules = dockerignore_rules()
    assert "ops/entrypoint.py" in tracked
    assert any(name.startswith("courses/curriculum/") for name in tracked)

    left_out = [name for name in tracked if dockerignore_excludes(name, rules)]

    assert left_out == []
