"""A test model, a valid session, and the bad requests every serving target must refuse with a 4xx.

Each serving target's tests send these bodies through its own transport; the expected status and the words the
error must contain are the scoring API's (``serving/api.py``) and the data contract's (``contract.toml``), so
the targets cannot drift apart. The contract's cases are derived from the contract itself: for each rule of
each field the model reads, and for each rule across them, a session breaking that rule alone. A rule added to
the contract gets its case, which every target must refuse. The strategies at the end generate hostile
requests for the fuzz tests: any bytes, JSON of any shape, sessions with values of every type, and bodies
around the size limit; the raw requests test the local servers' HTTP itself.
"""

import contextlib
import http.client
import json
import math
import socket
import struct
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.contract import Field, Inputs, Rule
from {{ cookiecutter.module_name }}.serving.api import MAX_BODY_BYTES, MAX_SESSIONS
from {{ cookiecutter.module_name }}.training_set import CONTRACT, FEATURES

# What the model reads, as the contract declares it; an exported model carries the same (``Inputs.to_json``).
INPUTS = CONTRACT.inputs(FEATURES)


@dataclass(frozen=True)
class StandInModel:
    """The scorer's interface with known answers, whichever model family the project trains."""

    features: tuple[str, ...] = FEATURES
    version: str = "test-model"
    inputs: Inputs = INPUTS

    def probability(self, features: Mapping[str, float]) -> float:
        """A logistic model whose weights grow along the feature list (cart adds weigh positively)."""
        logit = -2.0 + sum(0.1 * (i + 1) * features[name] for i, name in enumerate(self.features))
        return 0.5 * (1.0 + math.tanh(0.5 * logit))


def typical(field: Field) -> Any:
    """A value ``field`` accepts: 1 where it may be (a count of one, a flag that is set), else the first value
    it allows or a bound; "s1" for text."""
    candidates = ["s1" if field.type == "text" else 1, *(field.allowed or ()), field.min, field.max]
    return next(value for value in candidates if value is not None and field.problem(value) is None)


SCORER = StandInModel()
# Every field at a typical value, and the rules across them kept: net cart items are adds minus removes.
SESSION = {field.name: typical(field) for field in (INPUTS.key, *INPUTS.features)} | {"net_cart_items": 0}


def body(payload: object) -> bytes:
    return json.dumps(payload).encode()


def refusal(field: Field, value: object) -> str:
    """The words refusing ``value`` for what the contract says ``field`` must be (its type, range, values)."""
    return f"sessions[0].{field.name} {field.expectation()}, not {value!r}"


def breaking_text(field: Field) -> list[tuple[object, str]]:
    """A value breaking each rule of a text field (any text field), and the words that must name it."""
    where = f"sessions[0].{field.name}"
    cases: list[tuple[object, str]] = [
        (5, f"{where} must be text, not 5"),
        (" ", f"{where} is blank"),
        ("s\t1", f"{where} holds a control character"),
        ("s\ud8001", f"{where} holds a lone surrogate"),
    ]
    if field.max_length is not None:
        too_long = field.max_length + 1
        limit = f"the limit is {field.max_length}"
        cases.append(("x" * too_long, f"{where} is {too_long:,} characters long; {limit}"))
    if field.allowed is not None:
        cases.append(("not-allowed", refusal(field, "not-allowed")))
    return cases


def breaking_number(field: Field) -> list[tuple[object, str]]:
    """A value breaking each rule of an integer or number field, and the words that must name it."""
    where = f"sessions[0].{field.name}"
    kind = "a whole number" if field.type == "integer" else "a number"
    cases: list[tuple[object, str]] = [
        ("1", f"{where} must be {kind}, not '1'"),
        (True, f"{where} must be {kind}, not True"),
        # Numbers are stored in 64 bits: too large to store, or beyond any float (JSON has no infinity), which
        # the message describes by its size rather than print.
        (2**63, f"{where} is {2**63}: too large to store"),
        (10**400, f"{where} {field.expectation()}, not a whole number of 1329 bits"),
    ]
    if field.type == "integer":
        cases.append((typical(field) + 0.5, refusal(field, typical(field) + 0.5)))
    if field.min is not None:
        cases.append((field.min - 1, refusal(field, field.min - 1)))
    if field.max is not None:
        cases.append((field.max + 1, refusal(field, field.max + 1)))
    if field.allowed is not None:
        cases.append((max(field.allowed) + 1, refusal(field, max(field.allowed) + 1)))
    return cases


