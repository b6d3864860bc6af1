"""The serving contract: good requests are scored, bad ones get a 4xx JSON error, never a 500."""

import base64
import json
from typing import Any

import pytest

from {{ cookiecutter.module_name }}.scoring import Scorer
from {{ cookiecutter.module_name }}.serving.handler import MAX_BODY_BYTES, MAX_SESSIONS, handle
from {{ cookiecutter.module_name }}.training_set import FEATURES

SCORER = Scorer(
    features=FEATURES,
    center=tuple(0.5 for _ in FEATURES),
    scale=tuple(1.0 for _ in FEATURES),
    coefficients=tuple(0.1 * (i + 1) for i in range(len(FEATURES))),
    intercept=-2.0,
    version="test-model",
)
SESSION = dict.fromkeys(FEATURES, 1) | {"session_id": "s1"}


def request(body: Any = None, *, method: str = "POST", path: str = "/predict", raw: str | None = None) -> Any:
    event = {
        "version": "2.0",
        "rawPath": path,
        "requestContext": {"http": {"method": method}},
        "body": raw if raw is not None else (None if body is None else json.dumps(body)),
        "isBase64Encoded": False,
    }
    response = handle(event, SCORER)
    assert response["headers"]["content-type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def test_scores_a_batch_of_sessions() -> None:
    status, body = request({"sessions": [SESSION, SESSION | {"session_id": "s2", "n_cart_adds": 5}]})

    assert status == 200
    assert body["model_version"] == "test-model"
    first, second = body["predictions"]
    assert first["session_id"] == "s1" and 0 < first["purchase_probability"] < 1
    assert second["purchase_probability"] > first["purchase_probability"]  # positive weight on cart adds


def test_probability_matches_the_exported_formula() -> None:
    _, body = request({"sessions": [SESSION]})

    features = {name: float(SESSION[name]) for name in FEATURES}
    assert body["predictions"][0]["purchase_probability"] == pytest.approx(SCORER.probability(features))


def test_base64_bodies_are_decoded() -> None:
    event = {
        "rawPath": "/predict",
        "requestContext": {"http": {"method": "POST"}},
        "body": base64.b64encode(json.dumps({"sessions": [SESSION]}).encode()).decode(),
        "isBase64Encoded": True,
    }
    assert handle(event, SCORER)["statusCode"] == 200


def test_health() -> None:
    assert request(method="GET", path="/health") == (200, {"status": "ok", "model_version": "test-model"})


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"raw": "{not json"}, 400, "not valid JSON"),
        ({"raw": ""}, 400, "no body"),
        ({"raw": '{"sessions": [{"n_pageviews": NaN}]}'}, 400, "not valid JSON"),
        ({"body": ["a", "list"]}, 400, '"sessions" list'),
        ({"body": {"sessions": "s1"}}, 400, '"sessions" list'),
        ({"body": {"sessions": []}}, 422, "empty"),
        ({"body": {"sessions": [42]}}, 422, "sessions[0] must be a JSON object"),
        ({"body": {"sessions": [{k: v for k, v in SESSION.items() if k != "n_pageviews"}]}}, 422, "missing"),
        ({"body": {"sessions": [SESSION | {"n_pageviews": "3"}]}}, 422, "must be a number, not str"),
        ({"body": {"sessions": [SESSION | {"n_pageviews": True}]}}, 422, "must be a number, not bool"),
        ({"body": {"sessions": [SESSION | {"n_pageviews": 10**400}]}}, 422, "out of range"),
        ({"body": {"sessions": [SESSION | {"session_id": 5}]}}, 422, "session_id must be a string"),
        ({"body": {"sessions": [SESSION | {"n_pagevews": 3}]}}, 422, "unknown fields ['n_pagevews']"),
        ({"body": {"sessions": [SESSION] * (MAX_SESSIONS + 1)}}, 413, "limit"),
        ({"raw": json.dumps({"sessions": [SESSION], "pad": "x" * MAX_BODY_BYTES})}, 413, "limit"),
        ({"body": {"sessions": [SESSION]}, "method": "GET"}, 405, "use POST"),
        ({"path": "/health", "method": "DELETE"}, 405, "use GET"),
        ({"body": {}, "path": "/admin"}, 404, "no route"),
    ],
)
def test_bad_requests_get_a_4xx_naming_the_problem(kwargs: dict[str, Any], status: int, message: str) -> None:
    answered, body = request(**kwargs)

    assert answered == status
    assert message in body["error"]


@pytest.mark.parametrize("event", [None, "text", [], {}, {"rawPath": "/predict"}, {"requestContext": "x"}])
def test_events_that_are_not_http_requests_get_400(event: Any) -> None:
    assert handle(event, SCORER)["statusCode"] == 400


def test_deeply_nested_json_is_a_400_not_a_crash() -> None:
    status, _ = request(raw="[" * 100_000 + "]" * 100_000)
    assert status == 400
