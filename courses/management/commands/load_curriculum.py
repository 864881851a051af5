from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from courses.curriculum_loader import load_curriculum


class Command(BaseCommand):
    help = "Load the shipped courses and lessons. Safe to run again: edited lessons are kept."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Overwrite courses and lessons that were edited in the database.",
        )

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        report = load_curriculum(force=force)
        self.stdout.write(f"Curriculum: {report}")
