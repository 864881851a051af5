from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

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
        required=False, initial=True, help_text=_("Publish the imported lessons.")
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
