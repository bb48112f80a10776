"""Each row's nearest-centre interval: exact distances, the offer rule and the argmax."""

from __future__ import annotations

from typing import Any

import numpy as np

from alcore_acquisition.kcenter.tree import ranges
from alcore_acquisition.kcenter_reference import squared_distances


class Intervals:
    """Keeps ``owner``, ``lo <= d <= hi`` and ``exact`` per row; settles what bounds cannot decide."""

    def exact_pairs(self, xs: np.ndarray, cs: np.ndarray) -> np.ndarray:
        """The reference float64 distances ``||x_i - c_i||²`` for row-index pairs."""
        out = np.empty(len(xs))
        step = max(1, self.rows.work_rows // 4)
        for p0 in range(0, len(xs), step):
            x, c = xs[p0 : p0 + step], cs[p0 : p0 + step]
            need, inverse = np.unique(np.concatenate([x, c]), return_inverse=True)
            block = self.rows.host(self.rows.take(need))
            out[p0 : p0 + step] = squared_distances(block[inverse[: len(x)]], block[inverse[len(x) :]])
        self.exact_distances += len(xs)
        return out

    def settle(self, idx: np.ndarray) -> None:
        """Replace the intervals of rows ``idx`` by their exact distances to their owners."""
        idx = idx[~self.exact[idx]]
        if len(idx):
            value = self.exact_pairs(idx, self.owner[idx])
            self.lo[idx] = value
            self.hi[idx] = value
            self.exact[idx] = True

    def offer(self, idx: np.ndarray, centre: Any, c_lo: np.ndarray, c_hi: np.ndarray) -> np.ndarray:
        """Offer centre(s) with reference-distance bounds ``[c_lo, c_hi]`` to rows ``idx``.

        A row moves to the centre when it is surely nearer, ignores it when surely not nearer,
        and settles exactly otherwise. Returns the rows whose nearest distance went down.
        """
        centre = np.asarray(centre, dtype=np.int64)
        if centre.ndim == 0:
            centre = np.full(idx.shape, centre)
        lo, hi = self.lo[idx], self.hi[idx]
        wins = c_hi < lo
        # a row's own centre offered again cannot come nearer
        unsure = ~wins & (c_lo < hi) & (centre != self.owner[idx])
        at = np.flatnonzero(wins)
        win_rows = idx[at]
        self.owner[win_rows] = centre[at]
        self.lo[win_rows] = c_lo[at]
        self.hi[win_rows] = c_hi[at]
        self.exact[win_rows] = False
        moved = [win_rows]
        if unsure.any():
            at = np.flatnonzero(unsure)
            rows_u, centres_u = idx[at], centre[at]
            self.settle(rows_u)
            value = self.exact_pairs(rows_u, centres_u)
            better = value < self.lo[rows_u]
            for key, arr in (("owner", centres_u), ("lo", value), ("hi", value)):
                getattr(self, key)[rows_u[better]] = arr[better]
            moved.append(rows_u[better])
        return np.concatenate(moved)

    def refresh(self, clusters: np.ndarray) -> None:
        """Recompute the largest upper nearest-centre distance of some clusters and their groups."""
        if len(clusters) > 64 or not hasattr(self, "cmax"):
            nonempty = self.counts > 0
            if not hasattr(self, "hi_by_cluster"):
                # one buffer for every full refresh (a new one each time would fragment the heap)
                self.hi_by_cluster = np.empty(len(self.members))
            np.take(self.hi, self.members, out=self.hi_by_cluster)
            self.cmax = np.full(self.n_clusters, -np.inf)
            self.cmax[nonempty] = np.maximum.reduceat(self.hi_by_cluster, self.offsets[:-1][nonempty])
            self.gmax = np.maximum.reduceat(self.cmax, self.group_offsets[:-1])
            return
        clusters = clusters[self.counts[clusters] > 0]
        if not len(clusters):
            return
        sizes = self.counts[clusters]
        values = self.hi[self.members[ranges(self.offsets, clusters)]]
        self.cmax[clusters] = np.maximum.reduceat(values, np.cumsum(sizes) - sizes)
        if self.flat:
            return  # picks meet every cluster directly: the group maxima are not read
        for g in np.unique(self.group_of[clusters]):
            self.gmax[g] = self.cmax[self.group_offsets[g] : self.group_offsets[g + 1]].max()

    def next_pick(self) -> int:
        """The row furthest from its nearest centre (lowest index on ties), or -1 if none is left.

        The largest upper bound is taken; if that row's distance is not exact yet it is settled
        and the search repeats. An exact row whose value is the largest upper bound is the
        reference's argmax: every other row is at most its upper bound, and an equal row with a
        lower index would have had an equal upper bound and been found first.
        """
        if self.kernels is not None and self.has_tree:
            counts = np.zeros(1, dtype=np.int64)
            i = self.kernels.next_pick(
                self.x, self.lo, self.hi, self.owner, self.exact, counts,
                self.members, self.offsets, self.cid, self.cmax,
            )  # fmt: skip
            self.exact_distances += int(counts[0])
            return int(i)
        while True:
            i = int(np.argmax(self.hi))
            if not self.hi[i] > -np.inf:
                return -1
            if self.exact[i]:
                return i
            self.settle(np.asarray([i]))
