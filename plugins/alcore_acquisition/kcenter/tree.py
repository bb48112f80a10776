"""Set-up of the pruning: a centring vector and a two-level cluster tree with rigorous radii."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from alcore_acquisition.kcenter.bounds import _U64, gamma, round32

#: up to this many clusters a pick meets every cluster centre directly, skipping the groups
FLAT_CLUSTERS = 1024
#: nearest clusters listed per cluster for the compiled assignment's walk
NEIGHBOURS = 128
#: rows per block of the compiled assignment, and the clusters rows may meet on average (over
#: the blocks so far) before it goes back to group products (a product row costs about 30)
ASSIGN_BLOCK = 1024
ASSIGN_VISITS = 32


class Tree:
    """Builds the cluster tree and assigns every row to a cluster with bounds on its radius."""

    def farthest_first(self, centred: Any, norms: np.ndarray, count: int, start: int) -> np.ndarray:
        """Approximate furthest-first order of up to ``count`` rows of a centred block."""
        nearest = np.full(len(norms), np.inf)
        chosen = [start]
        for _ in range(min(count, len(norms)) - 1):
            current = chosen[-1]
            g = self.rows.matmul_t(centred, centred[current])
            np.minimum(nearest, norms + norms[current] - 2.0 * g, out=nearest)
            nearest[current] = -np.inf
            following = int(np.argmax(nearest))
            if not nearest[following] > 0:
                break
            chosen.append(following)
        return np.asarray(chosen, dtype=np.int64)

    def choose_centring(self) -> tuple[np.ndarray, Any, np.ndarray]:
        """The centring vector ``m`` (a sample's mean); returns the sample, centred, and its norms."""
        rows, n = self.rows, self.rows.n
        want = self.n_clusters
        size = int(min(n, max(2 * want, min(8 * want, 4 * rows.work_rows))))
        sample_rng = np.random.default_rng(0x6B63)
        pool = np.sort(sample_rng.choice(n, size, replace=False)) if size < n else np.arange(n)
        block = rows.take(pool)
        rows.check_finite(block, pool, self.max_abs)
        mean = np.add.reduce(rows.host(block), axis=0, dtype=np.float64) / len(pool)
        self.m64 = mean.astype(rows.np_dtype).astype(np.float64)
        self.m = rows.put(self.m64.astype(rows.np_dtype))
        self.m_norm = math.sqrt(float(np.add.reduce(self.m64 * self.m64))) * (1 + 1e-9)
        block -= self.m
        return pool, block, rows.sqdist(block, 0.0)

    def norms_pass(self) -> None:
        """One pass without a tree: check values and compute each row's squared centred norm."""
        rows = self.rows
        self.qx = np.zeros(rows.n)
        tile = int(max(1, min(rows.chunk_rows, rows.work_rows)))
        for start, stop, chunk in rows.chunks():
            rows.check_finite(chunk, np.arange(start, stop), self.max_abs)
            for t0 in range(start, stop, tile):
                t1 = min(stop, t0 + tile)
                self.qx[t0:t1] = rows.sqdist(chunk[t0 - start : t1 - start] - self.m, 0.0)

    def build_tree(self, pool: np.ndarray, block: Any, norms: np.ndarray) -> None:
        """A two-level cluster tree from a sample: groups, then clusters inside each group.

        Group centres are sample rows (half a furthest-first cover, half random); each group's
        sample rows get their own furthest-first cover (starting at the group centre) as cluster
        centres, as many as the group's share of the sample. Only the pruning power depends on
        this tree, never the result.
        """
        rows, want = self.rows, self.n_clusters
        n_groups = max(1, int(math.ceil(math.sqrt(want))))
        sample_rng = np.random.default_rng(0x6B64)
        # half the group centres spread out (furthest-first), half random: random ones split the
        # dense regions that would otherwise gather most rows in one group and slow assignment
        spread = self.farthest_first(block, norms, max(1, n_groups // 2), 0)
        rest = np.setdiff1d(np.arange(len(pool)), spread)
        extra = sample_rng.choice(rest, min(len(rest), n_groups - len(spread)), replace=False)
        tops = np.sort(np.concatenate([spread, extra]))
        est = norms[tops][None, :] - 2.0 * rows.matmul_t(block, self.gather(block, tops))
        group = np.argmin(est, axis=1)
        group[tops] = np.arange(len(tops))
        del est
        fine, sizes = [], []
        for g, top in enumerate(tops):
            members = np.flatnonzero(group == g)
            count = max(1, int(round(want * len(members) / len(pool))))
            start = int(np.searchsorted(members, top))
            part = self.gather(block, members)
            picked = self.farthest_first(part, norms[members], count, start)
            fine.append(members[picked])
            sizes.append(len(picked))
        del block
        centres = pool[np.concatenate(fine)]
        #: the row id of each cluster's centre (cluster ``j`` is centred on row ``centre_ids[j]``)
        self.centre_ids = centres.astype(np.int64)
        self.n_clusters = len(centres)
        #: picks meet every cluster centre directly (one product), skipping the group stage
        self.flat = self.n_clusters <= FLAT_CLUSTERS
        self.n_groups = len(tops)
        self.group_offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.group_of = np.repeat(np.arange(self.n_groups), sizes)
        order = np.argsort(centres)
        raw = np.empty((len(centres), rows.dim), dtype=rows.np_dtype)
        raw[order] = rows.host(rows.take(centres[order]))
        self.tree = self.centre_terms(raw)
        self.top_rows = self.gather(self.tree["centred"], self.group_offsets[:-1])
        self.subgroups = [self.split_group(g) for g in range(self.n_groups)]

    def split_group(self, g: int) -> tuple[np.ndarray | None, list[np.ndarray]]:
        """Sub-groups of group ``g``'s clusters for the assignment: (their centres, members).

        A group's clusters are in furthest-first order, so its first ``s ≈ √size`` clusters
        cover it; every cluster joins the nearest of those. A row then meets ``s`` sub-group
        centres and one sub-group's clusters instead of every cluster of its group, which
        matters in the large groups of dense regions (one group held 45% of video-base's rows
        and 184 of its 424 clusters).
        """
        j0, j1 = int(self.group_offsets[g]), int(self.group_offsets[g + 1])
        size = j1 - j0
        s = int(math.ceil(math.sqrt(size)))
        if size <= 2 * s:
            return None, [np.arange(j0, j1)]
        tree = self.tree
        est = tree["q"][None, j0 : j0 + s] - 2.0 * self.rows.matmul_t(
            tree["centred"][j0:j1], tree["centred"][j0 : j0 + s]
        )
        nearest = np.argmin(est, axis=1)
        nearest[:s] = np.arange(s)
        members = [j0 + np.flatnonzero(nearest == t) for t in range(s)]
        return tree["centred"][j0 : j0 + s], members

    def gather(self, block: Any, idx: np.ndarray) -> Any:
        """Rows ``idx`` of a compute-device block (a copy)."""
        if self.rows.torch is not None:
            index = self.rows.torch.as_tensor(idx, dtype=self.rows.torch.long, device=block.device)
            return block.index_select(0, index)
        return np.take(block, idx, axis=0)

    def assign_pass(self) -> None:
        """One pass: check values, row terms, and each row's cluster with rigorous radius bounds.

        Each chunk is read once: its rows get their group (nearest group centre) tile by tile,
        then the rows of each group, gathered in tiles, meet only that group's clusters. Going
        group by group rather than tile by tile keeps the products few and large.
        """
        rows, n, tree = self.rows, self.rows.n, self.tree
        self.qx = np.zeros(n)
        self.cid = np.zeros(n, dtype=self.index_dtype)
        rho_lo2 = np.zeros(n)
        rho_hi2 = np.zeros(n)
        # rows whose cluster may not be their nearest (all, unless a compiled walk settled them)
        unsure = np.ones(n, dtype=bool)
        q_tops = tree["q"][self.group_offsets[:-1]]
        tile = int(max(1, min(rows.chunk_rows, rows.work_rows)))
        near = near_lo = None
        walked = met = 0
        self.proj = np.zeros((n, 0), dtype=np.float32)
        self.proj_slack = np.zeros(0, dtype=np.float32)
        if self.kernels is not None and self.basis is not None:
            self.proj = np.empty((n, self.basis.shape[1]), dtype=np.float32)
            self.basis32 = np.ascontiguousarray(self.basis.T, dtype=np.float32)
        if self.kernels is not None:
            self.centre_lo = self.centre_bounds()
            if len(self.centre_lo):
                step = int(max(1, rows.work_bytes // (8 * self.n_clusters)))
                near, near_lo = neighbours(self.centre_lo, NEIGHBOURS, step)
        for start, stop, chunk in rows.chunks():
            rows.check_finite(chunk, np.arange(start, stop), self.max_abs)
            group = np.empty(stop - start, dtype=np.int32)
            for t0 in range(start, stop, tile):
                t1 = min(stop, t0 + tile)
                centred = chunk[t0 - start : t1 - start] - self.m
                self.qx[t0:t1] = rows.sqdist(centred, 0.0)
                if self.proj.shape[1]:
                    self.proj[t0:t1] = rows.matmul_t(centred, self.basis32)
                est = q_tops[None, :] - 2.0 * rows.matmul_t(centred, self.top_rows)
                group[t0 - start : t1 - start] = np.argmin(est, axis=1)
            del centred
            done = 0
            while near is not None and done < stop - start:
                # compiled while rows meet few clusters on average; where they meet many (no
                # structure to walk along) the group products below cost less per row
                end = min(stop - start, done + ASSIGN_BLOCK)
                walked += end - done
                met += self.kernels.assign_rows(
                    self.x, start + done, group[done:end], self.group_offsets[:-1], self.centre_ids,
                    near, near_lo, 8 * ASSIGN_VISITS, self.g_fast, self.eta, self.cid, rho_lo2, rho_hi2,
                    unsure,
                )  # fmt: skip
                if met > ASSIGN_VISITS * walked:
                    self.count("assign-products")
                    near = None
                done = end
            order = np.argsort(group, kind="stable")
            order = order[order >= done]
            cuts = np.searchsorted(group[order], np.arange(self.n_groups + 1))
            for g in range(self.n_groups):
                j0, j1 = self.group_offsets[g], self.group_offsets[g + 1]
                members = order[cuts[g] : cuts[g + 1]]
                step = int(max(1, min(tile, rows.work_bytes // (16 * (j1 - j0)))))
                sub_rows, sub_members = self.subgroups[g]
                for a0 in range(0, len(members), step):
                    at = np.sort(members[a0 : a0 + step])
                    centred = self.gather(chunk, at) - self.m
                    if sub_rows is None:
                        parts = [(np.arange(len(at)), sub_members[0])]
                    else:
                        q_sub = self.tree["q"][None, j0 : j0 + len(sub_rows)]
                        sub = np.argmin(q_sub - 2.0 * rows.matmul_t(centred, sub_rows), axis=1)
                        parts = [(np.flatnonzero(sub == t), sub_members[t]) for t in range(len(sub_rows))]
                    for part, clusters in parts:
                        if not len(part):
                            continue
                        here = start + at[part]
                        j, lo, hi = self.nearest_cluster(self.gather(centred, part), self.qx[here], clusters)
                        self.cid[here] = j
                        rho_lo2[here] = lo
                        rho_hi2[here] = hi
        self.reassign_far(rho_lo2, rho_hi2, unsure)
        if self.proj.shape[1]:
            # against the exact projection onto the orthonormal float64 basis, each coordinate
            # is off by at most (the centring's and the basis's rounding, 2^-24 each, and the
            # float32 product's gamma_D) times the centred norm
            dims = self.proj.shape[1]
            share = 1.1 * math.sqrt(dims) * (gamma(rows.dim + 2, 2.0**-24) + 2.0**-22)
            slack = np.sqrt(self.qx * (1.0 + self.g_direct)) * share + 4.0 * dims * rows.tiny
            self.proj_slack = round32(slack, down=False)
        self.rho_lo = round32(np.sqrt(rho_lo2) * (1.0 - 4 * _U64), down=True)
        self.rho_hi = round32(np.sqrt(rho_hi2) * (1.0 + 4 * _U64), down=False)

    def nearest_cluster(
        self, centred: np.ndarray, q: np.ndarray, clusters: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For centred rows with squared norms ``q``: their nearest cluster among ``clusters``
        (default all) and rigorous lower and upper bounds on the squared distance to its centre."""
        tree = self.tree
        if clusters is None:
            clusters = np.arange(self.n_clusters)
        every = len(clusters) == self.n_clusters
        block = tree["centred"] if every else self.gather(tree["centred"], clusters)
        gk = self.rows.matmul_t(centred, block)
        pick = np.argmin(tree["q"][None, clusters] - 2.0 * gk, axis=1)
        j = clusters[pick]
        terms = {"q": tree["q"][j], "norm": tree["norm"][j]}
        cnorm = np.sqrt(q * (1.0 + self.g_direct))
        lo, hi = self.product_bounds(gk[np.arange(len(j)), pick], q, cnorm, terms, centred=True)
        return j, lo, hi

    def reassign_far(self, rho_lo2: np.ndarray, rho_hi2: np.ndarray, unsure: np.ndarray) -> None:
        """Rows far from their cluster look for a nearer one among all clusters.

        A row is first placed in the group of its nearest group centre; where the sample gave its
        neighbourhood no cluster in that group (rows of a structure the group centres missed),
        the nearest cluster of another group can be far nearer. Rows beyond twice the median
        radius are matched against every cluster (a small product: such rows are few), which
        keeps the clusters tight and the bounds that depend on their radii useful. Rows a
        compiled walk settled (``unsure`` False) are left where they are.
        """
        rows = self.rows
        far = np.flatnonzero((rho_hi2 > 4.0 * np.median(rho_hi2)) & unsure)
        far = far[np.argsort(rho_hi2[far])[::-1][: max(1, rows.n // 4)]]
        far = np.sort(far)
        step = int(max(1, rows.work_bytes // (16 * self.n_clusters)))
        for a0 in range(0, len(far), step):
            at = far[a0 : a0 + step]
            pick, lo, hi = self.nearest_cluster(rows.take(at) - self.m, self.qx[at])
            better = hi < rho_hi2[at]
            self.stats["reassigned"] = self.stats.get("reassigned", 0) + int(better.sum())
            self.cid[at[better]] = pick[better]
            rho_lo2[at[better]] = lo[better]
            rho_hi2[at[better]] = hi[better]

    def centre_bounds(self) -> np.ndarray:
        """Lower bounds on the true distances between cluster centres (float32, rounded down).

        Empty (0 x 0) when the C x C matrix would exceed both 1/8 of the features and 1 MiB
        (with about 3√N clusters it is 36 bytes a row: 7% of 128 float32 columns).
        """
        c, tree = self.n_clusters, self.tree
        if 4 * c * c > max(self.rows.nbytes // 8, 1 << 20):
            return np.zeros((0, 0), dtype=np.float32)
        out = np.empty((c, c), dtype=np.float32)
        step = int(max(1, self.rows.work_bytes // (4 * c)))
        for r0 in range(0, c, step):
            part = slice(r0, min(c, r0 + step))
            g = self.rows.matmul_t(tree["centred"][part], tree["centred"])
            self.floors(g, tree["q"][part], tree["norm"][part], tree, 1.0 - 4 * _U64, out[part])
        return out

    def floors(
        self,
        g: np.ndarray,
        q_r: np.ndarray,
        norm_r: np.ndarray,
        c: dict[str, Any],
        shrink: float,
        out: np.ndarray,
    ) -> None:
        """``out``: float32 lower bounds on true distances (times ``shrink``) from centred products."""
        self.kernels.distance_floors(
            g, q_r, norm_r, c["q"], c["norm"], self.g_dot + 2.05 * self.unit, self.g_direct, self.g_exact,
            self.eta, shrink, out,
        )  # fmt: skip

    def build_clusters(self, centre_rows: np.ndarray) -> None:
        """Cluster member lists and radii, and each group's radius around its top cluster."""
        c, tree = self.n_clusters, self.tree
        self.members = np.argsort(self.cid, kind="stable").astype(self.index_dtype)
        self.counts = np.bincount(self.cid, minlength=c)
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)]).astype(np.int64)
        live = np.ones(self.rows.n, dtype=bool)
        live[centre_rows] = False
        self.cluster_radius = np.zeros(c)
        np.maximum.at(self.cluster_radius, self.cid[live], self.rho_hi[live])
        self.group_radius = np.zeros(self.n_groups)
        for g in range(self.n_groups):
            j0, j1 = self.group_offsets[g], self.group_offsets[g + 1]
            top = {"q": tree["q"][j0], "norm": tree["norm"][j0]}
            gk = self.rows.matmul_t(tree["centred"][j0:j1], tree["centred"][j0])
            _, hi = self.product_bounds(gk, tree["q"][j0:j1], tree["norm"][j0:j1], top, centred=True)
            reach = np.sqrt(hi) * (1.0 + 4 * _U64) + self.cluster_radius[j0:j1]
            self.group_radius[g] = reach.max() * (1.0 + 4 * _U64)


def neighbours(centre_lo: np.ndarray, count: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Each cluster's ``count`` nearest clusters by the bounds (itself first), and the bounds,
    ``step`` clusters at a time (the partition's index temporaries are 8 bytes an entry)."""
    c = centre_lo.shape[0]
    count = min(count, centre_lo.shape[1])
    near = np.empty((c, count), dtype=np.int32)
    bounds = np.empty((c, count), dtype=np.float32)
    for r0 in range(0, c, step):
        part = centre_lo[r0 : r0 + step]
        idx = np.argpartition(part, count - 1, axis=1)[:, :count]
        values = np.take_along_axis(part, idx, axis=1)
        order = np.argsort(values, axis=1, kind="stable")
        near[r0 : r0 + step] = np.take_along_axis(idx, order, axis=1)
        bounds[r0 : r0 + step] = np.take_along_axis(values, order, axis=1)
    return near, bounds


def ranges(offsets: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(offsets[w], offsets[w + 1])`` over ``w`` in ``which``."""
    sizes = offsets[which + 1] - offsets[which]
    shift = np.repeat(offsets[which] - np.cumsum(sizes) + sizes, sizes)
    return np.arange(int(sizes.sum()), dtype=np.int64) + shift
