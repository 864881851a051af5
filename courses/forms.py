from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import authoring
from .models import Course, Lesson
from .text import split_lesson_blocks

MAX_IMPORT_BYTES = 512 * 1024


class LessonImportForm(forms.Form):
    file = forms.FileField(
        help_text=_(
            "Plain UTF-8 text: one lesson per block, blocks separated by a blank line. "
            "A block may start with a line “# Title”."
        )
    )
    publish = forms.BooleanField(
        required=False,
        initial=False,
        help_text=_("Publish the imported lessons now; otherwise they are drafts."),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 512 KB."))
        try:
            source = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from exc
        if not split_lesson_blocks(source):
            raise forms.ValidationError(_("The file has no lessons in it."))
        return source


class SaveAnywayForm(forms.ModelForm):
    """A model form that refuses, once, a change that would lock Free learners out of lessons:
    the author reads the warning and ticks “Save anyway” to go ahead."""

    save_anyway = forms.BooleanField(
        label=_("Save anyway"),
        required=False,
        widget=forms.HiddenInput,
        help_text=_("Save although Free learners would be locked out of the lessons named above."),
    )

    def stranded_lessons(self, cleaned_data: dict[str, Any]) -> list[Lesson]:
        """The free lessons the change would put out of Free learners' reach; each form says
        how its change does that (none here)."""
        return []

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        if self.instance.pk is None or self.errors:
            return cleaned_data
        stranded = self.stranded_lessons(cleaned_data)
        if stranded and not cleaned_data.get("save_anyway"):
            self.fields["save_anyway"].widget = forms.CheckboxInput()
            raise forms.ValidationError(authoring.warning(stranded), code="locks_out")
        return cleaned_data


class LessonAdminForm(SaveAnywayForm):
    class Meta:
        model = Lesson
        fields = [
            "course",
            "title",
            "new_keys",
            "text",
            "target_wpm",
            "is_published",
            "is_premium",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Authors edit the text learners will get next: a pending draft when there is one.
        if self.instance.pk and self.instance.draft_text and "text" in self.fields:
            self.initial["text"] = self.instance.draft_text

    def stranded_lessons(self, cleaned_data: dict[str, Any]) -> list[Lesson]:
        lesson = self.instance
        return authoring.edited(
            lesson,
            course=cleaned_data.get("course") or lesson.course,
            is_premium=cleaned_data.get("is_premium", lesson.is_premium),
            is_published=cleaned_data.get("is_published", lesson.is_published),
        )


class CourseAdminForm(SaveAnywayForm):
    class Meta:
        model = Course
        fields = [
            "slug",
            "title",
            "description",
            "language",
            "level",
            "layout",
            "position",
            "is_published",
            "is_premium",
        ]

    def stranded_lessons(self, cleaned_data: dict[str, Any]) -> list[Lesson]:
        return authoring.course_edited(
            self.instance, is_premium=cleaned_data.get("is_premium", self.instance.is_premium)
        )
