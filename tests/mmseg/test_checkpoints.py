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
    cfg = model.runner_cfg(ds.pool()[:4], 0, work)
    with _scope():
        runner = Runner.from_cfg(Config(cfg))
        runner.train()
        runner.save_checkpoint(str(work), "iter_2.pth")
    assert checkpoints.sign(work / "iter_2.pth")  # as alcore's loops do for the checkpoints they save
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


def test_unproven_files_load_weights_only(runner_checkpoint, tmp_path):
    from alcore_mmseg import checkpoints

    *_, path = runner_checkpoint
    foreign = tmp_path / "elsewhere.pth"
    foreign.write_bytes(path.read_bytes())
    assert checkpoints.is_trusted(path) and not checkpoints.is_trusted(foreign)
    with pytest.raises(checkpoints.UntrustedCheckpoint, match="nothing proves alcore wrote it"):
        checkpoints.load_from_alcore(checkpoints.uri(foreign))
    plain = tmp_path / "weights.pth"
    torch.save({"state_dict": {"w": torch.ones(2)}}, plain)
    assert torch.equal(checkpoints.load_from_alcore(checkpoints.uri(plain))["state_dict"]["w"], torch.ones(2))


def test_a_changed_checkpoint_loses_its_proof(runner_checkpoint, tmp_path):
    from alcore_mmseg import checkpoints

    *_, path = runner_checkpoint
    copy = tmp_path / "iter_2.pth"
    copy.write_bytes(path.read_bytes())
    (tmp_path / "iter_2.pth.hmac").write_bytes((path.parent / "iter_2.pth.hmac").read_bytes())
    assert checkpoints.is_trusted(copy)  # the proof is of the bytes, wherever they lie
    copy.write_bytes(path.read_bytes() + b"\0")
    assert not checkpoints.is_trusted(copy)


class _Marker:
    """Unpickling this creates a file: code in a checkpoint running."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def crafted_run(root, marker):
    """A folder shaped like a run (empty config.yaml, cycles/<n>/) holding a checkpoint that runs code."""
    (root / "config.yaml").parent.mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text("")
    ckpt = root / "cycles" / "001" / "mmengine" / "iter_5.pth"
    ckpt.parent.mkdir(parents=True)
    torch.save({"state_dict": {"w": torch.ones(1)}, "meta": _Marker(str(marker))}, ckpt)
    return ckpt


def test_a_crafted_checkpoint_in_a_run_shaped_folder_never_runs(tmp_path):
    from mmengine.runner.checkpoint import CheckpointLoader

    from alcore_mmseg import checkpoints

    marker = tmp_path / "pwned"
    ckpt = crafted_run(tmp_path / "run", marker)
    checkpoints.register()
    assert not checkpoints.is_trusted(ckpt)
    for load in (checkpoints.load_from_alcore, CheckpointLoader.load_checkpoint):
        with pytest.raises(checkpoints.UntrustedCheckpoint, match=str(ckpt)):
            load(checkpoints.uri(ckpt))
    # a proof written with another key proves nothing either
    (ckpt.parent / "iter_5.pth.hmac").write_text("0" * 64 + "\n")
    with pytest.raises(checkpoints.UntrustedCheckpoint):
        checkpoints.load_from_alcore(checkpoints.uri(ckpt))
    assert not marker.exists()


def test_the_key_is_private_and_made_once(tmp_path, monkeypatch):
    from alcore.sdk import provenance

    key = tmp_path / "conf" / "alcore" / "checkpoint.key"
    monkeypatch.setenv("ALCORE_KEY_FILE", str(key))
    assert provenance.secret_key() is None  # verifying never makes a key
    first = provenance.secret_key(create=True)
    assert key.stat().st_mode & 0o777 == 0o600 and provenance.secret_key() == first
    target = tmp_path / "w.pth"
    target.write_bytes(b"weights")
    assert provenance.sign(target) and provenance.proven(target, b"weights")
    key.chmod(0o644)  # a key others can read proves nothing
    assert not provenance.proven(target, b"weights")
