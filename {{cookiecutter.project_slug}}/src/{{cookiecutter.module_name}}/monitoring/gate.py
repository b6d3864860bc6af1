"""The monitoring gate (`make monitor`): is the accepted model still scoring the world it was trained on?

The serving targets record every prediction as an event in the log (``serving/recording.py``). This stage
builds the monitoring models over them (``dbt build`` of dbt/models/monitoring, with their tests), then judges
the newest ``monitor_days`` days of predictions with the thresholds in settings.py:

- drift: each feature's population stability index (PSI) against the accepted model's training split, at
  most ``max_feature_psi`` (the dbt test feature_drift_within_threshold finds the days and features over it).
  A feature the contract marks ``grows_with_log_age`` is compared with the previous ``recent_reference_days``
  days of predictions instead (dbt/models/monitoring/feature_bins.sql says why);
- realised performance: once a day's outcomes are in, its Brier score at most the accepted model's on its
  holdout, plus ``max_brier_rise``, on a day with at least ``min_outcomes_per_day`` outcomes, and on the
  recent days with fewer together once they add up to that many (``performance.py``; settings.py has the
  figures).

Failures are the quality gate's (``quality/gate.py``): one line each, naming the feature, the statistic and
the threshold. The report and plots (``report.py``) are written either way, then the gate exits non-zero on
any failure, so a scheduler or CI job can alert on it and retrain.
"""

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.artifacts.schemas.run import RunExecutionResult, RunResult
from dbt.cli.main import dbtRunner

from ..errors import StageError
from ..log.events import LogError
from ..log.predictions import ingest
from ..log.store import StoreError, copy_to_local
from ..quality.gate import Failure
from ..runs import accepted
from ..settings import Settings
from ..warehouse.targets import target
from ..warehouse.transform import (
    FAILED,
    MONITORING,
    RowReader,
    dbt_arguments,
    dbt_environment,
    environment,
    read_locally,
)
from . import performance, report
from .report import day

# The tables `make monitor` reads back, for its checks and its report.
TABLES = ("daily_predictions", "feature_drift", "realised_performance")
DRIFT_TEST = "feature_drift_within_threshold"


class MonitoringError(StageError):
    """The monitoring models could not be built, or there is nothing to monitor yet."""


@dataclass(frozen=True)
class Monitoring:
    """What one check found: the monitoring tables, the failures, and the report that shows them."""

    tables: dict[str, pd.DataFrame]
    failures: list[Failure]
    expected_brier: float
    report_path: Path

    @property
    def passed(self) -> bool:
        return not self.failures


def check(settings: Settings | None = None, *, predictions: Path | None = None) -> Monitoring:
    """Ingest recorded predictions from ``predictions`` (a folder), build the monitoring models, judge them
    and write the report. Raises MonitoringError when there is nothing to judge against."""
    settings = settings or Settings()
    run = accepted(settings)
    if run is None or not (run.evaluation_dir / "metrics.json").exists():
        raise MonitoringError("there is no accepted model to monitor: run `make run` first")
    try:
        if predictions is not None:
            ingest(predictions, settings)
        # A log on object storage: what is new in it first, the predictions among it, as `make run` does.
        copy_to_local(settings)
    except (LogError, StoreError) as error:
        raise MonitoringError(str(error)) from error
    results, read = build(settings)
    tables = read_tables(settings)
    expected_brier = float(json.loads((run.evaluation_dir / "metrics.json").read_text())["brier"])
    failures = drift_failures(results, read) + performance_failures(
        tables["realised_performance"], expected_brier, settings
    )
    path = report.write(tables, failures, expected_brier, settings, model_version=_version(run.model_path))
    return Monitoring(tables, failures, expected_brier, path)


