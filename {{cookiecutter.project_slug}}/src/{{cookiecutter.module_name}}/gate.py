"""The quality gate: stops the run before training when the training set is not fit to learn from.

The checks themselves live in ``quality.py`` (one data-quality tool's adapter) and arrive here as
failures; this module adds what every tool shares (a volume check against the last accepted run), writes a
report a person can read, and raises.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from .settings import Settings


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


class QualityGateError(RuntimeError):
    """The training set failed its checks; nothing after the gate ran."""


def run(frame: pd.DataFrame, failures: list[Failure], settings: Settings) -> QualityReport:
    """Judge the training set on the tool's failures plus the volume check; write the report; raise if any.

    The report (``artifacts/quality/report.json``) is written either way: a passing run leaves evidence too.
    """
    failures = failures + volume_failures(len(frame), settings)
    report = QualityReport(
        rows=len(frame), failures=failures, path=settings.artifacts_dir / "quality" / "report.json"
    )
    report.path.parent.mkdir(parents=True, exist_ok=True)
    report.path.write_text(
        json.dumps(
            {"rows": report.rows, "passed": report.passed, "failures": [asdict(f) for f in failures]},
            indent=2,
        )
        + "\n"
    )
    if failures:
        lines = "\n".join(f"  - {failure}" for failure in failures)
        raise QualityGateError(
            f"quality gate failed {len(failures)} check(s) on the training set ({report.rows:,} rows); "
            f"training did not run:\n{lines}\nreport: {report.path}"
        )
    _accepted_volume_path(settings).write_text(json.dumps({"rows": len(frame)}) + "\n")
    return report


def volume_failures(rows: int, settings: Settings) -> list[Failure]:
    """A sudden drop in volume against the last accepted run usually means lost data, not fewer customers."""
    if not rows:
        return [Failure("volume", None, 0, "the training set is empty")]
    path = _accepted_volume_path(settings)
    previous = int(json.loads(path.read_text())["rows"]) if path.exists() else 0
    if rows < previous * (1 - settings.max_volume_drop):
        return [
            Failure(
                "volume",
                None,
                0,
                f"dropped from {previous:,} to {rows:,} rows since the last accepted run, more than "
                f"{settings.max_volume_drop:.0%}",
            )
        ]
    return []


def _accepted_volume_path(settings: Settings) -> Path:
    return settings.artifacts_dir / "quality" / "accepted_volume.json"
