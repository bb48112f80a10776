"""One pick's update: pruned by the cluster tree, a plain pass, a multi-row pass, or stored products.

Every way is exact; they differ only in cost, which the search measures as it goes:

* **pruned**: triangle-inequality bounds from the cluster tree leave a few rows, whose distances
  to the new centre are computed directly (cheap when the data has structure at the current
  radius);
* **plain pass**: one streaming matrix-vector product over all rows, with a lean bound that
  rejects most rows in a handful of operations (the cost of the plain exact loop);
* **multi-row pass**: the same stream also multiplies by the rows most likely to be picked next
  and stores those products (``width - 1`` floats a row), so a later pick among them needs no
  pass; the width follows how many stored picks the last pass served.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from alcore_acquisition.kcenter.bounds import _U64
from alcore_acquisition.kcenter.tree import ranges

#: rows per tile of the lean bound (arrays of this length stay in cache)
_TILE = 16384


class Passes:
    """Lowers the rows' intervals for a new centre, choosing the cheapest way that is exact."""

    def add_centre(self, i: int) -> None:
        """Lower every row's nearest-centre interval to account for new centre row ``i``."""
        self.lo[i] = self.hi[i] = -np.inf
        self.owner[i] = i
        self.exact[i] = True
        if not self.has_tree:
            self.full_update(i, i in self.spec_pos, None)
            return
        if self.kernels is not None:
            if not self.tree_update_compiled(i):
                self.refresh(np.arange(self.n_clusters))
            return
        moved = self.tree_update(i)
        if moved is not None:
            self.refresh(np.unique(np.concatenate([np.asarray([self.cid[i]]), self.cid[moved]])))
        else:
            self.refresh(np.arange(self.n_clusters))

    def tree_update(self, i: int) -> np.ndarray | None:
        """Update through the tree when its bounds prune enough; None after a full update.

        The seconds each way took are measured as the run goes (moving averages): while the
        tree's picks cost more than the full update available (a stored product or a pass),
        the tree is bypassed, and re-tried every 16 picks since structure appears as the radius
        shrinks.
        """
        rows, tree, n = self.rows, self.tree, self.rows.n
        stored = i in self.spec_pos
        if self.bypass_tree(i, stored):
            return None
        began = self.clock()
        s_block = rows.take(np.asarray([i]))
        single = {key: value[0] for key, value in self.centre_terms(rows.host(s_block)).items()}
        if self.flat:
            # one product with every cluster centre costs less than the group stage's calls
            groups = np.arange(self.n_groups)
        else:
            tops = self.group_offsets[:-1]
            g = rows.matmul_t(self.top_rows, single["centred"])
            lo, _ = self.product_bounds(g, tree["q"][tops], tree["norm"][tops], single, centred=True)
            floor = self.lower_gap(np.sqrt(lo) * (1.0 - 4 * _U64), self.group_radius)
            groups = np.flatnonzero((self.gmax > -np.inf) & (floor < self.gmax))
        if len(groups) == self.n_groups:
            clusters, block = np.arange(self.n_clusters), tree["centred"]
        else:
            clusters = ranges(self.group_offsets, groups)
            block = self.gather(tree["centred"], clusters)
        if len(clusters):
            g = rows.matmul_t(block, single["centred"])
            every = len(clusters) == self.n_clusters
            q_c = tree["q"] if every else tree["q"][clusters]
            norm_c = tree["norm"] if every else tree["norm"][clusters]
            lo, hi = self.product_bounds(g, q_c, norm_c, single, centred=True)
            dlo = np.sqrt(lo) * (1.0 - 4 * _U64)
            dhi = np.sqrt(hi) * (1.0 + 4 * _U64)
            cmax = self.cmax[clusters]
            hit = (cmax > -np.inf) & (self.lower_gap(dlo, self.cluster_radius[clusters]) < cmax)
            clusters, dlo, dhi = clusters[hit], dlo[hit], dhi[hit]
        reach = int(self.counts[clusters].sum())
        # a stored product costs a few operations a row; a direct distance about a row's width
        cheaper = n // 64 if stored else int(n / self.dense_ratio)
        if reach > max(cheaper, n // 2 if not stored else 0):
            self.full_update(i, stored, "tree-rejected", began)
            return None
        if not len(clusters):
            self.count("pruned")
            self.record("pruned", began)
            return np.zeros(0, dtype=np.int64)
        idx = self.members[ranges(self.offsets, clusters)]
        where = np.repeat(np.arange(len(clusters)), self.counts[clusters])
        # a row is at least |dist(s, centre) - its radius| from s: the larger of the two gaps
        gap = np.maximum(dlo[where] - self.rho_hi[idx], self.rho_lo[idx] - dhi[where])
        floor = self.lower_gap(gap, 0.0)
        idx = idx[floor < self.hi[idx]]
        if len(idx) > cheaper:
            self.full_update(i, stored, "tree-rejected", began)
            return None
        self.count("pruned")
        moved = self.direct_update(i, np.sort(idx), s_block[0])
        self.record("pruned", began)
        return moved

    def bypass_tree(self, i: int, stored: bool) -> bool:
        """Do a full update instead of the tree's when the measured costs say so; True if done.

        The tree is re-tried every 16 picks, and the full way is measured once when it has not
        been yet, so that the two can be compared.
        """
        full = self.seconds.get("stored" if stored else "pass")
        tree_cost = self.seconds.get("pruned")
        self.picks_since_test += 1
        if full is None and self.picks_since_test % 16 == 0:
            self.full_update(i, stored, "probe")
            return True
        if full is not None and tree_cost is not None and tree_cost > full and self.picks_since_test % 16:
            self.full_update(i, stored, "skipped")
            return True
        return False

    def tree_update_compiled(self, i: int) -> bool:
        """:meth:`tree_update` in one compiled call (every cluster met directly, cluster maxima
        kept up to date); False after a full update instead."""
        stored = i in self.spec_pos
        if self.bypass_tree(i, stored):
            return False
        began = self.clock()
        n = self.rows.n
        if not hasattr(self, "pick_work"):
            self.pick_work = (
                np.empty(n, dtype=self.index_dtype),
                np.empty((self.n_clusters, 3)),
                np.zeros(self.n_clusters, dtype=bool),
            )
        # a stored product costs a few operations a row, a direct distance about a row's width
        limit = n // 16 if stored else n // 2
        counts = np.zeros(1, dtype=np.int64)
        checked = self.kernels.tree_pick(
            self.x, i, self.centre_ids, self.cluster_radius, self.centre_lo, self.cmax, self.members,
            self.offsets, self.cid, self.rho_lo, self.rho_hi, limit, self.g_fast, self.g_exact, self.eta,
            self.lo, self.hi, self.owner, self.exact, counts, *self.pick_work, self.proj, self.proj_slack,
        )  # fmt: skip
        self.exact_distances += int(counts[0])
        if checked < 0:
            self.full_update(i, stored, "tree-rejected", began)
            return False
        self.count("pruned")
        self.rows_checked += int(checked)
        self.record("pruned", began)
        return True

    def record(self, way: str, began: float) -> None:
        """Fold the seconds since ``began`` into the moving average cost of ``way``."""
        spent = self.clock() - began
        old = self.seconds.get(way)
        self.seconds[way] = spent if old is None else 0.7 * old + 0.3 * spent

    def full_update(self, i: int, stored: bool, why: str | None, tried: float | None = None) -> None:
        """Every row against centre ``i``: from stored products if there are any, else a pass.

        ``tried`` is when a rejected tree test began: its cost is charged to the tree's picks.
        """
        if why is not None:
            self.count(why)
        if tried is not None:
            self.record("pruned", tried)
        began = self.clock()
        way = "stored" if stored else "pass"
        self.count(way)
        if stored:
            self.stored_update(i)
        else:
            self.stream_pass(i)
        self.record(way, began)

    def direct_update(self, i: int, idx: np.ndarray, s: Any) -> np.ndarray:
        """Fast direct distances from centre ``i`` to rows ``idx``, offered to those rows."""
        moved = [np.zeros(0, dtype=np.int64)]
        self.rows_checked += len(idx)
        step = max(1, self.rows.work_rows)
        for p0 in range(0, len(idx), step):
            part = idx[p0 : p0 + step]
            c_lo, c_hi = self.direct_bounds(self.rows.sqdist(self.rows.take(part), s))
            near = c_lo < self.hi[part]
            moved.append(self.offer(part[near], i, c_lo[near], c_hi[near]))
        return np.concatenate(moved)

    # -- passes over all rows ---------------------------------------------------------------------

    def prepare_rows(self) -> None:
        """Per-row terms of the lean bound, from the squared centred norms ``qx``."""
        # share of qx in the error bound, plus every rounding of the lean bound itself
        self.q_share = 1.01 * (self.g_direct + 8 * _U64) + 8 * _U64
        self.q_floor = self.qx * (1.0 - self.q_share)
        self.x_norm = np.sqrt(self.qx * (1.0 + self.g_direct)) + self.m_norm
        # stored products: candidate row ids, their column, and their product terms
        self.spec_pos: dict[int, int] = {}
        # in the compute dtype: the lean bounds count the rounding of a product in that dtype
        # (float64 products kept as float32 lost up to 2^-24 of their size and broke the bound)
        self.spec_g = np.zeros((0, self.rows.n), dtype=self.rows.np_dtype)
        self.spec_terms: dict[str, Any] = {}
        self.spec_hits = 7
        budget = max(0, self.rows.nbytes // 16) // max(1, self.rows.itemsize * self.rows.n)
        self.max_width = int(max(1, min(64, budget + 1)))

    def lean_terms(self, t: dict[str, Any], j: int) -> tuple[float, float, float]:
        """Scalars ``(c1, c0, b)`` of the lean bounds for centre ``j`` with products ``g``.

        ``low = q_floor - c1·x_norm - 2g + c0 <= ||x - c||²`` and
        ``||x - c||² <= low + 2·(q_share·qx + c1·x_norm + b)``: the estimate
        ``qx + q + 2h - 2g`` minus and plus the error of :meth:`product_bounds` (non-centred),
        with ``|g| <= ||x||·||c - m||`` folded into the ``x_norm`` term.
        """
        q, h, habs, norm = (float(t[key][j]) for key in ("q", "h", "habs", "norm"))
        c1 = norm * (2.02 * (self.g_dot + 1.01 * self.unit) + 34 * _U64)
        b = 1.01 * (self.g_exact * (q + 2 * habs) + 8 * _U64 * (q + 2 * abs(h)) + self.eta)
        b += 8 * _U64 * (q + 2 * abs(h))
        return c1, q + 2 * h - b, b

    def offer_products(self, g: np.ndarray, start: int, centre: int, t: dict[str, Any], j: int) -> None:
        """Offer centre ``centre`` to rows ``start:start+len(g)`` from products ``g = x·(c - m)``.

        A lean lower bound (a handful of operations a row) rejects the rows the centre cannot
        get nearer to; the rows left get the matching upper bound and the interval rule.
        """
        c1, c0, b = self.lean_terms(t, j)
        keep = 1.0 - self.g_exact
        if self.kernels is not None:
            counts = np.zeros(1, dtype=np.int64)
            self.kernels.offer_lean(
                self.x, g, start, centre, c1, c0, b, keep, self.q_share, self.g_exact, self.eta,
                self.q_floor, self.x_norm, self.qx, self.lo, self.hi, self.owner, self.exact, counts,
            )  # fmt: skip
            self.exact_distances += int(counts[0])
            return
        for a in range(0, len(g), _TILE):
            gg = g[a : a + _TILE].astype(np.float64)
            s0, s1 = start + a, start + a + len(gg)
            low = self.x_norm[s0:s1] * -c1
            low += self.q_floor[s0:s1]
            gg *= 2.0
            low -= gg
            low += c0
            floor = low * keep
            near = np.flatnonzero(floor < self.hi[s0:s1])
            if not len(near):
                continue
            at = near + s0
            up = low[near] + 2.0 * (self.q_share * self.qx[at] + c1 * self.x_norm[at] + b)
            self.offer(at, centre, np.maximum(floor[near], 0.0), self.exact_ceil(up))

    def stream_pass(self, i: int, speculate: bool = True) -> None:
        """One pass over all rows for centre ``i``, storing products with likely next picks."""
        rows, n = self.rows, self.rows.n
        self.dense_passes += 1
        self.rows_checked += n
        width = 1
        if speculate and self.max_width > 1:
            width = int(min(self.max_width, 2 * self.spec_hits + 2))
        top = self.likely_next(i, width - 1)
        ids = np.concatenate([[i], top]).astype(np.int64)
        order = np.argsort(ids)
        host = np.empty((len(ids), rows.dim), dtype=rows.np_dtype)
        host[order] = rows.host(rows.take(ids[order]))
        terms = self.centre_terms(host)
        self.count("multi-row" if len(ids) > 1 else "plain")
        self.spec_pos = {int(row): col for col, row in enumerate(ids[1:])}
        self.spec_terms = {key: value[1:] for key, value in terms.items() if key != "centred"}
        if len(self.spec_g) < len(ids) - 1:
            # allocated once at the widest a pass may use, then reused: a new array of another
            # width per pass would leave holes in the heap that a later pass cannot fill
            self.spec_g = np.zeros((0, n), dtype=rows.np_dtype)
            self.spec_g = np.empty((self.max_width - 1, n), dtype=rows.np_dtype)
        self.spec_hits = 0
        tile = int(max(_TILE, rows.work_bytes // (4 * len(ids))))
        for start, stop, block in rows.chunks():
            for t0 in range(0, stop - start, tile):
                g_all = rows.matmul_t(block[t0 : t0 + tile], terms["centred"])
                if len(ids) > 1:
                    self.spec_g[: len(ids) - 1, start + t0 : start + t0 + len(g_all)] = g_all[:, 1:].T
                self.offer_products(g_all[:, 0], start + t0, i, terms, 0)

    def likely_next(self, i: int, count: int) -> np.ndarray:
        """Up to ``count`` rows likely to be the next picks after centre ``i`` (sorted ids).

        The rows with the largest upper bounds are candidates; furthest-first is simulated on
        them with approximate distances, to ``i`` and among themselves, so that candidates
        next to ``i`` or to each other are passed over. Only speed depends on this guess: a
        pick whose products were not stored gets a pass.
        """
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        rows = self.rows
        cand = largest(self.hi, 4 * count + 8)
        if len(cand) <= count:
            return cand
        ids = np.sort(np.append(cand, i))
        at = int(np.searchsorted(ids, i))
        block = rows.host(rows.take(ids)).astype(np.float64)
        sq = np.add.reduce(block * block, axis=1)
        dist = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (block @ block.T), 0.0)
        keep = np.arange(len(block)) != at
        dist_c = dist[np.ix_(keep, keep)]
        current = np.minimum(self.hi[cand], dist[at, keep])
        chosen = []
        for _ in range(count):
            j = int(np.argmax(current))
            if not current[j] > 0:
                break
            chosen.append(j)
            np.minimum(current, dist_c[j], out=current)
            current[j] = -np.inf
        return np.sort(cand[chosen])

    def stored_update(self, i: int) -> None:
        """Centre ``i``'s products with every row were stored by the last multi-row pass."""
        col = self.spec_pos.pop(i)
        self.spec_hits += 1
        self.rows_checked += self.rows.n
        self.offer_products(self.spec_g[col], 0, i, self.spec_terms, col)


def largest(values: np.ndarray, count: int) -> np.ndarray:
    """Indices of up to ``count`` largest finite entries (above ``-inf``), tile by tile.

    Works on tiles so that no temporary is as long as ``values``: a long transient per pass
    fragments the heap and raises the peak memory more than its own size.
    """
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    best = np.zeros(0, dtype=np.int64)
    for a in range(0, len(values), _TILE):
        part = values[a : a + _TILE]
        at = np.flatnonzero(part > -np.inf)
        if len(at) > count:
            at = at[np.argpartition(part[at], len(at) - count)[len(at) - count :]]
        best = np.concatenate([best, at + a])
        if len(best) > 4 * count:
            best = best[np.argpartition(values[best], len(best) - count)[len(best) - count :]]
    if len(best) > count:
        best = best[np.argpartition(values[best], len(best) - count)[len(best) - count :]]
    return np.sort(best)
