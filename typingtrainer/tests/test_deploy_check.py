from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "typingtrainer.settings_production",
    "SECRET_KEY": "x7Hq2-production-secret-key-that-is-long-and-random-9fKd0sLwPq3zRt",
    "ALLOWED_HOSTS": "typingtrainer.example.com",
    "DEBUG": "",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "CELERY_TASK_ALWAYS_EAGER": "",
}


def _without_test_only(environ: os._Environ[str]) -> dict[str, str]:
    # The browser tests allow the ORM beside Playwright's event loop; production never does.
    return {k: v for k, v in environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**_without_test_only(os.environ), **PRODUCTION, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = run_manage("check", DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_makes_email_verification_mandatory_and_cookies_secure():
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; "
        "print(s.ACCOUNT_EMAIL_VERIFICATION, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["mandatory", "True", "31536000"]
