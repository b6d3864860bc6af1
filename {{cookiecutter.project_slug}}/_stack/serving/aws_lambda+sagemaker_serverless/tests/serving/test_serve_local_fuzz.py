"""Requests to `make serve-local` of every shape: always a well-formed JSON answer, no 5xx, a 413 for an
oversized body, and no traceback on the server's side, even for a client that leaves early."""

import http.client
import time
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.serving.api import MAX_BODY_BYTES

{%- if cookiecutter.serving == "aws_lambda" %}

from ..api_cases import (
    BODIES,
    HEADERS,
    METHODS,
    PATHS,
    answer_is_well_formed,
    call,
    exchange,
    leave_early,
    raw_requests,
)

ROUTE, HEALTH = "/predict", "/health"


def reads_the_body(method: str, path: str) -> bool:
    """Every request goes to the handler with its body, as API Gateway sends it."""
    return True
{%- else %}

from ..api_cases import (
    BODIES,
    HEADERS,
    METHODS,
    answer_is_well_formed,
    call,
    exchange,
    leave_early,
    raw_requests,
)

# The container's two routes, then paths it does not serve.
ROUTE, HEALTH = "/invocations", "/ping"
PATHS = st.sampled_from([ROUTE, HEALTH, "/", "/predict", f"{ROUTE}?x=1"])


def reads_the_body(method: str, path: str) -> bool:
    """Only an invocation has a body to read; /ping and wrong routes are answered without it."""
    return (method, path.partition("?")[0]) == ("POST", ROUTE)
{%- endif %}


RAW_REQUESTS = raw_requests(ROUTE)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=METHODS,
    path=PATHS,
    headers=HEADERS,
    # Bodies the socket takes whole: the server answers an oversized body without reading it, and a client
    # still sending a megabyte would get a broken pipe instead of the answer. The handler's own fuzz test
    # covers bodies of every size; "huge" declares one and sends nothing.
    raw=BODIES.filter(lambda raw: len(raw) < 32_768),
    length=st.sampled_from(["exact", "absent", "garbage", "huge"]),
)
def test_the_local_server_answers_any_request_with_a_well_formed_response(
    base_url: str, method: str, path: str, headers: dict[str, str], raw: bytes, length: str
) -> None:
    declared = {"exact": str(len(raw)), "absent": None, "garbage": "twelve", "huge": str(10 * MAX_BODY_BYTES)}
    connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers | {"content-length": declared[length]}).items():
            if value is not None:
                connection.putheader(name, value)
        connection.endheaders(raw if length == "exact" else None)
        response = connection.getresponse()
        status, text = response.status, response.read()
    finally:
        connection.close()

    answer_is_well_formed(status, text)
    if length == "huge" and reads_the_body(method, path):
        assert status == 413


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
    leave_early(base_url, ROUTE)
    time.sleep(0.5)  # the server's threads answer no one

    assert call(f"{base_url}{HEALTH}")[0] == 200
    assert "Traceback" not in capfd.readouterr().err
