"""Shared fixtures: every test works in its own temporary workspace, never in the project's data folder."""

import fcntl
import itertools
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import pipeline, story
from {{ cookiecutter.module_name }}.log.sample import write_sample
from {{ cookiecutter.module_name }}.release.promotion import Examples
from {{ cookiecutter.module_name }}.runs import Run, begin
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import CONTRACT, FEATURES, KEY
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set

from .webhook import Receiver, receiving

if TYPE_CHECKING:
    from {{ cookiecutter.module_name }}.model.train import TrainedModel
    from {{ cookiecutter.module_name }}.pipeline import RunSummary
    from {{ cookiecutter.module_name }}.warehouse.transform import TransformResult

# Big enough that every split has sessions and purchases, small enough to build in seconds.
TINY_SAMPLE_EVENTS = 30_000
PACKAGE = "{{ cookiecutter.module_name }}"
# What the chosen serving target and tracker add to these fixtures, in tests/fixtures_<choice>.py where they
# add any: the local server's address, the tracker kept off the team's server.
pytest_plugins = sorted(f"tests.{path.stem}" for path in Path(__file__).parent.glob("fixtures_*.py"))


@pytest.fixture(autouse=True, scope="session")
def _workspace_outside_the_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests work in a temporary folder on the local warehouse, whatever `.env` says for real runs."""
    workspace = str(tmp_path_factory.mktemp("workspace"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("{{ cookiecutter.module_name | upper }}_WORKSPACE", workspace)
        patch.setenv("DBT_TARGET", "dev")
        yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose data, artifacts and bundles live in a fresh temporary folder."""
    return Settings(workspace=tmp_path)


