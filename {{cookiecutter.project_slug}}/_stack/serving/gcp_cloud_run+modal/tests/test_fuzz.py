"""Fuzzed requests to the serving app: any method, path, headers and body get a well-formed answer, no 5xx.

The test client raises any exception the app lets through, so a request that would crash it fails the test.
"""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.contract import MAX_BODY_BYTES
from {{ cookiecutter.module_name }}.serving.app import create_app

from .api_cases import BODIES, HEADERS, METHODS, PATHS, SCORER, answer_is_well_formed


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
