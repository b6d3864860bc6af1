"""The scoring API, the same for every serving target: what a request may hold, what it gets back.

    {"sessions": [{"session_id": "s1", "n_pageviews": 3, ...}, ...]}
      -> {"model_version": "...", "predictions": [{"session_id": "s1", "purchase_probability": 0.42}]}

The answer's field is named for what the model predicts (``prediction`` in contract.toml's [training_set],
"purchase" here), and the session's fields are the contract's key and features: the exported model carries
both, so the API changes with the contract, not with this file.

A serving target only adapts its transport (an API Gateway event, a SageMaker invocation, an HTTP request) to
these functions, so a request is checked the same way wherever the model is served. Each session is checked
against the rules the model carries for its inputs, the data contract's (``contract.toml``): a session the
model could never have been trained on (a negative count, a flag that is not 0 or 1, a fractional count, no
session id) is refused, naming the field and the rule. Every problem is a ``RequestError`` carrying the 4xx
status to answer with and a message naming the problem and the fix: a client never sees a 500 for something
it sent. Standard library only, like the scorer: the serving bundles ship this module without numpy or pandas.
"""

import json
from collections.abc import AsyncIterable, Mapping, Sequence
from typing import Any, Protocol

from ..contract import Inputs
from .recording import Recorder, new_request_id, prediction_events

# Every route of the API, with its method.
ROUTES = {"/predict": "POST", "/health": "GET"}
MAX_BODY_BYTES = 1_048_576
MAX_SESSIONS = 1_000

Payload = dict[str, Any]


class Model(Protocol):
    """What serving needs of a model: ``scoring.Scorer`` has it, whichever model family trained it."""

    @property
    def features(self) -> tuple[str, ...]: ...

    @property
    def version(self) -> str: ...

    @property
    def inputs(self) -> Inputs: ...

    def probability(self, features: Mapping[str, float]) -> float: ...


class RequestError(Exception):
    """A problem with what the client sent, answered with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    @property
    def payload(self) -> Payload:
        return {"error": str(self)}


def respond(body: bytes | str | None, model: Model, recorder: Recorder | None = None) -> tuple[int, Payload]:
    """The status and JSON payload answering ``POST /predict`` with ``body``; ``recorder``, when given,
    records each prediction of a valid request as an event (``recording.py``)."""
    try:
        return 200, answer(model, read_sessions(body), recorder)
    except RequestError as problem:
        return problem.status, problem.payload


def health(model: Model) -> Payload:
    """What ``GET /health`` answers: the service is up, and which model it serves."""
    return {"status": "ok", "model_version": model.version}


def check_route(method: str, path: str, routes: Mapping[str, str] = ROUTES) -> None:
    """Refuse a path with no route (404) or the wrong method for it (405), naming what would work."""
    allowed = routes.get(path.rstrip("/") or "/")
    if allowed is None:
        available = " or ".join(f"{verb} {route}" for route, verb in routes.items())
        raise RequestError(404, f"no route for {path!r}: use {available}")
    if method.upper() != allowed:
        raise RequestError(405, f"method {method} is not allowed here: use {allowed}")


def check_size(size: int) -> None:
    """Refuse a body over the limit; transports call this with the declared length before reading it."""
    if size > MAX_BODY_BYTES:
        raise RequestError(413, f"the request body is {size:,} bytes; the limit is {MAX_BODY_BYTES:,}")


def declared_size(content_length: str | None) -> int:
    """The body size a ``content-length`` header declares (0 when absent); a 400 when it is not a size."""
    if not content_length:
        return 0
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not (content_length.isascii() and content_length.isdigit()):
        raise RequestError(400, f"the content-length header {content_length!r} is not a number of bytes")
    return int(content_length)


async def read_body(chunks: AsyncIterable[bytes], declared_length: str | None = None) -> bytes:
    """A streamed body (an ASGI server's), refused as soon as it is known to be over the limit."""
    check_size(declared_size(declared_length))
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        check_size(len(body))
    return bytes(body)


def read_sessions(body: bytes | str | None) -> list[Any]:
    """The sessions in a request body: JSON of at most ``MAX_BODY_BYTES`` with a ``"sessions"`` list."""
    if not body:
        raise RequestError(400, 'the request has no body: send JSON like {"sessions": [...]}')
    data = body.encode("utf-8", errors="surrogatepass") if isinstance(body, str) else body
    check_size(len(data))
    try:
        parsed = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise RequestError(400, f"the request body is not valid JSON ({error})") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("sessions"), list):
        raise RequestError(400, 'the request body must be a JSON object with a "sessions" list')
    sessions: list[Any] = parsed["sessions"]
    if not sessions:
        raise RequestError(422, '"sessions" is empty: send at least one session')
    if len(sessions) > MAX_SESSIONS:
        raise RequestError(
            413, f'"sessions" has {len(sessions):,} items; the limit is {MAX_SESSIONS:,} per request'
        )
    return sessions


def answer(model: Model, sessions: Sequence[Any], recorder: Recorder | None = None) -> Payload:
    """The response to a valid request: the model's version and one prediction per session, in order."""
    predictions = score_sessions(model, sessions)
    if recorder is not None:
        key, output = model.inputs.key.name, model.inputs.output
        recorder.record(
            prediction_events(
                new_request_id(), model.version, key, output, sessions, predictions, when=recorder.clock()
            )
        )
    return {"model_version": model.version, "predictions": predictions}


def score_sessions(model: Model, sessions: Sequence[Any]) -> list[Payload]:
    """Check and score each session; the first bad one raises a 422 naming it (``sessions[i].field``)."""
    return [_score(model, index, session) for index, session in enumerate(sessions)]


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _score(model: Model, index: int, session: Any) -> Payload:
    where = f"sessions[{index}]"
    if not isinstance(session, dict):
        raise RequestError(422, f"{where} must be a JSON object of feature values")
    inputs = model.inputs
    key = inputs.key.name
    unknown = sorted(set(session) - set(model.features) - {key})
    if unknown:
        raise RequestError(422, f"{where} has unknown fields {unknown}; expected {[key, *model.features]}")
    for field in (inputs.key, *inputs.features):
        value = session.get(field.name)
        # The model reads every feature, whatever the contract lets the training set miss.
        problem = "is missing" if value is None else field.problem(value)
        if problem:
            raise RequestError(422, f"{where}.{field.name} {problem}")
    features = {name: float(session[name]) for name in model.features}
    for rule in inputs.rules:
        if not rule.holds(features):
            raise RequestError(422, f"{where} breaks the rule {rule.check} ({rule.description})")
    return {key: session[key], inputs.output: model.probability(features)}
