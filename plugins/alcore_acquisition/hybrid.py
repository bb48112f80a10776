"""Uncertainty and diversity in one batch: core-set over the most uncertain candidates.

Pure uncertainty picks near-duplicate frames of the same confusing scene; pure core-set ignores
what the model already knows. This strategy keeps the ``candidates`` × budget most uncertain
unlabeled samples and spreads the batch over them with exact greedy k-center, the labeled set
acting as the initial centres.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from alcore.sdk.errors import ConfigError
from alcore.sdk.params import Param
from alcore_acquisition.coreset import CoreSet
from alcore_acquisition.scores import top_scoring

PARAMS = [
    Param("uncertainty", str, "entropy", "per-sample uncertainty quantity to preselect by"),
    Param("feature", str, "embedding", "per-sample feature vector for the k-center step"),
    Param("candidates", float, 3.0, "preselect this many times the budget by uncertainty", low=1.0),
]


class UncertainCoreSet:
    """Core-set restricted to the most uncertain unlabeled samples."""

    def __init__(
        self, uncertainty: str = "entropy", feature: str = "embedding", candidates: float = 3.0
    ) -> None:
        if candidates < 1:
            raise ConfigError(f"option 'candidates' must be at least 1, got {candidates}")
        self.uncertainty = uncertainty
        self.candidates = candidates
        self.coreset = CoreSet(feature=feature)
        self.requires = (uncertainty, feature)

    def select(
        self, quantities: Mapping[str, Any], labeled: np.ndarray, budget: int, rng: np.random.Generator
    ) -> np.ndarray:
        labeled = np.asarray(labeled, dtype=bool)
        score = np.asarray(quantities[self.uncertainty], dtype=np.float64).reshape(len(labeled))
        keep = top_scoring(score, labeled, int(np.ceil(self.candidates * budget)))
        rows = np.concatenate([np.flatnonzero(labeled), np.sort(keep)])
        sub_labeled = np.zeros(len(rows), dtype=bool)
        sub_labeled[: labeled.sum()] = True
        features = np.asarray(quantities[self.coreset.feature])[rows]
        picked = self.coreset.select({self.coreset.feature: features}, sub_labeled, budget, rng)
        return rows[picked]
