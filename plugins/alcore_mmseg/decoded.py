"""Decoded images kept in memory: an active-learning run reads the same files again and again.

Every cycle scores the whole pool, trains on the labeled set for many epochs and evaluates the
same validation frames; decoding each file every time was a fifth of a scoring pass on small
frames. :class:`DecodedCache` keeps decoded arrays by file (path, size and modification time,
so a changed file is read again) up to a byte limit, least recently used out first. The two
transforms registered here are MMSeg's image and annotation loaders reading through it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from alcore.sdk.limits import env_number

#: MiB of decoded arrays one process keeps (``ALCORE_DECODED_CACHE_MB`` overrides; 0 disables)
DEFAULT_LIMIT_MB = 512
IMAGE_TYPE = "AlcoreLoadImage"
ANNOTATION_TYPE = "AlcoreLoadAnnotations"


class DecodedCache:
    """Decoded arrays by (file, decode flag, backend), within ``limit`` bytes; copies go out."""

    def __init__(self, limit: int | None = None) -> None:
        if limit is None:
            limit = int(env_number("ALCORE_DECODED_CACHE_MB", DEFAULT_LIMIT_MB) * 2**20)
        self.limit = limit
        self._items: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, path: str, flag: str, backend: str | None) -> np.ndarray:
        """The decoded file (a private copy), from memory when the file is unchanged since."""
        import mmcv

        st = os.stat(path)
        key = (os.fspath(path), st.st_size, st.st_mtime_ns, flag, backend)
        with self._lock:
            array = self._items.get(key)
            if array is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return array.copy()
        with open(path, "rb") as f:
            array = mmcv.imfrombytes(f.read(), flag=flag, backend=backend)
        if array is None:
            return array
        self.misses += 1
        if array.nbytes <= self.limit:
            with self._lock:
                if key not in self._items:
                    self._items[key] = array
                    self._bytes += array.nbytes
                while self._bytes > self.limit:
                    _, old = self._items.popitem(last=False)
                    self._bytes -= old.nbytes
            array = array.copy()
        return array

DECODED = DecodedCache()


def _local(transform: Any) -> bool:
    """Whether a loader reads plain local files (other storage backends bypass the cache)."""
    if getattr(transform, "file_client_args", None) is not None:
        return False
    return not getattr(transform, "backend_args", None)


def register() -> None:
    """Register the caching loaders in MMCV's and MMSeg's transform registries (idempotent)."""
    from mmcv.transforms import LoadImageFromFile
    from mmseg.datasets.transforms import LoadAnnotations
    from mmseg.registry import TRANSFORMS

    class AlcoreLoadImage(LoadImageFromFile):
        """``LoadImageFromFile`` decoding each local file once per process (see :mod:`decoded`)."""

        def transform(self, results: dict) -> dict | None:
            if not _local(self):
                return super().transform(results)
            try:
                img = DECODED.get(results["img_path"], self.color_type, self.imdecode_backend)
            except Exception:
                if self.ignore_empty:
                    return None
                raise
            if img is None:
                raise ValueError(f"failed to load image: {results['img_path']}")
            if self.to_float32:
                img = img.astype(np.float32)
            results["img"] = img
            results["img_shape"] = img.shape[:2]
            results["ori_shape"] = img.shape[:2]
            return results

    class AlcoreLoadAnnotations(LoadAnnotations):
        """MMSeg's ``LoadAnnotations`` decoding each local label file once per process."""

        def _load_seg_map(self, results: dict) -> None:
            if not _local(self):
                return super()._load_seg_map(results)
            seg = DECODED.get(results["seg_map_path"], "unchanged", self.imdecode_backend)
            if seg is None:
                raise ValueError(f"failed to load label: {results['seg_map_path']}")
            seg = seg.squeeze().astype(np.uint8)
            if self.reduce_zero_label is None:
                self.reduce_zero_label = results["reduce_zero_label"]
            if self.reduce_zero_label:
                seg = np.where(seg == 0, 255, seg - 1).astype(np.uint8)
                seg[seg == 254] = 255
            label_map = results.get("label_map")
            if label_map:
                source = seg.copy()
                for old, new in label_map.items():
                    seg[source == old] = new
            results["gt_seg_map"] = seg
            results["seg_fields"].append("gt_seg_map")

    TRANSFORMS.register_module(name=IMAGE_TYPE, module=AlcoreLoadImage, force=True)
    TRANSFORMS.register_module(name=ANNOTATION_TYPE, module=AlcoreLoadAnnotations, force=True)
