"""A producer for the log's fault tests: appends numbered batches, one after another, in its own process.

``produce`` appends batches ``first``..``last - 1`` (each ``EVENTS_PER_BATCH`` events, ``BAD_PER_BATCH`` of
them malformed) and reports one line per batch, ``<batch id> <appended> <quarantined>`` (``- -`` when it was
already there). It reports ``ready`` first, so a test can kill it while it writes rather than while it starts.
``environment`` is set in the producer's process first: where the log is (``log_url``) and how to reach it.
"""

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from {{ cookiecutter.module_name }}.log.events import append_batch
from {{ cookiecutter.module_name }}.settings import Settings

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EVENTS_PER_BATCH = 2_000
BAD_PER_BATCH = 20  # every 100th event has an unparseable time


def batch_id(number: int) -> str:
    return f"b{number:04d}"


def events(number: int) -> list[dict[str, Any]]:
    """Batch ``number``'s events: the same every time, as a producer retrying a batch would send them."""
    return [
        {
            "event_id": f"{batch_id(number)}-e{i}",
            "event_time": "not a time" if i % 100 == 0 else f"2025-03-01T{i % 12:02d}:{i % 60:02d}:00Z",
            "session_id": f"s{number}-{i // 10}",
            "user_id": f"u{number}",
            "event_type": "detail",
            "product_id": f"p{i % 97}",
            "category": "books",
            "price": float(i % 50),
        }
        for i in range(EVENTS_PER_BATCH)
    ]


def produce(
    workspace: Path, first: int, last: int, report: Connection, environment: Mapping[str, str] | None = None
) -> None:
    os.environ.update(environment or {})
    settings = Settings(workspace=workspace)
    report.send("ready")
    for number in range(first, last):
        result = append_batch(
            events(number), batch_id=batch_id(number), source="faults", settings=settings, now=NOW
        )
        done = "- -" if result.already_present else f"{result.appended} {result.quarantined}"
        report.send(f"{batch_id(number)} {done}")
