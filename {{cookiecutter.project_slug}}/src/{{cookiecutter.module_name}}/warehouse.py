"""Reading what the transform stage built: the local DuckDB file on dev, the production warehouse otherwise.

Kept apart from ``transform.py`` so that stages which only read (the gate, training, evaluation) do not import
dbt: each orchestrator step starts a fresh process, and importing less makes every step start faster.

What is particular to the production warehouse (its connection, its schemas, its SQL) is in ``production.py``.
{%- if cookiecutter.warehouse != "duckdb" %}
Here too is what its ``load_raw.py`` shares with the other production warehouses' loaders: the raw tables the
log is copied into, which of its files are pending, what a load reports, and ``make load-raw``.
{%- endif %}
"""

{% if cookiecutter.warehouse != "duckdb" -%}
import argparse
{% endif -%}
import os
{%- if cookiecutter.warehouse != "duckdb" %}
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
{%- endif %}
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from .errors import StageError
{% if cookiecutter.warehouse != "duckdb" -%}
from .event_log import LOG_SCHEMA, RETRACTION_SCHEMA, log_files
{% endif -%}
from .settings import Settings


class WarehouseError(StageError):
    """The warehouse, or a table the pipeline reads, is not there yet."""


def target() -> str:
    """The dbt target the pipeline builds and reads: ``DBT_TARGET``, else dev (the local DuckDB file)."""
    return os.environ.get("DBT_TARGET") or "dev"


def read_duckdb_file(path: Path) -> pd.DataFrame:
    """The training set in a DuckDB warehouse file, one row per session, in a stable order."""
    if not path.exists():
        raise WarehouseError(f"there is no warehouse at {path}: run the transform stage first")
    # Read-only, so a reader can never change what the build produced.
    with duckdb.connect(str(path), read_only=True) as database:
        try:
            # Through Arrow rather than .df(): the same frame in well under half the time and about 0.6x the
            # memory (1.5 million sessions at 10^7 events; the gate, train, evaluate and package read it).
            rows = database.sql("select * from training_set order by session_id").to_arrow_table()
            frame: pd.DataFrame = rows.to_pandas()
        except duckdb.CatalogException as error:
            raise WarehouseError(
                f"the warehouse at {path} has no training_set table: run the transform stage first"
            ) from error
    # Arrow turns a whole-number column with a missing value into floats; keep it whole, with pd.NA, as .df()
    # does, so that a missing count still reads as missing to the quality gate and to scoring.
    for name, column in zip(rows.column_names, rows.columns, strict=True):
        if pa.types.is_signed_integer(column.type) and column.null_count:
            frame[name] = frame[name].astype(f"Int{column.type.bit_width}")
    return frame


def load_training_set(settings: Settings | None = None) -> pd.DataFrame:
    """The training set as the last successful build left it, one row per session, in a stable order.

    It comes from the target dbt built (``DBT_TARGET``): the local DuckDB file on dev, production otherwise.
    """
    if target() == "dev":
        return read_duckdb_file((settings or Settings()).warehouse_path)
    # Imported here so that dev never imports a production client: slow to load, and some print warnings.
    from . import production

    return production.load_training_set()
{%- if cookiecutter.warehouse != "duckdb" %}


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
{%- endif %}
