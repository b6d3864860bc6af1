"""PyTorch: the device, the cores, checkpoints per epoch, seeding, an export that scores alike, and a long
training's progress."""

import io
import math
from contextlib import redirect_stdout
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from {{ cookiecutter.module_name }} import story
from {{ cookiecutter.module_name }}.model.train import (
    MAX_EPOCHS,
    PATIENCE,
    PREFIX,
    Runtime,
    TrainedModel,
    build_network,
    choose_device,
    load_checkpoint,
    train,
    why_this_device,
)
from {{ cookiecutter.module_name }}.release.promotion import with_metadata
from {{ cookiecutter.module_name }}.serving.scoring import Scorer
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.training_set import FEATURES

from ..conftest import a_second_per_reading, assert_progress_told, ticker_readings


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(scope="module")
def trained(training_frame: pd.DataFrame, workspace: Path) -> tuple[TrainedModel, str]:
    """The model, and what its training said with a clock a second per epoch: a long training's."""
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(io.StringIO()) as said:
        patch.setattr(story, "now", a_second_per_reading())
        model = train(training_frame, Settings(workspace=workspace, gpu=0))
    return model, said.getvalue()


@pytest.fixture(scope="module")
def model(trained: tuple[TrainedModel, str]) -> TrainedModel:
    return trained[0]


def checkpoints(workspace: Path, phase: str) -> list[Path]:
    return sorted((workspace / "artifacts" / "checkpoints" / phase).glob("epoch-*.pt"))


@pytest.mark.parametrize(
    ("cuda_available", "gpus", "device"),
    [(True, 1, "cuda"), (True, 4, "cuda"), (True, 0, "cpu"), (False, 1, "cpu"), (False, 0, "cpu")],
)
def test_one_gpu_when_asked_for_and_present_else_the_cpu(
    cuda_available: bool, gpus: int, device: str
) -> None:
    assert choose_device(cuda_available, gpus) == torch.device(device)


@pytest.mark.parametrize(
    ("gpus", "cuda_build", "visible", "device", "why"),
    [
        (0, None, 0, "the CPU: ", "asks for no GPU (GPU=0)"),
        (0, "12.4", 1, "the CPU: ", "asks for no GPU (GPU=0)"),
        (1, None, 0, "the CPU although", "asks for 1 GPU (GPU=1): this PyTorch is a CPU-only build"),
        (1, "12.4", 0, "the CPU although", "asks for 1 GPU (GPU=1): PyTorch (CUDA 12.4) sees no GPU"),
        (2, "12.4", 1, "one GPU in mixed", "asks for 2 GPUs (GPU=2), and PyTorch (CUDA 12.4) sees 1"),
    ],
)
def test_the_log_says_which_device_trains_and_why(
    gpus: int, cuda_build: str | None, visible: int, device: str, why: str
) -> None:
    line = why_this_device(gpus, cuda_build, visible).replace(PREFIX, "")

    assert line.startswith(f"training on {device}")
    assert why in line


def test_mixed_precision_only_on_a_gpu() -> None:
    assert Runtime(torch.device("cuda"), cpus=4, seed=0).mixed_precision
    assert not Runtime(torch.device("cpu"), cpus=4, seed=0).mixed_precision


@pytest.mark.parametrize(("cpus", "workers", "threads"), [(1, 0, 1), (2, 1, 1), (3, 1, 2), (16, 8, 8)])
def test_the_cores_given_are_shared_by_loader_workers_and_compute(
    cpus: int, workers: int, threads: int
) -> None:
    runtime = Runtime(torch.device("cpu"), cpus=cpus, seed=0)

    assert (runtime.loader_workers, runtime.compute_threads) == (workers, threads)


def test_training_on_the_cpu_in_full_precision(model: TrainedModel) -> None:
    assert model.params["device"] == "cpu"
    assert model.params["mixed_precision"] is False


def test_early_stopping_stops_once_validation_loss_stops_improving(
    model: TrainedModel, workspace: Path
) -> None:
    epochs = model.params["epochs"]
    tried = [load_checkpoint(path, torch.device("cpu")) for path in checkpoints(workspace, "early_stopping")]
    losses = [checkpoint["validation_loss"] for checkpoint in tried]

    assert [checkpoint["epoch"] for checkpoint in tried] == list(range(1, len(tried) + 1))
    assert len(tried) == min(epochs + PATIENCE, MAX_EPOCHS) < MAX_EPOCHS
    assert min(losses) == losses[epochs - 1]


def test_a_long_training_tells_its_epochs_and_validation_loss_in_a_few_lines(
    trained: tuple[TrainedModel, str], workspace: Path
) -> None:
    model, said = trained
    epochs = model.params["epochs"]
    choosing = len(checkpoints(workspace, "early_stopping"))
    expected = [
        f"choosing the number of epochs: epoch {reading} of at most {MAX_EPOCHS}, validation loss 0."
        if reading <= choosing
        else f"refit on training and validation: epoch {reading - choosing} of {epochs} ("
        for reading in ticker_readings(choosing + epochs)
    ]

    assert_progress_told(said, "epoch", expected)


def test_the_final_fit_checkpoints_every_epoch_and_its_last_checkpoint_is_the_model(
    model: TrainedModel, workspace: Path, training_frame: pd.DataFrame
) -> None:
    saved = checkpoints(workspace, "final")
    assert [path.name for path in saved] == [
        f"epoch-{n:03d}.pt" for n in range(1, model.params["epochs"] + 1)
    ]

    network = build_network(len(FEATURES))
    network.load_state_dict(load_checkpoint(saved[-1], torch.device("cpu"))["network"])
    restored = replace(model, network=network.double().eval())

    np.testing.assert_array_equal(restored.predict_proba(training_frame), model.predict_proba(training_frame))


def test_the_seed_decides_the_model(
    model: TrainedModel, training_frame: pd.DataFrame, tmp_path: Path
) -> None:
    reseeded = train(training_frame, Settings(workspace=tmp_path, gpu=0, seed=7))

    assert not np.array_equal(reseeded.predict_proba(training_frame), model.predict_proba(training_frame))


def test_loader_workers_do_not_change_what_is_learned(training_frame: pd.DataFrame, tmp_path: Path) -> None:
    alone = train(training_frame, Settings(workspace=tmp_path / "one", gpu=0, cpu=1))
    helped = train(training_frame, Settings(workspace=tmp_path / "two", gpu=0, cpu=2))

    assert alone.export() == helped.export()


def test_the_export_scores_every_session_and_odd_values_like_the_network(
    model: TrainedModel, training_frame: pd.DataFrame
) -> None:
    odd = pd.DataFrame(
        [dict.fromkeys(FEATURES, value) for value in (0.0, -0.0, -3.0, 1e-300, 1e12, -1e12)], dtype=float
    )
    rows = pd.concat([training_frame[list(FEATURES)], odd], ignore_index=True)
    scorer = Scorer.from_export(with_metadata(model.export(), {}))

    scored = [scorer.probability(dict(zip(FEATURES, row, strict=True))) for row in rows.to_numpy()]

    np.testing.assert_allclose(scored, model.predict_proba(rows), rtol=0, atol=1e-12)
    assert not any(math.isnan(p) for p in scored)
