"""Label Studio's brush RLE: the run-length code of a flattened RGBA mask that brush results carry.

The code is a bit stream: a 32-bit count of values, a 5-bit word size minus one, four 4-bit run
length widths minus one (3, 4, 8, 16), then runs. A run starts with a flag bit (1: one value
repeated, 0: literal values), two bits choosing a width, the run length minus one in that width,
then the value (repeated run) or the values (literal run). The stream is zero-padded to bytes.
"""

from __future__ import annotations

import numpy as np

WORD = 8
WIDTHS = (3, 4, 8, 16)


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lengths and values of the runs of equal consecutive entries of a 1-D array."""
    if values.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, values.dtype)
    ends = np.append(np.flatnonzero(values[1:] != values[:-1]), values.size - 1)
    lengths = np.diff(np.append(-1, ends))
    return lengths, values[ends]


def _run_bits(length: int, value: int) -> str:
    if length == 1:
        return f"000000{value:08b}"
    out = []
    while length > 1 << 16:
        out.append(f"111{(1 << 16) - 1:016b}{value:08b}")
        length -= 1 << 16
    for index, width in enumerate(WIDTHS):
        if length <= 1 << width:
            out.append(f"1{index:02b}{length - 1:0{width}b}{value:08b}")
            break
    return "".join(out)


def encode(values: np.ndarray) -> list[int]:
    """RLE bytes (as ints, the JSON form Label Studio stores) of a flat uint8 array."""
    values = np.asarray(values, dtype=np.uint8).ravel()
    header = f"{values.size:032b}{WORD - 1:05b}" + "".join(f"{w - 1:04b}" for w in WIDTHS)
    lengths, vals = _runs(values)
    bits = header + "".join(_run_bits(int(n), int(v)) for n, v in zip(lengths, vals))
    bits += "0" * (8 - len(bits) % 8)
    return list(int(bits, 2).to_bytes(len(bits) // 8, "big"))


def decode(rle: list[int] | bytes) -> np.ndarray:
    """The flat uint8 array an RLE stream encodes; a malformed stream raises ValueError."""
    bits = "".join(f"{b:08b}" for b in bytes(rle))
    pos = 0

    def read(n: int) -> int:
        nonlocal pos
        if pos + n > len(bits):
            raise ValueError("truncated RLE stream")
        pos += n
        return int(bits[pos - n : pos], 2)

    count = read(32)
    word = read(5) + 1
    widths = [read(4) + 1 for _ in range(4)]
    out = np.zeros(count, dtype=np.uint8)
    i = 0
    while i < count:
        repeated = read(1)
        j = i + 1 + read(widths[read(2)])
        if j > count:
            raise ValueError("RLE run extends past the declared length")
        if repeated:
            out[i:j] = read(word)
        else:
            for k in range(i, j):
                out[k] = read(word)
        i = j
    return out


def encode_mask(mask: np.ndarray) -> list[int]:
    """RLE of a 2-D boolean mask as Label Studio brushes store it: RGBA, 255 where painted."""
    flat = np.where(np.asarray(mask, dtype=bool).ravel(), 255, 0).astype(np.uint8)
    return encode(np.repeat(flat, 4))


def decode_mask(rle: list[int] | bytes, height: int, width: int) -> np.ndarray:
    """The 2-D boolean mask of a brush RLE (its alpha channel), checked against the image size."""
    values = decode(rle)
    if values.size != height * width * 4:
        raise ValueError(f"RLE holds {values.size} values, expected {height}x{width}x4")
    return values.reshape(height, width, 4)[:, :, 3] >= 128
