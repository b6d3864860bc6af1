"""The append-only event log: the only place raw events are written, once, never changed.

    batches/<batch id>.json                          what each batch was: checksum, arrival, counts
    events/ingest_date=YYYY-MM-DD/<batch id>.parquet  its events that keep the contract
    quarantine/ingest_date=.../<batch id>.parquet     its events that break it, each with the reason
    retractions/ingest_date=.../<id>.parquet          corrections: batches or events to disregard

The log lives in ``data/log``, or on S3-compatible object storage (``log_url``, ``log/store.py``), with the
same guarantees; readers read ``data/log``, which holds a copy of a log on object storage.

A batch is identified by its id and its content. The first append of an id records the batch's manifest with
a checksum of what was sent (created atomically, and never over an existing one, whatever the day), then its
files: each created in one step and never over an existing one (``store.write_once``), so readers only ever
see whole files. Sending the same batch again, at any time, is a no-op that also completes a batch a crash cut
short; sending other content under a used id is refused (``BatchConflictError``). An empty batch records
nothing.

Each event is checked against the contract (``contract.toml``, events): one that breaks it goes to quarantine
with the rule it broke, never silently dropped, whatever it holds (any JSON value, nested values, lone
surrogates, huge strings); fields the contract does not declare are kept, as JSON, in ``extras``.
``received == appended + quarantined`` for every batch. A bad batch that got in is never edited: it is
retracted (``retract``), a new fact the transform honours. Cleaning beyond the contract (deduplication across
batches, sessions) is SQL in dbt, over this log.
"""

import argparse
import hashlib
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..contract import CONTROL, SURROGATE, Field, load
from ..errors import StageError
from ..settings import Settings
from .store import LocalStore, LogStore, open_store

EVENTS = load().events
# Which rules judged a batch: a batch a killed producer left halfway is completed only under the same ones.
RULES = hashlib.sha256(repr(EVENTS.fields).encode()).hexdigest()[:16]
ARROW_TYPES = {
    "text": pa.string(),
    "timestamp": pa.timestamp("us"),
    "integer": pa.int64(),
    "number": pa.float64(),
}
# What the log adds to each event: when it arrived, who sent it, in which batch, and the undeclared fields.
# Times are UTC, stored naive so every warehouse reads them the same way.
ENVELOPE = (
    ("ingest_time", pa.timestamp("us")),
    ("source", pa.string()),
    ("batch_id", pa.string()),
    ("extras", pa.string()),
)
LOG_SCHEMA = pa.schema([*((field.name, ARROW_TYPES[field.type]) for field in EVENTS.fields), *ENVELOPE])
QUARANTINE_SCHEMA = pa.schema(
    [
        ("position", pa.int64()),
        ("reason", pa.string()),
        ("event", pa.string()),
        ("ingest_time", pa.timestamp("us")),
        ("source", pa.string()),
        ("batch_id", pa.string()),
    ]
)
RETRACTION_SCHEMA = pa.schema(
    [
        ("retraction_id", pa.string()),
        ("batch_id", pa.string()),
        ("event_id", pa.string()),
        ("reason", pa.string()),
        ("retracted_at", pa.timestamp("us")),
    ]
)
# Blank text as Python's str.strip() sees it (contract.Field.problem), for Arrow's RE2: only Unicode spaces
# and control characters.
BLANK = "^[\\p{Z}\\x00-\\x1f\\x7f-\\x9f]*$"
# The log's folders, in its root (``data/log``, or the prefix on object storage).
BATCHES, EVENTS_FOLDER, QUARANTINE, RETRACTIONS = "batches", "events", "quarantine", "retractions"
BATCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
MAX_SOURCE_LENGTH = 128
# Undeclared fields are kept, up to this much JSON per event: beyond it, the event is quarantined.
MAX_EXTRAS_BYTES = 65_536
# A refused event is kept whole up to this much JSON; beyond it, its beginning, size and SHA-256.
MAX_QUARANTINED_BYTES = 16 * 2**20
# Values nested deeper than this are kept as text: JSON from the wild can nest without end.
MAX_DEPTH = 64


