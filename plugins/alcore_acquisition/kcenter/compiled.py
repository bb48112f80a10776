"""Compiled inner loops of k-center for in-memory float32/float64 features on the CPU.

One call does a whole stage (the pruned seeding of a set of rows, or one pick's update through
the cluster tree) instead of a hundred small NumPy calls. The arithmetic is the same as the
NumPy path's: a fast float64 distance with a rigorous error bound gives an interval around the
reference value, and :func:`exact_sq` reproduces the reference's float64 value bit for bit
(NumPy's pairwise summation order) where an interval cannot decide.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_U64 = 2.0**-53
#: reassociation lets the fast sum vectorize; no flag that assumes finite values or ignores NaN
_FAST = {"reassoc", "contract", "nsz", "arcp"}


@njit(cache=True, fastmath=_FAST)
def fast_sq(x: np.ndarray, a: int, b: int) -> float:
    """``||x[a] - x[b]||²`` in float64, in any summation order (error within ``gf`` of the true)."""
    s = 0.0
    for t in range(x.shape[1]):
        d = np.float64(x[a, t]) - np.float64(x[b, t])
        s += d * d
    return s


@njit(cache=True)
def _leaf(x: np.ndarray, a: int, b: int, lo: int, n: int) -> float:
    """NumPy's float64 sum of up to 128 squared differences (eight interleaved partial sums)."""
    if n < 8:
        res = 0.0
        for t in range(lo, lo + n):
            d = np.float64(x[a, t]) - np.float64(x[b, t])
            res += d * d
        return res
    r = np.empty(8)
    for u in range(8):
        d = np.float64(x[a, lo + u]) - np.float64(x[b, lo + u])
        r[u] = d * d
    m = n - n % 8
    for t in range(lo + 8, lo + m, 8):
        for u in range(8):
            d = np.float64(x[a, t + u]) - np.float64(x[b, t + u])
            r[u] += d * d
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for t in range(lo + m, lo + n):
        d = np.float64(x[a, t]) - np.float64(x[b, t])
        res += d * d
    return res


@njit(cache=True)
def exact_sq(x: np.ndarray, a: int, b: int) -> float:
    """The reference's float64 squared distance of rows ``a`` and ``b``, bit for bit.

    NumPy sums a contiguous float64 row pairwise: blocks of at most 128 values are leaves,
    longer spans split at half their length rounded down to a multiple of eight, and the two
    halves' sums are added. The recursion runs on an explicit stack.
    """
    start = np.empty(64, dtype=np.int64)
    size = np.empty(64, dtype=np.int64)
    half = np.empty(64, dtype=np.int64)
    left = np.empty(64)
    stage = np.zeros(64, dtype=np.int64)
    sp = 0
    start[0] = 0
    size[0] = x.shape[1]
    while True:
        n = size[sp]
        if n > 128:
            h = n // 2
            h -= h % 8
            half[sp] = h
            stage[sp] = 1
            sp += 1
            start[sp] = start[sp - 1]
            size[sp] = h
            stage[sp] = 0
            continue
        value = _leaf(x, a, b, start[sp], n)
        sp -= 1
        while sp >= 0:
            if stage[sp] == 1:
                left[sp] = value
                stage[sp] = 2
                sp += 1
                start[sp] = start[sp - 1] + half[sp - 1]
                size[sp] = size[sp - 1] - half[sp - 1]
                stage[sp] = 0
                break
            value = left[sp] + value
            sp -= 1
        if sp < 0:
            return value


@njit(cache=True)
def _offer(x, row, centre, f, gf, g_exact, eta, lo, hi, owner, exact, counts) -> bool:
    """Offer ``centre`` at fast distance ``f`` to ``row``; True if the row's upper bound went
    down (it moved to ``centre``, or settling its interval tightened it)."""
    c_lo = max(f * (1.0 - gf) - eta, 0.0) * (1.0 - g_exact)
    if not c_lo < hi[row]:
        return False
    c_hi = (f * (1.0 + gf) + eta) * (1.0 + g_exact) + eta
    return _offer_bounds(x, row, centre, c_lo, c_hi, lo, hi, owner, exact, counts)


