"""Bad data in the log stops the run before training, naming the failed check; the accepted run stays.

Each corruption arrives the way it could in production: in a file another writer put in the log, around
``append_batch`` (which quarantines every event that breaks the contract), or as lost files. Whatever
the data-quality tool, dbt's tests stop the transform stage and the quality gate stops the rest: training
never starts, and the model and bundle of the last accepted run are left as they were.
"""

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.module_name }} import pipeline
from {{ cookiecutter.module_name }}.log.events import LOG_SCHEMA, log_files
from {{ cookiecutter.module_name }}.model.train import TrainedModel
from {{ cookiecutter.module_name }}.quality.gate import QualityGateError
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.warehouse.transform import TransformError

pytestmark = pytest.mark.slow

Corruption = Callable[[Settings], None]


def late_events(settings: Settings, rows: int = 5) -> pd.DataFrame:
    """Copies of real events under new ids, arriving in a late batch."""
    events = pd.read_parquet(log_files(settings)[0]).head(rows)
    return events.assign(event_id=[f"late-e{n}" for n in range(rows)], batch_id="late")


def foreign_file(settings: Settings, table: pa.Table) -> None:
    """A file some other writer dropped into the log, bypassing ``append_batch`` and its quarantine."""
    path = settings.log_dir / "ingest_date=2025-03-10" / "late.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def changed(settings: Settings, **changes: str | float) -> None:
    """Late events with ``changes`` the log would have quarantined, in a file written around it."""
    foreign_file(settings, pa.Table.from_pandas(late_events(settings).assign(**changes), schema=LOG_SCHEMA))


def null_keys(settings: Settings) -> None:
    foreign_file(
        settings, pa.Table.from_pandas(late_events(settings).assign(session_id=None), schema=LOG_SCHEMA)
    )


def out_of_range_price(settings: Settings) -> None:
    changed(settings, price=-5.0)


def unseen_event_type(settings: Settings) -> None:
    changed(settings, event_type="refund")


def renamed_column(settings: Settings) -> None:
    events = late_events(settings).rename(columns={"session_id": "session"})
    foreign_file(settings, pa.Table.from_pandas(events, preserve_index=False))


def retyped_column(settings: Settings) -> None:
    events = late_events(settings).assign(price="twelve")
    foreign_file(settings, pa.Table.from_pandas(events, preserve_index=False))


def volume_drop(settings: Settings) -> None:
    """Three days in four go missing, as when an upstream export breaks."""
    for day, path in enumerate(log_files(settings)):
        if day % 4:
            path.unlink()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize(
    ("corrupt", "stage", "check"),
    [
        (null_keys, TransformError, r"fail test not_null_stg_events_session_id"),
        (out_of_range_price, TransformError, r"fail test in_range_stg_events_price"),
        (unseen_event_type, TransformError, r"fail test accepted_values_stg_events_event_type"),
        (renamed_column, TransformError, r"fail test not_null_stg_events_session_id"),
        (retyped_column, TransformError, r"Could not convert string \"twelve\" .* source column price"),
        (volume_drop, QualityGateError, r"volume failed \(dropped from"),
    ],
    ids=[
        "null keys",
        "out-of-range value",
        "unseen category",
        "renamed column",
        "retyped column",
        "volume drop",
    ],
)
def test_bad_data_stops_the_run_before_training_and_keeps_the_accepted_model(
    accepted_run: Settings,
    monkeypatch: pytest.MonkeyPatch,
    corrupt: Corruption,
    stage: type[Exception],
    check: str,
) -> None:
    def train_model(settings: Settings) -> TrainedModel:
        raise AssertionError("training started on bad data")

    monkeypatch.setattr(pipeline, "train_model", train_model)
    evidence, bundle = snapshot(accepted_run.accepted_dir), snapshot(accepted_run.dist_dir)
    corrupt(accepted_run)

    with pytest.raises(stage, match=check):
        pipeline.run(accepted_run)

    assert snapshot(accepted_run.accepted_dir) == evidence
    assert snapshot(accepted_run.dist_dir) == bundle
