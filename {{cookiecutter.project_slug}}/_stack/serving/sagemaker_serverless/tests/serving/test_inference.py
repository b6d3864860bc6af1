"""The inference functions run by SageMaker's own inference toolkit: valid requests are scored, bad ones get
a 4xx JSON error naming the problem, never a 500 or a traceback."""

import json

import pytest
from sagemaker_inference.transformer import Transformer

from {{ cookiecutter.module_name }}.serving import inference
from {{ cookiecutter.module_name }}.training_set import OUTPUT

from ..api_cases import BAD_BODIES, BAD_BODY_IDS, SCORER, SESSION, body


class RequestProcessor:
    """TorchServe's per-request record: the request's headers and the status reported for it."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers
        self.status, self.phrase = 200, ""

    def get_request_properties(self) -> dict[str, str]:
        return self.headers

    def report_status(self, code: int, reason_phrase: str = "") -> None:
        self.status, self.phrase = code, reason_phrase


class ModelServerContext:
    """TorchServe's ``Context``: one per worker, with a new request processor for every request."""

    def __init__(self) -> None:
        self.system_properties = {"model_dir": "/opt/ml/model"}
        self.model_name = "model"
        self.request_processor: list[RequestProcessor] = []
        self.content_type = ""

    def set_response_status(self, code: int = 200, phrase: str = "", idx: int = 0) -> None:
        self.request_processor[idx].report_status(code, phrase)

    def set_response_content_type(self, idx: int, value: str) -> None:
        self.content_type = value


class Endpoint:
    """The toolkit's transformer driving ``inference`` the way the container's model server does."""

    def __init__(self) -> None:
        self.transformer = Transformer()
        self.context = ModelServerContext()

    def invoke(self, data: bytes, content_type: str = "application/json") -> tuple[int, str]:
        processor = RequestProcessor({"Content-Type": content_type, "Accept": "application/json"})
        self.context.request_processor = [processor]
        [response] = self.transformer.transform([{"body": data}], self.context)
        return processor.status, response


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Endpoint:
    # The container finds the functions through SAGEMAKER_PROGRAM (deploy/template.yaml sets inference.py).
    monkeypatch.setenv("SAGEMAKER_PROGRAM", inference.__name__)
    monkeypatch.setattr(inference, "model_fn", lambda model_dir: SCORER)
    return Endpoint()


def test_scores_sessions_through_the_toolkit(endpoint: Endpoint) -> None:
    status, response = endpoint.invoke(body({"sessions": [SESSION, SESSION | {"session_id": "s2"}]}))

    assert status == 200
    assert endpoint.context.content_type == "application/json"
    answer = json.loads(response)
    assert answer["model_version"] == "test-model"
    assert [p["session_id"] for p in answer["predictions"]] == ["s1", "s2"]
    assert 0 < answer["predictions"][0][OUTPUT] < 1


def test_the_declared_content_type_does_not_matter(endpoint: Endpoint) -> None:
    assert endpoint.invoke(body({"sessions": [SESSION]}), content_type="text/csv")[0] == 200
    assert endpoint.invoke(body({"sessions": [SESSION]}), content_type="application/octet-stream")[0] == 200


@pytest.mark.parametrize(("raw", "status", "words"), BAD_BODIES, ids=BAD_BODY_IDS)
def test_bad_requests_get_a_4xx_json_error(endpoint: Endpoint, raw: bytes, status: int, words: str) -> None:
    # Declared as bytes: the toolkit decodes an ``application/json`` body itself (see the next test).
    answered, response = endpoint.invoke(raw, content_type="application/octet-stream")

    assert answered == status
    error = json.loads(response)  # the contract's JSON, with no traceback appended
    assert list(error) == ["error"] and words in error["error"]


def test_bodies_that_are_not_utf8_reach_the_functions_unless_declared_json(endpoint: Endpoint) -> None:
    garbled = b'{"sessions": "\xff"}'

    assert endpoint.invoke(garbled, content_type="application/octet-stream")[0] == 400
    # The one bad request out of reach, as inference.py says: the toolkit fails to decode it before input_fn.
    assert endpoint.invoke(garbled, content_type="application/json")[0] == 500