@njit(cache=True)
def _offer_bounds(x, row, centre, c_lo, c_hi, lo, hi, owner, exact, counts) -> bool:
    """The interval rule for a centre whose reference distance lies in ``[c_lo, c_hi]``: move
    when surely nearer, settle exactly when unsure; True if the row's upper bound went down."""
    if c_hi < lo[row]:
        owner[row] = centre
        lo[row] = c_lo
        hi[row] = c_hi
        exact[row] = False
        return True
    if owner[row] == centre:
        return False
    lowered = False
    if not exact[row]:
        v = exact_sq(x, row, owner[row])
        lowered = v < hi[row]
        lo[row] = v
        hi[row] = v
        exact[row] = True
        counts[0] += 1
    v = exact_sq(x, row, centre)
    counts[0] += 1
    if v < lo[row]:
        owner[row] = centre
        lo[row] = v
        hi[row] = v
        return True
    return lowered


@njit(cache=True)
def offer_lean(
    x, g, start, centre, c1, c0, b, keep, q_share, g_exact, eta, q_floor, x_norm, qx,
    lo, hi, owner, exact, counts,
):  # fmt: skip
    """Offer ``centre`` to rows ``start:start+len(g)`` from their products ``g`` (a pass or
    stored products): the lean lower bound rejects most rows in a few operations, the rest get
    its matching upper bound and the interval rule (see ``Passes.lean_terms``)."""
    for a in range(len(g)):
        row = start + a
        low = q_floor[row] - c1 * x_norm[row] - 2.0 * np.float64(g[a]) + c0
        floor = low * keep
        if not floor < hi[row]:
            continue
        up = low + 2.0 * (q_share * qx[row] + c1 * x_norm[row] + b)
        c_hi = up * (1.0 + g_exact) + eta
        _offer_bounds(x, row, centre, max(floor, 0.0), c_hi, lo, hi, owner, exact, counts)


@njit(cache=True)
def distance_floors(g, q_r, norm_r, q_c, norm_c, c_dot, g_direct, g_exact, eta, shrink, out):
    """``out[i, j]`` (float32, rounded down): ``shrink`` times a lower bound on the true
    distance between centred rows ``r_i`` and ``c_j`` from their product ``g[i, j]``.

    The bound is :meth:`Bounds.product_bounds`'s (centred), element by element without its
    temporaries: ``q_r + q_c - 2g`` less every rounding of the product and the norms.
    """
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            gg = np.float64(g[i, j])
            est = q_r[i] + q_c[j] - 2.0 * gg
            err = 2.0 * c_dot * norm_r[i] * norm_c[j] + g_direct * q_r[i] + g_exact * q_c[j]
            err = (err + 8 * _U64 * (q_r[i] + q_c[j] + 2.0 * abs(gg)) + eta) * 1.01
            low = est - err
            v = math.sqrt(low) * shrink * (1.0 - 2.0**-22) if low > 0.0 else 0.0
            # float32 rounds to nearest (within 2^-24): the margin above keeps it below
            out[i, j] = np.float32(v) if v > 1e-30 else np.float32(0.0)


@njit(cache=True)
def _projected_out(proj, slack, row, c, bound, g_exact) -> bool:
    """Whether the projection bound proves ``row`` no nearer to ``c`` than ``bound`` (squared,
    reference scale): ``||x - c|| >= ||proj[x] - proj[c]|| - slack[x] - slack[c]``, since an
    orthonormal projection shortens every difference."""
    s = 0.0
    for t in range(proj.shape[1]):
        d = np.float64(proj[row, t]) - np.float64(proj[c, t])
        s += d * d
    gap = math.sqrt(s) * (1.0 - 1e-9) - np.float64(slack[row]) - np.float64(slack[c])
    return gap > 0.0 and _floor_sq(gap, g_exact) >= bound


@njit(cache=True)
def _floor_sq(gap: float, g_exact: float) -> float:
    """Floor of the reference squared distance given a true distance of at least ``gap`` > 0."""
    g = gap * (1.0 - 8 * _U64)
    return g * g * (1.0 - g_exact)


