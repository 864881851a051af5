"""How every process logs (web, worker, beat, gunicorn's own log): one line per record, JSON
(production) or plain text (development), at levels read from the environment.

    LOG_FORMAT=json|plain   plain by default; json in production (settings_production.py)
    LOG_LEVEL=INFO          the root level
    LOG_LEVELS=celery=WARNING,typingtrainer.request=INFO   per-logger levels, comma-separated

No Django import: gunicorn.conf.py loads this file on its own, in the master, as it does env.py.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

FORMATS = ("plain", "json")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FORMAT = "%(levelname)s %(name)s %(message)s"
# Attributes that are never written out as fields: a LogRecord's own (the formatter picks what
# it needs from those) and the objects Django and its dev server attach to a record (`request`,
# whose repr holds the query string; the dev server's socket), which are no data for a log.
NOT_FIELDS = ("request", "server_time")

# What an incoming id may be: printable ASCII without spaces, quotes or separators that could
# forge a second log field or line, and short enough that a client cannot fill the logs with it.
SANE_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")

# Loggers that say at INFO what every request does: SQL (at DEBUG) and the database pool's
# "connection requested / given / returning", three lines a request, which cost a keystroke batch
# twice what its own request line does (bench/request_log.py). LOG_LEVELS can raise them.
QUIET = ("django.db.backends", "psycopg.pool")

# The id of the request (or Celery task) being handled in this thread, set by
# typingtrainer.requestlog and typingtrainer.celery.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def accepted_id(incoming: str | None) -> str:
    """The incoming id if it is sane, else a new one."""
    if incoming and SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request's (or task's) id on each record a handler emits, as
    `request_id`. Attached to the handlers, not the loggers, so that records from every library
    that propagate to them get it too."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        if current is not None:
            record.request_id = current
        return True


def check_level(name: str, what: str) -> str:
    level = name.strip().upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ValueError(
            f"{what} must be a logging level (DEBUG, INFO, WARNING, ...), not {name!r}"
        )
    return level


def parse_levels(text: str) -> dict[str, str]:
    """`LOG_LEVELS`: "logger=LEVEL,other.logger=LEVEL" as {logger: level}."""
    levels: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, level = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(
                f"LOG_LEVELS takes logger=LEVEL pairs separated by commas, not {item!r}"
            )
        levels[name.strip()] = check_level(level, f"LOG_LEVELS' level for {name.strip()}")
    return levels


def check_format(name: str) -> str:
    if name not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {name!r}")
    return name


def _json_options() -> dict[str, Any]:
    """The JSON formatter's options: the one definition for Django's log and gunicorn's."""
    from pythonjsonlogger.core import RESERVED_ATTRS

    return {
        "fmt": JSON_FORMAT,
        "rename_fields": {"levelname": "level", "name": "logger"},
        "timestamp": "time",
        "reserved_attrs": [*RESERVED_ATTRS, *NOT_FIELDS],
    }


def formatter_config(log_format: str) -> dict[str, Any]:
    """The formatter, as a dictConfig entry."""
    if check_format(log_format) == "json":
        return {"()": "pythonjsonlogger.json.JsonFormatter", **_json_options()}
    return {"()": "logging.Formatter", "fmt": PLAIN_FORMAT, "defaults": {"request_id": "-"}}


def json_formatter() -> logging.Formatter:
    """The JSON formatter as an object, for gunicorn's own log."""
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(**_json_options())


def logging_config(*, log_format: str, level: str, levels: str = "") -> dict[str, Any]:
    """settings.LOGGING: one handler on stderr, which every logger propagates to."""
    loggers: dict[str, dict[str, str]] = {name: {"level": "WARNING"} for name in QUIET}
    loggers.update({name: {"level": value} for name, value in parse_levels(levels).items()})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "typingtrainer.logconfig.RequestIdFilter"}},
        "formatters": {"default": formatter_config(log_format)},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": check_level(level, "LOG_LEVEL")},
        "loggers": loggers,
    }
