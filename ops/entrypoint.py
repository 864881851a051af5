"""The image's entrypoint: run the command with every empty environment variable removed.

A copy of `.env.example` leaves many variables empty, and Docker passes them on as empty strings.
The settings already read an empty variable as unset; this makes every other reader in the
container agree, including gunicorn itself, which parses WEB_CONCURRENCY with int() when it is
imported, before any configuration file of ours is read, and so fails on `WEB_CONCURRENCY=`.

`python -m ops.entrypoint COMMAND [ARG...]` replaces itself with COMMAND.
"""

from __future__ import annotations

import os
import sys

# env_file overrides the image's ENV, so `DJANGO_SETTINGS_MODULE=` in .env would leave it unset,
# and manage.py, wsgi.py and celery.py would then fall back to the embedded defaults (DEBUG on).
# This is the production image: unset means production here.
IMAGE_DEFAULTS = {"DJANGO_SETTINGS_MODULE": "typingtrainer.settings_production"}


def container_environment(environ: dict[str, str]) -> dict[str, str]:
    """The environment without its empty or blank variables, with the image's defaults."""
    kept = {name: value for name, value in environ.items() if value.strip()}
    return {**IMAGE_DEFAULTS, **kept}


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit("usage: python -m ops.entrypoint COMMAND [ARG...]")
    os.execvpe(argv[0], argv, container_environment(dict(os.environ)))


if __name__ == "__main__":
    main(sys.argv[1:])
