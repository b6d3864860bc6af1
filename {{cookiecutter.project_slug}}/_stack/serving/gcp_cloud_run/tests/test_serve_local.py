"""`make serve-local`: the Cloud Run app behind uvicorn on localhost, as the image runs it."""

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from unittest.mock import ANY

import pytest

from {{ cookiecutter.module_name }}.serve_local import make_server

from .api_cases import SCORER, SESSION, body, status_of_an_oversized_post


@pytest.fixture
def base_url() -> Iterator[str]:
    server = make_server(SCORER, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=30)


def call(url: str, data: bytes | None = None) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_predict_and_health_over_http(base_url: str) -> None:
    status, answer = call(f"{base_url}/predict", body({"sessions": [SESSION]}))

    assert status == 200
    assert answer["model_version"] == "test-model"
    assert call(f"{base_url}/health") == (200, {"status": "ok", "model_version": "test-model"})


def test_bad_and_oversized_requests_get_4xx_over_http(base_url: str) -> None:
    assert call(f"{base_url}/predict", b"{oops") == (400, {"error": ANY})
    assert status_of_an_oversized_post(f"{base_url}/predict") == 413
    assert call(f"{base_url}/nowhere")[0] == 404
