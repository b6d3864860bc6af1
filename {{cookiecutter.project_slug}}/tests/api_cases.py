"""A test model, a valid session, and the bad requests every serving target must refuse with a 4xx.

Each serving target's tests send these bodies through its own transport; the expected status and the words
the error must contain are the contract's (``contract.py``), so the targets cannot drift apart.
"""

import http.client
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

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


def call(url: str, data: bytes | None = None, method: str | None = None) -> tuple[int, dict[str, object]]:
    """One request to a local server: its status and JSON answer, errors included (a POST when ``data``)."""
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
