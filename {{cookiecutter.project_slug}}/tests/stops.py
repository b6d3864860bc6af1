"""Ways a run stops on purpose, for the orchestrators' tests: under `make run`, whichever orchestrator, the
last thing on the screen must be the stage's own message, with a non-zero exit and no traceback."""

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq

from {{ cookiecutter.module_name }}.log.events import LOG_SCHEMA, log_files
from {{ cookiecutter.module_name }}.runs import exclusive
from {{ cookiecutter.module_name }}.settings import Settings

PREFIX = "{{ cookiecutter.module_name | upper }}_"
STOPS = ("bad settings", "dbt test", "quality gate", "model gate", "concurrent run")


@dataclass(frozen=True)
class Stop:
    """The environment that makes the run stop, and words of the message it must end with."""

    env: dict[str, str]
    words: str


@contextmanager
def stopping(kind: str, settings: Settings) -> Iterator[Stop]:
    """Arrange, in a workspace holding the tiny sample log, for the run to stop at ``kind``."""
    if kind == "bad settings":
        yield Stop({f"{PREFIX}TRAIN_CUTOFF": "2025-03-01"}, "train_cutoff must come before validation_cutoff")
    elif kind == "dbt test":
        # Events with no session, in a file written around append_batch (which would quarantine them).
        events = pq.read_table(log_files(settings)[0]).slice(0, 3).to_pandas()
        events = events.assign(event_id="around-" + events["event_id"], session_id=None)
        path = settings.log_dir / "ingest_date=2025-03-10" / "around-the-log.parquet"
        path.parent.mkdir(parents=True)
        pq.write_table(pa.Table.from_pandas(events, schema=LOG_SCHEMA, preserve_index=False), path)
        yield Stop({}, "fail test not_null_stg_events_session_id")
    elif kind == "quality gate":
        # A validation split of one day: too few sessions to judge on, though dbt finds it usable.
        validation_cutoff = settings.train_cutoff + timedelta(days=1)
        yield Stop({f"{PREFIX}VALIDATION_CUTOFF": validation_cutoff.isoformat()}, "sessions per split failed")
    elif kind == "model gate":
        yield Stop({f"{PREFIX}MIN_LIFT": "0.99"}, "model gate failed")
    else:
        with exclusive(settings, "a run started earlier"):
            yield Stop({}, "another run holds this workspace (a run started earlier, pid ")


def assert_ends_with_its_message(result: "subprocess.CompletedProcess[str]", words: str) -> None:
    """Non-zero, no traceback anywhere, and the stage's message is what stderr ends with."""
    everything = result.stdout + result.stderr
    assert result.returncode != 0, everything[-3000:]
    assert "Traceback" not in everything, everything[-3000:]
    last = result.stderr.rstrip().rsplit("\n\n", 1)[-1]
    assert words in last, result.stderr[-3000:]
