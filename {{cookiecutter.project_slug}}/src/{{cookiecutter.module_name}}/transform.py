"""The transform stage: rebuild the warehouse from the event log with ``dbt build``.

``dbt build`` runs every model and its tests in dependency order, so a failed check stops the build before
anything downstream of it is built; this stage then raises, which stops the pipeline before training. dbt runs
in-process and gets the cutoffs and the log location from Settings, the same values Python uses.
"""

import argparse
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.artifacts.resources.types import NodeType
from dbt.artifacts.schemas.run import RunExecutionResult, RunResult
from dbt.cli.main import dbtRunner

from .event_log import log_files
from .resources import duckdb_memory_limit_mb
from .settings import Settings

# dbt result statuses that stop the pipeline: a model that errored, a test that failed or could not run.
FAILED = {"error", "fail", "runtime error"}


class TransformError(RuntimeError):
    """The warehouse could not be built from the log."""


@dataclass(frozen=True)
class TransformResult:
    """What a successful build did."""

    models: int
    tests: int

    def __str__(self) -> str:
        return f"dbt build passed: {self.models} models built, {self.tests} tests passed"


def build(settings: Settings | None = None, *, target: str | None = None) -> TransformResult:
    """Build every model and run every test; raise TransformError listing what failed.

    ``target`` picks a profile output (default: ``DBT_TARGET``, else ``dev``, the local DuckDB warehouse).
    """
    settings = settings or Settings()
    if _builds_locally(target) and not log_files(settings):
        raise TransformError(
            f"the event log at {settings.log_dir} is empty: append events first "
            "(`python -m {{ cookiecutter.module_name }}.sample` writes a sample log)"
        )
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    target_dir, log_dir = settings.dbt_target_dir, settings.dbt_log_dir
    args = [
        "build",
        *("--project-dir", str(settings.dbt_dir), "--profiles-dir", str(settings.dbt_dir)),
        *("--vars", json.dumps(settings.dbt_vars)),
        *("--target-path", str(target_dir), "--log-path", str(log_dir)),
        # The outcome is reported by the return value or the exception; the full log goes to dbt.log.
        *("--log-level", "none", "--log-level-file", "debug"),
    ]
    if target:
        args += ["--target", target]

    env = {
        "DBT_DUCKDB_PATH": str(settings.warehouse_path),
        "DBT_DUCKDB_MEMORY_LIMIT": f"{duckdb_memory_limit_mb(settings.memory_mb)}MB",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    with _environment(env):
        outcome = dbtRunner().invoke(args)
    # DuckDB keeps the warehouse open between builds in one process (keep_open in profiles.yml); close it, so
    # the stages after this one can open it with their own settings. (dbt-duckdb has no type hints.)
    DuckDBConnectionManager.close_all_connections()  # type: ignore[no-untyped-call]

    details = f"details: {log_dir / 'dbt.log'}, compiled SQL in {target_dir / 'compiled'}"
    if not isinstance(outcome.result, RunExecutionResult):
        raise TransformError(f"dbt build could not start: {_one_line(outcome.exception)}\n{details}")
    results = outcome.result.results
    failed = [r for r in results if str(r.status) in FAILED]
    if failed or not outcome.success:
        raise TransformError(_failure_report(failed, results, details, outcome.exception))
    return TransformResult(
        models=sum(r.node.resource_type == NodeType.Model for r in results),
        tests=sum(r.node.resource_type == NodeType.Test for r in results),
    )


def _builds_locally(target: str | None) -> bool:
    """Whether dbt reads the log files in place (DuckDB) rather than a raw table in a warehouse."""
    return (target or os.environ.get("DBT_TARGET") or "dev") == "dev"


def _failure_report(
    failed: Sequence[RunResult], results: Sequence[RunResult], details: str, exception: BaseException | None
) -> str:
    """One readable line per failed model or test, then what was skipped because of them."""
    lines = [f"dbt build failed: {len(failed)} of {len(results)} models and tests did not pass"]
    for result in failed:
        node = result.node
        lines.append(f"  {result.status} {node.resource_type} {node.name}: {_one_line(result.message)}")
    if exception is not None:
        lines.append(f"  {_one_line(exception)}")
    skipped = sum(str(r.status) == "skipped" for r in results)
    if skipped:
        lines.append(f"  ({skipped} downstream models and tests were skipped)")
    lines.append(details)
    return "\n".join(lines)


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
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