def made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], object]) -> object:
    """What ``make`` returns for a new folder, made once per test run however many workers ask for it.

    `make test` runs the tests in several pytest-xdist workers. The first to ask makes it where every worker
    can read it and saves the result; the others wait for that (a file lock) and load it, rather than each
    spending seconds on the same data.
    """
    run_dir = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        run_dir = run_dir.parent  # the run's temporary folder, which holds each worker's
    saved = run_dir / f"{name}.pickle"
    with (run_dir / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not saved.exists():
            saved.write_bytes(pickle.dumps(make(Path(tempfile.mkdtemp(prefix=f"{name}-", dir=run_dir)))))
        return pickle.loads(saved.read_bytes())  # noqa: S301 (this run's own file)


@pytest.fixture(scope="session")
def _tiny_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def sample(workspace: Path) -> Path:
        write_sample(TINY_SAMPLE_EVENTS, Settings(workspace=workspace), progress=False)
        return workspace / "data" / "log"

    log = made_once(tmp_path_factory, "tiny-log", sample)
    assert isinstance(log, Path)
    return log


@pytest.fixture
def tiny_log(settings: Settings, _tiny_log: Path) -> Settings:
    """The settings fixture, with a tiny sample log already in its workspace (generated once per test run)."""
    shutil.copytree(_tiny_log, settings.data_dir / "log")
    return settings


@dataclass(frozen=True)
class Built:
    """The tiny log built into a warehouse: the workspace (copy it before changing it) and what dbt did."""

    workspace: Path
    result: "TransformResult"


@pytest.fixture(scope="session")
def tiny_build(_tiny_log: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The tiny log, built once per test run. dbt is imported here rather than at the top: it takes a second,
    and pytest-xdist's controller, which runs no test, reads this file too."""
    from {{ cookiecutter.module_name }}.warehouse.transform import build

    def build_log(workspace: Path) -> Built:
        shutil.copytree(_tiny_log, workspace / "data" / "log")
        return Built(workspace, build(Settings(workspace=workspace)))

    built = made_once(tmp_path_factory, "built", build_log)
    assert isinstance(built, Built)
    return built


@pytest.fixture
def built(settings: Settings, tiny_build: Built) -> Settings:
    """The settings fixture, with the tiny log already built into a warehouse (built once per test run)."""
    shutil.copytree(tiny_build.workspace / "data", settings.data_dir)
    return settings


@pytest.fixture(scope="session")
def training_frame(tiny_build: Built) -> pd.DataFrame:
    """The tiny sample's training set; copy it before changing it."""
    return load_training_set(Settings(workspace=tiny_build.workspace))


@dataclass(frozen=True)
class Trained:
    """A model trained on the tiny sample and what the package stage gets from it: the export (versioned
    "v-test", with its inputs' rules), example sessions, and the trained model's probabilities for them."""

    model: "TrainedModel"
    exported: dict[str, Any]
    examples: Examples
    expected: list[float]


@pytest.fixture(scope="session")
def trained(training_frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """Trained once per test run; the model family's import waits until a packaging test asks for it."""
    from {{ cookiecutter.module_name }}.model.train import train

    def train_tiny(_unused: Path) -> Trained:
        model = train(training_frame, Settings())
        rows = training_frame.head(50)
        examples = rows[[KEY, *FEATURES]].to_dict(orient="records")
        expected = model.predict_proba(rows).tolist()
        inputs = CONTRACT.inputs(model.features).to_json()
        return Trained(model, model.export() | {"version": "v-test", "inputs": inputs}, examples, expected)

    made = made_once(tmp_path_factory, "trained", train_tiny)
    assert isinstance(made, Trained)
    return made


@dataclass(frozen=True)
class FirstRun:
    """`make run` from an empty log: the workspace it left (copy it before changing it) and its summary."""

    workspace: Path
    summary: "RunSummary"


@pytest.fixture(scope="session")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> FirstRun:
    """The whole pipeline on a tiny sample, once per test run: later tests start from copies of it."""

    def run(workspace: Path) -> FirstRun:
        summary = pipeline.run(Settings(workspace=workspace), sample_events=TINY_SAMPLE_EVENTS)
        return FirstRun(workspace, summary)

    first = made_once(tmp_path_factory, "first-run", run)
    assert isinstance(first, FirstRun)
    return first


@pytest.fixture
def accepted_run(settings: Settings, first_run: FirstRun) -> Settings:
    """The settings fixture, with a copy of the first run in its workspace: log, warehouse, accepted model,
    bundle, reports."""
    # symlinks=True: the accepted run and dist/ are links, which the copy must keep as links.
    shutil.copytree(first_run.workspace, settings.workspace, dirs_exist_ok=True, symlinks=True)
    return settings


def a_second_per_reading() -> Callable[[], float]:
    """A clock for progress (``story.now``) that moves one second each time it is read: a long step's lines
    from a quick one. A ticker made at 0 then speaks at its 5th, 10th, 20th, 40th... reading."""
    seconds = itertools.count()
    return lambda: float(next(seconds))


@pytest.fixture
def progress_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(story, "now", a_second_per_reading())


def ticker_readings(up_to: int) -> list[int]:
    """The readings of ``a_second_per_reading``'s clock at which a ticker made at its first reading speaks:
    5, 10, 20, 40... up to ``up_to``."""
    readings = [5]
    while readings[-1] * 2 <= up_to:
        readings.append(readings[-1] * 2)
    return [reading for reading in readings if reading <= up_to]


def progress_lines(output: str, words: str) -> list[str]:
    """The progress lines of a step's output (``story.Ticker``'s), those holding ``words``."""
    return [line for line in output.splitlines() if words in line and line.endswith(" s)")]


def assert_progress_told(output: str, words: str, starts: list[str]) -> list[str]:
    """The progress lines holding ``words``, less their stage's name: as many as ``starts``, ten at most, each
    beginning with its start, in order."""
    told = [line.split(maxsplit=1)[1] for line in progress_lines(output, words)]
    assert starts and len(told) == len(starts) <= 10, output
    for line, start in zip(told, starts, strict=True):
        assert line.startswith(start), output
    return told


@pytest.fixture
def run(settings: Settings) -> Run:
    """A new run's folder in the settings fixture's workspace."""
    return begin(settings)


def make_package(settings: Settings) -> None:
    """What `make package` runs, in this test's workspace."""
    variable = "{{ cookiecutter.module_name | upper }}_WORKSPACE"
    environment = os.environ | {variable: str(settings.workspace)}
    command = [sys.executable, "-m", f"{PACKAGE}.release.package"]
    subprocess.run(command, env=environment, check=True, capture_output=True)


def accepted(settings: Settings) -> bytes:
    """The accepted model's file, as the package stage left it."""
    return settings.accepted_model_path.read_bytes()


def files(folder: Path) -> set[str]:
    """Every file below ``folder``, as paths relative to it."""
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    """A local webhook receiver answering 200, with the secret in its URL's path (``tests/webhook.py``)."""
    with receiving() as receiver:
        yield receiver
