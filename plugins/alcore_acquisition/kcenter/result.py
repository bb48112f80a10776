"""What a k-center run returns: picks, radii, and which paths did the work."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class KCenterResult:
    """What a greedy k-center run selected, with the coverage radii it saw along the way."""

    #: row indices in pick order
    indices: np.ndarray
    #: Euclidean distance of each pick to its nearest earlier centre (inf for a cold-start pick)
    radii: np.ndarray
    #: largest distance of a remaining unlabeled row to its nearest centre after the last pick
    radius: float
    #: True when the budget covered every unlabeled row
    took_all: bool
    #: picks that fell back to a full pass over the features (pruning did not pay)
    dense_passes: int = 0
    #: rows whose fast distance to a new centre was computed, summed over picks
    rows_checked: int = 0
    #: exact float64 distances computed to settle a comparison or an argmax
    exact_distances: int = 0
    #: how often each path ran: ``tree``/``no-tree`` (set-up), ``seed-pruned``/``seed-dense``,
    #: per pick ``pruned``, ``pass`` (a pass over all rows) or ``stored`` (products kept by an
    #: earlier multi-row pass), passes by kind ``plain``/``multi-row``, and why the tree was
    #: bypassed (``tree-rejected``: its bounds left too many rows; ``skipped``: not tested),
    #: ``reassigned``: rows moved to a nearer cluster of another group at set-up, and
    #: ``seed-pairs``: (row, labeled row) products the seeding computed; ``setup-ms``,
    #: ``seed-ms`` and ``pick-ms``: wall milliseconds of the three stages
    stats: dict[str, int] = field(default_factory=dict)
