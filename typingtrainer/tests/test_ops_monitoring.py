"""The monitoring files under ops/: the alert rules, their promtool unit tests, the sample scrape
config and the Grafana dashboard use only series the app exports; promtool accepts them; and a
real Prometheus, configured as the sample says, scrapes a real gunicorn with the bearer token and
answers for the keystrokes a learner typed.

promtool and prometheus come from Debian's `prometheus` package; the tests that run them skip
without it, and fail instead in CI (`CI` or REQUIRE_PROMETHEUS_TESTS set), which installs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from allauth.account.models import EmailAddress

from typingtrainer.metrics import exported_names
from typingtrainer.models import User
from typingtrainer.tests.production import PRODUCTION, SITE_DOMAIN, environment, free_port, stop
from typingtrainer.tests.production import gunicorn as running_gunicorn
from typingtrainer.tests.test_graceful_shutdown import database_url

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "ops" / "prometheus"
ALERTS = PROMETHEUS_DIR / "alerts.yml"
ALERT_TESTS = PROMETHEUS_DIR / "alerts.test.yml"
SCRAPE_CONFIG = PROMETHEUS_DIR / "prometheus.yml"
DASHBOARD = ROOT / "ops" / "grafana" / "typingtrainer.json"
WEB_JOB = "typingtrainer-web"
SEVERITIES = {"critical", "warning"}
PASSWORD = "typed into the login form"

# A series name in PromQL: not part of a longer name (a recording rule's `level:metric:ops`
# contains the metric's name after a colon) and outside quoted label values.
SERIES_NAME = re.compile(r"(?<![\w:])tt_\w+(?![\w:])")
RECORDED_NAME = re.compile(r"(?<![\w:])[a-z_]+:[\w:]+")
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        why = f"{name} is not installed (apt-get install prometheus; CI installs it)"
        if os.environ.get("REQUIRE_PROMETHEUS_TESTS") or os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return path


def promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def rule_groups() -> list[dict[str, Any]]:
    return list(yaml.safe_load(ALERTS.read_text())["groups"])


def rules() -> list[dict[str, Any]]:
    return [rule for group in rule_groups() for rule in group["rules"]]


def alerts() -> list[dict[str, Any]]:
    return [rule for rule in rules() if "alert" in rule]


def dashboard_exprs() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def series_names(expr: str) -> set[str]:
    return set(SERIES_NAME.findall(QUOTED.sub('""', expr)))


# --- Every name the rules and the dashboard query is one the app exports ---


def test_the_rules_query_only_series_the_app_exports():
    exported = set(exported_names())
    used = {name for rule in rules() for name in series_names(rule["expr"])}
    assert used, "no tt_ series found in the rules"
    assert used - exported == set(), f"not exported by the app: {sorted(used - exported)}"
    # Both jobs' series are covered: requests (web), tasks (worker), backups (read at scrape).
    assert {"tt_http_requests_total", "tt_celery_tasks_total"} <= used
    assert "tt_backup_last_success_timestamp_seconds" in used


def test_the_rules_use_only_recorded_series_they_define():
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    used = {
        name for rule in rules() for name in RECORDED_NAME.findall(QUOTED.sub('""', rule["expr"]))
    }
    assert used <= recorded, f"recorded nowhere: {sorted(used - recorded)}"


def test_the_dashboard_queries_only_series_the_app_exports():
    exported = set(exported_names())
    exprs = dashboard_exprs()
    used = {name for expr in exprs for name in series_names(expr)}
    assert used - exported == set(), f"not exported by the app: {sorted(used - exported)}"
    # Every family the app exports has a panel (a histogram's through its buckets).
    families = {re.sub(r"_(bucket|sum|count)$", "", name) for name in exported}
    shown = {re.sub(r"_(bucket|sum|count)$", "", name) for name in used}
    assert families - shown == set(), f"no panel for: {sorted(families - shown)}"


def test_the_dashboard_reads_every_panel_from_the_chosen_prometheus():
    board = json.loads(DASHBOARD.read_text())
    assert 36 <= board["schemaVersion"] <= 41
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    assert variables["DS_PROMETHEUS"]["query"] == "prometheus"
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, panel
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]


# --- The rules are ones an on-call person can act on, each unit-tested both ways ---


def test_every_alert_has_a_duration_a_severity_and_what_to_check():
    for alert in alerts():
        name = alert["alert"]
        assert alert.get("for"), f"{name} fires on a single evaluation"
        assert alert["labels"]["severity"] in SEVERITIES, name
        assert alert["annotations"]["summary"], name
        assert "First" in alert["annotations"]["description"], f"{name}: what to check first"


def test_every_alert_has_a_firing_and_a_quiet_unit_test():
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in yaml.safe_load(ALERT_TESTS.read_text())["tests"]:
        for check in case.get("alert_rule_test", []):
            (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {alert["alert"] for alert in alerts()}
    assert names - firing == set(), f"never tested firing: {sorted(names - firing)}"
    assert names - quiet == set(), f"never tested quiet: {sorted(names - quiet)}"
    assert (firing | quiet) - names == set(), "tests of alerts that do not exist"


def test_promtool_accepts_the_rules():
    result = promtool("check", "rules", ALERTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules())} rules found" in result.stdout


def test_promtool_unit_tests_of_the_rules_pass():
    result = promtool("test", "rules", ALERT_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_accepts_the_sample_scrape_config_and_the_rules_it_loads(tmp_path):
    # promtool also opens the token file; the sample's path exists only on a monitoring host.
    token = tmp_path / "metrics_token"
    token.write_text("a-token\n")
    config = yaml.safe_load(SCRAPE_CONFIG.read_text())
    for job in config["scrape_configs"]:
        job["authorization"]["credentials_file"] = str(token)
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    shutil.copy(ALERTS, tmp_path / ALERTS.name)
    result = promtool("check", "config", "prometheus.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout
    assert {job["job_name"] for job in config["scrape_configs"]} == {
        WEB_JOB,
        "typingtrainer-worker",
    }


# --- A real Prometheus scraping a real gunicorn ---


def api(
    port: int, method: str, path: str, body: Any = None, **headers: str
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        # As Caddy forwards a learner's HTTPS request.
        headers={
            "Host": SITE_DOMAIN,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.7",
            "Content-Type": "application/json",
            **headers,
        },
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def practise(port: int, email: str, lesson_id: int, batches: int) -> int:
    """Log in through the API, start the lesson, type its text without a mistake in `batches`
    batches and complete it, as the app does; the keystrokes sent."""
    status, login = api(
        port, "POST", "/_allauth/app/v1/auth/login", {"email": email, "password": PASSWORD}
    )
    assert status == 200, login
    bearer = {"Authorization": f"Bearer {login['meta']['access_token']}"}
    status, start = api(port, "POST", f"/api/v1/lessons/{lesson_id}/start", **bearer)
    assert status == 201, start
    keys = [[pos, char, 200 * pos] for pos, char in enumerate(start["text"])]
    size = -(-len(keys) // batches)
    token = {**bearer, "X-Practice-Token": start["practice_token"]}
    for seq in range(batches):
        batch = {"session_id": start["session_id"], "seq": seq, "keys": keys[seq * size :][:size]}
        status, answer = api(
            port, "POST", f"/api/v1/lessons/{lesson_id}/keystrokes", batch, **token
        )
        assert status == 200, answer
    done = {"session_id": start["session_id"], "batches": batches}
    status, result = api(port, "POST", f"/api/v1/lessons/{lesson_id}/complete", done, **token)
    assert status == 200, result
    return len(keys)


class Prometheus:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, **params: str) -> Any:
        url = f"{self.base}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            return json.loads(error.read())

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = self.get("/api/v1/query", query=expr)
        assert answer["status"] == "success", (expr, answer)
        return list(answer["data"]["result"])

    def targets(self) -> dict[str, dict[str, Any]]:
        active = self.get("/api/v1/targets", state="active")["data"]["activeTargets"]
        return {target["labels"]["job"]: target for target in active}


def wait_for(what: str, check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


@contextmanager
def prometheus(config: dict[str, Any], workdir: Path) -> Iterator[Prometheus]:
    """Debian's prometheus with `config`, its own data folder and a free loopback port, until
    it answers /-/ready; stopped afterwards."""
    port = free_port()
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
    log = workdir / "prometheus.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                tool("prometheus"),
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Prometheus(port)
    try:

        def ready() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"{server.base}/-/ready", timeout=2) as response:
                    return bool(response.status == 200)
            except OSError:
                return False

        wait_for("Prometheus to be ready", ready)
        yield server
    finally:
        stop(process)


def scrape_config(*, app_port: int, token_file: Path) -> dict[str, Any]:
    """The sample config's web job as written (path, bearer token from a file) pointed at the
    test's gunicorn, a copy of it without the token, and the sample's rule file; scraped every
    second."""
    sample = yaml.safe_load(SCRAPE_CONFIG.read_text())
    web = next(job for job in sample["scrape_configs"] if job["job_name"] == WEB_JOB)
    assert web["authorization"]["type"] == "Bearer"
    web = {**web, "authorization": {**web["authorization"], "credentials_file": str(token_file)}}
    web["static_configs"] = [{"targets": [f"127.0.0.1:{app_port}"]}]
    no_token = {key: value for key, value in web.items() if key != "authorization"}
    no_token["job_name"] = "without-token"
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [web, no_token],
    }


@pytest.mark.django_db(transaction=True)
def test_prometheus_scrapes_the_app_with_the_token_and_counts_the_keystrokes_typed(
    course, image_var_dir, tmp_path, settings
):
    tool("prometheus")
    # Production's password hasher (the tests' fast one is not in production's list).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = User.objects.create_user(email="scraped@example.com", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    lesson = course.lessons.order_by("position").first()
    assert lesson is not None

    token = "prometheus-scrapes-with-this-token-0123456789"
    token_file = tmp_path / "metrics_token"
    token_file.write_text(token + "\n")
    app_port = free_port()
    env = environment(
        **{**PRODUCTION, "ALLOWED_HOSTS": f"{SITE_DOMAIN},127.0.0.1"},  # Prometheus's Host
        DATABASE_URL=database_url(),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"),
        VAR_DIR=str(image_var_dir),
        GUNICORN_BIND=f"127.0.0.1:{app_port}",
        GUNICORN_WORKERS="2",  # counts from both workers, summed at the scrape
        # As in compose: learners come through the proxy (HTTPS), Prometheus straight to the
        # web port over plain HTTP, which must not be redirected to HTTPS.
        TRUSTED_PROXY_COUNT="1",
        CELERY_TASK_ALWAYS_EAGER="true",  # the analysis runs in the web process: no broker
        METRICS_TOKEN=token,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    (tmp_path / "prometheus").mkdir()

    with running_gunicorn(env, tmp_path / "gunicorn.log"):
        config = scrape_config(app_port=app_port, token_file=token_file)
        with prometheus(config, tmp_path / "prometheus") as server:

            def scraped() -> dict[str, dict[str, Any]] | None:
                targets = server.targets()
                done = all(
                    targets.get(job, {}).get("health") not in (None, "unknown")
                    for job in (WEB_JOB, "without-token")
                )
                return targets if done else None

            targets = wait_for("both targets to be scraped", scraped)
            # The token is what lets Prometheus in: the same target without it is refused.
            assert targets[WEB_JOB]["health"] == "up", targets[WEB_JOB]
            assert targets["without-token"]["health"] == "down"
            assert "401" in targets["without-token"]["lastError"], targets["without-token"]
            assert server.query(f'up{{job="{WEB_JOB}"}}')[0]["value"][1] == "1"

            typed = practise(app_port, user.email, lesson.pk, batches=3)
            assert typed == len(lesson.text)

            def counted(expr: str, expected: int) -> bool:
                result = server.query(expr)
                return bool(result) and float(result[0]["value"][1]) == expected

            query = f'tt_keystrokes_stored_total{{job="{WEB_JOB}"}}'
            wait_for(f"{query} == {typed}", lambda: counted(query, typed))
            batches = f'tt_keystroke_batches_stored_total{{job="{WEB_JOB}"}}'
            assert counted(batches, 3)
            assert counted(f'tt_practice_completions_total{{job="{WEB_JOB}"}}', 1)

            # Every rule of alerts.yml loaded and evaluates without an error on real data.
            def evaluated() -> list[dict[str, Any]] | None:
                groups = server.get("/api/v1/rules")["data"]["groups"]
                loaded = [rule for group in groups for rule in group["rules"]]
                return loaded if all(rule["health"] == "ok" for rule in loaded) else None

            loaded = wait_for("every rule to be evaluated", evaluated)
            assert {rule["name"] for rule in loaded} == {
                rule.get("alert") or rule["record"] for rule in rules()
            }
            # And every dashboard query is one this Prometheus answers.
            for expr in dashboard_exprs():
                grafana = expr.replace("$__rate_interval", "1m").replace("$__range", "1h")
                server.query(grafana)
