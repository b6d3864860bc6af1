"""A test model, a valid session, and the bad requests every serving target must refuse with a 4xx.

Each serving target's tests send these bodies through its own transport; the expected status and the words
the error must contain are the contract's (``contract.py``), so the targets cannot drift apart. The
strategies at the end generate hostile requests for the fuzz tests: any bytes, JSON of any shape, sessions
with values of every type, and bodies around the size limit.
"""

import http.client
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.contract import MAX_BODY_BYTES, MAX_SESSIONS
from {{ cookiecutter.module_name }}.training_set import FEATURES


@dataclass(frozen=True)
class StandInModel:
    """The scorer's interface with known answers, whichever model family the project trains."""

    features: tuple[str, ...] = FEATURES
    version: str = "test-model"

    def probability(self, features: Mapping[str, float]) -> float:
        """A logistic model whose weights grow along the feature list (cart adds weigh positively)."""
        logit = -2.0 + sum(0.1 * (i + 1) * features[name] for i, name in enumerate(self.features))
        return 0.5 * (1.0 + math.tanh(0.5 * logit))


SCORER = StandInModel()
SESSION = dict.fromkeys(FEATURES, 1) | {"session_id": "s1"}
WITHOUT_PAGEVIEWS = {name: value for name, value in SESSION.items() if name != "n_pageviews"}


def body(payload: object) -> bytes:
    return json.dumps(payload).encode()


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
    (body({"sessions": [WITHOUT_PAGEVIEWS]}), 422, "sessions[0].n_pageviews is missing"),
    (body({"sessions": [SESSION | {"n_pageviews": "3"}]}), 422, "must be a number, not str"),
    (body({"sessions": [SESSION | {"n_pageviews": True}]}), 422, "must be a number, not bool"),
    (body({"sessions": [SESSION | {"n_pageviews": 10**400}]}), 422, "out of range"),
    (body({"sessions": [SESSION | {"session_id": 5}]}), 422, "session_id must be a string"),
    (body({"sessions": [SESSION | {"n_pagevews": 3}]}), 422, "unknown fields ['n_pagevews']"),
    (body({"sessions": [SESSION, SESSION | {"is_weekend": None}]}), 422, "sessions[1].is_weekend is missing"),
    (body({"sessions": [SESSION] * (MAX_SESSIONS + 1)}), 413, "limit"),
    (body({"sessions": [SESSION], "pad": "x" * MAX_BODY_BYTES}), 413, "limit"),
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
