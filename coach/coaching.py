"""The coach's workflows: analyse after a session, make an exercise, answer a question.
Reads the statistics' aggregates (never a learner's raw history), so each is bounded."""

from __future__ import annotations

import logging
import math
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.entitlements import is_premium
from courses.layouts import LAYOUTS
from courses.models import Course, Lesson
from lessons.access import course_lessons
from lessons.models import PracticeSession
from stats.aggregates import learner_today
from stats.models import BigramStat, DailyStat, KeyConfusion, KeyStat
from typingtrainer import metrics
from typingtrainer.zones import learner_day_start

from . import llm
from .analysis import (
    KEY_KINDS,
    TOO_LITTLE_DATA,
    BigramFigures,
    Confusion,
    Finding,
    Snapshot,
    findings,
    summary,
)
from .exercises import (
    ExerciseRequest,
    exercise_purpose,
    exercise_title,
    home_row_keys,
)
from .models import ChatMessage, Exercise, Report

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

log = logging.getLogger(__name__)

FREE_EXERCISES_PER_DAY = 3
MAX_QUESTION = 1000
"""Characters of a chat question (after trimming)."""
CHAT_IS_PREMIUM = gettext_lazy("Chat with the coach is part of Premium.")
RECENT_DAYS = 15
"""The coach's "recent": today and the two weeks before, in the learner's time zone."""
SLOW_PAIRS_READ = 10
CHAT_HISTORY = 12
LLM_NOTE = gettext_lazy(
    "I'm the built-in coach: I answer from your statistics. The full coach, which answers "
    "anything about your typing, needs the LLM to be configured."
)


class LimitReached(Exception):
    """The learner used today's allowance; the message says what Premium adds."""


def snapshot_for(user: Any) -> Snapshot:
    """Everything the coach reads, in five bounded queries."""
    keys = [stat.as_figures() for stat in KeyStat.objects.for_user(user)]
    bigrams = [
        BigramFigures(b.previous + b.char, b.count, b.errors, b.time_sum_ms, b.time_count)
        for b in BigramStat.objects.for_user(user).slowest(SLOW_PAIRS_READ, min_samples=20)
    ]
    confusions = [
        Confusion(c.expected, c.typed, c.count)
        for c in KeyConfusion.objects.filter(user=user).order_by("-count")[:20]
    ]
    recent = DailyStat.objects.for_user(user).recent(learner_today(user), RECENT_DAYS).summary()
    last = (
        PracticeSession.objects.counted()
        .filter(user=user)
        .order_by("-completed_at")
        .values_list("target_wpm", flat=True)
        .first()
    )
    return Snapshot(
        keys=keys,
        bigrams=bigrams,
        confusions=confusions,
        recent_wpm=recent.mean_wpm,
        recent_accuracy=recent.accuracy,
        target_wpm=last,
        recent_sessions=recent.sessions,
    )


def stats_summary(snapshot: Snapshot) -> str:
    """The learner's statistics in one paragraph for the LLM: figures only, never who they are."""
    parts = []
    if snapshot.recent_wpm is not None:
        parts.append(f"recent speed {snapshot.recent_wpm:.0f} WPM")
    if snapshot.recent_accuracy is not None:
        parts.append(f"recent accuracy {snapshot.recent_accuracy:.1f} %")
    if snapshot.target_wpm:
        parts.append(f"current lesson target {snapshot.target_wpm} WPM")
    weak = sorted((k for k in snapshot.keys if k.weak), key=lambda k: -k.severity)[:5]
    if weak:
        parts.append("weak keys " + ", ".join(f"{k.label} ({k.weakness})" for k in weak))
    return "; ".join(parts) or "no sessions typed yet"


def current_findings(user: Any) -> list[Finding]:
    return findings(snapshot_for(user), LAYOUTS[user.keyboard_layout])


def latest_report(user: Any) -> Report | None:
    return Report.objects.filter(user=user).order_by("-created_at").first()


def recommendations(user: Any) -> tuple[Report | None, list[Finding]]:
    """What the coach page recommends: the latest report's findings, or (before the first
    report) the findings of the learner's aggregates as they stand."""
    report = latest_report(user)
    return report, report.finding_list() if report else current_findings(user)


def requested_focus(user: Any, keys: str, pairs: str) -> Finding | None:
    """The keys and pairs (space-separated) a "Practise this" asked for, if they are typeable
    on the learner's layout: at most eight keys (a whole home row) and three pairs."""
    typeable = LAYOUTS[user.keyboard_layout].typeable
    wanted_keys = tuple(ch for ch in keys[:8] if ch in typeable)
    wanted_pairs = tuple(
        pair for pair in pairs.split()[:3] if len(pair) == 2 and all(ch in typeable for ch in pair)
    )
    if not wanted_keys and not wanted_pairs:
        return None
    return Finding("practice", "", 0, focus_keys=wanted_keys, focus_bigrams=wanted_pairs)


