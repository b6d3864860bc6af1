"""The scoring API, shared by every serving target: valid requests are scored, bad ones refused, and a
session the data contract refuses gets a 422 naming the field and the rule, whatever the contract says."""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings

from {{ cookiecutter.module_name }}.contract import CONTRACT_PATH, Inputs, load
from {{ cookiecutter.module_name }}.serving.api import (
    MAX_BODY_BYTES,
    RequestError,
    check_route,
    health,
    read_body,
    respond,
    score_sessions,
)
from {{ cookiecutter.module_name }}.training_set import FEATURES, OUTPUT

from ..api_cases import BAD_BODIES, BAD_BODY_IDS, BODIES, SCORER, SESSION, answer_is_well_formed, body


def test_scores_each_session_in_order() -> None:
    second = SESSION | {"session_id": "s2", "n_cart_adds": 5, "net_cart_items": 5 - SESSION["n_cart_removes"]}

    status, payload = respond(body({"sessions": [SESSION, second]}), SCORER)

    assert status == 200
    assert payload["model_version"] == "test-model"
    first, other = payload["predictions"]
    assert first["session_id"] == "s1" and other["session_id"] == "s2"
    assert 0 < first[OUTPUT] < other[OUTPUT] < 1  # cart adds weigh positively
    assert first[OUTPUT] == SCORER.probability({n: float(SESSION[n]) for n in FEATURES})


def test_text_bodies_are_accepted() -> None:
    status, payload = respond(body({"sessions": [SESSION]}).decode(), SCORER)

    assert status == 200
    assert payload["predictions"][0]["session_id"] == "s1"


def test_health_names_the_model() -> None:
    assert health(SCORER) == {"status": "ok", "model_version": "test-model"}


@pytest.mark.parametrize(("raw", "status", "words"), BAD_BODIES, ids=BAD_BODY_IDS)
def test_bad_requests_get_a_4xx_naming_the_problem(raw: bytes, status: int, words: str) -> None:
    answered, payload = respond(raw, SCORER)

    assert (answered, list(payload)) == (status, ["error"])
    assert words in payload["error"]


def test_a_session_outside_the_contract_is_refused_naming_the_field_and_the_rule() -> None:
    assert respond(body({"sessions": [SESSION | {"n_pageviews": -1}]}), SCORER) == (
        422,
        {"error": "sessions[0].n_pageviews must be a whole number of at least 0, not -1"},
    )
    assert respond(body({"sessions": [SESSION | {"is_weekend": 2}]}), SCORER) == (
        422,
        {"error": "sessions[0].is_weekend must be one of 0, 1, not 2"},
    )


def test_rules_added_to_the_contract_are_enforced_at_serving(tmp_path: Path) -> None:
    """A model exported under a stricter contract carries its rules, and serving refuses what they refuse."""
    stricter = tmp_path / "contract.toml"
    declared = CONTRACT_PATH.read_text().replace(
        "[training_set.features.session_seconds]\n", "[training_set.features.session_seconds]\nmax = 86_400\n"
    )
    rule = 'check = "n_detail_views <= n_pageviews"\ndescription = "Views need pages."'
    stricter.write_text(f"{declared}\n[[training_set.rules]]\n{rule}\n")
    # Through JSON, as the exported model carries them.
    carried = Inputs.from_json(json.loads(json.dumps(load(stricter).training_set.inputs(FEATURES).to_json())))
    model = replace(SCORER, inputs=carried)
    long_session = SESSION | {"session_seconds": 86_401}
    more_details_than_pages = SESSION | {"n_detail_views": SESSION["n_pageviews"] + 1}

    for session in (long_session, more_details_than_pages):
        assert respond(body({"sessions": [session]}), SCORER)[0] == 200
    assert respond(body({"sessions": [long_session]}), model) == (
        422,
        {"error": "sessions[0].session_seconds must be a whole number from 0 to 86,400, not 86401"},
    )
    assert respond(body({"sessions": [more_details_than_pages]}), model) == (
        422,
        {"error": "sessions[0] breaks the rule n_detail_views <= n_pageviews (Views need pages.)"},
    )


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
