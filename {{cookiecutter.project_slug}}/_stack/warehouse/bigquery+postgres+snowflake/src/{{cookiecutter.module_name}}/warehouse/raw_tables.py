"""The raw tables a production warehouse keeps the event log in, and what every warehouse's ``load_raw.py``
shares: which of the log's files are pending, what a load reports, and ``make load-raw``."""

import argparse
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ..log.events import LOG_SCHEMA, RETRACTION_SCHEMA, log_files
from ..settings import Settings
from .targets import WarehouseError


@dataclass(frozen=True)
class RawTable:
    """A raw table and the log files it copies: shaped like them (``columns``), and each row carrying the id
    its file is named after (``key``), which is how a loader tells the files already in from the new ones."""

    name: str
    columns: pa.Schema
    key: str


RAW_EVENTS = RawTable("events", LOG_SCHEMA, "batch_id")
# dbt's staging model reads this table whether or not there is any retraction: loaders always create it.
RAW_RETRACTIONS = RawTable("retractions", RETRACTION_SCHEMA, "retraction_id")


@dataclass(frozen=True)
class Appended:
    """What one load appended to one raw table: the files it copied (by id), their rows, and how many of the
    log's files were there already."""

    table: str
    loaded: tuple[str, ...]
    rows: int
    already_loaded: int


@dataclass(frozen=True)
class LoadResult:
    """What one load did: the log's new batches and its new retractions, each copied into its raw table."""

    events: Appended
    retractions: Appended

    def __str__(self) -> str:
        events, retractions = self.events, self.retractions
        batches = f"{_count(len(events.loaded), 'batch', 'batches')} ({events.rows:,} events)"
        corrections = _count(len(retractions.loaded), "retraction", "retractions")
        return (
            f"loaded {batches} into {events.table}; {_there(events.already_loaded)}\n"
            f"loaded {corrections} into {retractions.table}; {_there(retractions.already_loaded)}"
        )


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


def _there(number: int) -> str:
    return f"{number:,} {'was' if number == 1 else 'were'} already there"


def files_to_load(settings: Settings) -> list[Path]:
    """Every log file, oldest day first; an empty log is an error: there would be nothing to train on."""
    files = log_files(settings)
    if not files:
        raise WarehouseError(f"the event log at {settings.log_dir} is empty: append events first")
    return files


def file_id(path: Path) -> str:
    """The id of what a log file holds, its ``key`` in the raw table: the log names each file after its batch,
    and each retraction's file after the retraction."""
    return path.stem


def pending(files: Iterable[Path], loaded: Collection[str]) -> list[Path]:
    """The log files whose id is not in the raw table yet, in the log's order (oldest day first)."""
    return [path for path in files if file_id(path) not in loaded]


def load_failed(table: str, error: Exception) -> WarehouseError:
    """A client's error as one line naming the table (drivers' messages span several)."""
    message = " ".join(str(error).split())
    return WarehouseError(f"loading into {table} failed: {message}")


def load_raw_main(load: Callable[[], LoadResult], description: str, argv: list[str] | None) -> None:
    """``make load-raw``: load the log's new batches and retractions and say what was loaded, or exit with the
    reason."""
    argparse.ArgumentParser(description=description).parse_args(argv)
    try:
        print(load())
    except WarehouseError as error:
        raise SystemExit(str(error)) from error
