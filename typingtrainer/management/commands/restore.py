"""Restore a backup generation into an empty database.

    manage.py restore <generation name | path | latest> [--database-url URL]

Restores the dump into the configured database (or the one --database-url names), which must
be empty, checks every table's row count against the manifest, then unpacks the media into
MEDIA_ROOT. See typingtrainer/backups.py and the README's "Backups".
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from typingtrainer import backups


class Command(BaseCommand):
    help = "Restore a backup generation into an empty database, then its media."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "generation", help="A generation's name in BACKUP_DIR, its path, or 'latest'."
        )
        parser.add_argument(
            "--database-url",
            help="Restore into this database instead of the configured one (it must be empty).",
        )
        parser.add_argument(
            "--media-root", type=Path, help="Unpack the media here instead of MEDIA_ROOT."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if options["database_url"]:
            database = dict(dj_database_url.parse(options["database_url"]))
        else:
            database = connections["default"].settings_dict
        media_root = options["media_root"] or settings.MEDIA_ROOT
        try:
            target = backups.Target.from_settings(database)
            generation = backups.find_generation(settings.BACKUP_DIR, options["generation"])
            manifest = backups.restore(target, generation, media_root)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {generation.name} ({len(manifest['tables'])} tables, "
            f"{manifest.get('media_files', 0)} media files) into {target.name} "
            f"in {time.monotonic() - started:.1f} s."
        )
