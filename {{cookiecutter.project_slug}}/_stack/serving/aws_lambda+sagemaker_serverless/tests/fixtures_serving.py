"""The serving target's fixture: `make serve-local`'s server, the standard library's, on a free port."""

import threading
from collections.abc import Iterator

import pytest


@pytest.fixture
def base_url() -> Iterator[str]:
    """`make serve-local`'s server, serving the stand-in model on a free port of localhost: its address.

    What it prints goes to this process's stdout and stderr, where ``capfd`` finds it."""
    from {{ cookiecutter.module_name }}.serving.serve_local import make_server

    from .api_cases import SCORER

    server = make_server(SCORER, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
