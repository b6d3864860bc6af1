"""Fuzzed invocations through SageMaker's inference toolkit: never a 5xx.

The one exception is the toolkit's own, documented in ``inference.py``: a body declared exactly
``application/json`` or ``text/csv`` that is not UTF-8 fails inside the toolkit, before the functions run.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.serving import inference

from ..api_cases import BODIES, SCORER, answer_is_well_formed
from .test_inference import Endpoint

CONTENT_TYPES = st.sampled_from(["application/json", "text/csv", "application/octet-stream", "", "x/y; q=1"])
DECODED_BY_THE_TOOLKIT = {"application/json", "text/csv"}


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Endpoint:
    monkeypatch.setenv("SAGEMAKER_PROGRAM", inference.__name__)
    monkeypatch.setattr(inference, "model_fn", lambda model_dir: SCORER)
    return Endpoint()


def decodes(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=BODIES, content_type=CONTENT_TYPES)
def test_the_toolkit_answers_any_body_with_a_well_formed_response(
    endpoint: Endpoint, raw: bytes, content_type: str
) -> None:
    if content_type in DECODED_BY_THE_TOOLKIT and not decodes(raw):
        content_type = "application/octet-stream"  # the toolkit's own 500, documented above

    status, text = endpoint.invoke(raw, content_type=content_type)

    answer_is_well_formed(status, text)
