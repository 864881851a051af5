# Production image: gunicorn + whitenoise on Python 3.11, dependencies from uv.lock.
FROM python:3.11-slim AS base

# PROMETHEUS_MULTIPROC_DIR: each gunicorn worker (and each Celery pool process) keeps its metric
# values in files there, added up at a scrape (typingtrainer/metrics.py); it is the container's
# own, emptied when gunicorn's master or the Celery worker starts.

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=typingtrainer.settings_production \
    VAR_DIR=/app/var \
    PROMETHEUS_MULTIPROC_DIR=/tmp/typingtrainer-metrics

# postgresql-client: pg_dump/pg_restore for `manage.py backup` / `restore` (15, as the compose
# database; a client must be of the server's major version or newer).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv \
    && groupadd --system app \
    && useradd --system --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
# collectstatic needs settings to import: a throwaway key that never reaches a running container,
# and no broker (production refuses to start without one unless tasks are meant to run eagerly).
RUN SECRET_KEY=collectstatic-only CELERY_TASK_ALWAYS_EAGER=true \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media && chown -R app:app /app/var

USER app
EXPOSE 8000
# The image's own command is the web server, so its check is the web check: /healthz with a Host
# Django accepts. docker-compose.yml gives every service its own (celery ping for worker and
# beat, none for migrate), so no service inherits a check of a port it does not serve.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "ops.healthcheck", "web"]
# An empty variable (a copy of .env.example has many) is removed before the command starts.
ENTRYPOINT ["python", "-m", "ops.entrypoint"]
CMD ["gunicorn", "--config", "gunicorn.conf.py"]
