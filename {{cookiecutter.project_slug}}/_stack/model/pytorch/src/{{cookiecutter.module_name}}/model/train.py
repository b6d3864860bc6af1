"""Training on one node: a small neural network (PyTorch), on one GPU when the step has one, else on the CPU.

Features are compressed (signed log) and standardized, then a two-layer perceptron learns on the training
split until the validation loss stops improving (early stopping); the network is then refit on the training
and validation splits together for that many epochs. Every epoch leaves a checkpoint under
``artifacts/checkpoints``. On a GPU the arithmetic runs in mixed precision; predictions and the export use a
float64 copy of the network on the CPU, so the standard-library scorer reproduces them exactly. A long
training tells its epochs and the validation loss as it goes (``story.Ticker``).
"""

import copy
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import average_precision_score
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from ..resources import usable_cpus
from ..settings import Settings
from ..story import Ticker, say
from ..training_set import FEATURES, LABEL, SPLIT

MODEL_FORMAT = "mlp/1"
HIDDEN_UNITS = (32, 16)
LEARNING_RATE = 3e-3
BATCH_SIZE = 256
MAX_EPOCHS = 50
# Stop once this many epochs in a row have not lowered the validation loss.
PATIENCE = 3
PREFIX = "{{ cookiecutter.module_name | upper }}_"


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """Compress counts, seconds and prices, whose effects flatten as they grow, keeping the sign."""
    return np.asarray(np.sign(values) * np.log1p(np.abs(values)))


def choose_device(cuda_available: bool, gpus: int) -> torch.device:
    """One CUDA GPU when the step asked for GPUs and one is there, the CPU otherwise: never several."""
    return torch.device("cuda" if cuda_available and gpus > 0 else "cpu")


def why_this_device(gpus: int, cuda_build: str | None, visible_gpus: int) -> str:
    """Which device training takes and why, in one line: a GPU box that trains on its CPU says so at once.

    ``cuda_build`` is the CUDA version PyTorch was built for (None for a CPU-only build), ``visible_gpus``
    how many GPUs it sees.
    """
    asked = f"the step asks for {gpus} GPU{'s' if gpus > 1 else ''} ({PREFIX}GPU={gpus})"
    if gpus == 0:
        return f"training on the CPU: the step asks for no GPU ({PREFIX}GPU=0)"
    if cuda_build is None:
        return (
            f"training on the CPU although {asked}: this PyTorch is a CPU-only build; install PyPI's CUDA "
            "build (README, Scaling up)"
        )
    build = f"PyTorch (CUDA {cuda_build})"
    if visible_gpus == 0:
        return f"training on the CPU although {asked}: {build} sees no GPU on this machine"
    return f"training on one GPU in mixed precision: {asked}, and {build} sees {visible_gpus}"


@dataclass(frozen=True)
class Runtime:
    """Where and how the network trains, decided once from the settings and the machine."""

    device: torch.device
    cpus: int
    seed: int

    @property
    def mixed_precision(self) -> bool:
        """float16 arithmetic with loss scaling pays on a GPU; on a CPU it is slower and less precise."""
        return self.device.type == "cuda"

    @property
    def loader_workers(self) -> int:
        """Processes preparing batches: half the cores given (none with one core, which does everything)."""
        return self.cpus // 2

    @property
    def compute_threads(self) -> int:
        """PyTorch's threads in the training process: the other half, so the two never fight over a core."""
        return self.cpus - self.loader_workers


@dataclass(frozen=True)
class Standardizer:
    """Signed log, then centering and scaling with the statistics of the rows it was fit on."""

    center: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray) -> "Standardizer":
        compressed = signed_log1p(values)
        spread = compressed.std(axis=0)
        return cls(compressed.mean(axis=0), np.where(spread > 0, spread, 1.0))

    def __call__(self, values: np.ndarray) -> np.ndarray:
        return np.asarray((signed_log1p(values) - self.center) / self.scale)