def analyze(session: PracticeSession) -> Report | None:
    """The report for a completed session, made once: None if it exists or does not count."""
    user = session.user
    if user is None or session.flagged or not session.is_completed:
        return None
    # The report's words are stored: write them in the learner's language (a worker has none).
    with translation.override(user.preferred_language):
        return _analyze(session, user)


def _analyze(session: PracticeSession, user: Any) -> Report | None:
    snapshot = snapshot_for(user)
    found = findings(snapshot, LAYOUTS[user.keyboard_layout])
    advice = summary(snapshot, found)
    source = Report.Source.BUILT_IN
    settings = llm.llm_settings()
    if settings is not None:
        try:
            advice = llm.phrase_advice(
                settings, findings=found, stats_summary=stats_summary(snapshot)
            )
            source = Report.Source.LLM
        except llm.LLMUnavailable as exc:
            log.warning("LLM phrasing failed, using the built-in advice: %s", exc)
            metrics.llm_fallback("advice")
    try:
        with transaction.atomic():
            return Report.objects.create(
                user=user,
                session=session,
                findings=[finding.as_dict() for finding in found],
                advice=advice,
                source=source,
            )
    except IntegrityError:
        return None  # a concurrent run made it first


def today_started(user: Any) -> datetime:
    """When the learner's today began, where they live: the daily allowance counts from it."""
    return learner_day_start(user, learner_today(user))


def exercises_left_today(user: Any) -> int | None:
    """How many generated exercises a Free learner has left today; None for Premium."""
    if is_premium(user):
        return None
    made = Exercise.objects.filter(user=user, created_at__gte=today_started(user)).count()
    return max(0, FREE_EXERCISES_PER_DAY - made)


def seconds_until_allowance(user: Any) -> int:
    """Until the daily allowance starts again (its day begins at midnight where the learner
    lives)."""
    tomorrow = learner_day_start(user, learner_today(user) + timedelta(days=1))
    return max(1, math.ceil((tomorrow - timezone.now()).total_seconds()))


def exercise_target_wpm(user: Any) -> int:
    """The pace an exercise is typed against: a little above the learner's recent speed."""
    recent = snapshot_for(user).recent_wpm or 25
    return max(10, round(recent * 1.1))


def make_exercise(*, user: Any, finding: Finding | None) -> Exercise:
    """A new exercise aimed at `finding` (or the learner's weakest keys). Raises LimitReached."""
    if exercises_left_today(user) == 0:
        raise LimitReached(
            _(
                "You have used today's %(count)d generated exercises. Premium "
                "makes as many as you like — or come back tomorrow."
            )
            % {"count": FREE_EXERCISES_PER_DAY}
        )
    found = current_findings(user)
    if finding is None or not finding.practisable:
        weakest = [f for f in found if f.practisable]
        finding = weakest[0] if weakest else None
    focus_keys = finding.focus_keys if finding else ()
    focus_bigrams = finding.focus_bigrams if finding else ()
    layout = user.keyboard_layout
    capitals = KeyStat.objects.filter(user=user, char__in=["A", "E", "T", "О", "Т"], hits__gte=20)
    request = ExerciseRequest(
        language="ru" if layout == "jcuken" else "en",
        layout=layout,
        focus_keys=tuple(focus_keys),
        focus_bigrams=tuple(focus_bigrams),
        sentences=capitals.exists(),
        seed=random.SystemRandom().randrange(2**31),
    )
    made = llm.llm_exercise(llm.llm_settings(), request)
    # The keys in the order asked for (weakest first, the home row from the index fingers).
    keys = [key for key in dict.fromkeys(k.lower() for k in focus_keys) if key in made.focus_keys]
    keys += [key for key in made.focus_keys if key not in keys]
    pairs = list(made.focus_bigrams)
    purpose = exercise_purpose(
        focus_keys=keys,
        focus_bigrams=pairs,
        weak_keys={key.lower() for f in found if f.kind in KEY_KINDS for key in f.focus_keys},
        slow_pairs={pair for f in found if f.kind == "slow_pair" for pair in f.focus_bigrams},
        layout=LAYOUTS[layout],
    )
    return Exercise.objects.create(
        user=user,
        title=exercise_title(purpose, keys, pairs),
        purpose=purpose,
        text=made.text,
        focus_keys="".join(keys),
        focus_bigrams=" ".join(pairs),
        source=made.source,
    )


