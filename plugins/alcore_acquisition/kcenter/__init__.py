"""Exact greedy k-center (furthest-first) selection that skips the work bounds prove useless.

The picks are, bit for bit, those of the textbook algorithm in
:mod:`alcore_acquisition.kcenter_reference` (same float64 squared distance, lowest index on
ties, same seeded cold start). Speed comes from not computing what cannot change the outcome:

1. A two-level cluster tree is built once from a sample (group centres, and inside each group a
   furthest-first cover as cluster centres), and every row is assigned to a cluster with
   rigorous bounds on its distance to the cluster centre. Clusters keep their radius and the
   largest nearest-centre distance of their rows; groups keep the same for their clusters.
2. When a new centre ``s`` arrives, the triangle inequality bounds ``||x - s||`` from below
   from ``||s - group/cluster centre||`` (small matrix-vector products) and the stored radii.
   A row whose bound is not below its nearest-centre distance cannot change: whole groups and
   clusters are skipped, then single rows. The labeled rows seed the distances the same way:
   each cluster only meets the labeled rows that its bounds leave possible.
3. The remaining rows get a fast distance in the features' precision with a rigorous error
   bound (every rounding counted). Each row keeps its nearest-centre distance as an interval
   that always contains the reference's float64 value, plus the centre attaining it; the exact
   value is computed only when an interval cannot decide a comparison or the row is a candidate
   for the furthest-first argmax.
4. When pruning leaves too many rows (unstructured data, or a radius still as large as the
   distances between clusters), one streaming matrix product over all rows handles the new
   centre together with the rows most likely to be picked next, whose results are kept.

Features may be a NumPy array, a torch tensor (the products run on its device, e.g. a GPU) or
an ``h5py`` dataset read in row chunks, so a matrix larger than memory works. Extra memory is
per-row bookkeeping (about 50 bytes a row), the cluster centres, and work tiles of about 1/64 of
the feature matrix (at most 64 MiB each): measured peaks stay under 25% of the matrix for rows
of 1 KiB and more (D >= 256 in float32).
"""

from alcore_acquisition.kcenter.api import greedy_kcenter, kcenter
from alcore_acquisition.kcenter.result import KCenterResult

__all__ = ["KCenterResult", "greedy_kcenter", "kcenter"]
