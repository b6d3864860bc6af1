"""With W&B and no API key, every evaluated run is recorded offline in the workspace, ready for `wandb sync`.

The tests read the offline run back from its transaction log (``run-<id>.wandb``), the file `wandb sync`
uploads: W&B's LevelDB-style log of protobuf records behind a 7-byte header.
"""

import json
import pickle
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from wandb.proto.wandb_internal_pb2 import Record  # type: ignore[attr-defined]  # made at import time

from {{ cookiecutter.module_name }}.evaluate import Evaluation, evaluate
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.tracking import record_run
from {{ cookiecutter.module_name }}.train import TrainedModel, train

LOG_BLOCK, LOG_HEADER = 32768, 7
FULL, LAST = 1, 4
WANDB_VARIABLES = ("WANDB_API_KEY", "WANDB_MODE", "WANDB_DIR", "WANDB_DATA_DIR", "WANDB_CACHE_DIR")
# record_run in a fresh interpreter, refusing and noting every name lookup beyond this machine, including
# those made on the way out (W&B's usage metrics are sent when the process exits).
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
from {{ cookiecutter.module_name }}.tracking import record_run

with open(saved, "rb") as file:
    record_run(*pickle.load(file))
"""


@pytest.fixture(scope="module")
def trained(
    training_frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> tuple[TrainedModel, Evaluation]:
    """One model and its evaluation, recorded by each test into its own workspace."""
    settings = Settings(workspace=tmp_path_factory.mktemp("trained"))
    model = train(training_frame, settings)
    return model, evaluate(model, training_frame, settings, settings.artifacts_dir / "evaluation")


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """An empty home and working directory, away from the workspace, to see whether anything lands there."""
    home, cwd = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("cwd")
    for variable in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(variable, str(home))
    for variable in WANDB_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(cwd)
    return [home, cwd]


def records(transaction_log: Path) -> Iterator[Any]:
    """The protobuf records of an offline run's transaction log, in order."""
    data = transaction_log.read_bytes()
    assert data.startswith(b":W&B"), f"{transaction_log} is not a W&B transaction log"
    position, pieces = LOG_HEADER, []
    while position + LOG_HEADER <= len(data):
        if LOG_BLOCK - position % LOG_BLOCK < LOG_HEADER:  # a block's tail too short for a header is padding
            position += LOG_BLOCK - position % LOG_BLOCK
            continue
        length, kind = struct.unpack_from("<HB", data, position + 4)
        if not kind:
            break
        pieces.append(data[position + LOG_HEADER : position + LOG_HEADER + length])
        position += LOG_HEADER + length
        if kind in (FULL, LAST):
            record = Record()
            record.ParseFromString(b"".join(pieces))
            pieces.clear()
            yield record


def offline_runs(settings: Settings) -> list[dict[str, Any]]:
    """Each offline run's config, tags, summary, plots and logged artifacts, oldest first."""
    runs = []
    for folder in (settings.workspace / "wandb").glob("offline-run-*"):
        run: dict[str, Any] = {"summary": {}, "artifacts": []}
        for record in records(next(folder.glob("run-*.wandb"))):
            kind = record.WhichOneof("record_type")
            if kind == "run":
                run["config"] = {item.key: json.loads(item.value_json) for item in record.run.config.update}
                run["tags"] = list(record.run.tags)
                run["started"] = record.run.start_time.ToNanoseconds()
            elif kind == "summary":
                run["summary"].update(
                    {item.key: json.loads(item.value_json) for item in record.summary.update}
                )
            elif kind == "artifact":
                run["artifacts"].append(record.artifact)
        run["plots"] = sorted(path.name.split("_0_")[0] for path in folder.glob("files/media/images/plots/*"))
        runs.append(run)
    return sorted(runs, key=lambda run: run["started"])


def test_an_offline_run_keeps_params_metrics_plots_and_model_in_the_workspace(
    trained: tuple[TrainedModel, Evaluation], settings: Settings, outside: list[Path]
) -> None:
    model, evaluation = trained

    record_run(model, evaluation, settings)

    (run,) = offline_runs(settings)
    assert model.params.items() <= run["config"].items()
    assert run["config"]["train_cutoff"] == settings.train_cutoff.isoformat()
    assert run["config"]["seed"] == settings.seed
    assert {**evaluation.metrics, "lift": evaluation.lift}.items() <= run["summary"].items()
    assert run["tags"] == ["model-gate-passed"]
    assert run["plots"] == ["calibration", "precision_recall", "roc"]

    (artifact,) = run["artifacts"]
    (entry,) = artifact.manifest.contents
    assert (artifact.type, artifact.name, entry.path) == ("model", "model", "model.json")
    staged = Path(entry.local_path)
    assert staged.is_relative_to(settings.workspace / "wandb")
    assert json.loads(staged.read_text()) == model.export()

    assert [list(folder.iterdir()) for folder in outside] == [[], []]


def test_each_run_is_kept_with_the_model_gate_verdict(
    trained: tuple[TrainedModel, Evaluation], settings: Settings, outside: list[Path]
) -> None:
    model, evaluation = trained

    record_run(model, evaluation, settings)
    record_run(model, evaluation, settings.model_copy(update={"min_lift": 0.99}))

    assert [run["tags"] for run in offline_runs(settings)] == [["model-gate-passed"], ["model-gate-failed"]]


def test_an_offline_run_sends_nothing(
    trained: tuple[TrainedModel, Evaluation], settings: Settings, outside: list[Path]
) -> None:
    saved, report = outside[1] / "run.pickle", outside[1] / "refused.json"
    saved.write_bytes(pickle.dumps((*trained, settings)))

    command = [sys.executable, "-c", ISOLATED_RUN, str(saved), str(report)]
    subprocess.run(command, check=True, timeout=300)

    assert json.loads(report.read_text()) == []
    assert len(offline_runs(settings)) == 1


def test_wandb_mode_overrides_the_api_key(
    trained: tuple[TrainedModel, Evaluation],
    settings: Settings,
    outside: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setenv("WANDB_MODE", "offline")

    record_run(*trained, settings)

    assert len(offline_runs(settings)) == 1


def test_an_api_key_sends_runs_online_and_an_unreachable_server_fails_with_the_fix(
    trained: tuple[TrainedModel, Evaluation],
    settings: Settings,
    outside: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        nobody_listens = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setenv("WANDB_BASE_URL", nobody_listens)
    monkeypatch.setenv("WANDB_INIT_TIMEOUT", "5")  # W&B retries for 90 s by default

    with pytest.raises(RuntimeError, match=r"cannot record the run on W&B at http://127\.0\.0\.1:.*API_KEY"):
        record_run(*trained, settings)

    assert not offline_runs(settings)
