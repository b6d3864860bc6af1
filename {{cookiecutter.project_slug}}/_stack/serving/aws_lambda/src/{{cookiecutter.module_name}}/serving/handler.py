"""The AWS Lambda handler behind an API Gateway HTTP API (payload format 2.0).

``handle`` is a pure function of the request event and the scorer, tested offline; ``handler`` is the entry
point Lambda calls, loading the model once per container. Every bad request gets a 4xx JSON error naming the
problem: a client must never see a 500 or a traceback for something it sent.

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

from ..scoring import Scorer

MODEL_PATH = Path(os.environ.get("MODEL_PATH", Path(__file__).with_name("model.json")))
MAX_BODY_BYTES = 1_048_576
MAX_SESSIONS = 1_000
MAX_ABS_VALUE = 1e12

Response = dict[str, Any]


class RequestError(Exception):
    """A problem with what the client sent, answered with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def handler(event: dict[str, Any], context: object = None) -> Response:
    """Lambda's entry point."""
    return handle(event, load_scorer())


@cache
def load_scorer() -> Scorer:
    """Loaded on the first request of a container and reused by every later one."""
    return Scorer.load(MODEL_PATH)


def handle(event: Any, scorer: Scorer) -> Response:
    """Answer one API Gateway request."""
    try:
        method, path = _route(event)
        if path.rstrip("/") == "/health":
            _require(method, "GET")
            return json_response(200, {"status": "ok", "model_version": scorer.version})
        if path.rstrip("/") == "/predict":
            _require(method, "POST")
            sessions = _sessions(_body(event))
            predictions = [_predict(scorer, index, session) for index, session in enumerate(sessions)]
            return json_response(200, {"model_version": scorer.version, "predictions": predictions})
        raise RequestError(404, f"no route for {path!r}: use POST /predict or GET /health")
    except RequestError as problem:
        return json_response(problem.status, {"error": str(problem)})


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


def _require(method: str, allowed: str) -> None:
    if method != allowed:
        raise RequestError(405, f"method {method} is not allowed here: use {allowed}")


def _body(event: dict[str, Any]) -> Any:
    raw = event.get("body")
    if raw is None or raw == "":
        raise RequestError(400, 'the request has no body: send JSON like {"sessions": [...]}')
    if not isinstance(raw, str):
        raise RequestError(400, "the request body is not text")
    if event.get("isBase64Encoded") is True:
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(400, "the request body is marked base64 but does not decode") from None
    else:
        data = raw.encode("utf-8", errors="surrogatepass")
    if len(data) > MAX_BODY_BYTES:
        raise RequestError(413, f"the request body is {len(data):,} bytes; the limit is {MAX_BODY_BYTES:,}")
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise RequestError(400, f"the request body is not valid JSON ({error})") from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _sessions(body: Any) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("sessions"), list):
        raise RequestError(400, 'the request body must be a JSON object with a "sessions" list')
    sessions: list[Any] = body["sessions"]
    if not sessions:
        raise RequestError(422, '"sessions" is empty: send at least one session')
    if len(sessions) > MAX_SESSIONS:
        raise RequestError(
            413, f'"sessions" has {len(sessions):,} items; the limit is {MAX_SESSIONS:,} per request'
        )
    return sessions


def _predict(scorer: Scorer, index: int, session: Any) -> dict[str, Any]:
    where = f"sessions[{index}]"
    if not isinstance(session, dict):
        raise RequestError(422, f"{where} must be a JSON object of feature values")
    session_id = session.get("session_id")
    if session_id is not None and not isinstance(session_id, str):
        raise RequestError(422, f"{where}.session_id must be a string")
    unknown = sorted(set(session) - set(scorer.features) - {"session_id"})
    if unknown:
        raise RequestError(422, f"{where} has unknown fields {unknown}; expected {list(scorer.features)}")
    features = {}
    for name in scorer.features:
        value = session.get(name)
        if value is None:
            raise RequestError(422, f"{where}.{name} is missing")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RequestError(422, f"{where}.{name} must be a number, not {type(value).__name__}")
        if not abs(value) <= MAX_ABS_VALUE:  # also false for NaN and infinities
            raise RequestError(422, f"{where}.{name} is out of range (at most {MAX_ABS_VALUE:g} in size)")
        features[name] = float(value)
    return {"session_id": session_id, "purchase_probability": scorer.probability(features)}


def json_response(status: int, payload: dict[str, Any]) -> Response:
    """An API Gateway response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(payload),
    }
