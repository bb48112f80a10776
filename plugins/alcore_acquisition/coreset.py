"""Core-set acquisition (Sener & Savarese, ICLR 2018): exact greedy k-center over embeddings.

Diversity-driven batch selection: each pick is the unlabeled sample furthest (Euclidean) from
its nearest labeled or already-picked sample. On redundant video pools this spreads the batch
over scenes instead of collapsing onto near-identical neighbouring frames.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from alcore.sdk.errors import ConfigError, DataError
from alcore.sdk.params import Param
from alcore_acquisition.kcenter import KCenterResult, kcenter

log = logging.getLogger(__name__)

PARAMS = [
    Param(
        "feature",
        str,
        "embedding",
        "per-sample quantity used as the feature vector (e.g. backbone_embedding)",
    ),
    Param(
        "device", str, "", "torch device for the distance products, e.g. cuda ('' = where the features are)"
    ),
    Param("chunk_rows", int, 0, "rows per chunk when streaming features from disk (0 = automatic)", low=0),
]


class CoreSet:
    """Exact greedy k-center (furthest-first) selection; the labeled set are the initial centres.

    Picks match the textbook algorithm exactly (see ``alcore_acquisition.kcenter_reference``):
    float64 squared Euclidean distances, lowest index on ties, and with nothing labeled a first
    pick drawn from ``rng``. After ``select``, ``last_result`` holds the coverage radii.
    """

    def __init__(self, feature: str = "embedding", device: str = "", chunk_rows: int = 0) -> None:
        if not feature:
            raise ConfigError("core-set option 'feature' must name a per-sample quantity")
        if chunk_rows < 0:
            raise ConfigError(f"core-set option 'chunk_rows' must be >= 0, got {chunk_rows}")
        self.feature = feature
        self.requires: tuple[str, ...] = (feature,)
        self.device = device or None
        self.chunk_rows = chunk_rows or None
        self.last_result: KCenterResult | None = None

    def select(
        self,
        quantities: Mapping[str, Any],
        labeled: np.ndarray,
        budget: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Return up to ``budget`` unlabeled row indices in pick order (all of them if fewer)."""
        if self.feature not in quantities:
            known = ", ".join(sorted(quantities)) or "none"
            raise ConfigError(
                f"core-set needs the quantity '{self.feature}', which was not computed; available: {known}"
            )
        features = quantities[self.feature]
        labeled = np.asarray(labeled, dtype=bool).reshape(-1)
        shape = tuple(features.shape)
        if len(shape) < 2 or shape[0] != len(labeled):
            raise DataError(
                f"quantity '{self.feature}' has shape {shape}; core-set needs one feature row "
                f"per pool sample ({len(labeled)} rows)"
            )
        if len(shape) > 2:
            if not hasattr(features, "reshape") or type(features).__module__.startswith("h5py"):
                raise DataError(f"quantity '{self.feature}' must be 2-D (rows x dims), got {shape}")
            features = features.reshape(shape[0], -1)
        unlabeled = np.flatnonzero(~labeled)
        if budget >= len(unlabeled) and len(unlabeled):
            log.warning(
                "core-set budget %d covers all %d unlabeled samples: taking all of them",
                budget,
                len(unlabeled),
            )
        if budget >= len(unlabeled):
            self.last_result = KCenterResult(unlabeled, np.full(len(unlabeled), np.nan), 0.0, True)
            return unlabeled
        self.last_result = kcenter(
            features, labeled, budget, rng=rng, device=self.device, chunk_rows=self.chunk_rows
        )
        return self.last_result.indices
