"""The serving target's `make serve-local` server, the standard library's, on a free port, and the route it
scores at; the fixtures using them are in tests/fixtures_local_server.py."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from {{ cookiecutter.module_name }}.serving.api import Model
    from {{ cookiecutter.module_name }}.serving.recording import Recorder


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
