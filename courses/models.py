from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models, transaction
from django.db.models import Case, Count, F, Max, Q, Value, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .layouts import LAYOUT_CHOICES
from .text import lesson_text_errors, normalise


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    RUSSIAN = "ru", "Русский"
    PYTHON = "python", _("Python")


CODE_LANGUAGES = {Language.PYTHON}


class Level(models.TextChoices):
    BEGINNER = "beginner", _("Beginner")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class CourseQuerySet(models.QuerySet["Course"]):
    def published(self) -> CourseQuerySet:
        return self.filter(is_published=True)

    def with_lesson_counts(self) -> CourseQuerySet:
        # Meta.ordering does not apply to aggregate queries; order explicitly.
        return self.annotate(
            lesson_count=Count("lessons", filter=Q(lessons__is_published=True), distinct=True)
        ).order_by("position", "title")

    def language_first(self, request: Any) -> CourseQuerySet:
        """For a learner of another language than the site's default, the courses in it first
        (the Russian course for a Russian speaker: the site in Russian, or a ЙЦУКЕН keyboard);
        otherwise the catalogue's own order, which authors set."""
        language = getattr(request, "LANGUAGE_CODE", "")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.keyboard_layout == "jcuken":
            language = Language.RUSSIAN
        if language == settings.LANGUAGE_CODE or language not in Language.values:
            return self
        first = Case(When(language=language, then=Value(0)), default=Value(1))
        return self.order_by(first, "position", "title")

    def catalogue(self, *, query: str = "", language: str = "", level: str = "") -> CourseQuerySet:
        """What the catalogue lists and the API serves: published courses with their lesson
        counts, of one language and level when given, matching `query` when given."""
        courses = self.published().with_lesson_counts()
        if language in Language.values:
            courses = courses.filter(language=language)
        if level in Level.values:
            courses = courses.filter(level=level)
        return courses.search(query)

    def search(self, query: str) -> CourseQuerySet:
        """Full-text search on PostgreSQL (prefix match, so it works as you type); on SQLite,
        every word must appear in the title or the description."""
        terms = ["".join(ch for ch in word if ch.isalnum()) for word in query.split()]
        terms = [term for term in terms if term]
        if not terms:
            return self
        if connection.vendor == "postgresql":
            vector = SearchVector("title", weight="A", config="simple") + SearchVector(
                "description", weight="B", config="simple"
            )
            tsquery = SearchQuery(
                " & ".join(f"{term}:*" for term in terms), search_type="raw", config="simple"
            )
            return (
                self.annotate(document=vector, rank=SearchRank(vector, tsquery))
                .filter(document=tsquery)
                .order_by("-rank", "position", "title")
            )
        matched = self
        for term in terms:
            matched = matched.filter(Q(title__icontains=term) | Q(description__icontains=term))
        return matched


class Course(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=120)
    description = models.TextField(help_text=_("Shown in the catalogue and on the course page."))
    language = models.CharField(max_length=12, choices=Language.choices, default=Language.ENGLISH)
    level = models.CharField(max_length=12, choices=Level.choices, default=Level.BEGINNER)
    layout = models.CharField(
        max_length=12,
        choices=LAYOUT_CHOICES,
        default="qwerty",
        help_text=_("Every lesson must be typeable on this keyboard layout."),
    )
    position = models.PositiveIntegerField(default=0, help_text=_("Order in the catalogue."))
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Unpublished courses are visible to staff only.")
    )
    is_premium = models.BooleanField(_("premium"), default=False)
    source_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("course_detail", args=[self.slug])

    @property
    def is_code(self) -> bool:
        return self.language in CODE_LANGUAGES

    def is_visible_to(self, user: Any) -> bool:
        """Published, or a draft to authors and staff, who preview (the page and the API)."""
        return self.is_published or user.has_perm("courses.view_course")

    def content_digest(self) -> str:
        return _digest(
            self.title,
            self.description,
            self.language,
            self.level,
            self.layout,
            self.is_premium,
        )

    def renumber_lessons(self) -> None:
        """Positions 1..n in the current order, closing gaps an author left. Positions are
        unique per course, so every row first moves above the highest one, then into place."""
        with transaction.atomic():
            Course.objects.select_for_update().filter(pk=self.pk).first()
            lessons = list(self.lessons.order_by("position", "id"))
            if all(lesson.position == n for n, lesson in enumerate(lessons, start=1)):
                return
            top = max(lesson.position for lesson in lessons) + 1
            self.lessons.update(position=F("position") + top)
            for number, lesson in enumerate(lessons, start=1):
                Lesson.objects.filter(pk=lesson.pk).update(position=number)

    def next_lesson_position(self) -> int:
        """Where a new lesson goes: after the last one, never in front of the first."""
        return (self.lessons.aggregate(last=Max("position"))["last"] or 0) + 1


