from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses")

    def ready(self) -> None:
        # The names authors read in the admin, translated. Set here, not as Meta or field
        # arguments: Django writes those into migrations although no table changes, and
        # migrations read only Meta's own attributes and each field's own arguments.
        from .models import Course, Lesson

        names = {
            Course: (_("course"), _("courses")),
            Lesson: (_("lesson"), _("lessons")),
        }
        fields = {
            "slug": _("slug"),
            "title": _("title"),
            "description": _("description"),
            "language": _("language"),
            "level": _("level"),
            "layout": _("keyboard layout"),
            "position": _("position"),
            "course": _("course"),
            "new_keys": _("new keys"),
            "text": _("text"),
            "created_at": _("created"),
            "updated_at": _("updated"),
        }
        for model, (singular, plural) in names.items():
            model._meta.verbose_name = singular
            model._meta.verbose_name_plural = plural
            for field in model._meta.get_fields():
                if field.name in fields and hasattr(field, "verbose_name"):
                    field.verbose_name = fields[field.name]
