from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .forms import LessonImportForm
from .models import Course, Lesson
from .text import split_lesson_blocks


@admin.action(description=gettext_lazy("Publish the selected items"))
def publish(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    count = queryset.update(is_published=True)
    modeladmin.message_user(request, _("Published %(count)d.") % {"count": count}, messages.SUCCESS)


@admin.action(description=gettext_lazy("Unpublish the selected items"))
def unpublish(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    count = queryset.update(is_published=False)
    modeladmin.message_user(
        request, _("Unpublished %(count)d.") % {"count": count}, messages.SUCCESS
    )


class LessonInline(admin.TabularInline):
    model = Lesson
    fields = ["position", "title", "target_wpm", "is_published", "is_premium", "length"]
    readonly_fields = ["length"]
    extra = 0
    show_change_link = True
    ordering = ["position", "id"]

    @admin.display(description=gettext_lazy("characters"))
    def length(self, lesson: Lesson) -> int:
        return len(lesson.text)


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "language",
        "level",
        "layout",
        "position",
        "is_published",
        "is_premium",
    ]
    list_editable = ["position"]
    list_filter = ["is_published", "is_premium", "language", "level"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}
    actions = [publish, unpublish]
    inlines = [LessonInline]
    change_form_template = "admin/courses/course/change_form.html"

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        form.instance.renumber_lessons()

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:course_id>/import/",
                self.admin_site.admin_view(self.import_lessons),
                name="courses_course_import",
            ),
            *super().get_urls(),
        ]

    def import_lessons(self, request: HttpRequest, course_id: int) -> HttpResponse:
        course = get_object_or_404(Course, pk=course_id)
        if not self.has_change_permission(request, course):
            return HttpResponse(_("You may not change this course."), status=403)
        form = LessonImportForm(request.POST or None, request.FILES or None)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            problems = _import_blocks(
                course, form.cleaned_data["file"], form.cleaned_data["publish"]
            )
            if not problems:
                self.message_user(request, _("The lessons were imported."), messages.SUCCESS)
                return redirect("admin:courses_course_change", course.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import lessons into “%(course)s”") % {"course": course},
            "course": course,
            "form": form,
            "problems": problems,
            "opts": self.model._meta,
        }
        return render(request, "admin/courses/course/import.html", context)


def _import_blocks(course: Course, source: str, publish: bool) -> list[str]:
    """Create one lesson per block, all or nothing. Returns the problems, if any."""
    blocks = split_lesson_blocks(source)
    start = (course.lessons.aggregate(last=Max("position"))["last"] or 0) + 1
    lessons = []
    problems = []
    for offset, block in enumerate(blocks):
        lesson = Lesson(
            course=course,
            position=start + offset,
            title=block.title,
            text=block.text,
            is_published=publish,
        )
        try:
            lesson.full_clean()
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    problems.append(
                        _("Block %(number)d (%(title)s), %(field)s: %(error)s")
                        % {
                            "number": offset + 1,
                            "title": block.title,
                            "field": field,
                            "error": error,
                        }
                    )
        lessons.append(lesson)
    if not problems:
        with transaction.atomic():
            Lesson.objects.bulk_create(lessons)
    return problems


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "course",
        "position",
        "target_wpm",
        "length",
        "is_published",
        "is_premium",
    ]
    list_editable = ["position", "is_published"]
    list_filter = ["course", "is_published", "is_premium"]
    list_select_related = ["course"]
    search_fields = ["title", "text"]
    ordering = ["course__position", "course__title", "position", "id"]
    actions = [publish, unpublish]
    readonly_fields = ["preview"]
    fields = [
        "course",
        "position",
        "title",
        "new_keys",
        "text",
        "preview",
        "target_wpm",
        "is_published",
        "is_premium",
    ]

    @admin.display(description=gettext_lazy("characters"))
    def length(self, lesson: Lesson) -> int:
        return len(lesson.text)

    @admin.display(description=gettext_lazy("Preview"))
    def preview(self, lesson: Lesson) -> str:
        if not lesson.pk:
            return _("Save the lesson to preview it.")
        return format_html(
            '<pre class="lesson-preview">{}</pre><p>{} characters · <a href="{}">Open as a '
            "learner sees it</a></p>",
            lesson.text,
            len(lesson.text),
            lesson.get_absolute_url(),
        )