def breaking_field(field: Field) -> list[tuple[dict[str, Any], str]]:
    """SESSION broken by one rule of ``field`` at a time (a missing value first), and the words naming it."""
    values = breaking_text(field) if field.type == "text" else breaking_number(field)
    cases = [(SESSION | {field.name: value}, words) for value, words in values]
    if field.required:
        missing = {name: value for name, value in SESSION.items() if name != field.name}
        cases.insert(0, (missing, f"sessions[0].{field.name} is missing"))
    return cases


def breaking_rule(rule: Rule) -> tuple[dict[str, Any], str]:
    """SESSION with one of the rule's columns changed so that it breaks this rule and nothing else."""
    for name in rule.columns:
        field = next(feature for feature in INPUTS.features if feature.name == name)
        for value in (0, 2, 5, 100, -1):
            session = SESSION | {name: value}
            numbers = {feature: float(session[feature]) for feature in FEATURES}
            others_hold = all(other.holds(numbers) for other in INPUTS.rules if other != rule)
            if field.problem(value) is None and others_hold and not rule.holds(numbers):
                return session, f"sessions[0] breaks the rule {rule.check}"
    raise AssertionError(f"no change of one column breaks only {rule.check}: add a case for it by hand")


# Sessions breaking each rule of the contract the model reads, one at a time: (session, words of the 422).
CONTRACT_VIOLATIONS: list[tuple[dict[str, Any], str]] = [
    *(case for field in (INPUTS.key, *INPUTS.features) for case in breaking_field(field)),
    *(breaking_rule(rule) for rule in INPUTS.rules),
]
# (request body, status, words the error message must contain)
BAD_BODIES: list[tuple[bytes, int, str]] = [
    (b"", 400, "no body"),
    (b"{not json", 400, "not valid JSON"),
    (b'{"sessions": [{"n_pageviews": NaN}]}', 400, "not valid JSON"),
    (b"\xff\xfe\xfa", 400, "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, 400, "not valid JSON"),
    (body(["a", "list"]), 400, '"sessions" list'),
    (body({"sessions": "s1"}), 400, '"sessions" list'),
    (body({"sessions": []}), 422, "empty"),
    (body({"sessions": [42]}), 422, "sessions[0] must be a JSON object"),
    (body({"sessions": [SESSION | {"n_pagevews": 3}]}), 422, "unknown fields ['n_pagevews']"),
    (body({"sessions": [SESSION, SESSION | {"is_weekend": None}]}), 422, "sessions[1].is_weekend is missing"),
    (body({"sessions": [SESSION] * (MAX_SESSIONS + 1)}), 413, "limit"),
    (body({"sessions": [SESSION], "pad": "x" * MAX_BODY_BYTES}), 413, "limit"),
    *((body({"sessions": [session]}), 422, words) for session, words in CONTRACT_VIOLATIONS),
]
BAD_BODY_IDS = [f"{status}-{words}" for _, status, words in BAD_BODIES]


def status_of_an_oversized_post(url: str) -> int:
    """Announce a body over the limit and send none of it: a server must refuse it before reading any."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.putrequest("POST", parts.path)
        connection.putheader("content-length", str(MAX_BODY_BYTES + 1))
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def answer_is_well_formed(status: int, text: str | bytes) -> None:
    """A 200 with predictions or a 4xx with one error message: never a 5xx, a traceback or non-JSON."""
    assert 200 <= status < 500 and status not in range(201, 400), status
    payload: Any = json.loads(text)
    if status == 200:
        assert set(payload) in ({"model_version", "predictions"}, {"status", "model_version"})  # or health
    else:
        assert list(payload) == ["error"] and isinstance(payload["error"], str)
        assert "Traceback" not in payload["error"]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
# A session: the model's features (or some of them, or others), each any JSON value or a plausible number.
SESSIONS = st.dictionaries(
    st.sampled_from([*FEATURES, "session_id", "n_pagevews"]) | st.text(max_size=10),
    st.integers(min_value=0, max_value=100) | st.floats(allow_nan=False) | JSON_VALUES,
    max_size=len(FEATURES) + 2,
) | st.builds(
    lambda changes: SESSION | changes, st.dictionaries(st.sampled_from(FEATURES), JSON_VALUES, max_size=2)
)
JSON_BODIES = st.one_of(
    st.builds(lambda sessions: {"sessions": sessions}, st.lists(SESSIONS, max_size=4)),
    st.builds(lambda value: {"sessions": value}, JSON_VALUES),
    JSON_VALUES,
).map(lambda payload: json.dumps(payload).encode())
# Valid requests padded to a byte or two either side of the size limit.
UNPADDED = len(body({"sessions": [SESSION], "pad": ""}))
PADDED_BODIES = st.integers(min_value=-2, max_value=2).map(
    lambda over: body({"sessions": [SESSION], "pad": "x" * (MAX_BODY_BYTES - UNPADDED + over)})
)
# What a fuzz test sends: JSON of any shape, any bytes, any text, and bodies around the size limit.
BODIES = st.one_of(JSON_BODIES, st.binary(max_size=300), st.text(max_size=100).map(str.encode), PADDED_BODIES)
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
PATHS = st.sampled_from(["/predict", "/predict/", "/health", "/", "/admin", "/predict?x=1"])
HEADERS = st.dictionaries(
    st.sampled_from(["content-type", "accept", "x-forwarded-for", "authorization", "x-anything"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    max_size=4,
)


def call(url: str, data: bytes | None = None, method: str | None = None) -> tuple[int, dict[str, object]]:
    """One request to a local server: its status and JSON answer, errors included (a POST when ``data``)."""
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def raw_requests(route: str) -> dict[str, tuple[bytes, int]]:
    """Requests that test a local server's HTTP itself, each with the status it must answer (in JSON, with no
    body for HEAD): a malformed request line, any method, a request line or headers too large, chunked bodies,
    any content type. Sessions are scored at ``route``."""
    scored = body({"sessions": [SESSION]})

    def request(start: str, headers: str = "", content: bytes = b"") -> bytes:
        return f"{start} HTTP/1.1\r\nhost: localhost\r\n{headers}\r\n".encode() + content

    def typed(content_type: str) -> bytes:
        headers = f"content-type: {content_type}\r\ncontent-length: {len(scored)}\r\n"
        return request(f"POST {route}", headers, scored)

    def chunked(*chunks: bytes) -> bytes:
        encoded = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"
        return request(f"POST {route}", "transfer-encoding: chunked\r\n", encoded)

    many_headers = "".join(f"x-header-{n}: {n}\r\n" for n in range(3_000))
    return {
        "a space in the path": (request(f"GET {route} x"), 400),
        "unknown method": (request(f"FOO {route}"), 405),
        "HEAD": (request(f"HEAD {route}"), 405),
        "request line too long": (request(f"GET /{'x' * 70_000}"), 414),
        "header too long": (request("GET /", f"x-long: {'x' * 70_000}\r\n"), 431),
        "too many headers": (request("GET /", many_headers), 431),
        "chunked": (chunked(scored[:10], scored[10:]), 200),
        "chunked over the limit": (chunked(b"x" * (MAX_BODY_BYTES + 1)), 413),
        "form": (typed("application/x-www-form-urlencoded"), 200),  # what `curl -d` declares
        "text": (typed("text/plain; charset=utf-8"), 200),
        "unknown type": (typed("x/y"), 200),
    }


def exchange(url: str, raw: bytes) -> tuple[int, str, bytes]:
    """Send ``raw`` as it is to the server at ``url``: the answer's status, content type and body.

    A server may answer before reading the whole request (an oversized body or headers) and close the
    connection; the request is sent from another thread, so the answer is read while the rest is on its way,
    and sending the rest may fail."""
    with socket.create_connection(address(url), timeout=10) as connection:
        sender = threading.Thread(target=_send_all, args=(connection, raw))
        sender.start()
        try:
            response = http.client.HTTPResponse(connection, method=raw.split(b" ", 1)[0].decode())
            response.begin()
            return response.status, response.getheader("content-type", ""), response.read()
        finally:
            sender.join()


def address(url: str) -> tuple[str, int]:
    """The host and port of a local server's ``url``."""
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _send_all(connection: socket.socket, raw: bytes) -> None:
    with contextlib.suppress(OSError):
        connection.sendall(raw)


def leave_early(url: str, route: str) -> None:
    """Leave the server with no one to answer: once in the middle of a body, once right after a request for a
    large answer (resetting the connection rather than closing it)."""
    start = f"POST {route} HTTP/1.1\r\nhost: localhost\r\n"
    with socket.create_connection(address(url), timeout=10) as connection:
        connection.sendall(f"{start}content-length: 1000\r\n\r\n".encode() + b'{"sessions": [')
    large = body({"sessions": [SESSION] * MAX_SESSIONS})
    with socket.create_connection(address(url), timeout=10) as connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.sendall(f"{start}content-length: {len(large)}\r\n\r\n".encode() + large)
