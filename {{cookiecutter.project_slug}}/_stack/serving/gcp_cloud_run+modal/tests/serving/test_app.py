"""The serving app, through FastAPI's test client: good requests are scored, bad ones get a 4xx JSON
error naming the problem, never a 500."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.module_name }}.serving.app import create_app

from ..api_cases import BAD_BODIES, BAD_BODY_IDS, SCORER, SESSION, body


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(SCORER)) as client:
        yield client


def test_scores_a_batch_of_sessions(client: TestClient) -> None:
    response = client.post("/predict", content=body({"sessions": [SESSION, SESSION | {"session_id": "s2"}]}))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
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


def test_an_oversized_body_is_refused_from_its_declared_length(client: TestClient) -> None:
    response = client.post("/predict", content=b"{}", headers={"content-length": str(10**9)})

    assert response.status_code == 413


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
