"""Exact greedy k-center (furthest-first) selection that skips the work bounds prove useless.

The picks are, bit for bit, those of the textbook algorithm in
:mod:`alcore_acquisition.kcenter_reference` (same float64 squared distance, lowest index on
ties, same seeded cold start). Speed comes from not computing what cannot change the outcome:

1. A two-level cluster tree is built once from a sample (group centres, and inside each group a
   furthest-first cover as cluster centres), and every row is assigned to a cluster with
   rigorous bounds on its distance to the cluster centre (rows left far from their group's
   clusters, where the sample missed their neighbourhood, are matched against every cluster, so
   that no cluster is stretched over distant structures). Clusters keep their radius and the
   largest nearest-centre distance of their rows; groups keep the same for their clusters.
2. When a new centre ``s`` arrives, the triangle inequality bounds ``||x - s||`` from below
   from ``||s - group/cluster centre||`` (small matrix-vector products) and the stored radii.
   A row whose bound is not below its nearest-centre distance cannot change: whole groups and
   clusters are skipped, then single rows. The labeled rows seed the distances the same way:
   every row first gets its distance to its cluster's nearest labeled row, and each cluster
   then only meets the labeled rows that could beat that for one of its rows, for as long as
   that measures cheaper per row than meeting every labeled row (the plain loop's way).
3. The remaining rows get a fast distance in the features' precision with a rigorous error
   bound (every rounding counted). Each row keeps its nearest-centre distance as an interval
   that always contains the reference's float64 value, plus the centre attaining it; the exact
   value is computed only when an interval cannot decide a comparison or the row is a candidate
   for the furthest-first argmax.
4. Each pick updates the intervals the cheapest exact way, chosen from what the run has
   measured so far: through the tree when its bounds leave few rows; otherwise a pass over all
   rows (one streaming matrix product, rows rejected by a lean bound in a few operations),
   which also multiplies by the rows most likely to be picked next (furthest-first simulated
   on the rows of largest bound) and stores those products, so such a pick later needs no pass
   (the number stored follows how many were used). The tree
   is built only when the run is long enough to repay it; short cold starts never build one.
5. On in-memory float32/float64 NumPy features the tree's stages run as compiled kernels
   (:mod:`.compiled`, numba): one call assigns the rows to clusters (walking from cluster to
   neighbouring cluster), one seeds a block of labeled centres (each cluster's centres
   visited nearest bound first, so a row stops at the first one its bound rules out), and
   one updates a pick (clusters ruled out from stored centre-to-centre bounds, then rows);
   a pass's or stored products' lean bounds run row by row in one call too.
   Their fast distance is a float64 sum in any order with its own error bound, and their
   exact distance reproduces the reference's summation order bit for bit. The arithmetic is
   the NumPy path's, without its per-call overhead (a pick was about a hundred small calls).

Modules: :mod:`.api` (entry points), :mod:`.result`, :mod:`.storage` (row access),
:mod:`.bounds` (error bounds), :mod:`.intervals` (per-row intervals), :mod:`.tree`
(centring and cluster tree), :mod:`.seeding` (labeled centres), :mod:`.passes` (per-pick
updates), :mod:`.compiled` (the kernels), :mod:`.search` (the loop).

Features may be a NumPy array, a torch tensor (the products run on its device, e.g. a GPU) or
an ``h5py`` dataset read in row chunks, so a matrix larger than memory works (those, and
float16 arrays, take the NumPy path, with the same picks). Extra memory is
per-row bookkeeping (about 90 bytes a row), stored products (at most 1/16 of the matrix,
allocated once), the cluster centres, and work tiles of about 1/64 of the matrix (at most 64 MiB
each). Temporaries are kept to tile size: a full-length temporary per pick leaves holes in the
heap that raise the peak resident memory well beyond its own size. The benchmark
(``benchmarks/coreset_family.py``) reports the measured peaks.
"""

from alcore_acquisition.kcenter.api import greedy_kcenter, kcenter
from alcore_acquisition.kcenter.result import KCenterResult

__all__ = ["KCenterResult", "greedy_kcenter", "kcenter"]