@njit(cache=True)
def seed_clusters(
    x, members, offsets, skip, rho_hi, col_ids, lo_cols, first, dense_share, widen,
    gf, g_exact, eta, lo, hi, owner, exact, counts, dense,
):  # fmt: skip
    """Seed every cluster's rows against a block of labeled centres; return the pairs computed.

    ``lo_cols[j, w]`` is a lower bound on the true distance from cluster ``j``'s centre to
    centre ``col_ids[w]``; ``first[j]`` is a centre row (or -1) each row of cluster ``j`` meets
    first, which bounds its nearest distance from above. The columns
    that could still beat that bound for some row of the cluster are then visited nearest
    bound first, and a row stops at the first column whose bound, less the row's radius,
    proves it and every later one no nearer. A cluster left with more than ``dense_share`` of
    the columns is marked in ``dense`` and skipped: products in tiles are cheaper there.
    """
    pairs = 0
    width = lo_cols.shape[1]
    order = np.empty(width, dtype=np.int64)
    for j in range(len(offsets) - 1):
        c = first[j]
        reach = -np.inf
        for p in range(offsets[j], offsets[j + 1]):
            row = members[p]
            if skip[row]:
                continue
            r = np.float64(rho_hi[row])
            if c >= 0 and c != owner[row]:
                pairs += 1
                _offer(x, row, c, fast_sq(x, row, c), gf, g_exact, eta, lo, hi, owner, exact, counts)
            reach = max(reach, (r + math.sqrt(hi[row] * widen)) * (1.0 + 1e-9))
        if reach == -np.inf:
            continue
        m = 0
        for w in range(width):
            if np.float64(lo_cols[j, w]) <= reach:
                order[m] = w
                m += 1
        if m > dense_share * width:
            dense[j] = True
            continue
        keys = np.empty(m)
        for q in range(m):
            keys[q] = lo_cols[j, order[q]]
        ranked = order[:m][np.argsort(keys)]
        for p in range(offsets[j], offsets[j + 1]):
            row = members[p]
            if skip[row]:
                continue
            r = np.float64(rho_hi[row])
            for q in range(m):
                w = ranked[q]
                gap = np.float64(lo_cols[j, w]) - r
                if gap > 0.0 and _floor_sq(gap, g_exact) >= hi[row]:
                    break
                c = col_ids[w]
                if c == owner[row]:
                    continue
                pairs += 1
                _offer(x, row, c, fast_sq(x, row, c), gf, g_exact, eta, lo, hi, owner, exact, counts)
    return pairs


@njit(cache=True)
def assign_rows(
    x, start, group, tops, centre_ids, near, near_lo, most, gf, eta, cid, rho_lo2, rho_hi2, unsure,
):  # fmt: skip
    """Assign rows ``start:start+len(group)`` to a near cluster, with bounds on the distance.

    Each row starts from the nearer of its group's top cluster and the previous row's cluster
    (consecutive rows are often neighbours, like frames of one video), then visits that
    cluster's nearest neighbours ``near`` (``near_lo``: lower bounds on the centres' true
    distances, ascending) until the bound rules the rest out, and walks on from the nearest
    cluster found until none of its neighbours is nearer. Only the pruning power depends
    on which cluster a row gets, never the picks: the bounds are those of its own cluster.
    A row meets at most ``most`` clusters; returns how many the rows met in all. ``unsure``
    marks the rows whose walk stopped before the bound proved no listed cluster nearer.
    """
    total = 0
    for r in range(len(group)):
        row = start + r
        best = tops[group[r]]
        best_f = fast_sq(x, row, centre_ids[best])
        visits = 1
        if row > 0 and cid[row - 1] != best:
            visits += 1
            f = fast_sq(x, row, centre_ids[cid[row - 1]])
            if f < best_f:
                best, best_f = cid[row - 1], f
        unsure[row] = True
        while visits < most:
            # walk: visit the neighbours of the best cluster so far, until it stays the best
            pivot = best
            reach = math.sqrt(best_f * (1.0 + gf) + eta)
            bounded = False
            for q in range(near.shape[1]):
                j = near[pivot, q]
                if j == pivot:
                    continue
                gap = np.float64(near_lo[pivot, q]) - reach
                if gap > 0.0 and gap * gap * (1.0 - gf) > best_f:
                    bounded = True
                    break
                if visits >= most:
                    break
                visits += 1
                f = fast_sq(x, row, centre_ids[j])
                if f < best_f:
                    best, best_f = j, f
            if best == pivot:
                # no listed neighbour is nearer and the bound ruled out the rest of the list
                unsure[row] = not bounded
                break
        cid[row] = best
        rho_lo2[row] = max(best_f * (1.0 - gf) - eta, 0.0)
        rho_hi2[row] = best_f * (1.0 + gf) + eta
        total += visits
    return total


