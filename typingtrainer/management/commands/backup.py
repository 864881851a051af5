"""Back up the database and the uploaded media.

    manage.py backup [--keep N]

Writes one generation into BACKUP_DIR (a `pg_dump -Fc` dump, a tar of MEDIA_ROOT and a
manifest) and deletes all but the newest BACKUP_KEEP. See typingtrainer/backups.py and the
README's "Backups".
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from typingtrainer import backups


class Command(BaseCommand):
    help = "Write a backup generation (database dump + media) to BACKUP_DIR and prune old ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep", type=int, help="Generations to keep (default: BACKUP_KEEP, 7)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        keep = options["keep"] if options["keep"] is not None else settings.BACKUP_KEEP
        started = time.monotonic()
        try:
            target = backups.Target.from_settings(connections["default"].settings_dict)
            generation, pruned = backups.backup(
                target, settings.MEDIA_ROOT, settings.BACKUP_DIR, keep
            )
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        size = sum(p.stat().st_size for p in generation.iterdir())
        self.stdout.write(
            f"Backed up {target.name} to {generation} ({size / 1e6:.1f} MB) "
            f"in {time.monotonic() - started:.1f} s."
        )
        for old in pruned:
            self.stdout.write(f"Deleted the old generation {old.name} (keeping {keep}).")
