"""The achievements catalogue (DESIGN §5): each is earned once. Pure: facts in, codes out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Achievement:
    code: str
    name: StrOrPromise  # lazy: shown in the learner's language
    description: StrOrPromise


CATALOGUE: dict[str, Achievement] = {
    a.code: a
    for a in (
        Achievement("first_lesson", _("First steps"), _("Completed your first lesson.")),
        Achievement("speed_demon", _("Speed Demon"), _("Typed a lesson at 60 WPM or more.")),
        Achievement(
            "perfectionist", _("Perfectionist"), _("100 % accuracy on a lesson of 100+ characters.")
        ),
        Achievement("five_stars", _("Five stars"), _("Earned five stars on a lesson.")),
        Achievement("streak_7", _("Seven-day streak"), _("Practised seven days in a row.")),
        Achievement(
            "course_finished", _("Course finished"), _("Completed every lesson of a course.")
        ),
        Achievement("ten_hours", _("Ten hours"), _("Typed for ten hours in total.")),
    )
}

SPEED_DEMON_WPM = 60
PERFECTIONIST_MIN_CHARS = 100
STREAK_DAYS = 7
TEN_HOURS_MS = 10 * 60 * 60 * 1000


@dataclass(frozen=True)
class Facts:
    """What is known about a learner right after a counted (not flagged) completion."""

    wpm: float
    accuracy: float
    text_length: int
    rating: int
    streak_days: int
    course_finished: bool
    total_typed_ms: int


def earned(facts: Facts) -> set[str]:
    codes = {"first_lesson"}
    if facts.wpm >= SPEED_DEMON_WPM:
        codes.add("speed_demon")
    if facts.accuracy >= 100 and facts.text_length >= PERFECTIONIST_MIN_CHARS:
        codes.add("perfectionist")
    if facts.rating == 5:
        codes.add("five_stars")
    if facts.streak_days >= STREAK_DAYS:
        codes.add("streak_7")
    if facts.course_finished:
        codes.add("course_finished")
    if facts.total_typed_ms >= TEN_HOURS_MS:
        codes.add("ten_hours")
    return codes
