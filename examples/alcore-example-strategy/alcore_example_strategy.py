"""An example third-party alcore plugin: the most uncertain frame of each sequence, in turn.

Pure entropy acquisition on video picks many neighbouring frames of one confusing sequence.
This strategy takes the highest-entropy unlabeled frame of every sequence before it takes a
second frame from any of them, with sequences visited in order of their best frame's entropy.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from alcore.sdk import Param, hookimpl


class GroupEntropy:
    """Round-robin over groups, highest entropy first within and across groups."""

    def __init__(self, per_group: int = 0) -> None:
        self.per_group = per_group
        self.requires = ("entropy", "group")

    def select(self, quantities: Mapping[str, np.ndarray], labeled: np.ndarray, budget: int,
               rng: np.random.Generator) -> np.ndarray:
        entropy = np.asarray(quantities["entropy"], dtype=np.float64)
        groups = np.asarray(quantities["group"])
        queues: dict[int, list[int]] = {}
        for i in np.lexsort((np.arange(len(entropy)), -entropy)):
            if not labeled[i]:
                queues.setdefault(int(groups[i]), []).append(int(i))
        order = list(queues.values())
        picked: list[int] = []
        depth = 0
        while len(picked) < budget and any(len(q) > depth for q in order):
            if self.per_group and depth >= self.per_group:
                break
            picked.extend(q[depth] for q in order if len(q) > depth)
            depth += 1
        if len(picked) < budget:
            rest = [i for q in order for i in q if i not in set(picked)]
            picked.extend(rest)
        return np.asarray(picked[:budget], dtype=np.int64)


@hookimpl
def register_acquisitions(register):
    register(
        "group-entropy",
        GroupEntropy,
        help="highest-entropy frame of each sequence in turn",
        params=[Param("per_group", int, 0, "at most this many rounds over the groups (0: no limit)")],
    )
