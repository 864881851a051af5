"""Recompute learners' statistics from their stored keystroke batches.

    manage.py rebuild_stats [--user EMAIL]

For each learner, the per-key, confusion, per-key-pair and per-day rows are replaced by what
replaying every counted session gives: exactly what the incremental updates at completion
produced (days are taken in the learner's current time zone). Run it after a change to the
counting rules, or to repair statistics. Sessions that complete while it runs for the same
learner may be counted twice or not at all: run it when the learner is not typing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lessons.models import PracticeSession
from stats.recording import rebuild_user
from typingtrainer.models import User


class Command(BaseCommand):
    help = "Recompute per-key, per-key-pair and daily statistics from the stored keystrokes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", metavar="EMAIL", help="Only this learner.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["user"]:
            users = User.objects.filter(email__iexact=options["user"])
            if not users.exists():
                raise CommandError(f"No learner with the email address {options['user']}.")
        else:
            # Every learner who has statistics or has something to count.
            with_sessions = PracticeSession.objects.counted().values("user_id")
            users = User.objects.filter(pk__in=with_sessions) | User.objects.filter(
                daily_stats__isnull=False
            )
            users = users.distinct()
        learners = sessions = 0
        for user in users.order_by("pk").iterator():
            sessions += rebuild_user(user)
            learners += 1
        self.stdout.write(
            f"Rebuilt the statistics of {learners} learner(s) from {sessions} session(s)."
        )
