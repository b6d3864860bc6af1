"""Scores sessions with an exported model, using nothing but the standard library.

The training stack (scikit-learn, numpy, pandas) is hundreds of megabytes and takes a second to import; the
exported model is a few numbers, and scoring it by hand is exact and instant.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contract import Inputs

SUPPORTED_FORMAT = "logistic-regression/1"


@dataclass(frozen=True)
class Scorer:
    features: tuple[str, ...]
    center: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
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
            coefficients=tuple(exported["coefficients"]),
            intercept=float(exported["intercept"]),
            version=str(exported.get("version", "unversioned")),
            inputs=Inputs.of_export(exported),
        )

    @classmethod
    def load(cls, path: Path) -> "Scorer":
        return cls.from_export(json.loads(path.read_text()))

    def probability(self, features: Mapping[str, float]) -> float:
        """Label probability for one session (every name in ``self.features``, validated by the caller)."""
        logit = self.intercept
        for name, center, scale, weight in zip(
            self.features, self.center, self.scale, self.coefficients, strict=True
        ):
            value = features[name]
            compressed = math.copysign(math.log1p(abs(value)), value)
            logit += weight * (compressed - center) / scale
        # Written this way to avoid overflow in exp() for large negative logits.
        if logit >= 0:
            return 1.0 / (1.0 + math.exp(-logit))
        odds = math.exp(logit)
        return odds / (1.0 + odds)
