"""The scoring API's contract, shared by every serving target: valid requests are scored, bad ones refused."""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings

from {{ cookiecutter.module_name }}.contract import (
    MAX_BODY_BYTES,
    RequestError,
    check_route,
    health,
    read_body,
    respond,
    score_sessions,
)
from {{ cookiecutter.module_name }}.training_set import FEATURES

from .api_cases import BAD_BODIES, BAD_BODY_IDS, BODIES, SCORER, SESSION, answer_is_well_formed, body


def test_scores_each_session_in_order() -> None:
    second = SESSION | {"session_id": "s2", "n_cart_adds": 5}

    status, payload = respond(body({"sessions": [SESSION, second]}), SCORER)

    assert status == 200
    assert payload["model_version"] == "test-model"
    first, other = payload["predictions"]
    assert first["session_id"] == "s1" and other["session_id"] == "s2"
    assert 0 < first["purchase_probability"] < other["purchase_probability"] < 1  # cart adds weigh positively
    assert first["purchase_probability"] == SCORER.probability({n: float(SESSION[n]) for n in FEATURES})


def test_text_bodies_and_sessions_without_an_id_are_accepted() -> None:
    anonymous = dict.fromkeys(FEATURES, 2.5)

    status, payload = respond(body({"sessions": [anonymous]}).decode(), SCORER)

    assert status == 200
    assert payload["predictions"][0]["session_id"] is None


def test_health_names_the_model() -> None:
    assert health(SCORER) == {"status": "ok", "model_version": "test-model"}


@pytest.mark.parametrize(("raw", "status", "words"), BAD_BODIES, ids=BAD_BODY_IDS)
def test_bad_requests_get_a_4xx_naming_the_problem(raw: bytes, status: int, words: str) -> None:
    answered, payload = respond(raw, SCORER)

    assert (answered, list(payload)) == (status, ["error"])
    assert words in payload["error"]


def test_batches_are_not_limited_in_size() -> None:
    many = [SESSION] * 5_000

    assert len(score_sessions(SCORER, many)) == 5_000


@pytest.mark.parametrize(
    ("method", "path", "status", "words"),
    [
        ("GET", "/predict", 405, "use POST"),
        ("DELETE", "/health", 405, "use GET"),
        ("POST", "/admin", 404, "no route for '/admin': use POST /predict or GET /health"),
    ],
)
def test_wrong_routes_are_refused_naming_the_right_ones(
    method: str, path: str, status: int, words: str
) -> None:
    with pytest.raises(RequestError, match=words) as refused:
        check_route(method, path)

    assert refused.value.status == status


def test_routes_allow_a_trailing_slash_and_any_case_of_method() -> None:
    check_route("post", "/predict/")
    check_route("GET", "/health")


async def stream(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def test_streamed_bodies_are_read_whole_within_the_limit() -> None:
    assert asyncio.run(read_body(stream(b'{"sessions"', b": []}"), "17")) == b'{"sessions": []}'


@pytest.mark.parametrize(
    ("chunks", "declared"),
    [((b"{}",), str(MAX_BODY_BYTES + 1)), ((b"x" * MAX_BODY_BYTES, b"x"), None)],
    ids=["declared", "streamed"],
)
def test_streamed_bodies_over_the_limit_get_a_413(chunks: tuple[bytes, ...], declared: str | None) -> None:
    with pytest.raises(RequestError, match="limit") as refused:
        asyncio.run(read_body(stream(*chunks), declared))

    assert refused.value.status == 413


@settings(max_examples=300, deadline=None)
@given(raw=BODIES)
def test_any_body_gets_a_well_formed_answer_and_oversized_ones_a_413(raw: bytes) -> None:
    """Fuzzed: every serving target's answer to a body is this one, so no body can make any of them fail."""
    status, payload = respond(raw, SCORER)

    answer_is_well_formed(status, json.dumps(payload))
    if len(raw) > MAX_BODY_BYTES:
        assert status == 413