@dataclass(frozen=True)
class TrainedModel:
    """A fitted model with what it was fit on and how it was chosen."""

    network: nn.Sequential  # float64, on the CPU
    standardizer: Standardizer
    features: tuple[str, ...]
    params: dict[str, Any]
    validation_average_precision: float
    rows: int
    cpus: int

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of the label for each row of ``frame``."""
        return _predict(self.network, self.standardizer(_matrix(frame, self.features)))

    def export(self) -> dict[str, Any]:
        """The network as plain numbers, for a serving runtime that needs neither PyTorch nor numpy."""
        return {
            "format": MODEL_FORMAT,
            "features": list(self.features),
            "transform": "signed_log1p",
            "center": self.standardizer.center.tolist(),
            "scale": self.standardizer.scale.tolist(),
            "activation": "relu",
            "layers": [
                {"weights": layer.weight.tolist(), "bias": layer.bias.tolist()}
                for layer in self.network
                if isinstance(layer, nn.Linear)
            ],
        }


def build_network(inputs: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for units in HIDDEN_UNITS:
        layers += [nn.Linear(inputs, units), nn.ReLU()]
        inputs = units
    layers.append(nn.Linear(inputs, 1))
    return nn.Sequential(*layers)


def train(frame: pd.DataFrame, settings: Settings) -> TrainedModel:
    """Count the epochs worth training on the validation split, then refit on training and validation."""
    cpus = usable_cpus(settings.cpu)
    runtime = Runtime(choose_device(torch.cuda.is_available(), settings.gpu), cpus, settings.seed)
    say("train", why_this_device(settings.gpu, torch.version.cuda, torch.cuda.device_count()))
    # Only what the model reads: each split's copy leaves the session and user ids behind.
    fit_rows = frame.loc[frame[SPLIT] == "train", [*FEATURES, LABEL]]
    tune_rows = frame.loc[frame[SPLIT] == "validation", [*FEATURES, LABEL]]
    both = pd.concat([fit_rows, tune_rows])
    checkpoints = settings.artifacts_dir / "checkpoints"
    ticker = Ticker("train")

    with _torch_threads(runtime.compute_threads):
        scaled = Standardizer.fit(_matrix(fit_rows))
        tuned, epochs = fit(
            _rows(fit_rows, scaled),
            runtime,
            checkpoints / "early_stopping",
            validation=_rows(tune_rows, scaled),
            ticker=ticker,
        )
        validation_ap = average_precision_score(
            tune_rows[LABEL], _predict(_float64(tuned), scaled(_matrix(tune_rows)))
        )
        standardizer = Standardizer.fit(_matrix(both))
        final = checkpoints / "final"
        network, _ = fit(_rows(both, standardizer), runtime, final, epochs=epochs, ticker=ticker)

    return TrainedModel(
        network=_float64(network),
        standardizer=standardizer,
        features=FEATURES,
        params={
            "hidden_units": list(HIDDEN_UNITS),
            "learning_rate": LEARNING_RATE,
            "batch_size": BATCH_SIZE,
            "epochs": epochs,
            "device": runtime.device.type,
            "mixed_precision": runtime.mixed_precision,
        },
        validation_average_precision=float(validation_ap),
        rows=len(both),
        cpus=cpus,
    )


def fit(
    rows: TensorDataset,
    runtime: Runtime,
    checkpoints: Path,
    validation: TensorDataset | None = None,
    epochs: int = MAX_EPOCHS,
    ticker: Ticker | None = None,
) -> tuple[nn.Sequential, int]:
    """Train a new network for ``epochs`` epochs, or until ``validation`` loss stops improving.

    Each epoch is saved as ``checkpoints/epoch-NNN.pt`` and told to ``ticker``. Returns the network as it
    was after the epoch worth keeping (the best on ``validation``, else the last), reloaded from its
    checkpoint, and that epoch.
    """
    torch.manual_seed(runtime.seed)
    network = build_network(rows.tensors[0].shape[1]).to(runtime.device)
    optimizer = torch.optim.Adam(network.parameters(), lr=LEARNING_RATE)
    scaler = torch.amp.GradScaler(runtime.device.type, enabled=runtime.mixed_precision)
    loss_function = nn.BCEWithLogitsLoss()
    # Batches are drawn in the main process from a seeded generator, so the loader workers never change
    # the order; each worker only slices the tensors.
    order = torch.Generator().manual_seed(runtime.seed)
    loader = DataLoader(
        rows,
        sampler=BatchSampler(RandomSampler(rows, generator=order), BATCH_SIZE, drop_last=False),
        batch_size=None,
        num_workers=runtime.loader_workers,
        persistent_workers=runtime.loader_workers > 0,
        pin_memory=runtime.device.type == "cuda",
    )
    shutil.rmtree(checkpoints, ignore_errors=True)
    checkpoints.mkdir(parents=True)

    best_epoch, best_loss = epochs, float("inf")
    for epoch in range(1, epochs + 1):
        network.train()
        for inputs, labels in loader:
            optimizer.zero_grad(set_to_none=True)
            with _autocast(runtime):
                loss = loss_function(network(inputs.to(runtime.device)).squeeze(1), labels.to(runtime.device))
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        validation_loss = None if validation is None else _loss(network, validation, runtime)
        torch.save(
            {
                "epoch": epoch,
                "network": network.state_dict(),
                "optimizer": optimizer.state_dict(),
                "grad_scaler": scaler.state_dict(),
                "validation_loss": validation_loss,
            },
            checkpoints / f"epoch-{epoch:03d}.pt",
        )
        if ticker is not None:
            ticker.tell(partial(_epoch_line, epoch, epochs, validation_loss))
        if validation_loss is not None:
            if validation_loss < best_loss:
                best_epoch, best_loss = epoch, validation_loss
            elif epoch - best_epoch >= PATIENCE:
                break
    best = load_checkpoint(checkpoints / f"epoch-{best_epoch:03d}.pt", runtime.device)
    network.load_state_dict(best["network"])
    return network, best_epoch


def _epoch_line(epoch: int, epochs: int, validation_loss: float | None) -> str:
    """``choosing the number of epochs: epoch 12 of at most 50, validation loss 0.4123``, or a refit's."""
    if validation_loss is None:
        return f"refit on training and validation: epoch {epoch} of {epochs}"
    loss = f"validation loss {validation_loss:.4f}"
    return f"choosing the number of epochs: epoch {epoch} of at most {epochs}, {loss}"


