"""Strategies that rank samples by a score, plus random selection."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def top_scoring(score: np.ndarray, labeled: np.ndarray, budget: int) -> np.ndarray:
    """Indices of the ``budget`` highest scores among unlabeled rows; ties go to the lower index."""
    candidates = np.flatnonzero(~labeled)
    order = np.lexsort((candidates, -score[candidates]))
    return candidates[order[:budget]]


class RandomAcquisition:
    """Uniform random selection from the unlabeled pool: the baseline every study needs."""

    requires: tuple[str, ...] = ()

    def select(
        self, quantities: Mapping[str, np.ndarray], labeled: np.ndarray, budget: int, rng: np.random.Generator
    ) -> np.ndarray:
        candidates = np.flatnonzero(~labeled)
        return rng.permutation(candidates)[:budget]


class ScoreAcquisition:
    """Pick the samples with the highest value of one per-sample quantity."""

    def __init__(self, quantity: str) -> None:
        self.quantity = quantity
        self.requires = (quantity,)

    def select(
        self, quantities: Mapping[str, np.ndarray], labeled: np.ndarray, budget: int, rng: np.random.Generator
    ) -> np.ndarray:
        score = np.asarray(quantities[self.quantity], dtype=np.float64).reshape(len(labeled))
        return top_scoring(score, labeled, budget)


def entropy(normalized: bool = False) -> ScoreAcquisition:
    """Highest mean pixel entropy (optionally the per-image normalised variant)."""
    return ScoreAcquisition("entropy_normalized" if normalized else "entropy")


def margin() -> ScoreAcquisition:
    """Smallest mean gap between the two most likely classes."""
    return ScoreAcquisition("margin")


def equal() -> ScoreAcquisition:
    """EquAL: highest entropy of the prediction averaged with its flip-equivariant counterpart."""
    return ScoreAcquisition("equal")


def bald() -> ScoreAcquisition:
    """BALD: highest mutual information between prediction and weights (MC dropout)."""
    return ScoreAcquisition("bald")
