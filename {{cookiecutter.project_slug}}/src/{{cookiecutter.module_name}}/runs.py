"""Each pipeline run's evidence in a folder of its own, and the accepted run switched in one step.

    artifacts/runs/<run id>/       one run: quality/, evaluation/, model/, bundle/, outcome.json
    artifacts/accepted -> runs/<run id>    the accepted run: what serving, the volume check and people use
    dist -> artifacts/accepted/bundle      what a deployment takes

A candidate's reports, plots and model live with its run, so a rejected run never touches what was accepted.
Acceptance replaces the ``accepted`` link in one atomic rename: the model, its evaluation, the training set's
volume and the bundle change together or not at all, even if the process is killed at any moment. The next
run removes what a killed run left half-made. One run at a time per workspace (``exclusive``). The status
line of a run's evaluation report (``evaluation/report.md``) follows its outcome: accepted, superseded by a
later accepted run, rejected by the model gate, or not accepted because a later stage stopped the run.
"""

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .atomic import fsync_dir, write_atomically
from .errors import STOPS, StageError
from .settings import Settings

# Finished runs kept besides the accepted one, newest first: enough history to compare, bounded on disk.
KEEP_RUNS = 20
# The evaluation's page for people (model/evaluate.py writes it), and how its status line starts.
REPORT = "report.md"
STATUS = "**Status: "


class ConcurrentRunError(StageError):
    """Another run holds this workspace."""


@dataclass(frozen=True)
class Run:
    """One run's folder. Its name sorts by start time."""

    dir: Path

    @property
    def id(self) -> str:
        return self.dir.name

    @property
    def quality_dir(self) -> Path:
        return self.dir / "quality"

    @property
    def evaluation_dir(self) -> Path:
        return self.dir / "evaluation"

    @property
    def report_path(self) -> Path:
        return self.evaluation_dir / REPORT

    @property
    def model_path(self) -> Path:
        return self.dir / "model" / "model.json"

    @property
    def bundle_dir(self) -> Path:
        return self.dir / "bundle"

    @property
    def outcome_path(self) -> Path:
        return self.dir / "outcome.json"

    def outcome(self) -> dict[str, str] | None:
        """How the run ended ({"outcome": "accepted", "rejected", "stopped"...}), or None if it has not."""
        try:
            recorded: dict[str, str] = json.loads(self.outcome_path.read_text())
        except FileNotFoundError:
            return None
        return recorded


def begin(settings: Settings) -> Run:
    """A new run's folder, after removing what killed runs left behind. Call it holding ``exclusive``."""
    clean_up(settings)
    now = datetime.now(UTC)
    run = Run(settings.runs_dir / f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}")
    run.dir.mkdir(parents=True)
    return run


def accepted(settings: Settings) -> Run | None:
    """The accepted run, or None before any run was accepted. Named by the link, in the runs folder as the
    settings spell it, so it compares equal to the same run found by listing that folder."""
    link = settings.accepted_dir
    if not link.is_symlink() or not link.resolve().is_dir():
        return None
    return Run(settings.runs_dir / link.resolve().name)


def accept(run: Run, settings: Settings) -> None:
    """Make ``run`` the accepted one in one step; call it once everything in the run has been checked."""
    previous = accepted(settings)
    link = settings.accepted_dir
    staged = link.with_name(f".accepted-{uuid.uuid4().hex}")
    staged.symlink_to(run.dir.relative_to(link.parent))
    staged.replace(link)  # rename(2): readers see the old run or the new one, never neither
    fsync_dir(link.parent)
    _link_dist(settings)
    conclude(run, "accepted", "")
    if previous is not None and previous != run:
        mark_report(previous.report_path, "superseded", f"was accepted until run {run.id} was, on {_today()}")


def status_line(status: str, detail: str) -> str:
    """An evaluation report's status line: ``**Status: rejected** — the accepted model is ...``."""
    return f"{STATUS}{status}** — {detail}"


