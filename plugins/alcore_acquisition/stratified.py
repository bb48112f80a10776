"""Stratified random selection: random frames spread evenly over groups (drives, sequences).

Plain random sampling follows the pool's density, so long or slow drives get most of the picks.
Spreading the picks evenly over groups is the stronger baseline ("improved random") that an
acquisition function must beat on video data.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

import numpy as np


class StratifiedRandom:
    """Each pick goes to a group with the fewest labeled frames so far, a random frame of it.

    With ``count_labeled`` the frames labeled before this batch count towards their group's total
    (groups already well covered wait); otherwise only this batch's picks are balanced.
    Ties between groups are broken at random; within a group frames are drawn at random.
    """

    requires: tuple[str, ...] = ("group",)

    def __init__(self, count_labeled: bool = True) -> None:
        self.count_labeled = count_labeled

    def select(self, quantities: Mapping[str, np.ndarray], labeled: np.ndarray, budget: int,
               rng: np.random.Generator) -> np.ndarray:
        group = np.asarray(quantities["group"]).reshape(len(labeled))
        candidates = np.flatnonzero(~labeled)
        if budget <= 0 or candidates.size == 0:
            return np.empty(0, dtype=np.int64)
        shuffled = rng.permutation(candidates)
        codes, inverse = np.unique(group[shuffled], return_inverse=True)
        queues = [shuffled[inverse == k].tolist() for k in range(len(codes))]
        taken = (
            np.array([int(np.sum(labeled & (group == c))) for c in codes])
            if self.count_labeled
            else np.zeros(len(codes), dtype=int)
        )
        tiebreak = rng.permutation(len(codes))
        heap = [(int(taken[k]), int(tiebreak[k]), k) for k in range(len(codes))]
        heapq.heapify(heap)
        out: list[int] = []
        while heap and len(out) < budget:
            count, tie, k = heapq.heappop(heap)
            out.append(queues[k].pop())
            if queues[k]:
                heapq.heappush(heap, (count + 1, tie, k))
        return np.asarray(out, dtype=np.int64)
