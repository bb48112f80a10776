"""Limits checked before decoding what a file claims to hold, so a tiny hostile file cannot cost gigabytes.

Each limit has an environment variable to raise it for genuinely large inputs:

- ``ALCORE_MAX_PIXELS`` (default 100,000,000): pixels of one image or mask, read from its header;
- ``ALCORE_MAX_YAML_KB`` (default 1024) and ``ALCORE_MAX_YAML_NODES`` (default 100,000): size of
  a YAML config and the nodes it expands to once aliases are followed;
- ``ALCORE_MAX_MEMBER_MB`` (default 1024) and ``ALCORE_MAX_MEMBER_RATIO`` (default 200): an
  archive member's size once decompressed, and how many times its compressed size that is (checked
  for members over 1 MiB, where a bomb's ratio shows);
- ``ALCORE_MAX_TEXT_KB`` (default 1024): a small text file of an export (a label map);
- ``ALCORE_MAX_JSON_MB`` (default 512): a JSON file, run file or annotation export.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alcore.sdk.errors import ConfigError, DataError

#: images smaller than this on either side cannot pass a segmentation network's strides
MIN_SIDE = 8


def env_number(name: str, default: float) -> float:
    """The number an ``ALCORE_*`` variable sets, else ``default``; anything else is a one-line error."""
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {os.environ[name]!r}") from None


def max_pixels() -> int:
    return int(env_number("ALCORE_MAX_PIXELS", 100_000_000))


def max_member_bytes() -> int:
    return int(env_number("ALCORE_MAX_MEMBER_MB", 1024) * (1 << 20))


def check_pixels(width: int, height: int, where: Any, what: str = "image", min_side: int = MIN_SIDE) -> None:
    """Refuse a size no real image of this kind has, before any pixel is decoded."""
    if width * height > max_pixels():
        raise DataError(f"{what} {where} claims {width}x{height} pixels, over the {max_pixels()}-pixel "
                        "limit (a decompression bomb, or raise ALCORE_MAX_PIXELS)")
    if min(width, height) < min_side:
        raise DataError(f"{what} {where} is {width}x{height}; images need at least {min_side} pixels "
                        "on each side")


def check_image_header(path: Path, what: str = "image", min_side: int = MIN_SIDE) -> tuple[int, int]:
    """Read only ``path``'s header and check its claimed size; returns (width, height)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with open(path, "rb") as fh, Image.open(fh, formats=None) as im:
            width, height = im.size
    except Image.DecompressionBombError:
        width, height = _header_size(path)
        if not width:
            raise DataError(f"{what} {path} is a decompression bomb (over Pillow's pixel limit)") from None
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise DataError(f"unreadable {what} {path}: {reason}") from None
    check_pixels(width, height, path, what, min_side)
    return width, height


def _header_size(path: Path) -> tuple[int, int]:
    """A PNG's claimed size from its IHDR chunk ((0, 0) for other formats), for the error message."""
    with open(path, "rb") as fh:
        head = fh.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return 0, 0
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def max_member_ratio() -> float:
    return env_number("ALCORE_MAX_MEMBER_RATIO", 200)


def max_text_bytes() -> int:
    return int(env_number("ALCORE_MAX_TEXT_KB", 1024) * 1024)


#: members smaller than this are not checked for their compression ratio (small text compresses well)
RATIO_FLOOR = 1 << 20


def check_member(name: str, size: int, archive: Any, compressed: int | None = None) -> None:
    """Refuse an archive member whose declared size or compression ratio is over the limit, before
    extracting it."""
    if size > max_member_bytes():
        raise DataError(f"{archive}: member {name} inflates to {size} bytes, over the "
                        f"{max_member_bytes()}-byte limit (ALCORE_MAX_MEMBER_MB)")
    if compressed is not None and size > RATIO_FLOOR and size > max_member_ratio() * max(compressed, 1):
        raise DataError(f"{archive}: member {name} inflates {size // max(compressed, 1)} times its "
                        f"compressed size, over the {max_member_ratio():.0f}x limit "
                        "(a zip bomb, or raise ALCORE_MAX_MEMBER_RATIO)")


def check_yaml(text: str, where: Any) -> None:
    """Refuse YAML too large, or whose aliases expand past the node limit, before constructing it."""
    import yaml

    limit_kb = env_number("ALCORE_MAX_YAML_KB", 1024)
    if len(text.encode()) > limit_kb * 1024:
        raise ConfigError(f"config file '{where}' is over {limit_kb:.0f} KB (ALCORE_MAX_YAML_KB)")
    limit = int(env_number("ALCORE_MAX_YAML_NODES", 100_000))
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return  # the parser reports syntax errors with their line
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        sizes[key] = 1  # a recursive alias counts once while it is being measured
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(n) for n in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        sizes[key] = total
        return total

    if root is not None and size(root) > limit:
        raise ConfigError(f"config file '{where}' expands to more than {limit} YAML nodes through "
                          "its aliases (ALCORE_MAX_YAML_NODES)")
