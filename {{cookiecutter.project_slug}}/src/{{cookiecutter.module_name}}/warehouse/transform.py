"""The transform stage: rebuild the warehouse from the event log with ``dbt build``.

``dbt build`` runs every model and its tests in dependency order, so a failed check stops the build before
anything downstream of it is built; this stage then raises, which stops the pipeline before training. dbt runs
in-process and gets the cutoffs and the log location from Settings, the same values Python uses.

On the local warehouse, dbt builds a new file beside the current one, which replaces it only once every model
and test passed: readers never meet a build in progress, and a failed build leaves the last good warehouse as
it was (the failed one is kept in ``data/failed_build/`` to look into). A long build tells which models and
tests dbt has finished, and which it is running, as it goes (``story.Ticker``), from the events dbt reports
to a callback.
"""

import argparse
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.artifacts.resources.types import NodeType
from dbt.artifacts.schemas.run import RunExecutionResult, RunResult
from dbt.cli.main import dbtRunner
from dbt_common.events.base_types import EventMsg

from ..contract import load
from ..errors import StageError
from ..log.events import RETRACTION_SCHEMA, log_files, retraction_files
from ..log.store import copy_to_local
from ..resources import duckdb_memory_limit_mb, usable_cpus
from ..settings import Settings
from ..story import Ticker
from . import dbt_tests

# The monitoring models and their tests, over the recorded predictions.
MONITORING = "path:models/monitoring"
# dbt result statuses that stop the pipeline: a model that errored, a test that failed or could not run.
FAILED = {"error", "fail", "runtime error"}
# Failing rows quoted for each failed test: enough to see what is wrong.
EXAMPLES = 3
# A test whose rows have these columns found a rule broken in each (dbt/tests/generic/rules.sql): the report
# names each rule as if it were a test of its own.
RULE_COLUMNS = ["rule_name", "failures", "example"]
RULES_AT_MOST = 1000
# Reads a test's failing rows again (its columns and at most RULES_AT_MOST rows), or None if it cannot.
RowReader = Callable[[RunResult], tuple[list[str], list[tuple[Any, ...]]] | None]
# What to do, by the words in a failed test's name.
HINTS = {
    "stg_events": "the log holds events that break contract.toml (written around append_batch, which "
    "quarantines them): retract their batch (`make retract BATCH=... REASON=...`) and run again",
    "splits_are_usable": f"a split has no sessions or an implausible {load().training_set.prediction_words} "
    "rate: append more events (`make sample`), or move the cutoffs in settings.py",
}


class TransformError(StageError):
    """The warehouse could not be built from the log."""


@dataclass(frozen=True)
class TransformResult:
    """What a successful build did; ``warnings`` are the tests that found something not worth stopping for."""

    models: int
    tests: int
    warnings: tuple[str, ...] = ()

    @property
    def passed(self) -> str:
        return f"dbt build passed: {self.models} models built, {self.tests} tests passed"

    def __str__(self) -> str:
        return "\n".join([self.passed, *(f"  warning: {warning}" for warning in self.warnings)])


def build(settings: Settings | None = None, *, target: str | None = None) -> TransformResult:
    """Build every model and run every test; raise TransformError listing what failed.

    ``target`` picks a profile output (default: ``DBT_TARGET``, else ``dev``, the local DuckDB warehouse).
    """
    settings = settings or Settings()
    outdated = dbt_tests.stale(load())
    if outdated:
        names = ", ".join(path.name for path in outdated)
        raise TransformError(
            f"dbt's tests ({names}) differ from contract.toml: run `make contract`, then again"
        )
    local = _builds_locally(target)
    copy_to_local(settings)
    if local and not log_files(settings):
        raise TransformError(
            f"the event log at {settings.log_dir} is empty: append events first "
            "(`make sample` writes a sample log)"
        )
    # Locally, dbt builds a new file that replaces the warehouse once everything passed. Other targets build
    # in their warehouse, and the local file is left alone.
    database = settings.data_dir / ".build" / settings.warehouse_path.name
    if local:
        _remove_database(database)
        database.parent.mkdir(parents=True, exist_ok=True)
    target_dir, log_dir = settings.dbt_target_dir, settings.dbt_log_dir
    with environment(dbt_environment(settings, database)):
        # The monitoring models are `make monitor`'s (monitoring/gate.py): a drifted feature must not stop the
        # retraining that answers it.
        told = NodesTold(Ticker("transform"))
        arguments = [*dbt_arguments(settings, "build", target), "--exclude", MONITORING]
        outcome = dbtRunner(callbacks=[told]).invoke(arguments)
    # DuckDB keeps the warehouse open between builds in one process (keep_open in profiles.yml); close it, so
    # the stages after this one can open it with their own settings. (dbt-duckdb has no type hints.)
    DuckDBConnectionManager.close_all_connections()  # type: ignore[no-untyped-call]

    details = f"details: {log_dir / 'dbt.log'}, compiled SQL in {target_dir / 'compiled'}"
    if not isinstance(outcome.result, RunExecutionResult):
        raise TransformError(f"dbt build could not start: {_one_line(outcome.exception)}\n{details}")
    results = outcome.result.results
    failed = [r for r in results if str(r.status) in FAILED]
    if failed or not outcome.success:
        read = read_in_warehouse(settings, target)
        if local:
            kept = settings.data_dir / "failed_build" / database.name
            _remove_database(kept)
            kept.parent.mkdir(parents=True, exist_ok=True)
            database.replace(kept)
            read = read_locally(kept)
            details += (
                f"; the failed build is in {kept}, and the warehouse from the last good build is unchanged"
            )
        raise TransformError(_failure_report(failed, results, details, outcome.exception, read))
    if local:
        # The new file replaces the old in one rename; the old one's write-ahead log must not outlive it.
        settings.warehouse_path.with_name(f"{settings.warehouse_path.name}.wal").unlink(missing_ok=True)
        database.replace(settings.warehouse_path)
    read = read_locally(settings.warehouse_path) if local else read_in_warehouse(settings, target)
    return TransformResult(
        models=sum(r.node.resource_type == NodeType.Model for r in results),
        tests=sum(r.node.resource_type == NodeType.Test for r in results),
        warnings=tuple(_warning(r, read) for r in results if str(r.status) == "warn"),
    )


