"""Any dataset plugin's labels are checked before MMSeg trains on them: one line naming the file."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from alcore.sdk.errors import DataError


def test_out_of_range_label_is_named_before_training(tmp_path):
    from alcore.plugins import build_registry
    from tests.conftest import ToyDataset

    ds = ToyDataset(str(tmp_path / "toy"), groups=2, frames=3)
    bad = ds.pool()[1].label
    label = cv2.imread(str(bad), cv2.IMREAD_UNCHANGED)
    label[0, 0] = 7  # the toy dataset has 3 classes
    cv2.imwrite(str(bad), label)
    reg = build_registry()
    quantities = {r.name: r.factory for r in reg.all("quantity")}
    model = reg.get("model", "mmseg").build(
        {"iters": 1, "width": 8, "batch_size": 2}, info=ds.info, quantities=quantities, seed=0
    )
    with pytest.raises(DataError) as err:
        model.train(ds.pool()[:3], ds.pool()[3:], cycle=0, work_dir=tmp_path / "cycle")
    message = str(err.value)
    assert "\n" not in message and str(bad) in message and "7" in message and "0..2" in message
    assert not (tmp_path / "cycle" / "checkpoint.pth").exists()  # nothing was trained
    # a good label set passes
    good = np.asarray(label)
    good[good == 7] = 1
    cv2.imwrite(str(bad), good)
    model.train(ds.pool()[:3], ds.pool()[3:], cycle=0, work_dir=tmp_path / "cycle")
    assert (tmp_path / "cycle" / "checkpoint.pth").is_file()
