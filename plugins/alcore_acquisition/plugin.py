"""Entry point of the built-in acquisition functions."""

from __future__ import annotations

from typing import Any

from alcore.acquisition import Param
from alcore.hookspecs import hookimpl
from alcore_acquisition import scores


@hookimpl
def register_acquisitions(register: Any) -> None:
    register("random", scores.RandomAcquisition, help="uniform random selection (seeded)")
    register("entropy", scores.entropy, help="highest mean pixel entropy",
             params=[Param("normalized", bool, False, "divide by log(num classes)")])
    register("margin", scores.margin, help="smallest top-1 / top-2 probability margin")
