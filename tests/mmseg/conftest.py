"""MMSeg tests run their tiny models on one thread: on a shared two-core machine OpenMP spinning
makes two threads several times slower than one."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
