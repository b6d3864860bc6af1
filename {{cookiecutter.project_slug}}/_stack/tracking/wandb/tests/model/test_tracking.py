"""With W&B and no API key, every evaluated run is recorded offline in the workspace, ready for `wandb sync`.

The tests read the offline run back from its transaction log (``run-<id>.wandb``), the file `wandb sync`
uploads: W&B's LevelDB-style log of protobuf records behind a 7-byte header.
"""

import json
import socket
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from wandb.proto.wandb_internal_pb2 import Record  # type: ignore[attr-defined]  # made at import time

from {{ cookiecutter.module_name }}.model.evaluate import Evaluation
from {{ cookiecutter.module_name }}.model.tracking import CHAMPION, record_acceptance, record_run
from {{ cookiecutter.module_name }}.model.train import TrainedModel
from {{ cookiecutter.module_name }}.settings import Settings

from ..fixtures_tracking import lookups_of_an_isolated_run

LOG_BLOCK, LOG_HEADER = 32768, 7
FULL, LAST = 1, 4


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
    evaluated: tuple[TrainedModel, Evaluation], settings: Settings, outside: list[Path]
) -> None:
    model, evaluation = evaluated

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
    evaluated: tuple[TrainedModel, Evaluation], settings: Settings, outside: list[Path]
) -> None:
    model, evaluation = evaluated

    record_run(model, evaluation, settings)
    record_run(model, evaluation, settings.model_copy(update={"min_lift": 0.99}))

    assert [run["tags"] for run in offline_runs(settings)] == [["model-gate-passed"], ["model-gate-failed"]]


def test_an_offline_run_sends_nothing(
    evaluated: tuple[TrainedModel, Evaluation], settings: Settings, outside: list[Path]
) -> None:
    refused = lookups_of_an_isolated_run(evaluated, settings, outside[1])

    assert refused == []
    assert len(offline_runs(settings)) == 1


def test_wandb_mode_overrides_the_api_key(
    evaluated: tuple[TrainedModel, Evaluation],
    settings: Settings,
    outside: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setenv("WANDB_MODE", "offline")

    record_run(*evaluated, settings)

    assert len(offline_runs(settings)) == 1


def test_an_api_key_sends_runs_online_and_an_unreachable_server_fails_with_the_fix(
    evaluated: tuple[TrainedModel, Evaluation],
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
        record_run(*evaluated, settings)

    assert not offline_runs(settings)


def test_the_accepted_model_is_logged_with_the_champion_alias(
    evaluated: tuple[TrainedModel, Evaluation], settings: Settings, outside: list[Path]
) -> None:
    model, evaluation = evaluated
    settings.accepted_model_path.parent.mkdir(parents=True)
    settings.accepted_model_path.write_text(json.dumps(model.export()))

    record_acceptance("v-accepted", evaluation.metrics_path.parent, settings)

    [run] = offline_runs(settings)
    [artifact] = run["artifacts"]
    assert (artifact.name, artifact.type) == ("model", "model")
    assert CHAMPION in artifact.aliases
    assert json.loads(artifact.metadata) == {"model_version": "v-accepted"}
    assert [list(folder.iterdir()) for folder in outside] == [[], []]