class LogError(StageError, ValueError):
    """An append or a retraction the log refuses as a whole; the message names the problem and the fix."""


class BatchConflictError(LogError):
    """A batch id already in the log, sent again with other content."""


@dataclass(frozen=True)
class AppendResult:
    """What one append did. ``received == appended + quarantined`` always holds."""

    batch_id: str
    received: int
    appended: int
    quarantined: int
    already_present: bool = False
    checksum: str = ""
    extra_fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.already_present:
            return f"batch {self.batch_id} is already in the log: nothing appended"
        extras = f"; fields kept in extras: {', '.join(self.extra_fields)}" if self.extra_fields else ""
        return (
            f"batch {self.batch_id}: {self.received:,} events received, {self.appended:,} appended, "
            f"{self.quarantined:,} quarantined{extras}"
        )


@dataclass(frozen=True)
class Manifest:
    """A batch's record in ``batches/``: what was sent (its checksum) and what became of it."""

    batch_id: str
    checksum: str
    source: str
    ingest_time: str
    received: int
    appended: int
    quarantined: int
    extra_fields: tuple[str, ...]
    rules: str = ""

    @property
    def arrival(self) -> datetime:
        return datetime.fromisoformat(self.ingest_time)

    @property
    def partition(self) -> str:
        return f"ingest_date={self.arrival.date().isoformat()}"


