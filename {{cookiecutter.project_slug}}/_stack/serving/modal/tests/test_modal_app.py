"""The Modal app: it imports without a Modal account, its web function runs locally, and its app scores good
requests and answers bad ones with a 4xx JSON error naming the problem, never a 500."""

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.module_name }}.serving import modal_app
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.train import train

from .api_cases import BAD_BODIES, BAD_BODY_IDS, SCORER, SESSION, body


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(modal_app.create_app(SCORER)) as client:
        yield client


def test_the_app_is_named_after_the_project() -> None:
    assert modal_app.app.name == "{{ cookiecutter.project_slug }}"


def test_the_web_function_runs_locally_with_the_model_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, training_frame: pd.DataFrame
) -> None:
    exported = train(training_frame, Settings()).export() | {"version": "v-local"}
    (tmp_path / "model.json").write_text(json.dumps(exported))
    monkeypatch.setattr(modal_app, "MODEL_PATH", tmp_path / "model.json")

    response = TestClient(modal_app.web.local()).get("/health")

    assert response.json() == {"status": "ok", "model_version": "v-local"}


def test_scores_a_batch_of_sessions(client: TestClient) -> None:
    response = client.post("/predict", content=body({"sessions": [SESSION, SESSION | {"session_id": "s2"}]}))

    assert response.status_code == 200
    answer = response.json()
    assert answer["model_version"] == "test-model"
    assert [p["session_id"] for p in answer["predictions"]] == ["s1", "s2"]


def test_health(client: TestClient) -> None:
    response = client.get("/health")

    assert (response.status_code, response.json()) == (200, {"status": "ok", "model_version": "test-model"})


@pytest.mark.parametrize(("raw", "status", "words"), BAD_BODIES, ids=BAD_BODY_IDS)
def test_bad_requests_get_a_4xx_json_error(client: TestClient, raw: bytes, status: int, words: str) -> None:
    response = client.post("/predict", content=raw, headers={"content-type": "application/json"})

    assert response.status_code == status
    assert list(response.json()) == ["error"] and words in response.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/predict", 405), ("DELETE", "/health", 405), ("POST", "/admin", 404)],
)
def test_wrong_routes_get_the_contracts_json_errors(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)

    assert response.status_code == status
    assert response.json()["error"].startswith(("method", "no route"))
