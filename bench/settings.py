"""Benchmark settings: production settings, unchanged, plus the benchmark-only URLs.

Nothing else is overridden. Running over plain HTTP on loopback needs only environment
variables, which `bench/ingest.py` sets: SECURE_SSL_REDIRECT=false (otherwise every request is
answered with a redirect to https) and ALLOWED_HOSTS=127.0.0.1. The other HTTPS-only settings
need no change: SESSION_COOKIE_SECURE / CSRF_COOKIE_SECURE only mark cookies the server sets
(the load generator sends its cookies verbatim), HSTS is only sent on secure requests, and
CSRF's strict Referer check only applies to secure requests (the token check still runs).
"""

from __future__ import annotations

from typingtrainer.settings_production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
