"""Settings for every environment, read from the environment.

With nothing set, the site runs on its embedded defaults: SQLite under var/, local-memory cache,
eager Celery tasks, console email. `typingtrainer.settings_production` tightens these for servers.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# An empty variable means "unset" everywhere (a copy of .env.example leaves many empty).
from .env import env_bool, env_float, env_int, env_list, env_path, env_str
from .logconfig import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "embedded-defaults-only-never-use-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.headless",
    "corsheaders",
    "ninja",
    "django_htmx",
    "template_partials",
    "csp",
    "typingtrainer",
    "courses",
    "lessons",
    "stats",
    "coach",
    "djstripe",
    "billing",
    "api",
]

MIDDLEWARE = [
    # First: its request line times the whole stack and covers every response.
    "typingtrainer.requestlog.RequestLogMiddleware",
    # Next: it times and counts every answer, the other middlewares' too.
    "typingtrainer.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "typingtrainer.middleware.RejectNulMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "api.middleware.ApiVersionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the cookie set by set_language, else Accept-Language (URLs carry none).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "typingtrainer.sentry.LearnerScrubMiddleware",
    "typingtrainer.middleware.LearnerTimeZoneMiddleware",
    "typingtrainer.middleware.LearnerLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "typingtrainer.urls"
WSGI_APPLICATION = "typingtrainer.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database: SQLite under var/ by default, PostgreSQL (pooled) from DATABASE_URL. ---
VAR_DIR = env_path("VAR_DIR", BASE_DIR / "var")
DATABASE_URL = env_str("DATABASE_URL")
VAR_DIR.mkdir(parents=True, exist_ok=True)
if DATABASE_URL:
    default_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    if default_db["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend whose pool notices connections the server closed (a restart, a
        # failover, pg_terminate_backend) at ~2 µs a checkout, where CONN_HEALTH_CHECKS costs a
        # round trip on every request and sleeps a second or more per further dead connection:
        # see typingtrainer/postgresql/base.py for the figures.
        default_db["ENGINE"] = "typingtrainer.postgresql"
        # Native psycopg pool; a new connection per request costs 5x the throughput.
        default_db["OPTIONS"] = {
            "pool": {
                "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
                # Never fewer than a gunicorn worker's threads: a thread that finds the pool
                # empty waits up to `timeout` for a connection.
                "max_size": max(
                    env_int("DATABASE_POOL_MAX_SIZE", 10), env_int("GUNICORN_THREADS", 4)
                ),
                "timeout": 10,
            }
        }
else:
    default_db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "typingtrainer.sqlite3"),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        # A file, so pytest's --reuse-db skips the migrations (dj-stripe's take a minute).
        "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
    }
DATABASES = {"default": default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis from REDIS_URL, else local memory. ---
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Answers as an empty cache while Redis is unreachable (typingtrainer/cache.py), so
            # sessions come from the database and rate limits let requests through.
            "BACKEND": "typingtrainer.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "tt"),
            "OPTIONS": {
                # A stopped Redis refuses at once; these bound one that does not answer (a
                # request makes 2-4 cache calls). A timeout is only a miss.
                "socket_connect_timeout": 0.25,
                "socket_timeout": 0.25,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: RabbitMQ in production, from CELERY_BROKER_URL (a redis:// URL works too; Redis
# stays the cache either way). Unset or empty means no broker: tasks run eagerly in the web
# process, the embedded default. Production settings refuse to start that way unless
# CELERY_TASK_ALWAYS_EAGER=true says it is meant. ---
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it has run, not when it arrives: on RabbitMQ a worker that dies
# (SIGKILL, OOM, a lost host) hands its message back to the queue at once, and a pool child
# that dies is requeued by its parent. The analysis is idempotent, so running twice is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker that loses the broker stops its running tasks instead of finishing them: their
# messages are already being redelivered to another worker (Celery 6's default).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# A worker started before the broker (compose starts them together) keeps trying to connect.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Completion publishes the analysis inside the learner's request, so a broker that is down must
# fail fast; the sweep queues what could not be. Measured on 127.0.0.1: a refused amqp:// or
# redis:// address gives up in 2-20 ms, one that accepts TCP and never answers in 1.0 s on
# amqp (the connect timeout covers the handshake) and 2.0 s on redis (its socket timeout,
# below). Celery's default publish retries (three, 0.2 s apart) took 0.6 s on a refusal. The
# one retry here is immediate: it replaces a pooled connection the broker closed (a restart).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
# Workers negotiate a 30 s AMQP heartbeat: RabbitMQ gives back the messages of a worker whose
# host vanished without closing its connection after about 30 s (Celery's default is 120 s). A
# worker that is killed closes its connection at once. Web processes publish with heartbeats
# off (Celery's producer connections), so RabbitMQ never drops an idle one.
CELERY_BROKER_HEARTBEAT = 30
# Publisher confirms stay off: the sweep redoes any analysis that was queued and never done, so
# an unconfirmed message lost in a broker crash costs one sweep; and Celery waits for a confirm
# with no timeout, so a RabbitMQ blocking publishers (memory or disk alarm) would hold every
# completion.
_BROKER_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # redis-py waits forever by default for a Redis that accepts the connection and never
    # answers. Above kombu's 1 s BRPOP poll so an idle worker is not cut off. The visibility
    # timeout stays at 3,600 s: a Redis broker keeps a dead worker's message that long, and the
    # sweep (coach.tasks) redoes the analysis within about 90 s instead.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **_BROKER_RETRY,
        "socket_timeout": 2,
        "socket_connect_timeout": 1,
    }
else:
    # py-amqp's connect timeout covers the AMQP handshake too; nothing more is needed.
    CELERY_BROKER_TRANSPORT_OPTIONS = _BROKER_RETRY
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "sweep-unqueued-sessions": {
        "task": "coach.tasks.sweep_unqueued_sessions",
        # Every 30 s: with coach.tasks' one-minute wait, a lost analysis is redone within about
        # 90 s of being queued. Each run is one query on an index of recent completions.
        "schedule": 30.0,
        # Sweeps queued while no worker ran are dropped once stale rather than run back to back.
        "options": {"expires": 30.0},
    },
    # Hourly; each learner gets it once, Monday 08:00–11:59 in their own time zone.
    "send-weekly-progress-emails": {
        "task": "stats.tasks.send_weekly_progress_emails",
        "schedule": crontab(minute=5),
    },
}

# --- Accounts ---
AUTH_USER_MODEL = "typingtrainer.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_EMAIL_SUBJECT_PREFIX = "TypingTrainer — "
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_ADAPTER = "typingtrainer.accounts.AccountAdapter"
# The site's words on allauth's forms; signup also takes the browser's time zone.
ACCOUNT_FORMS = {
    name: f"typingtrainer.forms.{form}"
    for name, form in {
        "login": "LoginForm",
        "signup": "SignupForm",
        "add_email": "AddEmailForm",
        "change_password": "ChangePasswordForm",
        "set_password": "SetPasswordForm",
        "reset_password": "ResetPasswordForm",
        "reset_password_from_key": "ResetPasswordKeyForm",
    }.items()
}
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults are already on; these are stated so they are visible and tunable.
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}

# --- The JSON API (/api/v1/, DESIGN §11): allauth headless's "app" client with JWTs ---
# Access tokens are short-lived; refresh tokens rotate (a used one is refused) and live as long as
# the login session. With API_JWT_PRIVATE_KEY (a PEM RSA key) tokens are signed RS256 so others
# can verify them with the public key; without it, HS256 with SECRET_KEY (embedded defaults).
HEADLESS_CLIENTS = ("app",)
HEADLESS_TOKEN_STRATEGY = "allauth.headless.tokens.strategies.jwt.JWTTokenStrategy"
HEADLESS_JWT_PRIVATE_KEY = env_str("API_JWT_PRIVATE_KEY").replace("\\n", "\n")
HEADLESS_JWT_ALGORITHM = "RS256" if HEADLESS_JWT_PRIVATE_KEY else "HS256"
HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN = env_int("API_ACCESS_TOKEN_SECONDS", 300)
HEADLESS_JWT_REFRESH_TOKEN_EXPIRES_IN = env_int("API_REFRESH_TOKEN_SECONDS", 30 * 86400)
HEADLESS_JWT_ROTATE_REFRESH_TOKEN = True
# Each request checks the token's login session (one cache read): logging out, deactivating or
# deleting an account ends its access tokens at once rather than when they expire.
HEADLESS_JWT_STATEFUL_VALIDATION_ENABLED = True
# Requests a minute per login session (or per address without a token); more get a 429.
API_REQUESTS_PER_MINUTE = env_int("API_REQUESTS_PER_MINUTE", 120)
# Browser origins allowed to call the API (a web client elsewhere), comma-separated, with scheme.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/(api|_allauth)/.*$"
CORS_EXPOSE_HEADERS = ["API-Version", "Retry-After"]

# --- Email ---
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "TypingTrainer <hello@typingtrainer.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

# --- Internationalisation ---
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# A year: the language switcher's choice (a guest's; a learner's is also User.language).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files: whitenoise, compressed and hashed in production. ---
STATIC_URL = "/static/"
STATIC_ROOT = env_path("STATIC_ROOT", VAR_DIR / "static").resolve()
if STATIC_ROOT == BASE_DIR or STATIC_ROOT in BASE_DIR.parents:
    # whitenoise serves everything under STATIC_ROOT: here that would be .env, .git, the settings.
    raise ImproperlyConfigured(
        f"STATIC_ROOT={STATIC_ROOT} would publish the application's own files; "
        "point it at a folder of its own (leave it empty for $VAR_DIR/static)."
    )
STATICFILES_DIRS = [BASE_DIR / "static"]
if DEBUG:
    (STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
# Uploads (learners' avatars), through the default storage. In DEBUG the site serves them itself;
# in production the proxy serves MEDIA_ROOT at MEDIA_URL (README, "Uploaded files").
MEDIA_URL = env_str("MEDIA_URL", "/media/")
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media").resolve()
if MEDIA_ROOT == BASE_DIR or MEDIA_ROOT in BASE_DIR.parents:
    raise ImproperlyConfigured(
        f"MEDIA_ROOT={MEDIA_ROOT} would publish the application's own files; "
        "point it at a folder of its own (leave it empty for $VAR_DIR/media)."
    )
# `manage.py backup` writes generations (database dump + media) here and keeps the newest
# BACKUP_KEEP of them (README, "Backups").
BACKUP_DIR = env_path("BACKUP_DIR", VAR_DIR / "backups").resolve()
BACKUP_KEEP = env_int("BACKUP_KEEP", 7)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security headers. CSP forbids inline scripts and styles everywhere. ---
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# --- Proxies: how many of ours stand in front of the site (0: none, clients connect directly). ---
# typingtrainer.http.client_ip reads the client's address from X-Forwarded-For only behind them;
# rate limits (ours and allauth's) and logs use it, and HTTPS is taken from X-Forwarded-Proto.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# Per learner and minute on starting and completing sessions.
WIDGET_RATE_LIMITS = {
    "start": env_int("RATE_LIMIT_STARTS_PER_MINUTE", 60),
    "complete": env_int("RATE_LIMIT_COMPLETIONS_PER_MINUTE", 60),
}
# --- The practice write token (DESIGN §3): start hands it out, batches and completion send it
# in X-Practice-Token. It lasts about the longest plausible lesson, and renews within a grace.
PRACTICE_TOKEN_SECONDS = env_int("PRACTICE_TOKEN_SECONDS", 1800)
PRACTICE_TOKEN_GRACE_SECONDS = env_int("PRACTICE_TOKEN_GRACE_SECONDS", 3600)
# Sessions one learner (or visitor) may have open at once: started within the token's
# lifetime and grace and not completed.
PRACTICE_MAX_OPEN_SESSIONS = env_int("PRACTICE_MAX_OPEN_SESSIONS", 20)
# The pace bound, per session, with no Redis round trip: batch `seq` is accepted once the
# session is (seq - burst) / rate seconds old. A 300 WPM typist sends ~1.25 batches a second.
PRACTICE_BATCH_BURST = env_int("PRACTICE_BATCH_BURST", 10)
PRACTICE_BATCHES_PER_SECOND = env_int("PRACTICE_BATCHES_PER_SECOND", 5)
# Per learner and minute on the coach's generation and chat.
COACH_RATE_LIMITS = {
    "exercise": env_int("RATE_LIMIT_EXERCISES_PER_MINUTE", 10),
    "chat": env_int("RATE_LIMIT_CHAT_PER_MINUTE", 10),
}

# --- The LLM coach: any OpenAI-compatible server; without these the built-in coach answers. ---
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
OPENAI_MODEL = env_str("OPENAI_MODEL", "gpt-4o-mini")
OPENAI_TIMEOUT = env_str("OPENAI_TIMEOUT", "4")

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sessions are read on every widget request: from the cache (Redis in production), written
# through to the database so a cache flush logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Billing (Stripe via dj-stripe) ---
# Billing is on when STRIPE_SECRET_KEY is set; without it the billing page says it is not
# configured and nothing calls Stripe. Webhook endpoints are dj-stripe database rows created by
# `manage.py setup_billing` (which stores STRIPE_WEBHOOK_SECRET in the row).
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_PUBLIC_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
STRIPE_LIVE_MODE = env_bool("STRIPE_LIVE_MODE", False)
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
if env_str("STRIPE_API_HOST"):
    # A Stripe-compatible API server (stripe-mock, a fake); dj-stripe warns if set in production.
    STRIPE_API_HOST = env_str("STRIPE_API_HOST")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
# Where the billing page may send the browser: Stripe Checkout and the customer portal
# (CSP form-action also applies to the redirect that follows a form post).
STRIPE_HOSTED_ORIGINS = ["https://checkout.stripe.com", "https://billing.stripe.com"]

# --- Errors: reported to Sentry when SENTRY_DSN is set, scrubbed of learners' personal data
# (typingtrainer/sentry.py). Started in TypingTrainerConfig.ready, once the settings (these or
# the production ones) are complete; without a DSN the SDK is never started. ---
SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "development")
SENTRY_RELEASE = env_str("SENTRY_RELEASE")
SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0)

# --- Metrics (typingtrainer/metrics.py): Prometheus text at /metrics for a bearer token. The web
# port is the public one (behind Caddy), so /metrics is 404 without METRICS_TOKEN and 401
# without the right one. A Celery worker serves its own on METRICS_WORKER_PORT (0: off). ---
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_WORKER_PORT = env_int("METRICS_WORKER_PORT", 0)

# --- Logs (typingtrainer/logconfig.py): plain text here, JSON lines in production; one line per
# request with its id (typingtrainer/requestlog.py). ---
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
LOGGING = logging_config(
    log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"), levels=env_str("LOG_LEVELS")
)