class NodesTold:
    """A dbt callback telling the ticker each model and test dbt finishes, out of how many it will run, and
    those still running: a model that takes minutes is named while it does."""

    def __init__(self, ticker: Ticker) -> None:
        self.ticker = ticker
        self.total = self.done = 0
        self.running: set[str] = set()
        self._lock = threading.Lock()  # dbt's worker threads each report the nodes they start and finish

    def __call__(self, event: EventMsg) -> None:
        name, data = event.info.name, event.data
        if name == "ConcurrencyLine":
            self.total = data.node_count
        elif name in ("NodeStart", "NodeFinished"):
            node = f"{data.node_info.resource_type} {data.node_info.node_name}"
            with self._lock:
                if name == "NodeStart":
                    self.running.add(node)
                    return
                self.running.discard(node)
                self.done += 1
                done, running = self.done, sorted(self.running)
            status = data.run_result.status
            line = f"{done:,} of {self.total:,} models and tests done; the last, {node}: {status}"
            self.ticker.tell(line + (f"; running: {', '.join(running)}" if running else ""))


def _warning(result: RunResult, read: RowReader) -> str:
    """A warning test's line: its name and rows, or each rule it found broken."""
    broken, found = _findings(result, read)
    if broken:
        return "; ".join(str(rule) for rule in broken)
    return f"{result.node.name}: {_one_line(result.message)}{found}"


def dbt_arguments(settings: Settings, command: str, target: str | None = None) -> list[str]:
    """dbt's command line for ``command`` ("build", "test"...) on this workspace's log and settings."""
    target_dir, log_dir = settings.dbt_target_dir, settings.dbt_log_dir
    return [
        command,
        *("--project-dir", str(settings.dbt_dir), "--profiles-dir", str(settings.dbt_dir)),
        *("--vars", json.dumps(dbt_vars(settings))),
        *("--target-path", str(target_dir), "--log-path", str(log_dir)),
        # The outcome is reported by the return value or the exception; the full log goes to dbt.log.
        *("--log-level", "none", "--log-level-file", "debug"),
        *(("--target", target) if target else ()),
    ]


