"""Dependencies point one way (DESIGN §2): the statistics and the coach read what lessons
records, and lessons imports neither (the statistics register with `lessons.hooks`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lessons

LESSONS = Path(lessons.__file__).parent
LATER_APPS = ("stats", "coach")


def _modules() -> list[Path]:
    return sorted(
        path for path in LESSONS.rglob("*.py") if "tests" not in path.relative_to(LESSONS).parts
    )


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_walk_sees_the_lessons_modules_and_their_imports():
    names = {path.name for path in _modules()}
    assert {"attempts.py", "views.py", "access.py", "hooks.py"} <= names
    assert "courses.models" in _imported(LESSONS / "attempts.py")


@pytest.mark.parametrize("path", _modules(), ids=lambda path: str(path.relative_to(LESSONS)))
def test_no_lessons_module_imports_stats_or_the_coach(path):
    wrong = {
        name
        for name in _imported(path)
        if any(name == app or name.startswith(f"{app}.") for app in LATER_APPS)
    }
    assert not wrong, f"lessons/{path.relative_to(LESSONS)} imports {sorted(wrong)}"
