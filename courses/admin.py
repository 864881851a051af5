from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from . import authoring
from .forms import CourseAdminForm, LessonAdminForm, LessonImportForm
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
    """The course's lessons in order, moved with the arrows; each opens in its own form, where
    the text and the flags are edited (and checked)."""

    model = Lesson
    fields = ["order", "position", "title", "status", "is_premium", "target_wpm", "length"]
    readonly_fields = ["order", "position", "title", "status", "is_premium", "target_wpm", "length"]
    extra = 0
    show_change_link = True
    ordering = ["position", "id"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("characters"))
    def length(self, lesson: Lesson) -> int:
        return len(lesson.text)

    @admin.display(description=gettext_lazy("status"))
    def status(self, lesson: Lesson) -> str:
        return lesson_status(lesson)

    @admin.display(description=gettext_lazy("order"))
    def order(self, lesson: Lesson) -> str:
        return move_buttons(lesson)


def lesson_status(lesson: Lesson) -> str:
    if not lesson.is_published:
        return _("Draft")
    if lesson.draft_text:
        return _("Published, new text waiting")
    return _("Published")


def move_buttons(lesson: Lesson) -> str:
    """Up and down buttons that post the form around them to the lesson's move URL (the course
    page and the lesson list are each one form already, and forms do not nest)."""
    return format_html(
        '<span class="lesson-order">'
        '<button type="submit" formmethod="post" formaction="{}" aria-label="{}" title="{}">'
        "↑</button>"
        '<button type="submit" formmethod="post" formaction="{}" aria-label="{}" title="{}">'
        "↓</button></span>",
        reverse("admin:courses_lesson_move", args=[lesson.pk, "up"]),
        _("Move “%(title)s” up") % {"title": lesson.title},
        _("Move up"),
        reverse("admin:courses_lesson_move", args=[lesson.pk, "down"]),
        _("Move “%(title)s” down") % {"title": lesson.title},
        _("Move down"),
    )


class AuthoringMedia:
    css = {"all": ["css/admin-authoring.css"]}


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    form = CourseAdminForm
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
    Media = AuthoringMedia

    def get_fields(self, request: HttpRequest, obj: Course | None = None) -> Any:
        fields = [name for name in super().get_fields(request, obj) if name != "save_anyway"]
        return ["save_anyway", *fields] if obj else fields

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
    start = course.next_lesson_position()
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


@admin.action(description=gettext_lazy("Publish the selected lessons (and their new texts)"))
def publish_lessons(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Lesson]
) -> HttpResponse | None:
    stranded = authoring.published(queryset)
    if stranded and request.POST.get("confirm") != "yes":
        return confirm_lockout(
            request,
            modeladmin,
            stranded=stranded,
            action_url=reverse("admin:courses_lesson_changelist"),
            hidden=[("action", "publish_lessons")]
            + [(ACTION_CHECKBOX_NAME, str(pk)) for pk in queryset.values_list("pk", flat=True)],
            confirm_label=_("Publish anyway"),
            cancel_url=reverse("admin:courses_lesson_changelist"),
        )
    with transaction.atomic():
        queryset.exclude(draft_text="").update(text=F("draft_text"), draft_text="")
        count = queryset.update(is_published=True)
    modeladmin.message_user(request, _("Published %(count)d.") % {"count": count}, messages.SUCCESS)
    return None


