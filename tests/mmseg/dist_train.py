"""Launched by test_distributed.py under torchrun: train a few iterations data-parallel on CPU."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch
from mmengine.hooks import Hook

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from alcore.plugins import build_registry  # noqa: E402
from tests.conftest import ToyDataset  # noqa: E402


class Record(Hook):
    """Remember how the Runner wrapped the model."""

    wrapper = ""

    def before_train(self, runner) -> None:
        Record.wrapper = type(runner.model).__name__


def main(out: Path) -> None:
    torch.set_num_threads(1)
    rank = int(os.environ["RANK"])
    ds = ToyDataset(str(out / f"data{rank}"))
    reg = build_registry()
    model = reg.get("model", "mmseg").build(
        {"iters": 3, "width": 8, "batch_size": 2}, info=ds.info, quantities={}, seed=0
    )
    model.extra_hooks.append(Record())
    ckpt = model.train(ds.pool()[:8], [], cycle=0, work_dir=out / "cycle")
    weights = torch.cat([p.detach().flatten() for p in model.segmentor.parameters()])
    world = torch.distributed.get_world_size()
    (out / f"rank{rank}.json").write_text(
        json.dumps(
            dict(
                world=world,
                wrapper=Record.wrapper,
                checksum=float(weights.double().sum()),
                first=[float(x) for x in weights[:5]],
                checkpoint=ckpt.is_file(),
            )
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