def build(settings: Settings) -> tuple[list[RunResult], RowReader]:
    """``dbt build`` of the monitoring models and their tests, in place: they are read from the log and the
    training set the last transform built, and change nothing else. A failed drift test is a finding; any
    other failure means the models could not be built."""
    if target() != "dev":
        raise MonitoringError(
            f"make monitor reads the local warehouse, and DBT_TARGET is {target()!r}: run it with "
            "DBT_TARGET=dev (or unset) in a workspace whose log holds the recorded predictions"
        )
    if not settings.warehouse_path.exists():
        raise MonitoringError(f"there is no warehouse at {settings.warehouse_path}: run `make run` first")
    arguments = [*dbt_arguments(settings, "build"), "--select", MONITORING]
    with environment(dbt_environment(settings, settings.warehouse_path)):
        outcome = dbtRunner().invoke(arguments)
    DuckDBConnectionManager.close_all_connections()  # type: ignore[no-untyped-call]
    if not isinstance(outcome.result, RunExecutionResult):
        raise MonitoringError(f"dbt build of the monitoring models could not start: {outcome.exception}")
    results = list(outcome.result.results)
    broken = [r for r in results if str(r.status) in FAILED and r.node.name != DRIFT_TEST]
    if broken:
        lines = [f"  {r.status} {r.node.name}: {' '.join(str(r.message).split())}" for r in broken]
        details = f"details: {settings.dbt_log_dir / 'dbt.log'}"
        raise MonitoringError("\n".join(["the monitoring models did not build:", *lines, details]))
    return results, read_locally(settings.warehouse_path)


def read_tables(settings: Settings) -> dict[str, pd.DataFrame]:
    """The monitoring tables, each ordered by day."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as database:
        return {name: database.sql(f"select * from {name} order by predicted_on").df() for name in TABLES}  # noqa: S608


def drift_failures(results: list[RunResult], read: RowReader) -> list[Failure]:
    """A failure per day and feature the drift test found over ``max_feature_psi``."""
    failed = [r for r in results if r.node.name == DRIFT_TEST and str(r.status) in FAILED]
    found = read(failed[0]) if failed else None
    if not failed:
        return []
    if found is None:
        return [Failure("drift", None, 0, "the drift test failed; its rows could not be read: see dbt.log")]
    names, rows = found
    failures = []
    for row in rows:
        values: dict[str, Any] = dict(zip(names, row, strict=True))
        failures.append(
            Failure(
                f"PSI at most {values['threshold']:g} (max_feature_psi)",
                str(values["feature"]),
                0,
                f"PSI {values['psi']:.3f} on {day(values['predicted_on'])}, over "
                f"{int(values['predictions']):,} predictions: the feature no longer looks like the training "
                "set; look at what changed upstream, then retrain (`make run`)",
            )
        )
    return failures


def performance_failures(realised: pd.DataFrame, expected_brier: float, settings: Settings) -> list[Failure]:
    """A failure per recent day, or run of small days together, whose realised Brier score is worse than the
    holdout's beyond the margin (``performance.py``)."""
    check = (
        f"Brier score at most {performance.limit(expected_brier, settings):.4f} (the accepted model's "
        f"{expected_brier:.4f} on its holdout, +{settings.max_brier_rise:.0%}: max_brier_rise)"
    )
    return [
        Failure(
            check,
            "score",
            0,
            f"Brier {judged.brier:.4f} on {days(judged)}, over {judged.outcomes:,} predictions with "
            "outcomes: retrain (`make run`)",
        )
        for judged in performance.judge(realised, expected_brier, settings)
        if judged.verdict == performance.OVER
    ]


def days(judged: performance.Judged) -> str:
    if judged.together:
        return f"{day(judged.first)} to {day(judged.last)} together (each too few alone)"
    return day(judged.first)


def _version(model_path: Path) -> str:
    return str(json.loads(model_path.read_text()).get("version", "unversioned"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--predictions", type=Path, help="a folder of predictions a serving target recorded, to append first"
    )
    args = parser.parse_args(argv)
    try:
        found = check(predictions=args.predictions)
    except MonitoringError as error:
        raise SystemExit(f"make monitor: {error}") from error
    if found.passed and found.tables["daily_predictions"].empty:
        # Passing on nothing would read as a healthy model: say plainly that nothing was judged.
        print(f"monitoring gate: nothing to judge yet, no predictions recorded (report: {found.report_path})")
        return
    if found.passed:
        print(f"monitoring gate passed (report: {found.report_path})")
        return
    lines = "\n".join(f"  - {failure}" for failure in found.failures)
    print(
        f"monitoring gate failed {len(found.failures)} check(s):\n{lines}\nreport: {found.report_path}",
        file=sys.stderr,
    )
    raise SystemExit(1)


if __name__ == "__main__":
    main()
