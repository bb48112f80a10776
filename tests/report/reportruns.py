"""Run directories written by hand in the exact layout the loop leaves, for the report tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from alcore.config import RunConfig

CLASSES = ["road", "car", "sky"]
PALETTE = [[128, 64, 128], [0, 0, 142], [70, 130, 180]]
POOL = [f"seq{g}-{f:03d}" for g in range(6) for f in range(20)]


def pool_embeddings(dim: int = 8, seed: int = 0) -> np.ndarray:
    """Six clusters, one per sequence, so a collapsed batch sits in one cluster."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, dim)) * 6
    return np.stack([centres[int(sid[3])] + rng.normal(size=dim) for sid in POOL]).astype(np.float32)


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def make_run(
    root: Path,
    acq: str,
    seed: int,
    miou: list[float],
    ssl: str = "none",
    initial: int = 10,
    budget: int = 10,
    collapse: bool = False,
    examples: bool = False,
) -> Path:
    """A finished run with ``len(miou)`` cycles; ``collapse`` makes every batch one sequence."""
    run = root / f"{acq}-{ssl}-s{seed}"
    cfg = RunConfig(acq=acq, ssl=ssl, seed=seed, cycles=len(miou) - 1, initial=initial, budget=budget)
    run.mkdir(parents=True)
    (run / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    rng = np.random.default_rng(seed)
    order = list(rng.permutation(len(POOL)))
    init = [POOL[i] for i in order[:initial]]
    taken = set(init)
    labeled = [{"id": i, "cycle": 0, "strategy": "initial", "source": "ground-truth"} for i in init]
    records = []
    for c, m in enumerate(miou):
        rec: dict = {
            "cycle": c,
            "labeled": initial + c * budget,
            "fingerprint": f"fp-{acq}-{seed}-{c}",
            "metrics": {
                "mIoU": m,
                "aAcc": 80.0 + c,
                "per_class_iou": {"road": m + 20, "car": m - 10, "sky": None if c == 0 else m},
            },
        }
        if c < len(miou) - 1:
            if collapse:
                g = c % 6
                free = [s for s in POOL if s.startswith(f"seq{g}-") and s not in taken]
                ids = free[:budget]
                diag = {
                    "groups": 1,
                    "max_group_share": 1.0,
                    "neighbour_rate": 1.0,
                    "mean_pairwise_distance": 1.2,
                    "coverage_radius": 9.0 - c,
                }
            else:
                free = [s for s in (POOL[i] for i in order) if s not in taken]
                ids = free[:budget]
                diag = {
                    "groups": 5,
                    "max_group_share": 0.3,
                    "neighbour_rate": 0.1,
                    "mean_pairwise_distance": 7.5,
                    "coverage_radius": 6.0 - c,
                }
            taken.update(ids)
            labeled += [{"id": i, "cycle": c + 1, "strategy": acq, "source": "ground-truth"} for i in ids]
            rec["selection"] = {"strategy": acq, "ids": ids, "diagnostics": diag}
        rec["seconds"] = 1.0
        write_json(run / "cycles" / f"{c:03d}" / "record.json", rec)
        records.append(rec)
        if examples and "selection" in rec:
            write_examples(run, c, rec["selection"]["ids"][:4])
    write_json(run / "state.json", {"version": 1, "digest": "x", "size": len(POOL), "labeled": labeled})
    curve = [
        {
            "cycle": r["cycle"],
            "labeled": r["labeled"],
            "mIoU": r["metrics"]["mIoU"],
            "diagnostics": r.get("selection", {}).get("diagnostics"),
        }
        for r in records
    ]
    write_json(
        run / "results.json",
        {
            "config": cfg.to_dict(),
            "curve": curve,
            "final": {
                "labeled": curve[-1]["labeled"],
                "mIoU": curve[-1]["mIoU"],
                "per_class_iou": records[-1]["metrics"]["per_class_iou"],
            },
        },
    )
    return run


def write_examples(run: Path, cycle: int, ids: list[str]) -> None:
    """Small image/label/prediction PNGs and the cycle's examples.json (dict form with palette)."""
    data = run / "data"
    data.mkdir(exist_ok=True)
    rows = []
    for k, sid in enumerate(ids):
        label = np.zeros((24, 48), np.uint8)
        label[:8] = 2
        label[14:, 10 + k * 4 : 26 + k * 4] = 1
        label[0, 0] = 255
        image = np.stack([label * 60, label * 30 + 40, 200 - label * 50], -1).astype(np.uint8)
        Image.fromarray(image).save(data / f"{sid}.png")
        Image.fromarray(label).save(data / f"{sid}_gt.png")
        pred = None
        if k % 2 == 0:
            Image.fromarray(np.roll(label, 2, axis=1)).save(data / f"{sid}_pred.png")
            pred = str(data / f"{sid}_pred.png")
        rows.append(
            {
                "id": sid,
                "image": str(data / f"{sid}.png"),
                "label": str(data / f"{sid}_gt.png"),
                "prediction": pred,
            }
        )
    write_json(
        run / "cycles" / f"{cycle:03d}" / "examples.json",
        {"classes": CLASSES, "palette": PALETTE, "samples": rows},
    )


def write_cache(run: Path, embeddings: np.ndarray | None = None) -> None:
    """Store pool embeddings under each selecting cycle's fingerprint through the cache's API."""
    from alcore.cache import FeatureCache

    emb = pool_embeddings() if embeddings is None else embeddings
    cache = FeatureCache(run / "cache.h5")
    for rec_path in sorted((run / "cycles").glob("*/record.json")):
        rec = json.loads(rec_path.read_text())
        if "selection" not in rec:
            continue
        cache.fetch(
            rec["fingerprint"],
            POOL,
            ["embedding"],
            lambda rows, names, progress: {"embedding": emb[np.asarray(rows)]},
        )
