"""`make serve-local`: the inference functions behind the container's routes, on localhost."""

from ..api_cases import SESSION, body, call, status_of_an_oversized_post


def test_invocations_and_ping_over_http(base_url: str) -> None:
    status, answer = call(f"{base_url}/invocations", body({"sessions": [SESSION]}))

    assert status == 200
    assert answer["model_version"] == "test-model"
    assert call(f"{base_url}/ping") == (200, {"status": "ok", "model_version": "test-model"})


def test_bad_and_oversized_requests_get_4xx_over_http(base_url: str) -> None:
    assert call(f"{base_url}/invocations", b"{oops")[0] == 400
    assert status_of_an_oversized_post(f"{base_url}/invocations") == 413
    assert call(f"{base_url}/invocations", method="GET")[0] == 405
    assert call(f"{base_url}/predict", b"{}")[0] == 404