def mark_report(path: Path, status: str, detail: str) -> None:
    """Rewrite the status line of the evaluation report at ``path``, if there is one."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return
    marked = [status_line(status, detail) if line.startswith(STATUS) else line for line in lines]
    write_atomically(path, ("\n".join(marked) + "\n").encode())


def _today() -> str:
    return f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"


def conclude(run: Run, outcome: str, message: str, stage: str = "") -> None:
    """Record how ``run`` ended: "accepted", "rejected" (the model gate) or "stopped" (a stage refused)."""
    record = {"outcome": outcome, "stage": stage, "message": message, "at": datetime.now(UTC).isoformat()}
    write_atomically(run.outcome_path, (json.dumps(record, indent=2) + "\n").encode())
    if outcome == "accepted":
        version = json.loads(run.model_path.read_text()).get("version") if run.model_path.exists() else None
        mark_report(run.report_path, "accepted", f"model {version}, accepted on {_today()}")
    elif outcome != "rejected":  # the model gate marks a rejected candidate's report, naming the accepted
        first_line = message.strip().splitlines()[0] if message.strip() else outcome
        why = f"the run {outcome} at {stage}: {first_line}; the accepted model stays"
        mark_report(run.report_path, "not accepted", why)


@contextmanager
def recording(run: Run, stage: str) -> Iterator[None]:
    """Record in the run's folder why ``stage`` ended the run, if it does ("rejected" by the model gate,
    "stopped" by another stage, "crashed" on a bug); the error goes on up."""
    try:
        yield
    except STOPS as error:
        conclude(run, getattr(error, "outcome", "stopped"), str(error), stage)
        raise
    except Exception as error:
        conclude(run, "crashed", f"{type(error).__name__}: {error}", stage)
        raise


def stopped_since(settings: Settings, since: datetime) -> str | None:
    """The message of the latest run that ended, other than accepted, after ``since``, if there is one (a
    resumed run ends in a folder begun before it)."""
    ended = [Run(path).outcome() for path in settings.runs_dir.glob("*")]
    stops = [
        o for o in ended if o and o["outcome"] != "accepted" and datetime.fromisoformat(o["at"]) >= since
    ]
    return max(stops, key=lambda outcome: outcome["at"])["message"] if stops else None


def clean_up(settings: Settings) -> list[Path]:
    """Remove killed runs' leftovers (unfinished run folders, half-made links) and all but the newest
    ``KEEP_RUNS`` finished runs; never the accepted run. Returns what was removed."""
    keep = accepted(settings)
    removed = [*settings.artifacts_dir.glob(".accepted-*"), *settings.workspace.glob(".dist-*")]
    for path in removed:
        path.unlink(missing_ok=True)
    runs = sorted((Run(path) for path in settings.runs_dir.glob("*") if path.is_dir()), key=lambda r: r.id)
    finished = [run for run in runs if run.outcome() is not None and run != keep]
    for run in runs:
        unfinished = run.outcome() is None and run != keep
        if unfinished or (run in finished and finished.index(run) < len(finished) - KEEP_RUNS):
            shutil.rmtree(run.dir, ignore_errors=True)
            removed.append(run.dir)
    return removed


@contextmanager
def exclusive(settings: Settings, what: str = "pipeline run") -> Iterator[None]:
    """Hold the workspace for one run (or `make package`); a second one stops at once, naming the first.

    The lock is the operating system's (flock): it goes with the process that holds it, however that ends.
    """
    path = settings.data_dir / ".run.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise ConcurrentRunError(
                f"another run holds this workspace ({holder}): wait for it to finish, then run again"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{what}, pid {os.getpid()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n")
        lock.flush()
        try:
            yield
        finally:
            lock.seek(0)
            lock.truncate()


def _link_dist(settings: Settings) -> None:
    """``dist`` points at the accepted run's bundle, through the ``accepted`` link, so it never changes."""
    dist, target = (
        settings.dist_dir,
        Path(os.path.relpath(settings.accepted_dir / "bundle", settings.dist_dir.parent)),
    )
    if dist.is_symlink() and Path(os.readlink(dist)) == target:
        return
    if dist.is_dir() and not dist.is_symlink():
        shutil.rmtree(dist)  # a bundle folder from before runs had their own folders
    staged = dist.with_name(f".dist-{uuid.uuid4().hex}")
    staged.symlink_to(target)
    staged.replace(dist)