def append_batch(
    events: pd.DataFrame | Iterable[Any],
    *,
    batch_id: str,
    source: str,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> AppendResult:
    """Append one batch of events, or do nothing when this batch is already in the log.

    ``events`` is a DataFrame (typed columns are checked in vectorized form) or any iterable of events, each
    ideally a mapping of field names to values (JSON from the wild). Raises ``BatchConflictError`` when
    ``batch_id`` is in the log with other content, and ``LogError`` for an unusable batch id or source.
    """
    settings = settings or Settings()
    _check_batch_id(batch_id)
    if (
        not source.strip()
        or len(source) > MAX_SOURCE_LENGTH
        or CONTROL.search(source)
        or SURROGATE.search(source)
    ):
        raise LogError(
            f"source {source[:40]!r} is not allowed: name the system the events come from in one line of at "
            f"most {MAX_SOURCE_LENGTH} characters"
        )
    received = _Received.of(events)
    if not received.count:
        return AppendResult(batch_id, 0, 0, 0)
    checksum = received.checksum(source)

    store = open_store(settings)
    manifest = _read_manifest(batch_id, store)
    if manifest is None and _unrecorded_file(batch_id, store):
        # Appended before batches had manifests: its content cannot be compared, only left as it is.
        return AppendResult(batch_id, 0, 0, 0, already_present=True)
    if manifest is None:
        arrival = utc(now or datetime.now(UTC))
        accepted, rejected, extras = received.split(arrival)
        manifest = Manifest(
            batch_id,
            checksum,
            source,
            arrival.isoformat(),
            received.count,
            len(accepted),
            len(rejected),
            extras,
            RULES,
        )
        # Everything that could fail is done before the batch is recorded: after that, only writes remain.
        files = _files(manifest, accepted, rejected)
        if store.write_once(_manifest_key(batch_id), _manifest_bytes(manifest)):
            for key, content in files.items():
                store.write_once(key, content)
            return AppendResult(batch_id, *_counts(manifest), checksum=checksum, extra_fields=extras)
        manifest = _read_manifest(batch_id, store)  # another producer recorded it first
        if manifest is None:
            raise LogError(f"batch {batch_id}'s manifest vanished while it was being appended: send it again")
    if manifest.checksum != checksum:
        raise BatchConflictError(
            f"batch {batch_id} is already in the log with other content (checksum {manifest.checksum} "
            f"recorded, {checksum} sent): a batch id names one batch forever, so send these events under a "
            "new batch id, or the same events to retry"
        )
    # The same batch again: a retry. Finish what a producer killed after recording it may have left undone,
    # judging the events as of their first arrival and by the same rules, so the files are the ones it would
    # have written.
    if _missing_files(manifest, store):
        if manifest.rules != RULES:
            raise LogError(
                f"batch {batch_id} was recorded, but not completed, under other rules of contract.toml: its "
                "files cannot be written as they would have been; send its events under a new batch id"
            )
        accepted, rejected, _ = received.split(manifest.arrival)
        for key, content in _files(manifest, accepted, rejected).items():
            store.write_once(key, content)
    return AppendResult(
        batch_id,
        *_counts(manifest),
        already_present=True,
        checksum=checksum,
        extra_fields=manifest.extra_fields,
    )


def utc(moment: datetime) -> datetime:
    """An aware UTC time; a naive one is taken to be UTC, as everywhere in the log."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def retract(
    batch_id: str,
    *,
    reason: str,
    event_ids: Iterable[str] = (),
    settings: Settings | None = None,
    now: datetime | None = None,
) -> str:
    """Record that a batch (or some of its events) must be disregarded: the transform leaves them out.

    The log is never edited: a retraction is a new fact, written once, with its reason. Retracting the same
    thing for the same reason again is a no-op. To correct events, retract them and append the corrected
    ones under a new batch id. Returns where the retraction is (a path, or a URL on object storage).
    """
    settings = settings or Settings()
    _check_batch_id(batch_id)
    store = open_store(settings)
    manifest = _read_manifest(batch_id, store)
    logged = batch_key(manifest) if manifest else _unrecorded_file(batch_id, store)
    if manifest is None and logged is None:
        raise LogError(f"there is no batch {batch_id!r} in the log: `make log-status` counts them")
    reason = " ".join(reason.split())
    if not reason or CONTROL.search(reason) or SURROGATE.search(reason):
        raise LogError("a retraction needs a reason in one line of text: say why these events are wrong")
    ids = sorted(set(event_ids))
    if ids:
        content = None if logged is None else store.read(logged)
        held = set() if content is None else set(_read_parquet(content, ["event_id"])["event_id"])
        unknown = [event_id for event_id in ids if event_id not in held]
        if unknown:
            raise LogError(f"batch {batch_id} has no events {unknown[:5]}: give ids of events it holds")
    digest = hashlib.sha256(json.dumps([batch_id, ids, reason]).encode()).hexdigest()[:16]
    retraction_id = f"{batch_id}-{digest}"
    when = utc(now or datetime.now(UTC))
    key = f"{RETRACTIONS}/ingest_date={when.date().isoformat()}/{retraction_id}.parquet"
    existing = store.find(RETRACTIONS, f"{retraction_id}.parquet")
    if existing is not None:
        return store.where(existing)
    table = pa.table(
        {
            "retraction_id": [retraction_id] * max(1, len(ids)),
            "batch_id": [batch_id] * max(1, len(ids)),
            "event_id": list[str | None](ids) or [None],
            "reason": [reason] * max(1, len(ids)),
            "retracted_at": [when.replace(tzinfo=None)] * max(1, len(ids)),
        },
        schema=RETRACTION_SCHEMA,
    )
    store.write_once(key, _parquet_bytes(table))
    return store.where(key)


def read_manifest(batch_id: str, settings: Settings) -> Manifest | None:
    """A batch's manifest, or None when the log has never received it."""
    return _read_manifest(batch_id, open_store(settings))


def _read_manifest(batch_id: str, store: LogStore) -> Manifest | None:
    content = store.read(_manifest_key(batch_id))
    if content is None:
        return None
    recorded = json.loads(content)
    return Manifest(**recorded | {"extra_fields": tuple(recorded["extra_fields"])})


def _unrecorded_file(batch_id: str, store: LogStore) -> str | None:
    """A batch's file in the log without a manifest: written before manifests, or around ``append_batch``.

    Only a local log can hold one: logs on object storage began with manifests, and listing a whole log there
    for every new batch would slow each append as the log grows."""
    return store.find(EVENTS_FOLDER, f"{batch_id}.parquet") if isinstance(store, LocalStore) else None


def batch_key(manifest: Manifest) -> str:
    return f"{EVENTS_FOLDER}/{manifest.partition}/{manifest.batch_id}.parquet"


def quarantine_key(manifest: Manifest) -> str:
    return f"{QUARANTINE}/{manifest.partition}/{manifest.batch_id}.parquet"


def _manifest_key(batch_id: str) -> str:
    return f"{BATCHES}/{batch_id}.json"


def log_files(settings: Settings) -> list[Path]:
    """Every committed file of the local log, or of the local copy of a log on object storage (temporary
    files of appends in flight are hidden)."""
    return sorted(settings.log_dir.glob("ingest_date=*/*.parquet"))


def retraction_files(settings: Settings) -> list[Path]:
    """The retractions in the local log, or in the local copy of a log on object storage."""
    return sorted(settings.retractions_dir.glob("ingest_date=*/*.parquet"))


def manifests(settings: Settings) -> list[Manifest]:
    """Every batch the log has received, from the log itself (on object storage, not the local copy)."""
    store = open_store(settings)
    found = (_read_manifest(_stem(key), store) for key in store.keys(f"{BATCHES}/") if key.endswith(".json"))
    return [manifest for manifest in found if manifest is not None]


def incomplete(settings: Settings) -> list[Manifest]:
    """Batches whose producer was stopped after recording them and before writing all their files: sending
    them again completes them."""
    store = open_store(settings)
    return [manifest for manifest in manifests(settings) if _missing_files(manifest, store)]


def _stem(key: str) -> str:
    return key.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _check_batch_id(batch_id: str) -> None:
    if not BATCH_ID.fullmatch(batch_id):
        raise LogError(
            f"batch id {batch_id[:40]!r} is not allowed: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )


@dataclass(frozen=True)
class _Received:
    """A batch as it was sent: a DataFrame, or a list of anything (each ideally a mapping)."""

    frame: pd.DataFrame | None
    items: list[Any]

    @classmethod
    def of(cls, events: pd.DataFrame | Iterable[Any]) -> "_Received":
        if isinstance(events, pd.DataFrame):
            return cls(events.reset_index(drop=True), [])
        return cls(None, list(events))

    @property
    def count(self) -> int:
        return len(self.frame) if self.frame is not None else len(self.items)

    def checksum(self, source: str) -> str:
        """SHA-256 of the source and of what was sent (values, their kinds, their order), not of its form.

        The same events give the same checksum as a DataFrame or as mappings, whatever pandas names a
        column's dtype, and a missing field reads as a null one; 1 and "1" differ. Events that are not all
        mappings are hashed as JSON, one by one.
        """
        digest = hashlib.sha256(source.encode("utf-8", "surrogatepass") + b"\n")
        frame = self.frame
        if frame is None and all(isinstance(item, Mapping) for item in self.items):
            frame = pd.DataFrame(self.items, dtype=object)  # no inferred string dtype: it refuses surrogates
        if frame is None:
            for item in self.items:
                digest.update(_canonical(item).encode() + b"\n")
            return digest.hexdigest()
        for name in sorted(frame.columns, key=str):
            digest.update(b"\x00column\x00" + str(name).encode("utf-8", "surrogatepass"))
            digest.update(_column_digest(frame[name]))
        return digest.hexdigest()

    def split(self, arrival: datetime) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
        """The events that keep the contract (as the log stores them), the rest with their reasons, and the
        names of the undeclared fields kept in ``extras``.

        A DataFrame's typed columns are checked in bulk and only suspect rows one by one; anything else is
        checked event by event. Either way the reason comes from the contract (``Events.problem``).
        """
        rows = range(self.count)
        if self.frame is None:
            judged = {n: _judge(item, arrival) for n, item in enumerate(self.items)}
        else:
            suspects = _suspects(self.frame, arrival)
            undeclared = [column for column in self.frame.columns if column not in EVENTS.names]
            if undeclared:
                suspects |= self.frame[undeclared].notna().any(axis=1).to_numpy()
            judged = {n: _judge(self._record(n), arrival) for n in rows if suspects[n]}
        reasons = [judged[n][0] if n in judged else None for n in rows]
        # One copy of an event per batch: the first that keeps the contract.
        ids = pd.Series([None if reason else self._event_id(n) for n, reason in enumerate(reasons)])
        for n in ids.index[ids.notna() & ids.duplicated()]:
            reasons[n] = "event_id repeats an earlier event of this batch"
        good = [n for n in rows if reasons[n] is None]
        bad = [n for n in rows if reasons[n] is not None]
        extras = pd.Series([judged[n][1] if n in judged else None for n in good], dtype=object)
        accepted = self._typed(good).assign(extras=extras, ingest_time=arrival.replace(tzinfo=None))
        rejected = pd.DataFrame(
            {
                "position": pd.Series(bad, dtype="int64"),
                "reason": [reasons[n] for n in bad],
                "event": [_quarantined(self._record(n)) for n in bad],
            }
        )
        names = sorted({name for n in good if n in judged for name in judged[n][2]})
        return accepted, rejected, tuple(names)

    def _records(self) -> Iterator[Any]:
        """Each event as sent: a DataFrame's rows as mappings of their fields."""
        return (self._record(n) for n in range(self.count))

    def _record(self, n: int) -> Any:
        """Event ``n`` as sent; a DataFrame row as a mapping, its missing values as None."""
        if self.frame is None:
            return self.items[n]
        row = self.frame.iloc[n]
        return {str(name): _plain(value) for name, value in row.items()}

    def _event_id(self, n: int) -> Any:
        """An accepted event's id."""
        return self.frame["event_id"].iat[n] if self.frame is not None else self.items[n]["event_id"]

    def _typed(self, rows: list[int]) -> pd.DataFrame:
        """The accepted events' declared fields in the log's types (times as naive UTC)."""
        columns: dict[str, Any] = {}
        for field in EVENTS.fields:
            if self.frame is not None and field.name in self.frame.columns:
                values = self.frame[field.name].iloc[rows].reset_index(drop=True)
            elif self.frame is not None:
                values = pd.Series([None] * len(rows), dtype=object)
            else:
                values = pd.Series([self.items[n].get(field.name) for n in rows], dtype=object)
            columns[field.name] = _as_logged(values, field)
        return pd.DataFrame(columns, index=range(len(rows)))


def _column_digest(column: pd.Series) -> bytes:
    """A column's values as bytes that depend on the values and their kinds, not on pandas' dtype names."""
    missing = column.isna().to_numpy()
    present = column[~missing]
    kind = pd.api.types.infer_dtype(present, skipna=False)
    digest = hashlib.sha256(np.packbits(missing).tobytes())
    if kind in ("integer", "floating", "mixed-integer-float", "decimal") and not _huge(present):
        digest.update(b"number" + present.astype("float64").to_numpy().tobytes())
    elif kind == "boolean":
        digest.update(b"boolean" + present.astype(bool).to_numpy().tobytes())
    elif kind in ("datetime64", "datetime", "date"):
        times = pd.to_datetime(present, utc=True, format="mixed").dt.tz_localize(None)
        digest.update(b"time" + times.to_numpy(dtype="datetime64[ns]").view("int64").tobytes())
    elif kind == "string":
        for text in present:
            encoded = str(text).encode("utf-8", "surrogatepass")
            digest.update(len(encoded).to_bytes(8, "little") + encoded)
    else:
        for value in present:
            digest.update(_canonical(_plain(value)).encode() + b"\n")
    return digest.digest()


def _huge(numbers: pd.Series) -> bool:
    """Whether whole numbers would lose digits as doubles (Python's ints are unbounded)."""
    try:
        return bool((numbers.abs() > 2**53).any())
    except (TypeError, OverflowError):
        return True


def _plain(value: Any) -> Any:
    """A DataFrame cell as a producer's value: None when missing (None, NaN, NaT, pd.NA), numpy scalars as
    Python's (a list or a dict stays what it is)."""
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    return value.item() if isinstance(value, np.generic) else value


def _judge(record: Any, arrival: datetime) -> tuple[str | None, str | None, tuple[str, ...]]:
    """An event's first broken rule (or None), its undeclared fields as JSON, and their names."""
    if not isinstance(record, Mapping):
        return f"the event must be a JSON object of fields, not {_kind(record)}", None, ()
    if not all(isinstance(name, str) for name in record):
        return "the event has a field name that is not text", None, ()
    reason = EVENTS.problem(record, ingest=arrival)
    undeclared = {
        name: value for name, value in record.items() if name not in EVENTS.names and value is not None
    }
    if not undeclared:
        return reason, None, ()
    extra = _canonical(undeclared)
    if reason is None and len(extra.encode()) > MAX_EXTRAS_BYTES:
        size = len(extra.encode())
        reason = f"its undeclared fields take {size:,} bytes as JSON; the limit is {MAX_EXTRAS_BYTES:,}"
    return reason, extra, tuple(sorted(undeclared))


def _suspects(frame: pd.DataFrame, arrival: datetime) -> "np.ndarray[Any, np.dtype[np.bool_]]":
    """Rows that may break a rule, found column by column in vectorized form; only these are judged one by
    one. It never misses a bad row: a column it cannot judge in bulk makes every row a suspect."""
    suspect = pd.Series(False, index=frame.index)
    for field in EVENTS.fields:
        missing = (
            frame[field.name].isna() if field.name in frame.columns else pd.Series(True, index=frame.index)
        )
        if field.required:
            suspect |= missing
        elif field.required_unless is not None:
            suspect |= missing & ~_excused(frame, field)
        if field.name in frame.columns:
            suspect |= ~missing & _bad_values(frame[field.name], field, arrival)
    return suspect.to_numpy(dtype=bool)


def _excused(frame: pd.DataFrame, field: Field) -> pd.Series:
    """Rows where ``field`` may be missing: its ``required_unless`` field holds a value that allows it."""
    other, values = field.required_unless or ("", ())
    if other not in frame.columns or pd.api.types.infer_dtype(frame[other], skipna=True) != "string":
        return pd.Series(False, index=frame.index)  # judged row by row
    text = frame[other].astype("string")
    normalizing = EVENTS.field(other).normalize
    if "trim" in normalizing:
        text = text.str.strip(" ")
    if "lower" in normalizing:
        text = text.where(text.str.isascii()).str.lower()
    return text.isin(values).fillna(False).astype(bool)


def _bad_values(values: pd.Series, field: Field, arrival: datetime) -> pd.Series:
    """Which present values may break the field's rules; every one when the column's type is not plain."""
    bad: pd.Series
    everything = pd.Series(True, index=values.index)
    if field.type == "text":
        text = _arrow_text(values)
        if text is None:
            return everything
        flagged = pc.or_(
            pc.match_substring_regex(text, CONTROL.pattern), pc.match_substring_regex(text, BLANK)
        )
        if field.max_length is not None:
            flagged = pc.or_(flagged, pc.greater(pc.utf8_length(text), field.max_length))
        if field.allowed is not None:
            normalized = pc.utf8_trim(text, " ") if "trim" in field.normalize else text
            lowered = pc.ascii_lower(normalized) if "lower" in field.normalize else normalized
            flagged = pc.or_(flagged, pc.invert(pc.is_in(lowered, pa.array(field.allowed, pa.string()))))
        return _flags(pd.Series(flagged.to_numpy(zero_copy_only=False), index=values.index))
    if field.type == "timestamp":
        if not pd.api.types.is_datetime64_any_dtype(values):
            return everything
        utc = values.dt.tz_convert("UTC") if values.dt.tz is not None else values.dt.tz_localize("UTC")
        bad = pd.Series(False, index=values.index)
        if field.not_before is not None:
            bad |= utc < pd.Timestamp(field.not_before)
        if field.max_hours_after_ingest is not None:
            bad |= utc > pd.Timestamp(arrival) + pd.Timedelta(hours=field.max_hours_after_ingest)
        return _flags(bad)
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return everything
    numbers = values.astype("float64")
    bad = ~numbers.abs().lt(2.0**63)
    if field.type == "integer":
        bad |= numbers.mod(1) != 0
    if field.min is not None:
        bad |= numbers < field.min
    if field.max is not None:
        bad |= numbers > field.max
    if field.allowed is not None:
        bad |= ~numbers.isin(field.allowed)
    return _flags(bad)


def _flags(bad: pd.Series) -> pd.Series:
    """A mask with missing verdicts as False: a missing value is judged by whether it may be missing."""
    flags: pd.Series = bad.fillna(False).astype(bool)
    return flags


def _arrow_text(values: pd.Series) -> pa.Array | None:
    """A column of text as Arrow strings (missing values null); None when it holds anything else, or text
    that is not valid Unicode (a lone surrogate), which only the event-by-event check can name."""
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return None
    try:
        return pa.array(values.astype(object).where(values.notna(), None), type=pa.string())
    except (pa.ArrowException, UnicodeError):
        return None


def _as_logged(values: pd.Series, field: Field) -> pd.Series:
    """A column of accepted values in the log's type."""
    if field.type == "timestamp":
        if pd.api.types.is_datetime64_any_dtype(values):
            utc = values.dt.tz_convert("UTC") if values.dt.tz is not None else values.dt.tz_localize("UTC")
        else:
            utc = pd.Series(
                [None if v is None else field.parse_time(v) for v in values], dtype="datetime64[us, UTC]"
            )
        naive: pd.Series = utc.dt.tz_localize(None).astype("datetime64[us]")
        return naive
    if field.type == "text":
        text: pd.Series = values.astype(object).where(values.notna(), None)
        return text
    if field.type == "integer":
        whole: pd.Series = values.astype("Int64")
        return whole
    numbers: pd.Series = pd.to_numeric(values.astype(object).where(values.notna(), None)).astype("float64")
    return numbers


def _files(manifest: Manifest, accepted: pd.DataFrame, rejected: pd.DataFrame) -> dict[str, bytes]:
    """The batch's events and quarantine files and their content (none for an empty side)."""
    envelope = {"source": manifest.source, "batch_id": manifest.batch_id}
    files = {}
    if len(accepted):
        events = accepted.assign(**envelope)[LOG_SCHEMA.names]
        table = pa.Table.from_pandas(events, schema=LOG_SCHEMA, preserve_index=False)
        files[batch_key(manifest)] = _parquet_bytes(table)
    if len(rejected):
        refused = rejected.assign(ingest_time=manifest.arrival.replace(tzinfo=None), **envelope)
        table = pa.Table.from_pandas(
            refused[QUARANTINE_SCHEMA.names], schema=QUARANTINE_SCHEMA, preserve_index=False
        )
        files[quarantine_key(manifest)] = _parquet_bytes(table)
    return files


def _missing_files(manifest: Manifest, store: LogStore) -> bool:
    return (manifest.appended > 0 and not store.exists(batch_key(manifest))) or (
        manifest.quarantined > 0 and not store.exists(quarantine_key(manifest))
    )


def _counts(manifest: Manifest) -> tuple[int, int, int]:
    return manifest.received, manifest.appended, manifest.quarantined


def _manifest_bytes(manifest: Manifest) -> bytes:
    return (json.dumps(asdict(manifest), indent=2) + "\n").encode()


def _read_parquet(content: bytes, columns: list[str] | None = None) -> pd.DataFrame:
    frame: pd.DataFrame = pq.read_table(pa.BufferReader(content), columns=columns).to_pandas()
    return frame


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


def _canonical(value: Any) -> str:
    """A value as one line of JSON, exactly and reversibly: what the quarantine keeps of a refused event."""
    return json.dumps(_jsonable(value), sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def _quarantined(value: Any) -> str:
    """A refused event as the quarantine keeps it: whole, or beyond its size limit, its beginning, its size
    and its SHA-256."""
    text = _canonical(value)
    if len(text) <= MAX_QUARANTINED_BYTES:  # ASCII: one byte per character
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()
    return _canonical({"$beginning": text[:65_536], "$bytes": len(text), "$sha256": digest})


def _jsonable(value: Any, depth: int = 0) -> Any:
    """Anything as JSON values; what JSON cannot say (NaN, times, bytes, ints too long to print, nesting
    too deep) tagged with its Python type."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= 8_000 else {"$int": f"{value.bit_length()} bits"}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if depth >= MAX_DEPTH and isinstance(value, Mapping | list | tuple):
        return {f"${type(value).__name__}": f"nested deeper than {MAX_DEPTH} levels"}
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item, depth + 1) for item in value]
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    return {f"${type(value).__name__}": str(value)}


def _kind(value: Any) -> str:
    return "null" if value is None else f"a {type(value).__name__}"


def main(argv: list[str] | None = None) -> None:
    """The log's command line: append a file of events, retract a batch, or show what the log holds."""
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}.events", description=main.__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    append = commands.add_parser("append", help="append a batch: a file of JSON lines, one event per line")
    append.add_argument("file", type=Path, help="the events, one JSON object per line ('-' reads stdin)")
    append.add_argument("--batch-id", required=True, help="names this batch forever: retries reuse it")
    append.add_argument("--source", required=True, help="the system the events come from")
    undo = commands.add_parser("retract", help="disregard a batch, or some of its events, from now on")
    undo.add_argument("batch_id")
    undo.add_argument("--reason", required=True, help="why the events are wrong, kept with the retraction")
    undo.add_argument("--event-id", action="append", default=[], help="only this event (repeatable)")
    commands.add_parser("status", help="batches, events, quarantine and retractions; batches to resend")
    args = parser.parse_args(argv)
    settings = Settings()
    try:
        if args.command == "append":
            print(
                append_batch(
                    _json_lines(args.file), batch_id=args.batch_id, source=args.source, settings=settings
                )
            )
        elif args.command == "retract":
            path = retract(args.batch_id, reason=args.reason, event_ids=args.event_id, settings=settings)
            print(f"retracted {'events of ' if args.event_id else ''}batch {args.batch_id}: {path}")
            print("the next `make run` builds without them")
        else:
            print(status(settings))
    except (LogError, OSError) as error:  # StoreError is an OSError
        sys.exit(f"error: {error}")


def _json_lines(file: Path) -> list[Any]:
    """Each line as the JSON value it holds; a line that is not JSON (or not UTF-8) stays text, which the log
    quarantines. Lines end at newlines only: JSON may hold U+2028 and friends inside its strings."""
    raw = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    events = []
    for line in raw.decode("utf-8", errors="surrogateescape").split("\n"):
        if line.strip():
            try:
                events.append(json.loads(line))
            except (ValueError, RecursionError):
                events.append(line)
    return events


def status(settings: Settings) -> str:
    """What the log holds, in a few lines, with any batch to send again."""
    store = open_store(settings)
    recorded = manifests(settings)
    batches = {manifest.batch_id for manifest in recorded}
    unrecorded = [key for key in store.keys(f"{EVENTS_FOLDER}/") if _stem(key) not in batches]
    retracted = set[str]()
    for key in store.keys(f"{RETRACTIONS}/"):
        content = store.read(key)
        if content is not None:
            retracted.update(_read_parquet(content, ["batch_id"])["batch_id"])
    lines = [
        f"{len(recorded):,} batches: {sum(m.received for m in recorded):,} events received, "
        f"{sum(m.appended for m in recorded):,} in the log, "
        f"{sum(m.quarantined for m in recorded):,} quarantined",
        f"{len(retracted):,} batches with retractions: {', '.join(sorted(retracted)) or 'none'}",
    ]
    if unrecorded:
        lines.insert(1, f"{len(unrecorded):,} older batches without a manifest (appended before 0.2.0)")
    unfinished = incomplete(settings)
    if unfinished:
        names = ", ".join(manifest.batch_id for manifest in unfinished)
        lines.append(f"incomplete (a producer stopped mid-append; send them again to complete them): {names}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
