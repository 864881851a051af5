"""Make an account a course author, or stop it being one.

    manage.py make_author EMAIL [--remove]

An author is a staff account in the Authors group and nothing more: the admin shows it courses
and lessons only. The account must exist (the person signs up first). Superusers see every model
in the admin, so never hand authors a superuser account.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser

AUTHORS = "Authors"


class Command(BaseCommand):
    help = "Make an existing account a course author (staff in the Authors group), or --remove."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--remove", action="store_true", help="Stop it being an author.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(email__iexact=options["email"]).first()
        if user is None:
            raise CommandError(f"No account has the email {options['email']}; sign up first.")
        group, created = Group.objects.get_or_create(name=AUTHORS)
        if created:  # as migration 0002 makes it, should someone have deleted it
            group.permissions.set(
                Permission.objects.filter(
                    content_type__app_label="courses",
                    content_type__model__in=["course", "lesson"],
                )
            )
        if options["remove"]:
            user.groups.remove(group)
            if not user.is_superuser and not user.groups.exists():
                user.is_staff = False
                user.save(update_fields=["is_staff"])
            self.stdout.write(f"{user.email} is no longer an author.")
            return
        if user.is_superuser:
            self.stderr.write(f"{user.email} is a superuser and sees every model in the admin.")
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(group)
        self.stdout.write(f"{user.email} is an author: /admin/ shows them courses and lessons.")
