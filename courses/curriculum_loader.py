"""Loads the curriculum shipped in courses/curriculum/*.json into the database, idempotently.

Each course and lesson remembers the digest of the shipped content it was last loaded from. A row
whose content still matches its digest is the product's and follows the shipped version; a row
an author edited since is kept as it is unless `force` is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Course, Lesson

CURRICULUM_DIR = Path(__file__).resolve().parent / "curriculum"
COURSE_FIELDS = ("title", "description", "language", "level", "layout", "is_premium")
LESSON_FIELDS = ("title", "new_keys", "text", "target_wpm", "is_premium")


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        summary = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.kept)} kept because they were edited"
        )
        return summary + "".join(f"\n  kept: {name}" for name in self.kept)


def curriculum_files(directory: Path = CURRICULUM_DIR) -> list[Path]:
    return sorted(directory.glob("*.json"))


@transaction.atomic
def load_curriculum(*, force: bool = False, directory: Path = CURRICULUM_DIR) -> LoadReport:
    report = LoadReport()
    for path in curriculum_files(directory):
        data = json.loads(path.read_text(encoding="utf-8"))
        course = _sync_course(data, force=force, report=report)
        for position, lesson_data in enumerate(data["lessons"], start=1):
            _sync_lesson(course, position, lesson_data, force=force, report=report)
    return report


def _sync_course(data: dict[str, Any], *, force: bool, report: LoadReport) -> Course:
    course = Course.objects.filter(slug=data["slug"]).first()
    shipped = Course(slug=data["slug"], **{name: data[name] for name in COURSE_FIELDS})
    if course is None:
        shipped.position = data.get("position", 0)
        shipped.is_published = True
        shipped.source_digest = shipped.content_digest()
        shipped.full_clean()
        shipped.save()
        report.created += 1
        return shipped
    _update(course, shipped, COURSE_FIELDS, force=force, report=report)
    return course


def _sync_lesson(
    course: Course, position: int, data: dict[str, Any], *, force: bool, report: LoadReport
) -> None:
    lesson = Lesson.objects.filter(course=course, position=position).first()
    shipped = Lesson(
        course=course,
        position=position,
        title=data["title"],
        new_keys=data.get("new_keys", ""),
        text=data["text"],
        target_wpm=data["target_wpm"],
        is_premium=data.get("is_premium", False),
    )
    if lesson is None:
        shipped.source_digest = shipped.content_digest()
        _validate(shipped)
        shipped.save()
        report.created += 1
        return
    _update(lesson, shipped, LESSON_FIELDS, force=force, report=report)


def _update(
    row: Course | Lesson,
    shipped: Course | Lesson,
    fields: tuple[str, ...],
    *,
    force: bool,
    report: LoadReport,
) -> None:
    shipped_digest = shipped.content_digest()
    if row.content_digest() == shipped_digest:
        if row.source_digest != shipped_digest:
            row.source_digest = shipped_digest
            row.save(update_fields=["source_digest"])
        report.unchanged += 1
        return
    # A new text an author has not published yet is an edit too.
    edited = row.content_digest() != row.source_digest or bool(getattr(row, "draft_text", ""))
    if edited and not force:
        report.kept.append(str(row))
        return
    for name in fields:
        setattr(row, name, getattr(shipped, name))
    row.source_digest = shipped_digest
    if isinstance(row, Lesson):
        _validate(row)
    row.save()
    report.updated += 1


def _validate(lesson: Lesson) -> None:
    try:
        lesson.full_clean(exclude=["course"])
    except ValidationError as exc:
        raise ValueError(f"Shipped lesson “{lesson.title}” is invalid: {exc.messages}") from exc
