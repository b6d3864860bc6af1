"""The Lambda handler: API Gateway events in, the contract's answers out; bad requests get a 4xx, not 500."""

import base64
import json
from typing import Any

import pytest

from {{ cookiecutter.module_name }}.serving.handler import handle

from ..api_cases import BAD_BODIES, BAD_BODY_IDS, SCORER, SESSION, body


def request(raw: bytes | None = None, *, method: str = "POST", path: str = "/predict") -> tuple[int, Any]:
    event = {
        "version": "2.0",
        "rawPath": path,
        "requestContext": {"http": {"method": method}},
        "body": None if raw is None else raw.decode("utf-8", errors="surrogateescape"),
        "isBase64Encoded": False,
    }
    response = handle(event, SCORER)
    assert response["headers"]["content-type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def test_scores_a_batch_of_sessions() -> None:
    status, answer = request(body({"sessions": [SESSION, SESSION | {"session_id": "s2"}]}))

    assert status == 200
    assert answer["model_version"] == "test-model"
    assert [p["session_id"] for p in answer["predictions"]] == ["s1", "s2"]


def test_base64_bodies_are_decoded() -> None:
    event = {
        "rawPath": "/predict",
        "requestContext": {"http": {"method": "POST"}},
        "body": base64.b64encode(body({"sessions": [SESSION]})).decode(),
        "isBase64Encoded": True,
    }
    assert handle(event, SCORER)["statusCode"] == 200


def test_health() -> None:
    assert request(method="GET", path="/health") == (200, {"status": "ok", "model_version": "test-model"})


@pytest.mark.parametrize(("raw", "status", "words"), BAD_BODIES, ids=BAD_BODY_IDS)
def test_bad_requests_get_a_4xx_naming_the_problem(raw: bytes, status: int, words: str) -> None:
    answered, error = request(raw)

    assert answered == status
    assert list(error) == ["error"] and words in error["error"]


@pytest.mark.parametrize(
    ("kwargs", "status", "words"),
    [
        ({"method": "GET"}, 405, "use POST"),
        ({"path": "/health", "method": "DELETE"}, 405, "use GET"),
        ({"path": "/admin"}, 404, "no route"),
    ],
)
def test_wrong_routes_get_a_4xx(kwargs: dict[str, Any], status: int, words: str) -> None:
    answered, error = request(body({"sessions": [SESSION]}), **kwargs)

    assert answered == status
    assert words in error["error"]


def test_a_body_marked_base64_that_does_not_decode_gets_400() -> None:
    event = {"rawPath": "/predict", "requestContext": {"http": {"method": "POST"}}, "body": "%%%"}

    assert handle(event | {"isBase64Encoded": True}, SCORER)["statusCode"] == 400


@pytest.mark.parametrize("event", [None, "text", [], {}, {"rawPath": "/predict"}, {"requestContext": "x"}])
def test_events_that_are_not_http_requests_get_400(event: Any) -> None:
    assert handle(event, SCORER)["statusCode"] == 400
