"""Run a short experiment from Python, then pick the next batch with the model it trained."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import alcore


def main(workdir: Path) -> None:
    """Two trainings on a small generated driving dataset, then one selection from the last model."""
    data = {"root": str(workdir / "data"), "sequences": 4, "frames": 6, "val_sequences": 2, "val_frames": 3}
    model = {"iters": 3, "width": 8, "batch_size": 2, "eval_batch_size": 4}
    cfg = alcore.RunConfig(
        dataset="drivesim",
        dataset_options=data,
        model_options=model,
        acq="entropy",
        cycles=1,
        initial=8,
        budget=4,
    )
    run_dir = workdir / "run"
    results = alcore.Experiment(cfg, run_dir).run()
    print("mIoU per cycle:", [point["mIoU"] for point in results["curve"]])

    import json

    labeled = [r["id"] for r in json.loads((run_dir / "state.json").read_text())["labeled"]]
    batch = alcore.select(
        "mmseg",
        "drivesim",
        labeled,
        acq="entropy",
        budget=4,
        dataset_options=data,
        model_options=model,
        checkpoint=run_dir / "cycles" / "001" / "checkpoint.pth",
    )
    print("next batch:", batch.ids)
    print("spread over sequences:", batch.diagnostics["groups"])


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
