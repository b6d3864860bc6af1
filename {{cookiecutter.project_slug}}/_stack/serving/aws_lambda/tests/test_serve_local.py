"""`make serve-local`: the handler behind a real HTTP server on localhost."""

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from {{ cookiecutter.module_name }}.scoring import Scorer
from {{ cookiecutter.module_name }}.serve_local import make_server
from {{ cookiecutter.module_name }}.serving.handler import MAX_BODY_BYTES
from {{ cookiecutter.module_name }}.training_set import FEATURES

SCORER = Scorer(
    features=FEATURES,
    center=tuple(0.0 for _ in FEATURES),
    scale=tuple(1.0 for _ in FEATURES),
    coefficients=tuple(0.1 for _ in FEATURES),
    intercept=-1.0,
    version="local-test",
)


@pytest.fixture
def base_url() -> Iterator[str]:
    server = make_server(SCORER, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def call(url: str, body: bytes | None = None) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_predict_and_health_over_http(base_url: str) -> None:
    session = dict.fromkeys(FEATURES, 1)

    status, body = call(f"{base_url}/predict", json.dumps({"sessions": [session]}).encode())

    assert status == 200
    assert body["model_version"] == "local-test"
    assert call(f"{base_url}/health") == (200, {"status": "ok", "model_version": "local-test"})


def test_bad_and_oversized_requests_get_4xx_over_http(base_url: str) -> None:
    assert call(f"{base_url}/predict", b"{oops")[0] == 400
    assert call(f"{base_url}/predict", b"x" * (MAX_BODY_BYTES + 1))[0] == 413
    assert call(f"{base_url}/nowhere")[0] == 404