def confirm_lockout(
    request: HttpRequest,
    modeladmin: admin.ModelAdmin,
    *,
    stranded: list[Lesson],
    action_url: str,
    hidden: list[tuple[str, str]],
    confirm_label: str,
    cancel_url: str,
) -> HttpResponse:
    """An intermediate page, before anything changes, naming the lessons that Free learners
    would be locked out of; its button repeats the request with confirm=yes."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Lock Free learners out?"),
        "opts": modeladmin.model._meta,
        "warning": authoring.warning(stranded),
        "stranded": stranded,
        "action_url": action_url,
        "hidden": hidden,
        "confirm_label": confirm_label,
        "cancel_url": cancel_url,
    }
    return TemplateResponse(request, "admin/courses/lesson/confirm_lockout.html", context)


ADD_FIELDS = ["course", "title", "new_keys", "text", "target_wpm", "is_premium"]
CHANGE_FIELDS = [
    "save_anyway",  # hidden until a change would lock Free learners out, then under the warning
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


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    form = LessonAdminForm
    list_display = [
        "title",
        "course",
        "position",
        "order",
        "status",
        "is_premium",
        "target_wpm",
        "length",
    ]
    list_filter = ["course", "is_published", "is_premium"]
    list_select_related = ["course"]
    search_fields = ["title", "text"]
    ordering = ["course__position", "course__title", "position", "id"]
    actions = [publish_lessons, unpublish]
    readonly_fields = ["position", "preview"]
    change_form_template = "admin/courses/lesson/change_form.html"
    Media = AuthoringMedia

    def get_fieldsets(self, request: HttpRequest, obj: Lesson | None = None) -> Any:
        if obj is None:
            description = _(
                "A new lesson is saved as a draft after the course’s last lesson. Learners see "
                "it once you publish it; move it with the arrows on the course page."
            )
            return [(None, {"fields": ADD_FIELDS, "description": description})]
        return [(None, {"fields": CHANGE_FIELDS})]

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:lesson_id>/move/<str:direction>/",
                self.admin_site.admin_view(self.move),
                name="courses_lesson_move",
            ),
            *super().get_urls(),
        ]

    def save_model(self, request: HttpRequest, obj: Lesson, form: Any, change: bool) -> None:
        with transaction.atomic():
            stored = Lesson.objects.filter(pk=obj.pk).first() if change else None
            if stored is None or stored.course_id != obj.course_id:
                # New here: after the course's last lesson, and a draft when new.
                Course.objects.select_for_update().filter(pk=obj.course_id).first()
                obj.position = obj.course.next_lesson_position()
            if stored is None:
                obj.is_published = False
                obj.draft_text = ""
            elif not stored.is_published or "_publish_text" in request.POST:
                obj.draft_text = ""
            elif "_discard_text" in request.POST:
                obj.text, obj.draft_text = stored.text, ""
            else:
                # Learners keep the published text until the author publishes the new one.
                obj.draft_text = "" if obj.text == stored.text else obj.text
                obj.text = stored.text
                if obj.draft_text:
                    self.message_user(
                        request,
                        _(
                            "The new text is saved as a draft: learners type the published "
                            "text until you press “Publish the new text”."
                        ),
                        messages.WARNING,
                    )
            obj.save()

    def response_change(self, request: HttpRequest, obj: Lesson) -> HttpResponse:
        if "_publish_text" in request.POST or "_discard_text" in request.POST:
            return redirect("admin:courses_lesson_change", obj.pk)
        return super().response_change(request, obj)

    def move(self, request: HttpRequest, lesson_id: int, direction: str) -> HttpResponse:
        """Swap a lesson with its neighbour above or below, after a confirmation when that
        would lock Free learners out."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if direction not in ("up", "down"):
            raise Http404
        lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=lesson_id)
        if not self.has_change_permission(request, lesson):
            raise PermissionDenied
        back = _back_url(request, lesson)
        siblings = lesson.course.lessons.exclude(pk=lesson.pk)
        if direction == "up":
            neighbour = (
                siblings.filter(position__lte=lesson.position).order_by("-position", "-id").first()
            )
        else:
            neighbour = (
                siblings.filter(position__gte=lesson.position).order_by("position", "id").first()
            )
        if neighbour is None:
            message = (
                _("“%(title)s” is already the first lesson.")
                if direction == "up"
                else _("“%(title)s” is already the last lesson.")
            )
            self.message_user(request, message % {"title": lesson.title}, messages.INFO)
            return redirect(back)
        stranded = authoring.swapped(lesson, neighbour)
        if stranded and request.POST.get("confirm") != "yes":
            return confirm_lockout(
                request,
                self,
                stranded=stranded,
                action_url=request.path,
                hidden=[("next", back)],
                confirm_label=_("Move it anyway"),
                cancel_url=back,
            )
        lesson.swap_position(neighbour)
        self.message_user(
            request,
            _("“%(title)s” is now lesson %(position)d of the course.")
            % {"title": lesson.title, "position": lesson.position},
            messages.SUCCESS,
        )
        return redirect(back)

    @admin.display(description=gettext_lazy("characters"))
    def length(self, lesson: Lesson) -> int:
        return len(lesson.text)

    @admin.display(description=gettext_lazy("status"))
    def status(self, lesson: Lesson) -> str:
        return lesson_status(lesson)

    @admin.display(description=gettext_lazy("order"))
    def order(self, lesson: Lesson) -> str:
        return move_buttons(lesson)

    @admin.display(description=gettext_lazy("Preview"))
    def preview(self, lesson: Lesson) -> str:
        if not lesson.pk:
            return _("Save the lesson to preview it.")
        link = format_html(
            '<a href="{}">{}</a>', lesson.get_absolute_url(), _("Open as a learner sees it")
        )
        if lesson.draft_text:
            return format_html(
                '<p>{}</p><pre class="lesson-preview">{}</pre><p>{}</p>'
                '<pre class="lesson-preview">{}</pre><p>{}</p>',
                _("The new text (a draft, not live yet):"),
                lesson.draft_text,
                _("What learners type now:"),
                lesson.text,
                link,
            )
        return format_html(
            '<pre class="lesson-preview">{}</pre><p>{} · {}</p>',
            lesson.text,
            ngettext("%(count)d character", "%(count)d characters", len(lesson.text))
            % {"count": len(lesson.text)},
            link,
        )


def _back_url(request: HttpRequest, lesson: Lesson) -> str:
    """Where a move returns: the page it was made from (the course page or the filtered lesson
    list), else the course page."""
    for candidate in (request.POST.get("next"), request.headers.get("Referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return reverse("admin:courses_course_change", args=[lesson.course_id])
