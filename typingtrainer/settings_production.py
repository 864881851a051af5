"""Production settings: the embedded defaults, tightened. Refuses to start when misconfigured."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F403
from .settings import (
    CELERY_BROKER_URL,
    STORAGES,
    TRUSTED_PROXY_COUNT,
    env_bool,
    env_int,
    env_str,
    logging_config,
)

if not env_str("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
if env_bool("DEBUG", False):
    raise ImproperlyConfigured("DEBUG must be off in production.")
# Without a broker tasks would run inside the web process and a worker and beat would sit idle,
# so that needs saying. A broker that is configured but down is no reason to refuse: completion
# still answers and the sweep queues the analysis once it is back.
if CELERY_BROKER_URL == "memory://" and not env_bool("CELERY_TASK_ALWAYS_EAGER", False):
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL must be set in production, e.g. amqp://user:password@rabbitmq:5672//"
        " (a redis:// URL works too). To run tasks inside the web process instead, with no"
        " worker, set CELERY_TASK_ALWAYS_EAGER=true."
    )

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

if TRUSTED_PROXY_COUNT > 0:
    # Only a proxy of ours says whether the browser used HTTPS; without one, any client could.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers and Prometheus may ask inside the private network, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True

ACCOUNT_EMAIL_VERIFICATION = "mandatory"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")

# JSON lines, one per record, for a log collector; LOG_FORMAT=plain to read them by eye.
LOG_FORMAT = env_str("LOG_FORMAT", "json")
LOGGING = logging_config(
    log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"), levels=env_str("LOG_LEVELS")
)
