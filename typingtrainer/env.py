"""Reading settings from the environment, where an empty variable means "unset".

A copy of `.env.example` sets many variables to nothing (`STATIC_ROOT=`); Docker's env_file
and most shells pass those on as empty strings. Every reader here treats an empty or blank value
as absent and falls back to the default, and a value that cannot be read fails at start-up with
ImproperlyConfigured naming the variable.

No Django import at module level: gunicorn.conf.py loads this file on its own, in the master,
where importing the `typingtrainer` package would pull in Celery (~0.5 s). Django's exception is
imported only when there is an error to raise.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _refuse(message: str) -> NoReturn:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(message)


def env_value(name: str) -> str | None:
    """The variable's value, or None when it is missing, empty or only whitespace."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    return value


def env_str(name: str, default: str = "") -> str:
    value = env_value(name)
    return default if value is None else value


def env_int(name: str, default: int) -> int:
    value = env_value(name)
    if value is None:
        return default
    try:
        return int(value.strip())
    except ValueError:
        _refuse(f"{name} must be a whole number, not {value!r} (leave it empty for {default}).")


def env_float(name: str, default: float) -> float:
    value = env_value(name)
    if value is None:
        return default
    try:
        return float(value.strip())
    except ValueError:
        _refuse(f"{name} must be a number, not {value!r} (leave it empty for {default}).")


def env_bool(name: str, default: bool) -> bool:
    value = env_value(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    _refuse(f"{name} must be true or false, not {value!r} (leave it empty for {default}).")


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated list; empty items are dropped."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    value = env_value(name)
    return default if value is None else Path(value.strip())