def dbt_environment(settings: Settings, database: Path) -> dict[str, str]:
    """What dbt's profile reads from the environment: the DuckDB file, its memory and cores, no usage
    statistics."""
    return {
        "DBT_DUCKDB_PATH": str(database),
        "DBT_DUCKDB_MEMORY_LIMIT": f"{duckdb_memory_limit_mb(settings.memory_mb)}MB",
        "DBT_DUCKDB_THREADS": str(usable_cpus(settings.cpu)),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_vars(settings: Settings) -> dict[str, str]:
    """What dbt receives as ``--vars``: the settings' cutoffs, log and monitoring thresholds, the contract's
    features (and which of them grow with the log's age), and where the retractions are (an empty file while
    there are none: a file pattern that matches nothing is an error to DuckDB)."""
    if retraction_files(settings):
        retractions = f"{settings.retractions_dir.as_posix()}/ingest_date=*/*.parquet"
    else:
        empty = settings.dbt_target_dir.parent / "no_retractions.parquet"
        if not empty.exists():
            empty.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(RETRACTION_SCHEMA.empty_table(), empty)
        retractions = empty.as_posix()
    features = load().training_set.features
    names = ",".join(field.name for field in features)
    # Judged against recent predictions rather than the training split (feature_bins.sql).
    log_age = ",".join(field.name for field in features if field.grows_with_log_age)
    return settings.dbt_vars | {
        "retractions_path": retractions,
        "features": names,
        "log_age_features": log_age,
    }


def _remove_database(path: Path) -> None:
    """A DuckDB file and its write-ahead log, left by an earlier build."""
    for leftover in (path, path.with_name(f"{path.name}.wal")):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink(missing_ok=True)


def _builds_locally(target: str | None) -> bool:
    """Whether dbt reads the log files in place (DuckDB) rather than a raw table in a warehouse."""
    return (target or os.environ.get("DBT_TARGET") or "dev") == "dev"


def _failure_report(
    failed: Sequence[RunResult],
    results: Sequence[RunResult],
    details: str,
    exception: BaseException | None,
    read: RowReader,
) -> str:
    """One readable line per failed model or test with the rows it found, then what was skipped."""
    lines = [f"dbt build failed: {len(failed)} of {len(results)} models and tests did not pass"]
    names = []
    for result in failed:
        node = result.node
        broken, found = _findings(result, read)
        if broken:
            # A test of rules (dbt/tests/generic/rules.sql): a line per broken rule, as if it were a test.
            lines += [f"  {result.status} test {rule}" for rule in broken]
            names += [rule.name for rule in broken]
            continue
        lines.append(
            f"  {result.status} {node.resource_type} {node.name}: {_one_line(result.message)}{found}"
        )
        names += [node.name] if node.resource_type == NodeType.Test else []
    lines += [f"  {hint}" for words, hint in HINTS.items() if any(words in name for name in names)]
    if exception is not None:
        lines.append(f"  {_one_line(exception)}")
    skipped = sum(str(r.status) == "skipped" for r in results)
    if skipped:
        lines.append(f"  ({skipped} downstream models and tests were skipped)")
    lines.append(details)
    return "\n".join(lines)


@dataclass(frozen=True)
class BrokenRule:
    """A rule a rules test found broken: its name (as dbt would name a test of its own), how many rows break
    it, and one of them."""

    name: str
    failures: int
    example: str | None

    def __str__(self) -> str:
        rows = "1 row" if self.failures == 1 else f"{self.failures:,} rows"
        example = f"; found: {_clip(self.example, 200)}" if self.example else ""
        return f"{self.name}: {rows}{example}"


def broken_rules(result: RunResult, read: RowReader) -> list[BrokenRule]:
    """The rules a failed or warning test found broken, when it returns a row per broken rule (the rules
    tests do); empty for any other node."""
    return _findings(result, read)[0] if str(result.status) in FAILED | {"warn"} else []


def _findings(result: RunResult, read: RowReader) -> tuple[list[BrokenRule], str]:
    """What a failed or warning test found: the rules it found broken, when its rows are RULE_COLUMNS, or
    else a few of its rows, as "; found: split='test', n_sessions=0 | ..."."""
    found = read(result) if result.node.resource_type == NodeType.Test else None
    if found is None:
        return [], ""
    names, rows = found
    if names == RULE_COLUMNS:
        return [BrokenRule(str(name), int(n), None if e is None else str(e)) for name, n, e in rows], ""
    return [], "; found: " + " | ".join(
        ", ".join(f"{n}={_short(v)}" for n, v in zip(names, row, strict=True)) for row in rows[:EXAMPLES]
    )


def read_locally(database: Path) -> RowReader:
    """A test's rows from the DuckDB file it ran on: its compiled query, again, read only."""

    def read(result: RunResult) -> tuple[list[str], list[tuple[Any, ...]]] | None:
        sql = getattr(result.node, "compiled_code", None)
        if not sql or not database.exists():
            return None
        try:
            with duckdb.connect(str(database), read_only=True) as connection:
                # The test's own compiled query, from dbt: nothing here comes from outside the project.
                found = connection.sql(f"select * from ({sql}) limit {RULES_AT_MOST}")  # noqa: S608
                return found.columns, found.fetchall()
        except duckdb.Error:
            return None

    return read


def read_in_warehouse(settings: Settings, target: str | None) -> RowReader:
    """A test's rows from the warehouse it ran in, through dbt's own connection (``dbt show``)."""

    def read(result: RunResult) -> tuple[list[str], list[tuple[Any, ...]]] | None:
        show = [*dbt_arguments(settings, "show", target), "--select", result.node.name]
        with environment(dbt_environment(settings, settings.warehouse_path)):
            outcome = dbtRunner().invoke([*show, "--limit", str(RULES_AT_MOST)])
        shown = outcome.result.results if isinstance(outcome.result, RunExecutionResult) else []
        table = shown[0].agate_table if outcome.success and shown else None
        if table is None:
            return None
        return list(table.column_names), [tuple(row) for row in table.rows]

    return read


def _short(value: Any) -> str:
    return _clip(repr(value) if isinstance(value, str) else str(value), 40)


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else f"{text[: length - 3]}..."


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for dbt's profile, and put back what was there before."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", help="dbt profile output to build (default: DBT_TARGET, else dev)")
    args = parser.parse_args(argv)
    try:
        print(build(target=args.target))
    except TransformError as error:
        raise SystemExit(str(error)) from error


if __name__ == "__main__":
    main()
