"""The README's API quickstart (the shell block after `<!-- api-quickstart -->`) runs as written
against a live server: register, log in, start a lesson, send a batch, complete, read the stats."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from lessons.models import PracticeSession
from typingtrainer.models import User

MARKER = "<!-- api-quickstart -->"


def quickstart() -> str:
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    assert readme.count(MARKER) == 1, f"README.md must hold {MARKER} once"
    block = re.match(r"\s*```sh\n(.*?)\n```\n", readme.split(MARKER, 1)[1], re.S)
    assert block, f"a ```sh block must follow {MARKER}"
    return block.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the quickstart needs curl")
@pytest.mark.django_db(transaction=True)
def test_the_readme_quickstart_types_a_lesson_and_reads_the_stats(live_server):
    call_command("load_curriculum", verbosity=0)

    run = subprocess.run(
        ["bash", "-c", quickstart()],
        env={**os.environ, "BASE": live_server.url, "EMAIL": "quickstart@example.com"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stderr
    session = PracticeSession.objects.get(user__email="quickstart@example.com")
    assert session.is_completed
    assert not session.flagged
    assert session.errors == 0
    lines = run.stdout.splitlines()
    assert lines == [
        f"result: {session.rating} stars, {session.wpm} WPM, {session.accuracy} % accuracy",
        f"stats: 1 sessions, mean {session.wpm} WPM, {session.accuracy} % accuracy, 1-day streak",
    ], run.stdout
    assert User.objects.filter(email="quickstart@example.com").count() == 1
