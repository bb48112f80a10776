"""Train an MMSeg config the way MMSeg's own ``tools/train.py`` does: ``Runner.from_cfg(cfg).train()``."""

from __future__ import annotations

import argparse

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def main() -> None:
    """Parse the usual ``tools/train.py`` arguments and run the config's training loop."""
    parser = argparse.ArgumentParser(description="train a segmentor")
    parser.add_argument("config")
    parser.add_argument("--work-dir")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir or cfg.get("work_dir") or "work_dirs/al_example"
    cfg.resume = args.resume
    Runner.from_cfg(cfg).train()


if __name__ == "__main__":
    main()
