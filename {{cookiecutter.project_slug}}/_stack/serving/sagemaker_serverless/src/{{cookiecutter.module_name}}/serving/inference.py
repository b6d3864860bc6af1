"""The model's inference functions for SageMaker's PyTorch inference container, on a serverless endpoint.

The container's model server loads the model once per worker with ``model_fn``, then answers each invocation
with ``input_fn``, ``predict_fn`` and ``output_fn``. Nothing here needs PyTorch: that container is chosen for
its model server, which runs the SageMaker inference toolkit and passes ``output_fn`` the request's context,
through which the response status is set. (The scikit-learn container's server turns any exception from these
functions into a 500.) The toolkit answers an exception with a 500, or with the status of its own error type
followed by a traceback, so problems with a request are not raised here: ``predict_fn`` turns the body into
the scoring API's answer and ``output_fn`` sets its status, 4xx for a bad request, with the same JSON error as
every other serving target. Standard library only, like the scorer it ships with.

    POST /invocations  {"sessions": [{"session_id": "s1", "n_pageviews": 3, ...}, ...]}
      -> 200 {"model_version": "...", "predictions": [{"session_id": "s1", "purchase_probability": 0.42}]}
    GET /ping          -> 200, answered by the model server itself

One bad request is out of reach: the toolkit decodes a body declared exactly ``application/json`` or
``text/csv`` before ``input_fn`` sees it, so bytes that are not UTF-8 get the toolkit's 500.
"""

import json
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Protocol

from {{ cookiecutter.module_name }}.serving import recording
from {{ cookiecutter.module_name }}.serving.api import Model, Payload, respond
from {{ cookiecutter.module_name }}.serving.recording import Recorder
from {{ cookiecutter.module_name }}.serving.scoring import Scorer

JSON = "application/json"
Answer = tuple[int, Payload]


class RequestContext(Protocol):
    """What ``output_fn`` uses of the model server's context (TorchServe's ``Context``)."""

    def set_response_status(self, code: int = 200, phrase: str = "", idx: int = 0) -> None: ...


def model_fn(model_dir: str) -> Scorer:
    """Load the exported model that ``model.tar.gz`` carries beside ``code/``."""
    return Scorer.load(Path(model_dir) / "model.json")


def input_fn(request_body: bytes | str, content_type: str) -> bytes | str:
    """The body as sent, whatever its declared type: reading it is the scoring API's job (``predict_fn``)."""
    return request_body


@cache
def load_recorder() -> Recorder | None:
    """What records the worker's predictions (``PREDICTIONS_URI``, set by deploy/template.yaml)."""
    return recording.from_environment()


def predict_fn(body: bytes | str, scorer: Model) -> Answer:
    """The scoring API's status and payload for this body: predictions, or the problem with the request."""
    return respond(body, scorer, load_recorder())


def output_fn(answer: Answer, accept: str, context: RequestContext) -> tuple[str, str]:
    """Set the answer's status on the request and serialize it: always JSON, as on every serving target."""
    status, payload = answer
    context.set_response_status(code=status, phrase=HTTPStatus(status).phrase)
    return json.dumps(payload), JSON


class StatusRecorder:
    """A stand-in for the model server's context outside the container: it only keeps the status."""

    status = HTTPStatus.OK.value

    def set_response_status(self, code: int = 200, phrase: str = "", idx: int = 0) -> None:
        self.status = code


def invoke(scorer: Model, body: bytes | str, recorder: Recorder | None = None) -> tuple[int, str]:
    """One invocation chained as the toolkit does, outside the container: serve-local, the bundle check.
    ``recorder`` stands in for the worker's own (``predict_fn``'s), which only the container configures."""
    context = StatusRecorder()
    text, _ = output_fn(respond(input_fn(body, JSON), scorer, recorder), JSON, context)
    return context.status, text
