"""Fuzzed events to the Lambda handler: always a well-formed answer, never a 5xx."""

import base64
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.serving.handler import handle

from ..api_cases import BODIES, HEADERS, JSON_VALUES, METHODS, PATHS, SCORER, answer_is_well_formed


@st.composite
def events(draw: st.DrawFn) -> Any:
    """API Gateway HTTP API events: well-formed ones with any request in them, and junk."""
    raw = draw(BODIES)
    encoded = draw(st.booleans())
    event = {
        "version": "2.0",
        "rawPath": draw(PATHS | st.text(max_size=20)),
        "requestContext": {"http": {"method": draw(METHODS | st.text(max_size=8))}},
        "headers": draw(HEADERS),
        "body": base64.b64encode(raw).decode() if encoded else raw.decode("utf-8", errors="surrogateescape"),
        "isBase64Encoded": encoded,
    }
    broken = draw(st.dictionaries(st.sampled_from(sorted(event)), JSON_VALUES, max_size=2))
    return draw(st.sampled_from([event, event | broken, draw(JSON_VALUES)]))


@settings(max_examples=300, deadline=None)
@given(event=events())
def test_the_handler_answers_any_event_with_a_well_formed_response(event: Any) -> None:
    response = handle(event, SCORER)

    assert response["headers"] == {"content-type": "application/json"}
    answer_is_well_formed(response["statusCode"], response["body"])
