"""The quality gate: stops the run before training when the training set is not fit to learn from.

What a valid training row is comes from the contract (``contract.toml``, training_set); ``checks.py``, the
data-quality tool's adapter, checks every row against it and returns the failures. This module adds what
concerns the table as a whole, whatever the tool: each split big enough to learn from or judge on, a holdout
that reaches far enough past the validation cutoff, and a volume no smaller than the accepted run's by more
than ``max_volume_drop``. It writes a report a person can read into the run's folder and raises.
"""

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

import pandas as pd

from ..errors import StageError
from ..runs import Run, accepted
from ..settings import Settings
from ..training_set import CONTRACT, SPLIT, SPLITS


@dataclass(frozen=True)
class Failure:
    """One failed check; ``rows`` is how many rows fail it, 0 for a check on the whole table."""

    check: str
    column: str | None
    rows: int
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.column}: " if self.column else ""
        on_rows = f" on {self.rows:,} rows" if self.rows else ""
        return f"{where}{self.check} failed{on_rows}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class QualityReport:
    rows: int
    failures: list[Failure]
    path: Path

    @property
    def passed(self) -> bool:
        return not self.failures


class QualityGateError(StageError):
    """The training set failed its checks; nothing after the gate ran."""


# Whether a pandas column holds values of a contract type, whichever dtype the warehouse's driver chose.
def _is_text(column: pd.Series) -> bool:
    return pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")


def _is_number(column: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))


HOLDS: dict[str, Callable[[pd.Series], bool]] = {
    "text": _is_text,
    "timestamp": pd.api.types.is_datetime64_any_dtype,
    "integer": pd.api.types.is_integer_dtype,
    "number": _is_number,
}


def run(frame: pd.DataFrame, failures: list[Failure], settings: Settings, this_run: Run) -> QualityReport:
    """Judge the training set on the tool's failures and the table's checks; write the report; raise if any.

    The report (``quality/report.json`` in the run's folder) is written either way: a passing run leaves
    evidence too, and its row count becomes the volume to compare with once the run is accepted.
    """
    failures = failures + table_failures(frame, settings)
    report = QualityReport(rows=len(frame), failures=failures, path=this_run.quality_dir / "report.json")
    report.path.parent.mkdir(parents=True, exist_ok=True)
    summary = {"rows": report.rows, "passed": report.passed, "failures": [asdict(f) for f in failures]}
    report.path.write_text(json.dumps(summary, indent=2) + "\n")
    if failures:
        lines = "\n".join(f"  - {failure}" for failure in failures)
        raise QualityGateError(
            f"quality gate failed {len(failures)} check(s) on the training set ({report.rows:,} rows); "
            f"training did not run:\n{lines}\nreport: {report.path}"
        )
    return report


def table_failures(frame: pd.DataFrame, settings: Settings) -> list[Failure]:
    """The checks on the table as a whole, for every data-quality tool."""
    if not len(frame):
        return [Failure("volume", None, 0, "the training set is empty: append events (`make sample`)")]
    failures = volume_failures(len(frame), settings)
    if SPLIT in frame.columns:
        failures += split_sizes(frame)
    if "session_start" in frame.columns and HOLDS["timestamp"](frame["session_start"]):
        failures += holdout(frame, settings)  # a column of another type is the tool's to name
    return failures


def split_sizes(frame: pd.DataFrame) -> list[Failure]:
    """Each split has at least ``min_sessions_per_split`` sessions (contract.toml)."""
    needed = CONTRACT.min_sessions_per_split
    sessions = frame[SPLIT].value_counts()
    return [
        Failure(
            f"at least {needed} sessions per split",
            SPLIT,
            0,
            f"{split} has {sessions.get(split, 0):,}: append more events (`make sample`) or widen the "
            "split's dates in settings.py",
        )
        for split in SPLITS
        if sessions.get(split, 0) < needed
    ]


def holdout(frame: pd.DataFrame, settings: Settings) -> list[Failure]:
    """The newest session starts ``min_holdout_days`` past the validation cutoff, so the holdout is real."""
    days = timedelta(days=CONTRACT.min_holdout_days)
    cutoff = pd.Timestamp(settings.validation_cutoff)
    newest = frame["session_start"].max()
    if pd.notna(newest) and newest >= cutoff + days:
        return []
    reach = "no session" if pd.isna(newest) else f"the newest session starts {newest:%Y-%m-%d %H:%M}"
    return [
        Failure(
            f"holdout of at least {days.days} days",
            "session_start",
            0,
            f"{reach}, validation cutoff {settings.validation_cutoff}: append newer events or move the "
            "cutoffs back in settings.py",
        )
    ]


def volume_failures(rows: int, settings: Settings) -> list[Failure]:
    """A sudden drop in volume against the accepted run usually means lost data, not fewer customers."""
    previous = accepted_rows(settings)
    if previous and rows < previous * (1 - settings.max_volume_drop):
        return [
            Failure(
                "volume",
                None,
                0,
                f"dropped from {previous:,} to {rows:,} rows since the accepted run, more than "
                f"{settings.max_volume_drop:.0%}: look for missing log files or retracted batches",
            )
        ]
    return []


def accepted_rows(settings: Settings) -> int:
    """The training set's size in the accepted run (0 before any): changes only when a run is accepted."""
    run = accepted(settings)
    report = run.quality_dir / "report.json" if run else None
    if report is None or not report.exists():
        return 0
    return int(json.loads(report.read_text())["rows"])
