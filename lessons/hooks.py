"""What another app adds to a completion, without `lessons` knowing that app (DESIGN §2: the
statistics read what lessons records; dependencies point one way). `stats` registers its
recorder from `StatsConfig.ready()`; the completion sends the recorder's statements in the
same round trip as its own, so the hook costs no query.

A statement is (SQL, parameters)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from .scoring import KeyEvent

Statement = tuple[str, list[Any]]


@dataclass(frozen=True)
class CountedSession:
    """A counted session (completed, not flagged, with a learner) in plain values."""

    user_id: int
    zone_name: str  # the learner's time zone: the day the session counts for
    completed_at: datetime
    wpm: float
    duration_ms: int
    text_length: int
    events: Sequence[KeyEvent]


class Recorder(Protocol):
    def session_statements(self, session: CountedSession) -> list[Statement]:
        """The writes that count `session` in the recorder's tables."""
        ...

    def facts_statements(self, *, user_id: int, day: date, since: date) -> list[Statement]:
        """SELECTs of (kind, text, number) rows, run after `session_statements` as part of
        the achievements' facts query (a UNION ALL): ("streak", NULL, consecutive practice
        days ending on `day`, counting no further back than `since`) and ("typed", NULL,
        milliseconds typed in all)."""
        ...


_recorders: list[Recorder] = []


def register(recorder: Recorder) -> None:
    """Add `recorder` to every counted completion (once, however often it is called)."""
    if recorder not in _recorders:
        _recorders.append(recorder)


def recorders() -> list[Recorder]:
    return list(_recorders)


# --- The result card ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredSession:
    """A completed session as the result card shows it, in plain values."""

    events: Sequence[KeyEvent]
    wpm: float
    accuracy: float
    target_wpm: int
    layout: str
    """The keyboard layout it was typed on (a `courses.layouts` slug)."""


class ResultNotes(Protocol):
    def result_context(self, session: ScoredSession) -> dict[str, Any]:
        """What the result card (`lessons/detail.html#result`) shows about the session beyond
        its figures: ``keys`` (the most-missed and slowest keys) and ``tip``."""
        ...


_result_notes: list[ResultNotes] = []


def register_result_notes(notes: ResultNotes) -> None:
    if notes not in _result_notes:
        _result_notes.append(notes)


def result_notes() -> list[ResultNotes]:
    return list(_result_notes)