def load_checkpoint(path: Path, device: torch.device) -> dict[str, Any]:
    """A checkpoint saved by ``fit``: plain tensors and numbers, loaded without running pickled code."""
    checkpoint: dict[str, Any] = torch.load(path, map_location=device, weights_only=True)
    return checkpoint


def _loss(network: nn.Sequential, rows: TensorDataset, runtime: Runtime) -> float:
    inputs, labels = (tensor.to(runtime.device) for tensor in rows.tensors)
    network.eval()
    with torch.no_grad(), _autocast(runtime):
        return float(nn.functional.binary_cross_entropy_with_logits(network(inputs).squeeze(1), labels))


def _autocast(runtime: Runtime) -> torch.autocast:
    return torch.autocast(runtime.device.type, dtype=torch.float16, enabled=runtime.mixed_precision)


def _matrix(rows: pd.DataFrame, features: tuple[str, ...] = FEATURES) -> np.ndarray:
    return rows[list(features)].to_numpy(np.float64)


def _predict(network: nn.Sequential, inputs: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return torch.sigmoid(network(torch.from_numpy(inputs))).squeeze(1).numpy()


def _rows(rows: pd.DataFrame, standardizer: Standardizer) -> TensorDataset:
    """Standardized features and labels as float32 tensors, the precision the network trains in."""
    return TensorDataset(
        torch.from_numpy(standardizer(_matrix(rows))).float(),
        torch.from_numpy(rows[LABEL].to_numpy(np.float32)),
    )


def _float64(network: nn.Sequential) -> nn.Sequential:
    """A float64 copy on the CPU: the float32 weights exactly, then arithmetic as precise as the scorer's."""
    return copy.deepcopy(network).to("cpu", torch.float64).eval()


@contextmanager
def _torch_threads(threads: int) -> Iterator[None]:
    """PyTorch's thread pool resized for training, then restored."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
