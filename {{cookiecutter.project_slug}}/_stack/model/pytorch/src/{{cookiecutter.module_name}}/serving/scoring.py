"""Scores sessions with an exported neural network, using nothing but the standard library.

PyTorch is hundreds of megabytes; the exported network is about a thousand numbers, and a forward pass by hand
in float64 agrees with the trained model's to within rounding (far below 1e-9).
"""

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contract import Inputs

SUPPORTED_FORMAT = "mlp/1"


@dataclass(frozen=True)
class Layer:
    weights: tuple[tuple[float, ...], ...]  # one row of input weights per output unit
    bias: tuple[float, ...]

    def __call__(self, inputs: Sequence[float]) -> list[float]:
        return [
            math.fsum((b, *(w * x for w, x in zip(row, inputs, strict=True))))
            for row, b in zip(self.weights, self.bias, strict=True)
        ]


@dataclass(frozen=True)
class Scorer:
    features: tuple[str, ...]
    center: tuple[float, ...]
    scale: tuple[float, ...]
    layers: tuple[Layer, ...]
    version: str
    # The contract's rules for the model's inputs, which serving checks each request against.
    inputs: Inputs

    @classmethod
    def from_export(cls, exported: Mapping[str, Any]) -> "Scorer":
        if exported.get("format") != SUPPORTED_FORMAT:
            raise ValueError(f"model format {exported.get('format')!r} is not {SUPPORTED_FORMAT!r}")
        return cls(
            features=tuple(exported["features"]),
            center=tuple(exported["center"]),
            scale=tuple(exported["scale"]),
            layers=tuple(
                Layer(tuple(tuple(row) for row in layer["weights"]), tuple(layer["bias"]))
                for layer in exported["layers"]
            ),
            version=str(exported.get("version", "unversioned")),
            inputs=Inputs.of_export(exported),
        )

    @classmethod
    def load(cls, path: Path) -> "Scorer":
        return cls.from_export(json.loads(path.read_text()))

    def probability(self, features: Mapping[str, float]) -> float:
        """Label probability for one session (every name in ``self.features``, validated by the caller)."""
        values = [
            (math.copysign(math.log1p(abs(value)), value) - center) / scale
            for value, center, scale in zip(
                (features[name] for name in self.features), self.center, self.scale, strict=True
            )
        ]
        *hidden, output = self.layers
        for layer in hidden:
            values = [max(value, 0.0) for value in layer(values)]
        (logit,) = output(values)
        # Written this way to avoid overflow in exp() for large negative logits.
        if logit >= 0:
            return 1.0 / (1.0 + math.exp(-logit))
        odds = math.exp(logit)
        return odds / (1.0 + odds)
