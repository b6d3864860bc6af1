"""Scores sessions with exported LightGBM trees, using nothing but the standard library.

LightGBM itself is tens of megabytes with a native library; the exported trees are a few kilobytes of numbers.
Walking them by hand gives LightGBM's own answers: the same comparisons on the same float64 values, the leaves
added up in the same order, the same sigmoid.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contract import Inputs

SUPPORTED_FORMAT = "lightgbm-trees/1"
# LightGBM reads values this close to zero as zero (its kZeroThreshold, a C float widened to a double).
ZERO_THRESHOLD = 1.0000000180025095e-35


@dataclass(frozen=True)
class Tree:
    """Splits as parallel tuples indexed by split number; a child below zero is the leaf ``-child - 1``."""

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    default_left: tuple[bool, ...]
    missing: tuple[str, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    leaf_value: tuple[float, ...]

    @classmethod
    def from_export(cls, exported: Mapping[str, Any]) -> "Tree":
        return cls(
            feature=tuple(exported["feature"]),
            threshold=tuple(exported["threshold"]),
            default_left=tuple(exported["default_left"]),
            missing=tuple(exported["missing"]),
            left=tuple(exported["left"]),
            right=tuple(exported["right"]),
            leaf_value=tuple(exported["leaf_value"]),
        )

    def leaf(self, values: list[float]) -> float:
        """The leaf ``values`` fall into, each split decided as in LightGBM's ``NumericalDecision``."""
        node = 0 if self.feature else -1
        while node >= 0:
            value = values[self.feature[node]]
            missing = self.missing[node]
            if math.isnan(value) and missing != "NaN":
                value = 0.0
            if (missing == "Zero" and value == 0.0) or (missing == "NaN" and math.isnan(value)):
                node = self.left[node] if self.default_left[node] else self.right[node]
            elif value <= self.threshold[node]:
                node = self.left[node]
            else:
                node = self.right[node]
        return self.leaf_value[-node - 1]


@dataclass(frozen=True)
class Scorer:
    features: tuple[str, ...]
    sigmoid: float
    trees: tuple[Tree, ...]
    version: str
    # The contract's rules for the model's inputs, which serving checks each request against.
    inputs: Inputs

    @classmethod
    def from_export(cls, exported: Mapping[str, Any]) -> "Scorer":
        if exported.get("format") != SUPPORTED_FORMAT:
            raise ValueError(f"model format {exported.get('format')!r} is not {SUPPORTED_FORMAT!r}")
        return cls(
            features=tuple(exported["features"]),
            sigmoid=float(exported["sigmoid"]),
            trees=tuple(Tree.from_export(tree) for tree in exported["trees"]),
            version=str(exported.get("version", "unversioned")),
            inputs=Inputs.of_export(exported),
        )

    @classmethod
    def load(cls, path: Path) -> "Scorer":
        return cls.from_export(json.loads(path.read_text()))

    def probability(self, features: Mapping[str, float]) -> float:
        """Label probability for one session (every name in ``self.features``, validated by the caller)."""
        # Values within LightGBM's zero threshold reach its trees as exactly zero.
        values = [0.0 if abs(v) <= ZERO_THRESHOLD else float(v) for v in (features[n] for n in self.features)]
        score = 0.0
        for tree in self.trees:
            score += tree.leaf(values)
        try:
            return 1.0 / (1.0 + math.exp(-self.sigmoid * score))
        except OverflowError:  # C's exp() returns infinity there, and LightGBM answers 0
            return 0.0
