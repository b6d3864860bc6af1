"""`make serve-local`: what is deployed, behind a real HTTP server on localhost."""

from unittest.mock import ANY

from ..api_cases import SESSION, body, call, status_of_an_oversized_post


def test_predict_and_health_over_http(base_url: str) -> None:
    status, answer = call(f"{base_url}/predict", body({"sessions": [SESSION]}))

    assert status == 200
    assert answer["model_version"] == "test-model"
    assert call(f"{base_url}/health") == (200, {"status": "ok", "model_version": "test-model"})


def test_bad_and_oversized_requests_get_4xx_over_http(base_url: str) -> None:
    assert call(f"{base_url}/predict", b"{oops") == (400, {"error": ANY})
    assert status_of_an_oversized_post(f"{base_url}/predict") == 413
    assert call(f"{base_url}/nowhere")[0] == 404
