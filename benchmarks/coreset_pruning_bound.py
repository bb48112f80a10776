"""How much of the core-set seeding any triangle-inequality pruning must still multiply.

Usage::

    python benchmarks/coreset_pruning_bound.py                      # the family's warm workloads
    python benchmarks/coreset_pruning_bound.py --only video-noisy

Seeding gives every row its nearest labeled row: the plain loop multiplies all N x L pairs. With
alcore's cluster tree (built by the k-center code itself, same sample and seeds), a labeled row
``l`` can be skipped for row ``x`` of cluster ``j`` only if a bound proves it is not nearer than
the nearest one. For each warm workload of ``coreset_family.py`` this script counts, with exact
float64 distances, the share of (row, labeled) pairs that

* the cluster-level bound leaves (``||μ_j - l|| - r_j`` against ``min_l' ||μ_j - l'|| + r_j``),
* alcore's per-row bound leaves (each row's distance to its cluster's nearest labeled row),
  summed per cluster as the seeding multiplies them,
* the best single-pivot bound could leave: ``| ||μ_j - l|| - ||x - μ_j|| |`` against the row's
  true nearest distance (an oracle: no method using these pivots can skip more).

The last figure is a floor for this family of methods, not for every method: another tree (more
or other pivots) changes it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from coreset_family import FAMILY, features, labeled_mask  # noqa: E402


def nearest_distances(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Each row's exact (float64) distance to its nearest centre row."""
    c2 = (centres**2).sum(axis=1)
    out = np.empty(len(x))
    for a in range(0, len(x), 2000):
        part = x[a : a + 2000]
        d2 = (part**2).sum(axis=1)[:, None] + c2[None] - 2.0 * part @ centres.T
        out[a : a + 2000] = np.sqrt(np.maximum(d2.min(axis=1), 0.0))
    return out


def shares(name: str) -> dict[str, float]:
    """Shares of the (row, labeled) pairs each bound leaves on one workload."""
    from alcore_acquisition.kcenter.search import Greedy
    from alcore_acquisition.kcenter.storage import Rows

    w = next(w for w in FAMILY if w.name == name)
    x32 = features(w)
    labeled = labeled_mask(w.n, w.labeled)
    rows = Rows(x32, None, None)
    greedy = Greedy(rows, labeled, None, None)
    with rows.compute_settings():
        pool, block, norms = greedy.choose_centring()
        greedy.build_tree(pool, block, norms)
        greedy.assign_pass()
    x = x32.astype(np.float64)
    lab = x[np.flatnonzero(labeled)]
    centres = greedy.tree["centred"].astype(np.float64) + greedy.m64
    cid = greedy.cid
    nearest = nearest_distances(x, lab)
    rho = np.sqrt(((x - centres[cid]) ** 2).sum(axis=1))
    radius = np.zeros(len(centres))
    np.maximum.at(radius, cid, rho)
    c2, l2 = (centres**2).sum(axis=1), (lab**2).sum(axis=1)
    c_to_l = np.sqrt(np.maximum(c2[:, None] + l2[None] - 2.0 * centres @ lab.T, 0.0))
    cluster = per_row = oracle = 0
    for j in range(len(centres)):
        members = np.flatnonzero(cid == j)
        if not len(members):
            continue
        d = c_to_l[j]
        cluster += len(members) * int((d - radius[j] < d.min() + radius[j]).sum())
        star = int(np.argmin(d))
        to_star = np.sqrt(((x[members] - lab[star]) ** 2).sum(axis=1))
        per_row += len(members) * int((d <= (rho[members] + to_star).max()).sum())
        gap = np.abs(d[None, :] - rho[members][:, None])
        oracle += int((gap < nearest[members][:, None]).sum())
    total = w.n * len(lab)
    return {
        "clusters": len(centres),
        "cluster": cluster / total,
        "per_row": per_row / total,
        "oracle": oracle / total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated workload names")
    args = parser.parse_args()
    chosen = [w.name for w in FAMILY if w.labeled and (not args.only or w.name in args.only.split(","))]
    print("| workload | clusters | cluster bound leaves | per-row bound leaves | best single-pivot bound |")
    print("|---|---|---|---|---|")
    for name in chosen:
        s = shares(name)
        cells = f"{s['cluster']:.1%} | {s['per_row']:.1%} | {s['oracle']:.1%}"
        print(f"| {name} | {s['clusters']} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
