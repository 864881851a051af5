from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from typingtrainer import firstrun


class Command(BaseCommand):
    help = (
        "Make the database ready and load the curriculum, saying what it does: "
        "`make run` runs it before serving. A new SQLite database is built in seconds "
        "(typingtrainer/firstrun.py)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-curriculum", action="store_true", help="Only migrate the database."
        )

    def handle(self, *args: Any, no_curriculum: bool, **options: Any) -> None:
        started = time.monotonic()
        verbosity = options["verbosity"]
        if firstrun.is_fresh_sqlite():
            self.say("Creating the database (first run, ~10 s)…")
            firstrun.create_fresh_sqlite()
            verbosity = 0 if verbosity <= 1 else verbosity
        else:
            self.say("Applying database migrations…")
        call_command("migrate", interactive=False, verbosity=verbosity)
        self.say(f"  database ready in {time.monotonic() - started:.1f} s")
        if not no_curriculum:
            started = time.monotonic()
            self.say("Loading the curriculum…")
            call_command("load_curriculum", stdout=self.stdout)
            self.say(f"  curriculum loaded in {time.monotonic() - started:.1f} s")

    def say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
