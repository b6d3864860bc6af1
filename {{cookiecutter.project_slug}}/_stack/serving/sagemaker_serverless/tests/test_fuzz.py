"""Fuzzed invocations through SageMaker's inference toolkit and `make serve-local`: never a 5xx.

The one exception is the toolkit's own, documented in ``inference.py``: a body declared exactly
``application/json`` or ``text/csv`` that is not UTF-8 fails inside the toolkit, before the functions run.
"""

import http.client
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.contract import MAX_BODY_BYTES
from {{ cookiecutter.module_name }}.serve_local import make_server
from {{ cookiecutter.module_name }}.serving import inference

from .api_cases import BODIES, HEADERS, METHODS, SCORER, answer_is_well_formed
from .test_inference import Endpoint

CONTENT_TYPES = st.sampled_from(["application/json", "text/csv", "application/octet-stream", "", "x/y; q=1"])
DECODED_BY_THE_TOOLKIT = {"application/json", "text/csv"}


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Endpoint:
    monkeypatch.setenv("SAGEMAKER_PROGRAM", inference.__name__)
    monkeypatch.setattr(inference, "model_fn", lambda model_dir: SCORER)
    return Endpoint()


def decodes(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=BODIES, content_type=CONTENT_TYPES)
def test_the_toolkit_answers_any_body_with_a_well_formed_response(
    endpoint: Endpoint, raw: bytes, content_type: str
) -> None:
    if content_type in DECODED_BY_THE_TOOLKIT and not decodes(raw):
        content_type = "application/octet-stream"  # the toolkit's own 500, documented above

    status, text = endpoint.invoke(raw, content_type=content_type)

    answer_is_well_formed(status, text)


@pytest.fixture(scope="module")
def server_port() -> Iterator[int]:
    server = make_server(SCORER, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=METHODS,
    path=st.sampled_from(["/invocations", "/ping", "/", "/predict", "/invocations?x=1"]),
    headers=HEADERS,
    # Bodies the socket takes whole: the server answers a wrong route or an oversized body without reading
    # it, and a client still sending a megabyte would get a broken pipe instead of the answer. The handler's
    # own fuzz test covers bodies of every size; "huge" declares one and sends nothing.
    raw=BODIES.filter(lambda raw: len(raw) < 32_768),
    length=st.sampled_from(["exact", "absent", "garbage", "huge"]),
)
def test_the_local_server_answers_any_request_with_a_well_formed_response(
    server_port: int, method: str, path: str, headers: dict[str, str], raw: bytes, length: str
) -> None:
    declared = {"exact": str(len(raw)), "absent": None, "garbage": "twelve", "huge": str(10 * MAX_BODY_BYTES)}
    connection = http.client.HTTPConnection("127.0.0.1", server_port, timeout=10)
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
    if length == "huge" and (method, path.partition("?")[0]) == ("POST", "/invocations"):
        assert status == 413
