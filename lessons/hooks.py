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
