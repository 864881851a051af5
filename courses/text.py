"""Rules for lesson text, and the plain-text import format. Pure: no database."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .layouts import LAYOUTS

MIN_LESSON_LENGTH = 10
MAX_LESSON_LENGTH = 5000


def normalise(text: str) -> str:
    """NFC, Unix newlines, no trailing newline at the end of the lesson."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip("\n")


def lesson_text_errors(text: str, layout_slug: str) -> list[str]:
    """Everything wrong with an already normalised lesson text, as messages for an author."""
    errors = []
    if "\t" in text:
        line = text[: text.index("\t")].count("\n") + 1
        errors.append(
            _("Line %(line)d contains a tab; indent with spaces instead.") % {"line": line}
        )
    trailing = [n for n, line in enumerate(text.split("\n"), start=1) if line != line.rstrip(" ")]
    if trailing:
        lines = ", ".join(str(n) for n in trailing[:5])
        errors.append(
            _("Trailing spaces at the end of line %(lines)s; remove them.") % {"lines": lines}
        )
    if len(text) < MIN_LESSON_LENGTH:
        errors.append(
            _("The text is too short: at least %(count)d characters.")
            % {"count": MIN_LESSON_LENGTH}
        )
    if len(text) > MAX_LESSON_LENGTH:
        errors.append(
            _("The text is too long: at most %(count)d characters.") % {"count": MAX_LESSON_LENGTH}
        )
    layout = LAYOUTS[layout_slug]
    bad = [ch for ch in layout.untypeable(text) if ch != "\t"]
    if bad:
        shown = " ".join(_describe(ch) for ch in bad[:10])
        errors.append(
            _("These characters cannot be typed on %(layout)s: %(chars)s")
            % {"layout": layout.label, "chars": shown}
        )
    return errors


def _describe(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return f"“{ch}”"
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'control character')}"


@dataclass(frozen=True)
class LessonBlock:
    title: str
    text: str


def split_lesson_blocks(source: str) -> list[LessonBlock]:
    """One lesson per blank-line-separated block. A block whose first line starts with "# "
    takes that line as its title; other blocks are titled by their number."""
    blocks = []
    chunk: list[str] = []
    for line in [*normalise(source).split("\n"), ""]:
        if line.strip():
            chunk.append(line)
        elif chunk:
            blocks.append(chunk)
            chunk = []
    lessons = []
    for number, lines in enumerate(blocks, start=1):
        title = f"Lesson {number}"
        if lines[0].startswith("# "):
            title = lines[0][2:].strip() or title
            lines = lines[1:]
        lessons.append(LessonBlock(title=title[:120], text="\n".join(lines)))
    return lessons
