"""The append-only event log: the only place raw events are written, once, never changed.

Each appended batch becomes exactly one Parquet file, ``events/ingest_date=YYYY-MM-DD/<batch id>.parquet``.
Partitions are by the day events arrive, so a closed day is never touched again, and one file per batch makes
every append atomic: the file is written under a hidden temporary name, flushed, then linked into place, which
fails if the batch is already there. Readers (dbt, DuckDB) only ever see whole batches.

Events that break the envelope contract go to ``quarantine/`` with the reason, never silently dropped:
``received == appended + quarantined`` for every batch. Cleaning beyond the envelope (deduplication across
batches, accepted values, sessionization) is SQL in dbt, over this log.
"""

import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .settings import Settings

# What every event carries: the envelope, then the payload of a browsing event. Times are UTC, stored naive so
# every warehouse reads them the same way.
LOG_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("event_time", pa.timestamp("us")),
        ("ingest_time", pa.timestamp("us")),
        ("source", pa.string()),
        ("batch_id", pa.string()),
        ("session_id", pa.string()),
        ("user_id", pa.string()),
        ("event_type", pa.string()),
        ("product_id", pa.string()),
        ("category", pa.string()),
        ("price", pa.float64()),
    ]
)
# What a producer sends: the log adds ingest_time, source and batch_id itself.
INPUT_FIELDS = (
    "event_id",
    "event_time",
    "session_id",
    "user_id",
    "event_type",
    "product_id",
    "category",
    "price",
)
OPTIONAL_FIELDS = ("product_id", "category", "price")

# Clocks drift and producers buffer, but an event from further ahead than this is a bug upstream.
MAX_CLOCK_SKEW = timedelta(days=1)
BATCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class AppendResult:
    """What one append did. ``received == appended + quarantined`` always holds."""

    batch_id: str
    received: int
    appended: int
    quarantined: int
    already_present: bool = False


class LogError(ValueError):
    """An append the log refuses as a whole (bad batch id or source)."""


def append_batch(
    events: pd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    batch_id: str,
    source: str,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> AppendResult:
    """Append one batch of events; re-appending a batch id that is already in the log does nothing."""
    settings = settings or Settings()
    if not BATCH_ID.fullmatch(batch_id):
        raise LogError(
            f"batch id {batch_id!r} is not allowed: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if not source.strip():
        raise LogError("source is empty: name the system the events come from")
    if find_batch(batch_id, settings) is not None:
        return AppendResult(batch_id, 0, 0, 0, already_present=True)

    frame = events if isinstance(events, pd.DataFrame) else pd.DataFrame(list(events))
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    accepted, rejected = split_valid(frame, now=now)

    partition = f"ingest_date={now.date().isoformat()}"
    if len(rejected):
        _write_once(_quarantine_table(rejected), settings.quarantine_dir / partition / f"{batch_id}.parquet")
    accepted = accepted.assign(ingest_time=now, source=source, batch_id=batch_id)
    table = pa.Table.from_pandas(accepted[LOG_SCHEMA.names], schema=LOG_SCHEMA, preserve_index=False)
    if not _write_once(table, settings.log_dir / partition / f"{batch_id}.parquet"):
        return AppendResult(batch_id, 0, 0, 0, already_present=True)
    return AppendResult(batch_id, len(frame), len(accepted), len(rejected))


def find_batch(batch_id: str, settings: Settings) -> Path | None:
    """The log file holding a batch, whichever day it was appended, or None."""
    return next(settings.log_dir.glob(f"ingest_date=*/{batch_id}.parquet"), None)


def batch_of(path: Path) -> str:
    """The batch a log file holds: the log names each file after its batch."""
    return path.stem


def log_files(settings: Settings) -> list[Path]:
    """Every committed log file (temporary files of appends in flight are hidden)."""
    return sorted(settings.log_dir.glob("ingest_date=*/*.parquet"))


def split_valid(frame: pd.DataFrame, *, now: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split events into those that satisfy the envelope contract and the rest, with a reason for each.

    Typed columns (what a well-behaved producer sends) are checked in vectorized form; mixed Python objects
    (JSON from the wild) are checked value by value.
    """
    frame = frame.reset_index(drop=True)
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")

    def reject(mask: pd.Series, why: str) -> None:
        reason.loc[mask & reason.isna()] = why

    typed = pd.DataFrame(index=frame.index)
    for field in INPUT_FIELDS:
        if field not in frame.columns:
            if field not in OPTIONAL_FIELDS:
                reject(pd.Series(True, index=frame.index), f"missing field {field}")
            typed[field] = None
        elif field == "event_time":
            typed[field] = _check_time(frame[field], now, reject)
        elif field == "price":
            typed[field] = _check_number(frame[field], reject)
        else:
            typed[field] = _check_text(frame[field], reject, required=field not in OPTIONAL_FIELDS)

    reject(typed["event_id"].notna() & typed["event_id"].duplicated(), "duplicate event_id in batch")
    bad = reason.notna()
    return typed.loc[~bad], frame.loc[bad].assign(reason=reason[bad])


Reject = Callable[[pd.Series, str], None]


def _check_text(values: pd.Series, reject: Reject, *, required: bool) -> pd.Series:
    name = values.name
    is_text = values.notna() if _is_text_dtype(values) else values.map(lambda v: isinstance(v, str))
    reject(values.notna() & ~is_text, f"{name} is not text")
    text = values.where(is_text, None).astype("string")
    if required:
        reject(text.isna() | (text.str.strip() == ""), f"{name} is empty")
    return text


def _check_time(values: pd.Series, now: datetime, reject: Reject) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values if values.dt.tz else values.dt.tz_localize("UTC")
    else:
        # Only ISO text and datetimes are times; a bare number is ambiguous (seconds? milliseconds?).
        as_text = values.map(
            lambda v: v.isoformat() if isinstance(v, datetime) else v if isinstance(v, str) else None
        )
        parsed = pd.to_datetime(as_text, errors="coerce", utc=True, format="ISO8601")
    reject(parsed.isna(), "event_time is missing or unparseable")
    reject(parsed > pd.Timestamp(now + MAX_CLOCK_SKEW, tz="UTC"), "event_time is in the future")
    naive_utc: pd.Series = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive_utc


def _check_number(values: pd.Series, reject: Reject) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    is_number = values.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
    reject(values.notna() & ~is_number, f"{values.name} is not a number")
    return pd.to_numeric(values.where(is_number, None), errors="coerce").astype("float64")


def _is_text_dtype(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.StringDtype) or (
        pd.api.types.is_string_dtype(values) and values.dtype != object
    )


def _quarantine_table(rejected: pd.DataFrame) -> pa.Table:
    """Rejected events as text, exactly as received, with the reason: they may not fit the log's types."""
    as_text = {
        column: [None if pd.isna(v) else str(v) for v in rejected[column]] for column in rejected.columns
    }
    return pa.table(as_text, schema=pa.schema([(column, pa.string()) for column in rejected.columns]))


def _write_once(table: pa.Table, path: Path) -> bool:
    """Write a file atomically and never over an existing one; False when it already exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        _fsync_dir(path.parent)
        return True
    finally:
        temporary.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    """Make the new directory entry durable (a no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
