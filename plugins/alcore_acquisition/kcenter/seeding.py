"""First nearest-centre intervals from the labeled rows, pruned cluster by cluster."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from alcore_acquisition.kcenter.bounds import _U64
from alcore_acquisition.kcenter.tree import ranges

#: a cluster that leaves more than this share of a block's centres possible is seeded by products
DENSE_SHARE = 0.5


class Seeding:
    """Seeds every row's interval against the labeled centres its cluster bounds leave possible."""

    def centre_blocks(
        self, centre_rows: np.ndarray, share: int = 1
    ) -> Iterator[tuple[np.ndarray, dict[str, Any]]]:
        """Blocks of (sorted) centre row ids with their product terms, sized to the work memory
        (``share`` bytes per cluster and centre)."""
        rows = self.rows
        width = int(max(1, min(rows.work_rows, rows.work_bytes // (share * self.n_clusters))))
        for b0 in range(0, len(centre_rows), width):
            ids = centre_rows[b0 : b0 + width]
            yield ids, self.centre_terms(rows.host(rows.take(ids)))

    def cluster_centre_bounds(self, terms: dict[str, Any]) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
        """Bounds on true distances (not squared) from every cluster centre to slices of centres."""
        tree, work = self.tree, self.rows.work_bytes
        # one product per work-sized column block (tall-thin products are slow), bounds in
        # narrower slices since they hold about ten float64 temporaries of their size
        wide = int(max(1, work // (4 * self.n_clusters)))
        step = int(max(1, work // (48 * self.n_clusters)))
        for w0 in range(0, len(terms["q"]), wide):
            g_wide = self.rows.matmul_t(tree["centred"], terms["centred"][w0 : w0 + wide])
            for c0 in range(0, g_wide.shape[1], step):
                cols = slice(w0 + c0, w0 + min(c0 + step, g_wide.shape[1]))
                part = {key: value[cols] for key, value in terms.items() if key != "centred"}
                g = g_wide[:, c0 : c0 + step]
                lo, hi = self.product_bounds(g, tree["q"][:, None], tree["norm"][:, None], part, centred=True)
                yield cols, np.sqrt(lo) * (1.0 - 4 * _U64), np.sqrt(hi) * (1.0 + 4 * _U64)

    def start_intervals(self) -> None:
        """Every row starts with no centre: an infinite interval."""
        n = self.rows.n
        self.lo = np.full(n, np.inf)
        self.hi = np.full(n, np.inf)
        self.owner = np.full(n, -1, dtype=self.index_dtype)
        self.exact = np.zeros(n, dtype=bool)

    def seed_dense(self, centre_rows: np.ndarray) -> None:
        """First intervals without a tree: every row against every centre, in product tiles."""
        rows = self.rows
        for ids, terms in self.centre_blocks(centre_rows):
            tile = int(max(1, min(rows.work_rows, rows.work_bytes // (8 * len(ids)))))
            for start, stop, chunk in rows.chunks():
                for t0 in range(start, stop, tile):
                    t1 = min(stop, t0 + tile)
                    self.seed_rows(np.arange(t0, t1), chunk[t0 - start : t1 - start] - self.m, ids, terms)

    def seed_pass(self, centre_rows: np.ndarray) -> None:
        """First intervals: each row meets only the centres its cluster's bounds leave possible.

        Every row first gets a direct distance to its cluster's nearest labeled centre ``c*``,
        which bounds its nearest distance ``u_x`` from above. A centre ``c`` can only come
        nearer to a row ``x`` of cluster ``j`` if ``||μ_j - c|| - ρ_x < u_x``; centres failing
        that for every row of the cluster are skipped for the whole cluster. Measured per row
        rather than from the cluster's radius, this bound keeps its power on noisy clusters,
        whose radius an outlying row inflates (video-noisy: 8% of the pairs multiplied, where the
        radius bound left 59%).
        Rows are visited sorted by cluster, so a tile's product only involves the union of its
        clusters' remaining centres.
        """
        rows = self.rows
        if self.kernels is not None and len(centre_rows) > 1:
            self.seed_compiled(centre_rows)
            return
        nearest = self.seed_nearest(centre_rows)
        if len(centre_rows) == 1:
            return
        live = np.ones(rows.n, dtype=bool)
        live[centre_rows] = False
        # per cluster, the largest ρ_x + u_x over its rows (as a true distance, rounded up)
        widen = 1.0 / ((1.0 - self.g_exact) * (1.0 - 8 * _U64) ** 2)
        spread = (self.rho_hi.astype(np.float64) + np.sqrt(self.hi * widen)) * (1.0 + 1e-9)
        reach = np.full(self.n_clusters, -np.inf)
        np.maximum.at(reach, self.cid[live], spread[live])
        reach[nearest < 0] = np.inf
        for ids, terms in self.centre_blocks(centre_rows):
            relevant = np.empty((self.n_clusters, len(ids)), dtype=bool)
            for cols, lo, _ in self.cluster_centre_bounds(terms):
                relevant[:, cols] = lo * (1.0 - 8 * _U64) <= reach[:, None]
            for start, stop, chunk in rows.chunks():
                self.seed_chunk(start, stop, chunk, ids, terms, relevant)

    def seed_compiled(self, centre_rows: np.ndarray) -> None:
        """The same seeding, row by row in compiled code, one block of centres at a time.

        Per cluster, the centres are visited nearest bound first, so a row stops at the first
        centre its bound rules out (every later one is ruled out too) instead of meeting all
        the centres its cluster leaves possible. Clusters that leave most of a block's centres
        possible go the product way (:meth:`seed_rows`), which is cheaper per pair.
        """
        rows, kernels = self.rows, self.kernels
        skip = np.zeros(rows.n, dtype=bool)
        skip[centre_rows] = True
        widen = 1.0 / ((1.0 - self.g_exact) * (1.0 - 8 * _U64) ** 2)
        counts = np.zeros(1, dtype=np.int64)
        pairs = 0
        blocks = list(self.centre_blocks(centre_rows, share=4))
        # each cluster's nearest centre by the estimate, met first by its rows: a good upper
        # bound from the start keeps the candidate lists of every block short
        first = np.full(self.n_clusters, -1, dtype=np.int64)
        first_est = np.full(self.n_clusters, np.inf)
        for ids, terms in blocks:
            est = terms["q"][None, :] - 2.0 * self.rows.matmul_t(self.tree["centred"], terms["centred"])
            at = np.argmin(est, axis=1)
            value = est[np.arange(self.n_clusters), at]
            better = value < first_est
            first_est[better] = value[better]
            first[better] = ids[at[better]]
            del est
        tree = self.tree
        for ids, terms in blocks:
            lo_cols = np.empty((self.n_clusters, len(ids)), dtype=np.float32)
            g = self.rows.matmul_t(tree["centred"], terms["centred"])
            self.floors(g, tree["q"], tree["norm"], terms, (1.0 - 4 * _U64) * (1.0 - 8 * _U64), lo_cols)
            del g
            dense = np.zeros(self.n_clusters, dtype=bool)
            pairs += kernels.seed_clusters(
                self.x, self.members, self.offsets, skip, self.rho_hi, ids.astype(np.int64), lo_cols, first,
                DENSE_SHARE, widen, self.g_fast, self.g_exact, self.eta,
                self.lo, self.hi, self.owner, self.exact, counts, dense,
            )  # fmt: skip
            del lo_cols
            first[:] = -1
            rest = self.members[ranges(self.offsets, np.flatnonzero(dense))]
            rest = np.sort(rest[~skip[rest]])
            tile = int(max(1, min(rows.work_rows, rows.work_bytes // (8 * len(ids)))))
            for r0 in range(0, len(rest), tile):
                at = rest[r0 : r0 + tile]
                self.seed_rows(at, rows.take(at) - self.m, ids, terms)
        self.stats["seed-pairs"] = self.stats.get("seed-pairs", 0) + int(pairs)
        self.exact_distances += int(counts[0])

    def seed_nearest(self, centre_rows: np.ndarray) -> np.ndarray:
        """Offer every row its cluster's nearest centre (by the bounds); return those centres.

        One direct distance a row, in tiles: it gives each row a finite upper bound on its
        nearest distance before the pruned products start.
        """
        rows = self.rows
        best = np.full(self.n_clusters, np.inf)
        nearest = np.full(self.n_clusters, -1, dtype=np.int64)
        for ids, terms in self.centre_blocks(centre_rows):
            for cols, _, hi in self.cluster_centre_bounds(terms):
                at = np.argmin(hi, axis=1)
                value = hi[np.arange(self.n_clusters), at]
                better = value < best
                best[better] = value[better]
                nearest[better] = ids[cols][at[better]]
        chosen = np.unique(nearest[nearest >= 0])
        if not len(chosen):
            return nearest
        slot = np.full(self.n_clusters, -1, dtype=np.int64)
        slot[nearest >= 0] = np.searchsorted(chosen, nearest[nearest >= 0])
        centres = rows.take(chosen)
        tile = int(max(1, min(rows.chunk_rows, rows.work_rows // 2)))
        for start, stop, chunk in rows.chunks():
            for t0 in range(start, stop, tile):
                t1 = min(stop, t0 + tile)
                at = slot[self.cid[t0:t1]]
                diff = chunk[t0 - start : t1 - start] - self.gather(centres, at)
                c_lo, c_hi = self.direct_bounds(rows.sqdist(diff, 0.0))
                self.offer(np.arange(t0, t1), chosen[at], c_lo, c_hi)
        return nearest

    def seed_chunk(
        self, start: int, stop: int, chunk: Any, ids: np.ndarray, terms: dict[str, Any], relevant: np.ndarray
    ) -> None:
        """Seed rows ``start:stop`` against centres ``ids``, pruned per cluster while that is cheaper.

        Rows are visited sorted by cluster. The first tile meets every centre (the plain
        loop's way) and its seconds per row are measured; pruned tiles follow, and as soon as
        their measured seconds per row exceed the plain tile's (small rows, many clusters,
        little pruning), the remaining rows go the plain way too.
        """
        rows, width = self.rows, len(ids)
        tile = int(max(1, min(rows.work_rows, rows.work_bytes // (8 * width))))
        cid = self.cid[start:stop]
        if 2 * relevant.sum(axis=1)[cid].mean() > width:
            for t0 in range(start, stop, tile):
                t1 = min(stop, t0 + tile)
                self.seed_rows(np.arange(t0, t1), chunk[t0 - start : t1 - start] - self.m, ids, terms)
            return
        order = np.argsort(cid, kind="stable")
        # rows of clusters this block cannot improve are left out before tiling
        order = order[relevant.any(axis=1)[cid[order]]]
        if not len(order):
            return
        began = self.clock()
        done = min(len(order), tile)
        at = np.sort(order[:done])
        self.seed_rows(start + at, self.gather(chunk, at) - self.m, ids, terms)
        dense_rate = (self.clock() - began) / max(1, done)
        began, pruned_rows = self.clock(), 0
        for a0, a1 in tiles(cid[order[done:]]):
            if pruned_rows >= 4 * tile and self.clock() - began > dense_rate * pruned_rows:
                self.count("seed-switched")
                rest = np.sort(order[done + a0 :])
                for r0 in range(0, len(rest), tile):
                    at = rest[r0 : r0 + tile]
                    self.seed_rows(start + at, self.gather(chunk, at) - self.m, ids, terms)
                return
            at = order[done + a0 : done + a1]
            pruned_rows += len(at)
            idx = start + at
            cols = np.flatnonzero(relevant[np.unique(cid[at])].any(axis=0))
            if len(cols) == 0:
                continue
            if 2 * len(cols) > width:
                cols, part = np.arange(width), terms
            else:
                part = {key: value[cols] for key, value in terms.items() if key != "centred"}
                part["centred"] = self.gather(terms["centred"], cols)
            self.seed_rows(idx, self.gather(chunk, at) - self.m, ids[cols], part)

    def seed_rows(self, idx: np.ndarray, centred: Any, col_ids: np.ndarray, terms: dict[str, Any]) -> None:
        """Seed rows ``idx`` (given centred) against centres ``col_ids`` with product terms.

        A float32 estimate ``q_c - 2 g`` ranks the centres of each row; one error margin per
        row (the largest over the block's centres, plus the estimate's own rounding) shows for
        most rows that only the best-ranked centre can be nearest, and only that pair gets the
        full bound. Rows with rivals inside the margin take the full path of :meth:`seed_tile`.
        """
        g_all = self.rows.matmul_t(centred, terms["centred"])
        self.stats["seed-pairs"] = self.stats.get("seed-pairs", 0) + len(idx) * len(col_ids)
        unit32 = 2.0**-24
        q_max, c_max = float(terms["q"].max()), float(terms["norm"].max())
        q_c = terms["q"].astype(np.float32)
        sub = int(max(1, self.rows.work_bytes // (8 * len(col_ids))))
        for s0 in range(0, len(idx), sub):
            at_rows = idx[s0 : s0 + sub]
            g = g_all[s0 : s0 + sub]
            qx = self.qx[at_rows]
            xnorm = np.sqrt(qx * (1.0 + self.g_direct))
            est = g * np.float32(-2.0)
            est += q_c
            best = np.argmin(est, axis=1)
            at = np.arange(len(at_rows))
            cross = xnorm * c_max * (1.0 + self.g_dot)
            err = 1.01 * (
                2.0 * (self.g_dot + 2.05 * self.unit) * cross
                + self.g_direct * qx
                + self.g_exact * q_max
                + 8.0 * _U64 * (qx + q_max + 2.0 * cross)
                + self.eta
            )
            slack = 4.0 * unit32 * (q_max + 2.0 * cross) + 4.0 * self.g_exact * (qx + q_max + 2.0 * cross)
            margin = (est[at, best] + (2.0 * err + slack) * 1.01).astype(np.float32)
            margin = np.nextafter(margin, np.float32(np.inf))
            rivals = (est <= margin[:, None]).sum(axis=1) > 1
            clear = np.flatnonzero(~rivals)
            if len(clear):
                cols = best[clear]
                part = {key: terms[key][cols] for key in ("q", "h", "habs", "norm")}
                lo, hi = self.product_bounds(g[clear, cols], qx[clear], xnorm[clear], part, centred=True)
                self.offer(at_rows[clear], col_ids[cols], self.exact_floor(lo), self.exact_ceil(hi))
            close = np.flatnonzero(rivals)
            # the full bounds hold about ten float64 arrays of (rows x centres) at once: an
            # eighth of the work memory each keeps them as small as the product tile
            step = int(max(1, self.rows.work_bytes // (64 * len(col_ids))))
            for c0 in range(0, len(close), step):
                part = close[c0 : c0 + step]
                qc, xc = qx[part, None], xnorm[part, None]
                lo, hi = self.product_bounds(g[part], qc, xc, terms, centred=True)
                self.seed_tile(at_rows[part], col_ids, lo, hi)

    def seed_tile(self, idx: np.ndarray, col_ids: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """Offer a tile's centres to its rows: the surely-nearest one, or settle the close calls."""
        floor = self.exact_floor(lo)
        ceil = self.exact_ceil(hi)
        best = np.argmin(ceil, axis=1)
        at = np.arange(len(lo))
        best_ceil = ceil[at, best]
        rivals = (floor <= best_ceil[:, None]).sum(axis=1) > 1
        clear = ~rivals
        self.offer(idx[clear], col_ids[best[clear]], floor[clear, best[clear]], best_ceil[clear])
        if rivals.any():
            r_at = np.flatnonzero(rivals)
            ri, ci = np.nonzero(floor[r_at] <= best_ceil[r_at, None])
            rows_r, cols_r = idx[r_at][ri], col_ids[ci]
            value = self.exact_pairs(rows_r, cols_r)
            order = np.lexsort((value, rows_r))
            rows_r, cols_r, value = rows_r[order], cols_r[order], value[order]
            first = np.concatenate([[True], rows_r[1:] != rows_r[:-1]])
            self.offer(rows_r[first], cols_r[first], value[first], value[first])


def tiles(sorted_ids: np.ndarray, small: int = 32, most: int = 256) -> Iterator[tuple[int, int]]:
    """Split rows sorted by cluster into tiles: a large cluster alone, small ones together."""
    cuts = np.concatenate([[0], np.flatnonzero(np.diff(sorted_ids)) + 1, [len(sorted_ids)]])
    begin = 0
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b - a >= small:
            if begin < a:
                yield begin, a
            for t in range(a, b, most):
                yield t, min(b, t + most)
            begin = b
        elif b - begin > most:
            yield begin, a
            begin = a
    if begin < len(sorted_ids):
        yield begin, len(sorted_ids)
