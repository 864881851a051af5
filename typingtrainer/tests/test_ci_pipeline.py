"""The hosted pipeline file: the GitHub Actions workflow schema (check-jsonschema's own copy, no
network) accepts it, and it runs the same .ci/run as a developer does, with the three services on
the ports .ci/run checks, and builds the image without pushing it."""

from __future__ import annotations

import shutil
import subprocess

import yaml

from typingtrainer.tests.production import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def _check(path) -> subprocess.CompletedProcess[str]:
    checker = shutil.which("check-jsonschema")
    assert checker is not None, "uv sync installs check-jsonschema (a dev dependency)"
    return subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_workflow_schema_accepts_the_workflow():
    result = _check(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_schema_rejects_a_broken_workflow(tmp_path):
    """The check can fail: a job with a misspelt key and no steps."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz: []\n")

    result = _check(broken)

    assert result.returncode != 0
    assert "stepz" in result.stdout


def test_the_test_job_runs_ci_run_with_the_services_on_their_ports():
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["test"]

    services = job["services"]
    ports = {name: service["ports"] for name, service in services.items()}
    assert ports == {
        "postgres": ["5432:5432"],
        "redis": ["6379:6379"],
        "rabbitmq": ["5672:5672"],
    }
    assert services["postgres"]["env"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    assert all("--health-cmd" in service["options"] for service in services.values())
    assert [step["run"] for step in job["steps"] if "run" in step][-1] == "bash .ci/run"


def test_the_image_job_builds_the_dockerfile_without_pushing():
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["image"]

    build = next(s for s in job["steps"] if s.get("uses", "").startswith("docker/build-push"))

    assert build["with"]["push"] is False
    assert build["with"]["context"] == "."
