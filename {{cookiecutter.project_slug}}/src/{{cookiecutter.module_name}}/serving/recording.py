"""Every scored session, recorded as a prediction event for the event log: the loop back from production.

Each prediction becomes one event of type ``prediction`` (contract.toml allows it), so predictions travel the
way every other event does: into the append-only log, through the contract's checks, into dbt, where the
monitoring models read them (``dbt/models/monitoring``). An event holds the session, the time, and in
``extras``: the request id, the model version, the score and the features the model received.

Recording never slows or breaks an answer: ``Recorder.record`` only adds the events to a buffer, and a
background thread writes the buffer as one batch every ``max_seconds`` or ``max_events``. A failed write is
reported on stderr and the answer is unaffected. Where the batches go is one setting, ``PREDICTIONS_URI``:

    s3://bucket/prefix    one JSON-lines object per batch (Lambda, SageMaker: write-only to that prefix)
    /a/folder             one JSON-lines file per batch (a mounted bucket on Cloud Run, a Modal volume)
    (unset)               nothing is recorded

``python -m <package>.log.predictions ingest <folder>`` appends those batches to the log, each once; locally,
``make serve-local`` appends straight to it. Standard library only, like the rest of the serving bundle
(boto3 comes with Lambda's and SageMaker's Python runtimes).
"""

import json
import os
import sys
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The event type of a recorded prediction (an allowed event_type in contract.toml); the transform leaves
# these events out of the shoppers' events in one place, dbt/models/staging/stg_events.sql.
PREDICTION_EVENT = "prediction"
# Where batches go: see the module's docstring.
DESTINATION = "PREDICTIONS_URI"

Event = dict[str, Any]
# Writes one batch of events under its id, wherever the batches go.
Writer = Callable[[str, list[Event]], None]


def prediction_events(
    request_id: str,
    model_version: str,
    key: str,
    output: str,
    sessions: Sequence[Mapping[str, Any]],
    predictions: Sequence[Mapping[str, Any]],
    when: datetime | None = None,
) -> list[Event]:
    """One event per scored session: what the model received (``key`` and features) and what it answered."""
    moment = (when or datetime.now(UTC)).isoformat()
    return [
        {
            "event_id": f"{request_id}-{index}",
            "event_time": moment,
            "session_id": session[key],
            "event_type": PREDICTION_EVENT,
            "request_id": request_id,
            "model_version": model_version,
            "score": prediction[output],
            "features": {name: value for name, value in session.items() if name != key},
        }
        for index, (session, prediction) in enumerate(zip(sessions, predictions, strict=True))
    ]


def new_request_id() -> str:
    return uuid.uuid4().hex


def batch_id(when: datetime | None = None) -> str:
    """A batch's id: when it was written (so ids sort by time) and a random part (so writers never clash)."""
    moment = when or datetime.now(UTC)
    return f"predictions-{moment:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Recorder:
    """Buffers prediction events and writes them in batches from a background thread.

    ``clock`` says when a prediction is made: the wall clock, unless a caller replaying traffic of other days
    gives its own (tests/monitoring/test_week_in_production.py serves a week in seconds). A parameter rather
    than a patched ``datetime``: the service's real path stays the one the test runs.
    """

    def __init__(
        self,
        write: Writer,
        *,
        max_events: int = 1000,
        max_seconds: float = 5.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._write = write
        self.clock = clock
        self._max_events = max_events
        self._max_seconds = max_seconds
        self._buffer: list[Event] = []
        self._lock = threading.Lock()
        self._due = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="prediction-recorder", daemon=True)
        self._thread.start()

    def record(self, events: list[Event]) -> None:
        """Add events to the buffer: costs the answer a list append, never a write."""
        with self._lock:
            self._buffer.extend(events)
            full = len(self._buffer) >= self._max_events
        if full:
            self._due.set()

    def flush(self) -> None:
        """Write what the buffer holds now, as one batch."""
        with self._lock:
            events, self._buffer = self._buffer, []
        if not events:
            return
        try:
            self._write(batch_id(self.clock()), events)
        except Exception as error:  # a lost batch must never take the service down
            print(f"recording: {len(events)} prediction events were not written: {error}", file=sys.stderr)

    def close(self) -> None:
        """Write what is left and stop the thread."""
        self._closed = True
        self._due.set()
        self._thread.join()
        self.flush()

    def _run(self) -> None:
        while not self._closed:
            self._due.wait(self._max_seconds)
            self._due.clear()
            self.flush()


def directory_writer(folder: Path) -> Writer:
    """Each batch a JSON-lines file in ``folder``, written under a hidden name and renamed: never half."""

    def write(name: str, events: list[Event]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{name}.jsonl.partial"
        partial.write_text("".join(json.dumps(event) + "\n" for event in events))
        partial.replace(folder / f"{name}.jsonl")

    return write


def s3_writer(bucket: str, prefix: str) -> Writer:
    """Each batch a JSON-lines object under ``prefix``: the only permission it needs is s3:PutObject there."""
    # Imported here: in Lambda's and SageMaker's runtimes, and needed only when recording to S3.
    import boto3

    client = boto3.client("s3")

    def write(name: str, events: list[Event]) -> None:
        body = "".join(json.dumps(event) + "\n" for event in events).encode()
        client.put_object(Bucket=bucket, Key=f"{prefix.strip('/')}/{name}.jsonl", Body=body)

    return write


def from_environment() -> Recorder | None:
    """The recorder ``PREDICTIONS_URI`` asks for, or None when it is unset (nothing is recorded)."""
    uri = os.environ.get(DESTINATION, "").strip()
    if not uri:
        return None
    if uri.startswith("s3://"):
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        return Recorder(s3_writer(bucket, prefix or "predictions"))
    return Recorder(directory_writer(Path(uri)))
