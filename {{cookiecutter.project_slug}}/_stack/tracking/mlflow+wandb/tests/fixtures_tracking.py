"""The tracker's fixtures: runs recorded in the test's workspace, never on the team's server, and a recorded
run's every attempt to reach beyond this machine."""

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.settings import Settings

from .model.tracker_variables import TRACKER_VARIABLES

if TYPE_CHECKING:
    from {{ cookiecutter.module_name }}.model.evaluate import Evaluation
    from {{ cookiecutter.module_name }}.model.train import TrainedModel

# record_run in a fresh interpreter, refusing and noting every name lookup beyond this machine, including
# those made on the way out (trackers send usage metrics when the process exits).
ISOLATED_RUN = """
import atexit
import json
import pickle
import socket
import sys

saved, report = sys.argv[1:]
refused = []
atexit.register(lambda: open(report, "w").write(json.dumps(refused)))
lookup = socket.getaddrinfo

def local_only(host, *args, **kwargs):
    if host not in ("localhost", "127.0.0.1", "::1"):
        refused.append(host)
        raise OSError(f"no lookups beyond this machine: {host}")
    return lookup(host, *args, **kwargs)

socket.getaddrinfo = local_only
from {{ cookiecutter.module_name }}.model.tracking import record_run

with open(saved, "rb") as file:
    record_run(*pickle.load(file))
"""


@pytest.fixture(autouse=True)
def _no_shared_tracking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests record runs in their temporary workspace, never on the team's tracking server."""
    for variable in TRACKER_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(scope="session")
def evaluated(
    training_frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> tuple["TrainedModel", "Evaluation"]:
    """One model and its evaluation, recorded by each tracking test into its own workspace."""
    from {{ cookiecutter.module_name }}.model.evaluate import evaluate
    from {{ cookiecutter.module_name }}.model.train import train

    settings = Settings(workspace=tmp_path_factory.mktemp("evaluated"))
    model = train(training_frame, settings)
    return model, evaluate(model, training_frame, settings, settings.runs_dir / "evaluated" / "evaluation")


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """An empty home and working directory, away from the workspace, to see whether anything lands there."""
    home, cwd = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("cwd")
    for variable in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(variable, str(home))
    monkeypatch.chdir(cwd)
    return [home, cwd]


def lookups_of_an_isolated_run(
    evaluated: tuple["TrainedModel", "Evaluation"],
    settings: Settings,
    folder: Path,
    environment: dict[str, str] | None = None,
) -> list[str]:
    """Record ``evaluated`` in ISOLATED_RUN; the hosts beyond this machine it tried to look up."""
    saved, report = folder / "run.pickle", folder / "refused.json"
    saved.write_bytes(pickle.dumps((*evaluated, settings)))
    command = [sys.executable, "-c", ISOLATED_RUN, str(saved), str(report)]
    subprocess.run(command, env=environment, check=True, timeout=300)
    refused: list[str] = json.loads(report.read_text())
    return refused
