"""Active learning inside an existing MMSeg config: ``train_cfg = dict(type='ActiveLearningLoop', ...)``.

Add ``custom_imports = dict(imports=['alcore_mmseg.native'], allow_failed_imports=False)`` to a
config and replace its training loop. The pool is the config's ``train_dataloader.dataset``
(subset by index each cycle), validation is its ``val_dataloader``/``val_evaluator``, and the
Runner's hooks, logs and checkpoints stay where MMSeg users expect them. alcore's state (labeled
indices per cycle, selections, metrics) is written atomically to ``<work_dir>/alcore/``.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from mmengine.registry import LOOPS
from mmengine.runner import IterBasedTrainLoop

from alcore.sdk import dist
from alcore.sdk.atomic import read_json, write_json
from alcore.sdk.dataset import Sample
from alcore_mmseg import checkpoints, distributed, shim

shim.install()
checkpoints.register()
distributed.register_wrapper()

STATE_FORMAT = "alcore-mmseg-native"
#: Cityscapes-style names: <city>_<sequence>_<frame>_<suffix>
_SEQ_FRAME = re.compile(r"^(.+?_\d+)_(\d+)_")


def sample_of(index: int, info: dict, root: str) -> Sample:
    """An alcore Sample for one MMSeg data record: its group is the video sequence where the name tells."""
    path = str(info["img_path"])
    rel = os.path.relpath(path, root) if root else path
    match = _SEQ_FRAME.match(Path(path).name)
    group, frame = (match.group(1), int(match.group(2))) if match else (str(Path(rel).parent), None)
    label = info.get("seg_map_path")
    return Sample(rel, Path(path), Path(label) if label else None, group, frame)


@LOOPS.register_module(force=True)
class ActiveLearningLoop(IterBasedTrainLoop):
    """Cycles of train (``iters_per_cycle`` on the labeled subset) → validate → score pool → select.

    Iterations count across cycles, so the Runner's schedulers, logging, checkpoints and resume
    work as in an ``IterBasedTrainLoop`` of ``(cycles + 1) * iters_per_cycle`` iterations.
    Scoring runs the same one-pass quantities as alcore's model plugin, sharded across ranks;
    rank 0 selects with the named acquisition plugin and every rank trains on the result.
    """

    def __init__(
        self,
        runner: Any,
        dataloader: Any,
        cycles: int = 2,
        initial: int = 16,
        budget: int = 16,
        acq: str = "entropy",
        acq_options: dict | None = None,
        iters_per_cycle: int = 1000,
        seed: int = 0,
        score_batch_size: int = 8,
        score_pipeline: Sequence[dict] | None = None,
        mc_samples: int = 8,
        embedding_stage: int = -1,
    ) -> None:
        if cycles < 0 or initial < 1 or budget < 1 or iters_per_cycle < 1:
            raise ValueError("ActiveLearningLoop needs cycles >= 0 and initial, budget, iters_per_cycle >= 1")
        super().__init__(runner, dataloader, max_iters=(cycles + 1) * iters_per_cycle, val_interval=10**12)
        import alcore

        registry = self.registry = alcore.get_registry()
        self.cycles, self.initial, self.budget = cycles, initial, budget
        self.iters_per_cycle, self.seed = iters_per_cycle, seed
        self.acq = acq
        self.acquisition = registry.get("acquisition", acq).build(acq_options or {})
        self.quantity_fns = {r.name: r.factory for r in registry.all("quantity")}
        self.score_batch_size = score_batch_size
        self.score_pipeline = score_pipeline
        self.mc_samples, self.embedding_stage = mc_samples, embedding_stage
        pool = self.dataloader.dataset
        root = getattr(pool, "data_root", "") or ""
        self.samples = [sample_of(i, pool.get_data_info(i), root) for i in range(len(pool))]
        self.state_dir = Path(runner.work_dir) / "alcore"
        self.state: dict = {}
        sign_checkpoints(runner)

    # ----------------------------------------------------------------- state
    @property
    def state_path(self) -> Path:
        return self.state_dir / "state.json"

    def _load_state(self) -> dict:
        """The saved state when resuming into the same pool, else a fresh one with the initial set."""
        from alcore import initial_selection

        if self.state_path.is_file():
            state = read_json(self.state_path)
            if state.get("format") == STATE_FORMAT and state.get("pool") == [s.id for s in self.samples]:
                return state
        index = {s.id: i for i, s in enumerate(self.samples)}
        first = sorted(index[i] for i in initial_selection(self.samples, self.initial, self.seed))
        return {
            "format": STATE_FORMAT,
            "seed": self.seed,
            "acq": self.acq,
            "pool": [s.id for s in self.samples],
            "labeled": {"0": first},
            "cycles": [],
        }

    def _save_state(self) -> None:
        if dist.is_main():
            write_json(self.state_path, self.state)

    # ----------------------------------------------------------------- loop
    def run(self) -> torch.nn.Module:
        """Run every remaining cycle (a resumed Runner continues at its iteration)."""
        self.runner.call_hook("before_train")
        self.runner.call_hook("before_train_epoch")
        self.state = dist.broadcast(self._load_state())
        self._save_state()
        cycle = min(self._iter // self.iters_per_cycle, self.cycles + 1)
        if 0 < cycle and str(cycle) not in self.state["labeled"]:
            self._finish_cycle(cycle - 1)
        while cycle <= self.cycles and not self.stop_training:
            self._train_cycle(cycle)
            self._finish_cycle(cycle)
            cycle += 1
        self.runner.call_hook("after_train_epoch")
        self.runner.call_hook("after_train")
        return self.runner.model

    def _train_cycle(self, cycle: int) -> None:
        """Train on this cycle's labeled subset until the cycle's last iteration."""
        labeled = self.state["labeled"][str(cycle)]
        end = (cycle + 1) * self.iters_per_cycle
        if self._iter >= end:
            return
        self.runner.logger.info(f"active learning cycle {cycle}: training on {len(labeled)} labeled samples")
        cfg = copy.deepcopy(self.runner.cfg.train_dataloader)
        cfg["dataset"] = self.dataloader.dataset.get_subset(list(labeled))
        loader = self.runner.build_dataloader(cfg, seed=self.runner.seed + cycle)
        batches = _forever(loader)
        while self._iter < end and not self.stop_training:
            self.runner.model.train()
            self.run_iter(next(batches))

    def _finish_cycle(self, cycle: int) -> None:
        """Validate, then (before the last cycle) score the pool and select the next batch."""
        metrics = {}
        if self.runner.val_loop is not None:
            metrics = {k: _plain(v) for k, v in (self.runner.val_loop.run() or {}).items()}
        labeled = list(self.state["labeled"][str(cycle)])
        record: dict[str, Any] = {"cycle": cycle, "labeled": len(labeled), "iter": self._iter}
        record["metrics"] = metrics
        if cycle < self.cycles:
            selection = self._select(cycle, labeled)
            record["selection"] = selection
            self.state["labeled"][str(cycle + 1)] = sorted(labeled + selection["indices"])
            if dist.is_main():
                write_json(self.state_dir / f"selection_cycle{cycle:03d}.json", selection)
        self.state["cycles"] = [r for r in self.state["cycles"] if r["cycle"] != cycle] + [record]
        self._save_state()
        if dist.is_main():
            self.registry.cycle_end(self.state_dir, cycle, record)
        dist.barrier()

    def _select(self, cycle: int, labeled: list[int]) -> dict:
        """Score this rank's shard, gather the shards, select on rank 0 and share the result."""
        import alcore

        _, model_names = alcore.needed_quantities(self.acquisition)
        lo, hi = dist.shard_range(len(self.samples), dist.world_size(), dist.rank(), self.score_batch_size)
        part = self._score(list(range(lo, hi)), model_names, cycle)
        parts = dist.gather(part)
        selection = None
        if dist.is_main():
            mask = np.zeros(len(self.samples), dtype=bool)
            mask[labeled] = True
            picked = alcore.select_batch(
                self.acquisition, self.acq, self.samples, mask, self.budget, self.seed, cycle,
                lambda names: {n: np.concatenate([p[n] for p in parts if len(p[n])]) for n in names},
            )
            selection = {"cycle": cycle, **picked.record()}
            self.runner.logger.info(
                f"active learning cycle {cycle}: selected {len(picked.ids)} samples with '{self.acq}'"
            )
        return dist.broadcast(selection)

    @torch.no_grad()
    def _score(self, rows: list[int], names: list[str], cycle: int) -> dict[str, np.ndarray]:
        """Quantities for pool ``rows`` with the current weights, through the model plugin's scoring."""
        from mmengine.dataset import pseudo_collate
        from mmengine.model import is_model_wrapper
        from mmseg.registry import DATASETS

        from alcore_mmseg.model import score_batches

        if not rows or not names:
            return {n: np.zeros((0,), np.float32) for n in names}
        cfg = copy.deepcopy(self.runner.cfg.train_dataloader.dataset)
        pipeline = self.score_pipeline or self.runner.cfg.get("val_dataloader", {}).get("dataset", {}).get(
            "pipeline"
        )
        if not pipeline:
            raise ValueError("ActiveLearningLoop needs score_pipeline or a val_dataloader with a pipeline")
        cfg["pipeline"] = copy.deepcopy(pipeline)
        dataset = DATASETS.build(cfg).get_subset(rows)
        loader = torch.utils.data.DataLoader(
            dataset, batch_size=self.score_batch_size, shuffle=False, collate_fn=pseudo_collate
        )
        model = self.runner.model.module if is_model_wrapper(self.runner.model) else self.runner.model
        model.eval()
        try:
            return score_batches(
                model,
                loader,
                {n: self.quantity_fns[n] for n in names},
                len(rows),
                self.seed * 1000 + cycle,
                self.mc_samples,
                self.embedding_stage,
            )
        finally:
            model.train()


def sign_checkpoints(runner: Any) -> None:
    """Record the keyed digest of every checkpoint this Runner saves, so ``alcore://`` may resume from it."""
    save = runner.save_checkpoint
    if getattr(save, "signs", False):
        return

    def save_and_sign(out_dir: str, filename: str, *args: Any, **kwargs: Any) -> None:
        save(out_dir, filename, *args, **kwargs)
        path = Path(out_dir) / filename
        if dist.is_main() and path.is_file():
            checkpoints.sign(path)

    save_and_sign.signs = True  # type: ignore[attr-defined]
    runner.save_checkpoint = save_and_sign


def _forever(loader: Any) -> Any:
    """Batches of ``loader`` without end, advancing its sampler's epoch for each pass."""
    epoch = 0
    while True:
        sampler = getattr(loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)
        yield from loader
        epoch += 1


def _plain(value: Any) -> Any:
    """A JSON-friendly metric value."""
    if isinstance(value, (np.generic, torch.Tensor)):
        return value.item()
    return value
