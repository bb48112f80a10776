from __future__ import annotations

import pickle

import pytest
import torch


@pytest.fixture(scope="module")
def runner_checkpoint(tmp_path_factory):
    """A full MMEngine Runner checkpoint (optimiser, schedulers, message hub) after 2 iterations."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from alcore.plugins import build_registry
    from alcore_mmseg import checkpoints
    from alcore_mmseg.stack import scope as _scope
    from tests.conftest import ToyDataset

    root = tmp_path_factory.mktemp("ckpt")
    ds = ToyDataset(str(root / "data"))
    reg = build_registry()
    model = reg.get("model", "mmseg").build(
        {"iters": 2, "width": 8, "batch_size": 2}, info=ds.info, quantities={}, seed=0
    )
    work = root / "cycle"
    checkpoints.trust_directory(work)
    cfg = model.runner_cfg(ds.pool()[:4], 0, work)
    with _scope():
        runner = Runner.from_cfg(Config(cfg))
        runner.train()
        runner.save_checkpoint(str(work), "iter_2.pth")
    return model, ds, cfg, work / "iter_2.pth"


def test_torch_default_refuses_mmengine_checkpoints(runner_checkpoint):
    *_, path = runner_checkpoint
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


def test_runner_resumes_from_an_alcore_checkpoint(runner_checkpoint):
    from mmengine.config import Config
    from mmengine.runner import Runner

    from alcore_mmseg import checkpoints
    from alcore_mmseg.stack import scope as _scope

    _, _, cfg, path = runner_checkpoint
    saved = torch.load(path, weights_only=False)
    resumed = dict(
        cfg,
        train_cfg=dict(type="IterBasedTrainLoop", max_iters=3),
        resume=True,
        load_from=checkpoints.uri(path),
        experiment_name="resumed",
    )
    with _scope():
        runner = Runner.from_cfg(Config(resumed))
        runner.load_or_resume()
    assert runner.iter == 2
    optim_state = runner.optim_wrapper.state_dict()["state"]
    momentum = next(iter(saved["optimizer"]["state"].values()))["momentum_buffer"]
    assert torch.equal(next(iter(optim_state.values()))["momentum_buffer"], momentum)
    assert runner.message_hub.get_scalar("train/loss").data[0].size > 0
    with _scope():
        runner.train()
    assert runner.iter == 3


def test_init_model_reads_alcore_checkpoints(runner_checkpoint, tmp_path):
    from mmengine.config import Config
    from mmseg.apis import init_model

    from alcore_mmseg import checkpoints

    model, ds, _, path = runner_checkpoint
    cfg = Config(dict(model=model.model_cfg, default_scope="mmseg"))
    seg = init_model(cfg, checkpoints.uri(path), device="cpu")
    saved = torch.load(path, weights_only=False)["state_dict"]
    assert torch.equal(seg.state_dict()["decode_head.conv_seg.weight"], saved["decode_head.conv_seg.weight"])

    # the engine's per-cycle weights carry the dataset's classes
    weights = model.train(ds.pool()[:4], [], cycle=0, work_dir=tmp_path / "cycle")
    seg = init_model(
        Config(dict(model=model.model_cfg, default_scope="mmseg")), checkpoints.uri(weights), device="cpu"
    )
    assert list(seg.dataset_meta["classes"]) == list(ds.info.classes)


def test_files_outside_the_trust_boundary_load_weights_only(runner_checkpoint, tmp_path):
    from alcore_mmseg import checkpoints

    *_, path = runner_checkpoint
    foreign = tmp_path / "elsewhere.pth"
    foreign.write_bytes(path.read_bytes())
    assert checkpoints.is_trusted(path) and not checkpoints.is_trusted(foreign)
    with pytest.raises(pickle.UnpicklingError, match="outside the directories alcore writes"):
        checkpoints.load_from_alcore(checkpoints.uri(foreign))
    plain = tmp_path / "weights.pth"
    torch.save({"state_dict": {"w": torch.ones(2)}}, plain)
    assert torch.equal(checkpoints.load_from_alcore(checkpoints.uri(plain))["state_dict"]["w"], torch.ones(2))


def test_run_directories_are_trusted(tmp_path):
    from alcore_mmseg import checkpoints

    (tmp_path / "config.yaml").write_text("seed: 0\n")
    ckpt = tmp_path / "cycles" / "002" / "mmengine" / "iter_5.pth"
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b"")
    assert checkpoints.is_trusted(ckpt)
    (tmp_path / "config.yaml").unlink()
    assert not checkpoints.is_trusted(ckpt)
