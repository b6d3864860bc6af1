"""The AWS Lambda handler behind an API Gateway HTTP API (payload format 2.0).

``handle`` is a pure function of the request event and the scorer, tested offline; ``handler`` is the entry
point Lambda calls, loading the model once per container. What a request may hold, and the 4xx JSON error for
each problem, come from the scoring API every serving target shares (``api.py``): this module only unwraps
the event's route and body. A client never sees a 500 or a traceback for something it sent.

    POST /predict  {"sessions": [{"session_id": "s1", "n_pageviews": 3, ...}, ...]}
      -> 200 {"model_version": "...", "predictions": [{"session_id": "s1", "purchase_probability": 0.42}]}
    GET /health    -> 200 {"status": "ok", "model_version": "..."}
"""

import base64
import binascii
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from . import recording
from .api import Model, Payload, RequestError, check_route, health, respond
from .recording import Recorder
from .scoring import Scorer

MODEL_PATH = Path(os.environ.get("MODEL_PATH", Path(__file__).with_name("model.json")))

Response = dict[str, Any]


def handler(event: dict[str, Any], context: object = None) -> Response:
    """Lambda's entry point."""
    return handle(event, load_scorer(), load_recorder())


@cache
def load_scorer() -> Scorer:
    """Loaded on the first request of a container and reused by every later one."""
    return Scorer.load(MODEL_PATH)


@cache
def load_recorder() -> Recorder | None:
    """What records the container's predictions (``PREDICTIONS_URI``, set by deploy/template.yaml)."""
    return recording.from_environment()


def handle(event: Any, scorer: Model, recorder: Recorder | None = None) -> Response:
    """Answer one API Gateway request; ``recorder``, when given, records its predictions."""
    try:
        method, path = _route(event)
        check_route(method, path)
        if path.rstrip("/") == "/health":
            return json_response(200, health(scorer))
        return json_response(*respond(_body(event), scorer, recorder))
    except RequestError as problem:
        return json_response(problem.status, problem.payload)


def _route(event: Any) -> tuple[str, str]:
    if not isinstance(event, dict):
        raise RequestError(400, "the request event is not an API Gateway HTTP API event")
    http = (
        event.get("requestContext", {}).get("http", {})
        if isinstance(event.get("requestContext"), dict)
        else {}
    )
    method = http.get("method") if isinstance(http, dict) else None
    path = event.get("rawPath")
    if not isinstance(method, str) or not isinstance(path, str):
        raise RequestError(400, "the request event has no HTTP method or path")
    return method.upper(), path


def _body(event: dict[str, Any]) -> bytes | str | None:
    """The body as the client sent it: API Gateway base64-encodes the ones it does not take for text."""
    raw = event.get("body")
    if raw is not None and not isinstance(raw, str):
        raise RequestError(400, "the request body is not text")
    if raw and event.get("isBase64Encoded") is True:
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(400, "the request body is marked base64 but does not decode") from None
    return raw


def json_response(status: int, payload: Payload) -> Response:
    """An API Gateway response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(payload),
    }
