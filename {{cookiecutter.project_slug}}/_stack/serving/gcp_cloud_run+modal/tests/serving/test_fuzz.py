"""Requests of every shape get a well-formed JSON answer, no 5xx: fuzzed ones to the serving app, and raw HTTP
to `make serve-local`'s uvicorn, which prints no traceback, even for a client that leaves early.

The test client raises any exception the app lets through, so a request that would crash it fails the test.
"""

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.serving.api import MAX_BODY_BYTES
from {{ cookiecutter.module_name }}.serving.app import create_app

from ..api_cases import (
    BODIES,
    HEADERS,
    METHODS,
    PATHS,
    SCORER,
    answer_is_well_formed,
    call,
    exchange,
    leave_early,
    raw_requests,
)

RAW_REQUESTS = raw_requests("/predict")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(SCORER)) as client:
        yield client


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=METHODS,
    path=PATHS,
    headers=HEADERS,
    raw=BODIES,
    length=st.sampled_from([None, "garbage", "huge"]),
)
def test_the_app_answers_any_request_with_a_well_formed_response(
    client: TestClient, method: str, path: str, headers: dict[str, str], raw: bytes, length: str | None
) -> None:
    declared = {None: None, "garbage": "twelve", "huge": str(10 * MAX_BODY_BYTES)}[length]
    if declared:
        headers = headers | {"content-length": declared}

    response = client.request(method, path, content=raw, headers=headers)

    answer_is_well_formed(response.status_code, response.content)
    predict = method == "POST" and path.partition("?")[0].rstrip("/") == "/predict"
    if predict and (length == "huge" or (length is None and len(raw) > MAX_BODY_BYTES)):
        assert response.status_code == 413


@pytest.mark.parametrize("name", RAW_REQUESTS)
def test_any_http_request_gets_a_json_answer_and_no_traceback(
    base_url: str, capfd: pytest.CaptureFixture[str], name: str
) -> None:
    raw, status = RAW_REQUESTS[name]

    answered, content_type, text = exchange(base_url, raw)

    assert (answered, content_type) == (status, "application/json")
    if name != "HEAD":  # an answer to HEAD has no body
        answer_is_well_formed(answered, text)
    assert "Traceback" not in capfd.readouterr().err


def test_clients_who_leave_early_leave_no_traceback(base_url: str, capfd: pytest.CaptureFixture[str]) -> None:
    leave_early(base_url, "/predict")
    time.sleep(0.5)  # the server answers no one

    assert call(f"{base_url}/health")[0] == 200
    assert "Traceback" not in capfd.readouterr().err