@njit(cache=True)
def tree_pick(
    x, i, centre_ids, cluster_radius, centre_lo, cmax, members, offsets, cid, rho_lo, rho_hi, limit,
    gf, g_exact, eta, lo, hi, owner, exact, counts, buf, dist, changed, proj, slack,
):  # fmt: skip
    """Update every row for new centre ``i`` through the tree; -1 (nothing changed) if more
    than ``limit`` rows would need a direct distance, else the number of rows checked.

    Rows left by the bounds meet the projection bound first when ``proj`` has columns:
    ``||x - i|| >= ||proj[x] - proj[i]|| - slack[x] - slack[i]`` (an orthonormal projection
    onto a few principal directions shortens every difference). Cluster maxima ``cmax`` of the
    touched clusters are refreshed.
    """
    dims = proj.shape[1]
    hit = 0
    own = cid[i]
    # ||i - centre_j|| >= ||centre_own - centre_j|| - ||i - centre_own||: most clusters are
    # ruled out from the stored centre-to-centre bounds without touching their rows
    r_i = np.float64(rho_hi[i])
    stored = centre_lo.shape[0] > 0
    for j in range(len(centre_ids)):
        if cmax[j] == -np.inf:
            continue
        if stored:
            gap = np.float64(centre_lo[own, j]) - r_i - cluster_radius[j]
            if gap > 0.0 and _floor_sq(gap, g_exact) >= cmax[j]:
                continue
        f = fast_sq(x, i, centre_ids[j])
        dlo = math.sqrt(max(f * (1.0 - gf) - eta, 0.0)) * (1.0 - 4 * _U64)
        gap = dlo - cluster_radius[j]
        if gap > 0.0 and _floor_sq(gap, g_exact) >= cmax[j]:
            continue
        dist[hit, 0] = j
        dist[hit, 1] = dlo
        dist[hit, 2] = math.sqrt(f * (1.0 + gf) + eta) * (1.0 + 4 * _U64)
        hit += 1
    m = 0
    for h in range(hit):
        j = int(dist[h, 0])
        dlo, dhi = dist[h, 1], dist[h, 2]
        for p in range(offsets[j], offsets[j + 1]):
            row = members[p]
            gap = max(dlo - rho_hi[row], rho_lo[row] - dhi)
            if gap > 0.0 and _floor_sq(gap, g_exact) >= hi[row]:
                continue
            if m >= limit:
                return -1
            buf[m] = p
            m += 1
    for q in range(m):
        row = members[buf[q]]
        if dims and _projected_out(proj, slack, row, i, hi[row], g_exact):
            continue
        if _offer(x, row, i, fast_sq(x, row, i), gf, g_exact, eta, lo, hi, owner, exact, counts):
            changed[cid[row]] = True
    changed[cid[i]] = True
    for h in range(hit):
        j = int(dist[h, 0])
        if changed[j]:
            _refresh(hi, members, offsets, j, cmax)
            changed[j] = False
    j = cid[i]
    if changed[j]:
        _refresh(hi, members, offsets, j, cmax)
        changed[j] = False
    return m


@njit(cache=True)
def _refresh(hi, members, offsets, j, cmax):
    best = -np.inf
    for p in range(offsets[j], offsets[j + 1]):
        v = hi[members[p]]
        if v > best:
            best = v
    cmax[j] = best


@njit(cache=True)
def next_pick(x, lo, hi, owner, exact, counts, members, offsets, cid, cmax) -> int:
    """The row furthest from its nearest centre (lowest index on ties), settling as needed.

    The largest upper bound lies in a cluster of largest maximum; among rows sharing it the
    lowest index wins, across clusters too. A row whose bound is not exact is settled, its
    cluster's maximum refreshed, and the search repeats.
    """
    while True:
        best = -np.inf
        for j in range(len(cmax)):
            if cmax[j] > best:
                best = cmax[j]
        if not best > -np.inf:
            return -1
        i = -1
        for j in range(len(cmax)):
            if cmax[j] == best:
                for p in range(offsets[j], offsets[j + 1]):
                    row = members[p]
                    if hi[row] == best and (i < 0 or row < i):
                        i = row
        if i < 0:
            # a maximum above every row of its cluster (kept as a bound): recompute and retry
            for j in range(len(cmax)):
                if cmax[j] == best:
                    _refresh(hi, members, offsets, j, cmax)
            continue
        if exact[i]:
            return i
        v = exact_sq(x, i, owner[i])
        lo[i] = v
        hi[i] = v
        exact[i] = True
        counts[0] += 1
        _refresh(hi, members, offsets, cid[i], cmax)