class LessonQuerySet(models.QuerySet["Lesson"]):
    def published(self) -> LessonQuerySet:
        return self.filter(is_published=True, course__is_published=True)


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveIntegerField(default=0, help_text=_("Order within the course."))
    title = models.CharField(max_length=120)
    new_keys = models.CharField(
        max_length=40, blank=True, help_text=_("Keys this lesson introduces, shown to the learner.")
    )
    text = models.TextField(
        help_text=_(
            "What the learner types. No tabs or trailing spaces; every character must be "
            "typeable on the course's layout."
        )
    )
    target_wpm = models.PositiveSmallIntegerField(
        _("target WPM"), default=20, validators=[MinValueValidator(5), MaxValueValidator(200)]
    )
    draft_text = models.TextField(
        blank=True,
        editable=False,
        help_text=_("A new text for a published lesson, which learners get once it is published."),
    )
    # The admin saves a lesson it creates as a draft; the curriculum loader publishes its own.
    is_published = models.BooleanField(_("published"), default=True)
    is_premium = models.BooleanField(_("premium"), default=False)
    source_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["course", "position", "id"]
        indexes = [models.Index(fields=["course", "position"])]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "position"], name="lesson_position_unique_in_course"
            )
        ]

    def __str__(self) -> str:
        return f"{self.course.title} — {self.position}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("lesson_detail", args=[self.pk])

    @property
    def requires_premium(self) -> bool:
        return self.is_premium or self.course.is_premium

    def previous(self) -> Lesson | None:
        """The published lesson before this one in its course (whose stars open this one), in
        the course's order: by position, then id where positions tie."""
        return (
            Lesson.objects.filter(course_id=self.course_id, is_published=True)
            .filter(Q(position__lt=self.position) | Q(position=self.position, id__lt=self.pk or 0))
            .order_by("-position", "-id")
            .first()
        )

    def next(self) -> Lesson | None:
        """The published lesson after this one in its course."""
        return (
            Lesson.objects.filter(course_id=self.course_id, is_published=True)
            .filter(Q(position__gt=self.position) | Q(position=self.position, id__gt=self.pk or 0))
            .order_by("position", "id")
            .first()
        )

    def swap_position(self, other: Lesson) -> None:
        """Exchange places with another lesson of the same course, in one transaction (positions
        are unique, so one of them waits above the course's highest position meanwhile)."""
        if other.course_id != self.course_id:
            raise ValueError("Only lessons of one course swap places.")
        with transaction.atomic():
            Course.objects.select_for_update().filter(pk=self.course_id).first()
            mine, theirs = (
                Lesson.objects.filter(pk=pk).values_list("position", flat=True).get()
                for pk in (self.pk, other.pk)
            )
            parked = self.course.next_lesson_position()
            Lesson.objects.filter(pk=self.pk).update(position=parked)
            Lesson.objects.filter(pk=other.pk).update(position=mine)
            Lesson.objects.filter(pk=self.pk).update(position=theirs)
        self.position, other.position = theirs, mine

    def clean(self) -> None:
        self.text = normalise(self.text or "")
        if self.course_id is None:
            return
        errors = lesson_text_errors(self.text, self.course.layout)
        if errors:
            raise ValidationError({"text": errors})

    def content_digest(self) -> str:
        return _digest(self.title, self.new_keys, self.text, self.target_wpm, self.is_premium)


def _digest(*values: object) -> str:
    return hashlib.sha256("\x1f".join(str(v) for v in values).encode()).hexdigest()
