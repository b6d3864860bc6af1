"""The serving target's `make serve-local` server, uvicorn, on a free port, and the route it
scores at; the fixtures using them are in tests/fixtures_local_server.py."""

import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from {{ cookiecutter.module_name }}.serving.api import Model
    from {{ cookiecutter.module_name }}.serving.recording import Recorder


# Where the server scores: the app's route, as deployed.
SCORING_ROUTE = "/predict"


@contextmanager
def running(model: "Model", recorder: "Recorder | None" = None) -> Iterator[str]:
    """`make serve-local`'s server for ``model`` on a free port of localhost, recording with ``recorder``
    when given: its address, until the block ends."""
    from {{ cookiecutter.module_name }}.serving.serve_local import make_server

    server = make_server(model, "127.0.0.1", 0, recorder)
    # uvicorn's log keeps the streams it was configured with, which pytest closes once a fixture is set up:
    # it writes to the process's own instead, as under `make serve-local`.
    streams = {"default": sys.__stderr__, "access": sys.__stdout__}
    for handler in logging.getLogger("uvicorn").handlers + logging.getLogger("uvicorn.access").handlers:
        if isinstance(handler, logging.StreamHandler) and handler.name in streams:
            handler.setStream(streams[handler.name])
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
