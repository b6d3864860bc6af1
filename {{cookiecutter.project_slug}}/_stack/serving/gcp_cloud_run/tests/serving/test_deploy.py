"""deploy/: a Knative service for Cloud Run and the image it runs, private and least-privileged by default."""

import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml

from {{ cookiecutter.module_name }}.release.package import build
from {{ cookiecutter.module_name }}.serving.api import ROUTES

from ..conftest import Trained

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture(scope="module")
def service() -> dict[str, Any]:
    parsed: dict[str, Any] = yaml.safe_load((DEPLOY / "service.yaml").read_text())
    return parsed


def dockerfile() -> list[str]:
    return [line for line in (DEPLOY / "Dockerfile").read_text().splitlines() if line and line[0] != "#"]


def test_is_a_knative_service(service: dict[str, Any]) -> None:
    assert (service["apiVersion"], service["kind"]) == ("serving.knative.dev/v1", "Service")
    assert re.fullmatch(r"[a-z]([-a-z0-9]{0,47}[a-z0-9])?", service["metadata"]["name"])


def test_runs_as_a_dedicated_account_and_only_for_allowed_callers(service: dict[str, Any]) -> None:
    account = service["spec"]["template"]["spec"]["serviceAccountName"]

    assert re.fullmatch(r"[a-z][-a-z0-9]{4,28}[a-z0-9]@PROJECT_ID\.iam\.gserviceaccount\.com", account)
    assert "compute@developer" not in account
    annotations = service["metadata"]["annotations"] | service["spec"]["template"]["metadata"]["annotations"]
    assert annotations["run.googleapis.com/ingress"] in {"all", "internal"}
    # Callers need roles/run.invoker: the IAM check is never switched off (which would make it public).
    assert annotations.get("run.googleapis.com/invoker-iam-disabled", "false") == "false"


def test_declares_resources_concurrency_and_a_scale_limit(service: dict[str, Any]) -> None:
    template = service["spec"]["template"]
    [container] = template["spec"]["containers"]

    assert set(container["resources"]["limits"]) == {"cpu", "memory"}
    assert 1 <= template["spec"]["containerConcurrency"] <= 1000
    assert int(template["metadata"]["annotations"]["autoscaling.knative.dev/maxScale"]) >= 1


def test_probes_and_port_match_the_app_and_the_image(service: dict[str, Any]) -> None:
    [container] = service["spec"]["template"]["spec"]["containers"]
    [port] = container["ports"]
    command = dockerfile()[-1]

    assert f'"--port", "{port["containerPort"]}"' in command
    for probe in ("startupProbe", "livenessProbe"):
        assert ROUTES[container[probe]["httpGet"]["path"]] == "GET"
        assert container[probe]["httpGet"]["port"] == port["containerPort"]


def test_the_image_is_slim_and_runs_the_app_as_an_unprivileged_user() -> None:
    lines = dockerfile()
    user = [line.split()[1] for line in lines if line.startswith("USER ")]

    assert lines[0].startswith("FROM python:") and lines[0].endswith("-slim")
    assert user and user[-1] not in {"0", "root"}
    copies = [i for i, line in enumerate(lines) if line.startswith("COPY ")]
    assert lines.index(f"USER {user[-1]}") > max(copies)  # everything the user runs was copied in as root
    assert '"{{ cookiecutter.module_name }}.serving.cloud_run:serve", "--factory"' in lines[-1]


def test_the_image_installs_the_serving_libraries_at_the_versions_tested_here(
    tmp_path: Path, trained: Trained
) -> None:
    context = build(trained.exported, tmp_path).archive

    assert (context / "requirements.txt").read_text().splitlines() == [
        f"fastapi=={version('fastapi')}",
        f"uvicorn=={version('uvicorn')}",
    ]
