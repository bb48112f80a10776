"""An existing MMSeg project as it is: plain MMEngine training in alcore's environment, and its
``iter_N.pth`` handed to ``alcore.select`` and to ``alcore run --model-opt pretrained=``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT

HOOK = ROOT / "plugins" / "alcore_mmseg" / "alcore-mmcv-lite.pth"

#: an ordinary MMSeg config: nothing in it mentions alcore
CONFIG = """
default_scope = 'mmseg'
data_root = '{root}'
norm_cfg = dict(type='BN', requires_grad=True)
crop_size = (64, 128)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0,
                           seg_pad_val=255, size=crop_size),
    backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8, num_stages=4,
                  out_indices=(0, 1, 2, 3), dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1),
                  norm_cfg=norm_cfg, contract_dilation=True),
    decode_head=dict(type='FCNHead', in_channels=64, in_index=3, channels=16, num_convs=1,
                     concat_input=False, dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg,
                     align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(), test_cfg=dict(mode='whole'))
train_pipeline = [
    dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(128, 64), ratio_range=(0.8, 1.2), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5), dict(type='PhotoMetricDistortion'), dict(type='PackSegInputs')]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='CityscapesDataset', data_root=data_root,
                 data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                 pipeline=train_pipeline))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=2, by_epoch=False)]
default_hooks = dict(timer=dict(type='IterTimerHook'), logger=dict(type='LoggerHook', interval=1),
                     param_scheduler=dict(type='ParamSchedulerHook'),
                     checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2),
                     sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='nccl'))
log_level = 'WARNING'
"""

TRAIN = """
import sys
from mmengine.config import Config
from mmengine.runner import Runner

cfg = Config.fromfile(sys.argv[1])
cfg.work_dir = sys.argv[2]
Runner.from_cfg(cfg).train()
assert "alcore" not in sys.modules, "the plain script imported alcore"
ops = sys.modules["mmcv.ops"]
print("mmcv.ops:", type(ops).__name__, getattr(ops, "__alcore_shim__", False))
"""


def _python_with_hook(tmp_path: Path) -> list[str]:
    """The command that starts a script as alcore's installed environment does: the hook active.

    An environment installed with this version has the hook in site-packages; one installed
    before it existed gets the same file through ``site.addsitedir``, as site-packages does.
    """
    installed = Path(sysconfig.get_path("purelib")) / HOOK.name
    if installed.is_file():
        return [sys.executable]
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    shutil.copy(HOOK, site_dir / HOOK.name)
    return [sys.executable, "-c",
            f"import site, sys, runpy; site.addsitedir({str(site_dir)!r}); sys.argv = sys.argv[1:]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')"]


@pytest.mark.slow
def test_plain_runner_checkpoint_goes_to_select_and_run(tmp_path):
    import alcore
    from alcore.plugins import build_registry

    data = tmp_path / "cityscapes"
    build_registry().get("dataset", "drivesim").build(
        {"root": str(data), "sequences": 2, "frames": 3, "val_sequences": 1, "val_frames": 2,
         "width": 128, "height": 64}
    )
    config = tmp_path / "fcn_tiny.py"
    config.write_text(CONFIG.format(root=data))
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}
    cmd = _python_with_hook(tmp_path) + [str(script), str(config), str(tmp_path / "work")]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "mmcv.ops: module True" in proc.stdout
    ckpt = tmp_path / "work" / "iter_2.pth"
    assert ckpt.is_file()

    # the Python API: the config and MMEngine's own checkpoint, image paths as the pool
    images = sorted((data / "leftImg8bit" / "train").rglob("*.png"))
    batch = alcore.select(str(config), [str(p) for p in images], acq="entropy", budget=2, checkpoint=ckpt)
    assert len(batch.ids) == 2 and set(batch.ids) <= {str(p) for p in images}
    assert batch.diagnostics["groups"] in (1, 2)  # groups read from the Cityscapes file names

    # the CLI: the same checkpoint initialises a run's model
    run = subprocess.run(
        [sys.executable, "-m", "alcore.cli", "run", "--dataset", "cityscapes", "--dataset-opt",
         f"root={data}", "--model-config", str(config), "--model-opt", f"pretrained={ckpt}",
         "--model-opt", "iters=1", "--model-opt", "batch_size=2", "--cycles", "1", "--initial", "3",
         "--budget", "2", "--acq", "random", "--out", str(tmp_path / "run"), "--quiet"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "keep their initialisation" not in run.stderr  # every weight came from iter_2.pth
    assert (tmp_path / "run" / "results.json").is_file()
