"""Entry point of the built-in acquisition functions."""

from __future__ import annotations

from typing import Any

from alcore.sdk.hookspecs import hookimpl
from alcore.sdk.params import Param
from alcore_acquisition import coreset, hybrid, scores


@hookimpl
def register_acquisitions(register: Any) -> None:
    register("random", scores.RandomAcquisition, help="uniform random selection (seeded)")
    register("entropy", scores.entropy, help="highest mean pixel entropy",
             params=[Param("normalized", bool, False, "divide by log(num classes)")])
    register("margin", scores.margin, help="smallest top-1 / top-2 probability margin")
    register("equal", scores.equal,
             help="EquAL: entropy of the prediction averaged with its horizontal flip")
    register("bald", scores.bald, help="BALD: MC-dropout mutual information")
    register("coreset", coreset.CoreSet, params=coreset.PARAMS,
             help="exact greedy k-center over embeddings (batch diversity)")
    register("coreset-entropy", hybrid.UncertainCoreSet, params=hybrid.PARAMS,
             help="core-set over the most uncertain candidates (uncertainty + diversity)")
