"""The serving target's fixtures: `make serve-local`'s server, the standard library's, on a free port."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from {{ cookiecutter.module_name }}.serving.api import Model
    from {{ cookiecutter.module_name }}.serving.recording import Recorder

    from .monitoring.week import ScoreWeek

# Where the server scores: the {{ "container's route, which SageMaker calls" if cookiecutter.serving == "sagemaker_serverless" else "API Gateway route" }}.
SCORING_ROUTE = "{{ '/invocations' if cookiecutter.serving == 'sagemaker_serverless' else '/predict' }}"


@contextmanager
def running(model: "Model", recorder: "Recorder | None" = None) -> Iterator[str]:
    """`make serve-local`'s server for ``model`` on a free port of localhost, recording with ``recorder``
    when given: its address, until the block ends."""
    from {{ cookiecutter.module_name }}.serving.serve_local import make_server

    server = make_server(model, "127.0.0.1", 0, recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def base_url() -> Iterator[str]:
    """`make serve-local`'s server, serving the stand-in model on a free port of localhost: its address.

    What it prints goes to this process's stdout and stderr, where ``capfd`` finds it."""
    from .api_cases import SCORER

    with running(SCORER) as url:
        yield url


@pytest.fixture
def score_week() -> "ScoreWeek":
    """A week scored over HTTP by `make serve-local`'s server and recorded by its recorder."""
    from .monitoring.over_http import score_over_http

    return partial(score_over_http, serve=running, route=SCORING_ROUTE)