def learners_course(user: Any) -> Course | None:
    """The course the learner is on: that of their latest lesson, else the first free course
    for their keyboard layout, else the first free course."""
    courses = Course.objects.published().order_by("position", "title")
    last = (
        PracticeSession.objects.filter(user=user, lesson__isnull=False)
        .order_by("-started_at")
        .values_list("lesson__course_id", flat=True)
        .first()
    )
    found = courses.filter(pk=last).first() if last else None
    free = courses.filter(is_premium=False)
    return found or free.filter(layout=user.keyboard_layout).first() or free.first()


def starting_point(user: Any) -> tuple[str, Lesson | None]:
    """Where a learner the coach knows too little about should go on: the placement test's
    URL when the site has one (the lesson None), else in their course the first open lesson
    they have not typed yet, or the first lesson ("" and None when there is no course)."""
    try:
        return reverse("lessons:placement"), None
    except NoReverseMatch:
        pass
    course = learners_course(user)
    rows = (
        [row for row in course_lessons(user, course) if row.lesson.is_published] if course else []
    )
    untyped = [row.lesson for row in rows if row.access.open and row.stars is None]
    lesson = untyped[0] if untyped else rows[0].lesson if rows else None
    return (lesson.get_absolute_url(), lesson) if lesson else ("", None)


def first_exercise_focus(user: Any) -> str:
    """The keys of a new learner's first exercise: the home row of their layout."""
    return "".join(home_row_keys(LAYOUTS[user.keyboard_layout]))


def has_weak_spots(found: list[Finding]) -> bool:
    """Whether the findings name keys or pairs to practise."""
    return any(f.kind in (*KEY_KINDS, "slow_pair") for f in found)


LLM_DOWN_NOTE = gettext_lazy(
    "The full coach is unavailable right now, so this answer comes from your statistics."
)


def built_in_answer(
    question: str, snapshot: Snapshot, found: list[Finding], *, note: StrOrPromise = LLM_NOTE
) -> str:
    """Answers to the common questions, from the learner's own figures."""
    asked = question.lower()
    weak = [f for f in found if f.kind in {"weak_key", "slow_key", "slow_pair"}]
    if any(w in asked for w in ("weak", "key", "клавиш", "слаб")):
        answer = (
            _("Your weakest spots: %(spots)s") % {"spots": " ".join(f.message for f in weak[:3])}
            if weak
            else _(
                "You have no weak keys yet — the coach needs about 20 presses of a key to judge."
            )
        )
    elif any(w in asked for w in ("fast", "speed", "wpm", "quick", "скорост", "быстр")):
        wpm = (
            _("You type about %(wpm).0f WPM. ") % {"wpm": snapshot.recent_wpm}
            if snapshot.recent_wpm
            else ""
        )
        answer = wpm + _(
            "Speed comes from accuracy and rhythm: keep your eyes on the screen, type at "
            "an even pace you can hold without mistakes, and raise it a little each session."
        )
    elif any(w in asked for w in ("accura", "mistake", "error", "ошиб", "точн")):
        acc = (
            _("Your recent accuracy is %(accuracy).1f %%. ")
            % {"accuracy": snapshot.recent_accuracy}
            if snapshot.recent_accuracy is not None
            else ""
        )
        answer = acc + _(
            "Slow down until you make almost no mistakes, return each finger to the home "
            "row, and practise the keys you miss most."
        )
    elif not found or found[0].kind == "too_little_data":
        answer = str(TOO_LITTLE_DATA)
    else:
        answer = _("Today I'd practise this: %(top)s") % {"top": found[0].message}
    return f"{answer}\n\n{note}"


def ask(*, user: Any, question: str) -> ChatMessage:
    """Store the question, answer it (LLM when configured, else built-in), store the answer."""
    question = question.strip()[:1000]
    history = [
        (m.role, m.text)
        for m in reversed(
            ChatMessage.objects.filter(user=user).order_by("-created_at", "-id")[:CHAT_HISTORY]
        )
    ]
    ChatMessage.objects.create(user=user, role=ChatMessage.Role.LEARNER, text=question)
    snapshot = snapshot_for(user)
    settings = llm.llm_settings()
    answer = None
    if settings is not None:
        try:
            answer = llm.chat_reply(
                settings, history=history, question=question, stats_summary=stats_summary(snapshot)
            )
        except llm.LLMUnavailable as exc:
            log.warning("LLM chat failed, answering with the built-in coach: %s", exc)
            metrics.llm_fallback("chat")
    if answer is None:
        found = findings(snapshot, LAYOUTS[user.keyboard_layout])
        note = LLM_NOTE if settings is None else LLM_DOWN_NOTE
        answer = built_in_answer(question, snapshot, found, note=note)
    return ChatMessage.objects.create(user=user, role=ChatMessage.Role.COACH, text=answer)
