"""With MLflow, every evaluated run lands in the workspace's store with what it takes to compare runs.

MLflow is imported inside the tests, after ``record_run`` has switched its telemetry off: MLflow decides at
import time.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from {{ cookiecutter.module_name }}.model.evaluate import Evaluation
from {{ cookiecutter.module_name }}.model.tracking import (
    CHAMPION,
    EXPERIMENT,
    record_acceptance,
    record_run,
    tracking_uri,
)
from {{ cookiecutter.module_name }}.model.train import TrainedModel
from {{ cookiecutter.module_name }}.settings import Settings

from ..fixtures_tracking import lookups_of_an_isolated_run

if TYPE_CHECKING:
    from mlflow.entities import Run

PLOTS = {"plots/roc.png", "plots/precision_recall.png", "plots/calibration.png"}
# Under pytest and CI MLflow keeps quiet by itself: the isolated run goes without them, to prove it anyway.
QUIET_BY_THEMSELVES = ("PYTEST_CURRENT_TEST", "CI", "GITHUB_ACTIONS", "GITLAB_CI")


def recorded_runs(uri: str) -> list["Run"]:
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None, f"no {EXPERIMENT} experiment in {uri}"
    return list(client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"]))


def test_a_run_keeps_params_metrics_plots_and_model_in_the_workspace(
    evaluated: tuple[TrainedModel, Evaluation], settings: Settings, outside: list[Path]
) -> None:
    from mlflow import MlflowClient
    from mlflow.artifacts import download_artifacts

    model, evaluation = evaluated

    record_run(model, evaluation, settings)

    (run,) = recorded_runs(tracking_uri(settings))
    client = MlflowClient(tracking_uri(settings))
    assert {name: str(value) for name, value in model.params.items()}.items() <= run.data.params.items()
    assert run.data.params["train_cutoff"] == settings.train_cutoff.isoformat()
    assert run.data.params["seed"] == str(settings.seed)
    assert run.data.metrics == pytest.approx({**evaluation.metrics, "lift": evaluation.lift})
    assert run.data.tags["model_gate"] == "passed"
    assert {artifact.path for artifact in client.list_artifacts(run.info.run_id, "plots")} == PLOTS

    (logged,) = client.search_logged_models([run.info.experiment_id])
    assert logged.source_run_id == run.info.run_id
    assert logged.metrics and {metric.key for metric in logged.metrics} >= set(evaluation.metrics)
    exported = download_artifacts(f"{logged.artifact_location}/model.json", dst_path=str(settings.workspace))
    assert json.loads(Path(exported).read_text()) == model.export()

    assert tracking_uri(settings) == f"sqlite:///{(settings.workspace / 'mlruns.db').resolve()}"
    assert run.info.artifact_uri.startswith((settings.workspace / "mlartifacts").resolve().as_uri())
    assert [list(folder.iterdir()) for folder in outside] == [[], []]


def test_each_run_is_kept_with_the_model_gate_verdict(
    evaluated: tuple[TrainedModel, Evaluation], settings: Settings, outside: list[Path]
) -> None:
    model, evaluation = evaluated

    record_run(model, evaluation, settings)
    record_run(model, evaluation, settings.model_copy(update={"min_lift": 0.99}))

    verdicts = [run.data.tags["model_gate"] for run in recorded_runs(tracking_uri(settings))]
    assert verdicts == ["passed", "failed"]


def test_each_accepted_model_is_registered_and_the_latest_is_the_champion(
    evaluated: tuple[TrainedModel, Evaluation], settings: Settings, outside: list[Path]
) -> None:
    from mlflow import MlflowClient

    model, evaluation = evaluated
    for version in ("v-first", "v-second"):
        record_run(model, evaluation, settings)
        record_acceptance(version, evaluation.metrics_path.parent, settings)

    client = MlflowClient(tracking_uri(settings))
    registered = client.search_model_versions(f"name='{EXPERIMENT}'")
    assert sorted(version.tags["model_version"] for version in registered) == ["v-first", "v-second"]
    champion = client.get_model_version_by_alias(EXPERIMENT, CHAMPION)
    assert champion.tags["model_version"] == "v-second"
    assert [list(folder.iterdir()) for folder in outside] == [[], []]


def test_mlflow_tracking_uri_chooses_another_store(
    evaluated: tuple[TrainedModel, Evaluation],
    settings: Settings,
    outside: list[Path],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shared = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", shared)

    record_run(*evaluated, settings)

    assert tracking_uri(settings) == shared
    assert len(recorded_runs(shared)) == 1
    assert not (settings.workspace / "mlruns.db").exists()


def test_an_unreachable_tracking_server_fails_with_the_fix(
    evaluated: tuple[TrainedModel, Evaluation],
    settings: Settings,
    outside: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # MLflow retries for minutes by default

    with pytest.raises(RuntimeError, match=r"cannot use the MLflow tracking store at http://127\.0\.0\.1:.*"):
        record_run(*evaluated, settings)


def test_a_run_outside_tests_sends_nothing_and_leaves_no_id_in_home(
    evaluated: tuple[TrainedModel, Evaluation], settings: Settings, outside: list[Path]
) -> None:
    environment = {name: value for name, value in os.environ.items() if name not in QUIET_BY_THEMSELVES}

    refused = lookups_of_an_isolated_run(evaluated, settings, outside[1], environment)

    assert refused == []
    assert not (outside[0] / ".config" / "mlflow").exists()  # where MLflow keeps its telemetry id
    assert len(recorded_runs(tracking_uri(settings))) == 1


@pytest.mark.slow
def test_runs_go_to_a_tracking_server_when_one_is_set(
    evaluated: tuple[TrainedModel, Evaluation],
    settings: Settings,
    outside: list[Path],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server_dir = tmp_path_factory.mktemp("server")
    with tracking_server(server_dir) as uri:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        record_run(*evaluated, settings)
        (run,) = recorded_runs(uri)

    assert run.data.tags["model_gate"] == "passed"
    assert {path.name for path in (server_dir / "artifacts").rglob("*.png")} == {
        Path(plot).name for plot in PLOTS
    }
    assert not (settings.workspace / "mlruns.db").exists()
    assert not (settings.workspace / "mlartifacts").exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def tracking_server(folder: Path) -> Iterator[str]:
    """``mlflow server`` on a free localhost port, keeping the store and the artifacts on its side."""
    port = free_port()
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{folder / 'server.db'}",
        "--artifacts-destination", str(folder / "artifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
        start_new_session=True,
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while not healthy(uri):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not start:\n{(folder / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield uri
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def healthy(uri: str) -> bool:
    try:
        with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
