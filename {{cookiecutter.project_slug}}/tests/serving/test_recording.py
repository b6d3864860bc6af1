"""Recording predictions: each scored session becomes a prediction event the log accepts, and recording never
slows or breaks an answer."""

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.log.events import LogError, log_files
from {{ cookiecutter.module_name }}.log.predictions import ingest, log_writer
from {{ cookiecutter.module_name }}.serving.api import respond
from {{ cookiecutter.module_name }}.serving.recording import (
    DESTINATION,
    PREDICTION_EVENT,
    Event,
    Recorder,
    directory_writer,
    from_environment,
)
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import FEATURES, KEY, OUTPUT

from ..api_cases import SCORER, SESSION, body

SECOND = SESSION | {KEY: "s2", FEATURES[0]: 7}


class Batches:
    """A writer that keeps what it is given."""

    def __init__(self) -> None:
        self.written: list[tuple[str, list[Event]]] = []

    def __call__(self, batch_id: str, events: list[Event]) -> None:
        self.written.append((batch_id, events))


def test_each_scored_session_is_recorded_with_what_the_model_received_and_answered() -> None:
    batches = Batches()
    recorder = Recorder(batches, max_seconds=60)

    status, payload = respond(body({"sessions": [SESSION, SECOND]}), SCORER, recorder)
    recorder.close()

    assert status == 200
    [(_, events)] = batches.written
    assert [event["session_id"] for event in events] == [SESSION[KEY], "s2"]
    assert {event["event_type"] for event in events} == {PREDICTION_EVENT}
    assert {event["model_version"] for event in events} == {"test-model"}
    assert len({event["request_id"] for event in events}) == 1
    assert len({event["event_id"] for event in events}) == 2
    assert [event["score"] for event in events] == [p[OUTPUT] for p in payload["predictions"]]
    assert events[1]["features"] == {name: SECOND[name] for name in FEATURES}


def test_predictions_and_their_batch_are_dated_by_the_recorders_clock() -> None:
    batches = Batches()
    moment = datetime(2025, 3, 6, 14, 30, tzinfo=UTC)
    recorder = Recorder(batches, max_seconds=60, clock=lambda: moment)

    respond(body({"sessions": [SESSION]}), SCORER, recorder)
    recorder.close()

    [(batch_id, [event])] = batches.written
    assert event["event_time"] == moment.isoformat()
    assert batch_id.startswith("predictions-20250306T143000-")


def test_a_refused_request_records_nothing() -> None:
    batches = Batches()
    recorder = Recorder(batches)

    status, _ = respond(body({"sessions": [SESSION | {FEATURES[0]: -1}]}), SCORER, recorder)
    recorder.close()

    assert status == 422
    assert batches.written == []


def test_a_failed_write_never_breaks_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    def full_disk(batch_id: str, events: list[Event]) -> None:
        raise OSError("No space left on device")

    recorder = Recorder(full_disk)
    status, _ = respond(body({"sessions": [SESSION]}), SCORER, recorder)
    recorder.close()

    assert status == 200
    assert "1 prediction events were not written: No space left on device" in capsys.readouterr().err


def test_a_full_buffer_is_written_in_the_background_without_waiting_for_the_timer() -> None:
    batches = Batches()
    recorder = Recorder(batches, max_events=2, max_seconds=60)

    respond(body({"sessions": [SESSION, SECOND]}), SCORER, recorder)
    deadline = time.monotonic() + 10
    while not batches.written and time.monotonic() < deadline:
        time.sleep(0.01)
    recorded = len(batches.written)
    recorder.close()

    assert recorded == 1


def test_predictions_uri_says_where_batches_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DESTINATION, raising=False)
    assert from_environment() is None

    monkeypatch.setenv(DESTINATION, str(tmp_path / "recorded"))
    recorder = from_environment()
    assert recorder is not None
    respond(body({"sessions": [SESSION]}), SCORER, recorder)
    recorder.close()

    [batch] = (tmp_path / "recorded").iterdir()  # the whole batch, no partial file beside it
    assert batch.suffix == ".jsonl"
    assert [json.loads(line)["session_id"] for line in batch.read_text().splitlines()] == [SESSION[KEY]]


def test_recorded_batches_keep_the_contract_and_are_appended_once(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "recorded"
    recorder = Recorder(directory_writer(folder))
    respond(body({"sessions": [SESSION, SECOND]}), SCORER, recorder)
    recorder.close()

    [first] = ingest(folder, settings)
    [again] = ingest(folder, settings)

    assert (first.received, first.appended, first.quarantined) == (2, 2, 0)
    assert again.already_present


def test_serving_locally_records_into_the_log(settings: Settings) -> None:
    recorder = Recorder(log_writer(settings))
    _, payload = respond(body({"sessions": [SESSION]}), SCORER, recorder)
    recorder.close()

    logged = pd.concat(pd.read_parquet(path) for path in log_files(settings))
    assert logged["event_type"].tolist() == [PREDICTION_EVENT]
    assert logged["source"].tolist() == ["serving"]
    extras = json.loads(logged["extras"].iloc[0])
    assert extras["score"] == payload["predictions"][0][OUTPUT]
    assert extras["features"] == {name: SESSION[name] for name in FEATURES}


def test_a_file_that_is_not_a_batch_is_named(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "predictions-1.jsonl").write_text("not json\n")

    with pytest.raises(LogError, match=r"predictions-1\.jsonl is not a batch of recorded predictions"):
        ingest(tmp_path, settings)
