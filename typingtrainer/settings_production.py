"""Production settings: the embedded defaults, tightened. Refuses to start when misconfigured."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F403
from .settings import STORAGES, env_bool, env_int, env_str

if not env_str("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
if env_bool("DEBUG", False):
    raise ImproperlyConfigured("DEBUG must be off in production.")

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

ACCOUNT_EMAIL_VERIFICATION = "mandatory"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
