from __future__ import annotations

import importlib
import sys

import torch
import torch.nn.functional as F

from alcore_mmseg import shim


def test_mmseg_models_import_on_mmcv_lite():
    assert shim.install() is True or shim.full_mmcv_available()
    importlib.import_module("mmseg.models")
    from mmseg.registry import MODELS

    assert MODELS.get("DepthwiseSeparableASPPHead") is not None


def test_shim_steps_aside_for_full_mmcv(monkeypatch):
    monkeypatch.setattr(shim, "full_mmcv_available", lambda: True)
    monkeypatch.delitem(sys.modules, shim.SHIM_NAME, raising=False)
    assert shim.install() is False
    assert shim.SHIM_NAME not in sys.modules


def test_point_sample_matches_direct_lookup():
    shim.install()
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    # pixel centres of (row 1, col 2) and (row 3, col 0) in normalised [0, 1] coordinates
    pts = torch.tensor([[[2.5 / 5, 1.5 / 4], [0.5 / 5, 3.5 / 4]]] * 2)
    out = sys.modules["mmcv.ops"].point_sample(x, pts, align_corners=False)
    assert out.shape == (2, 3, 2)
    assert torch.allclose(out[:, :, 0], x[:, :, 1, 2])
    assert torch.allclose(out[:, :, 1], x[:, :, 3, 0])
    ref = F.grid_sample(x, (2 * pts - 1).unsqueeze(2), align_corners=False).squeeze(3)
    assert torch.equal(out, ref)


def test_missing_operator_looks_like_a_missing_module():
    shim.install()
    ops = sys.modules["mmcv.ops"]
    if not getattr(ops, "__alcore_shim__", False):
        return
    try:
        from mmcv.ops import CrissCrossAttention  # noqa: F401
    except ModuleNotFoundError as exc:
        assert "mmcv-lite" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected ModuleNotFoundError")
