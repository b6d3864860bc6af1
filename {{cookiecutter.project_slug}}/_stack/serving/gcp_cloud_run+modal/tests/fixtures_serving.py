"""The serving target's fixture: `make serve-local`'s server, uvicorn, on a free port."""

import logging
import sys
import threading
import time
from collections.abc import Iterator

import pytest


@pytest.fixture
def base_url() -> Iterator[str]:
    """`make serve-local`'s server, serving the stand-in model on a free port of localhost: its address.

    What it prints goes to this process's stdout and stderr, where ``capfd`` finds it."""
    from {{ cookiecutter.module_name }}.serving.serve_local import make_server

    from .api_cases import SCORER

    server = make_server(SCORER, "127.0.0.1", 0)
    # uvicorn's log keeps the streams it was configured with, which pytest closes once this fixture is set up:
    # it writes to the process's own instead, as under `make serve-local`.
    streams = {"default": sys.__stderr__, "access": sys.__stdout__}
    for handler in logging.getLogger("uvicorn").handlers + logging.getLogger("uvicorn.access").handlers:
        if isinstance(handler, logging.StreamHandler) and handler.name in streams:
            handler.setStream(streams[handler.name])
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=30)
