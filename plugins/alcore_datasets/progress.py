"""A progress bar on stderr for long one-off jobs (generation, label conversion); silent for short ones."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
QUIET_BELOW = 300


def track(
    items: Iterable[T],
    description: str,
    quiet_below: int = QUIET_BELOW,
    total: int | None = None,
) -> Iterator[T]:
    """Yield ``items``, showing a rich progress bar on stderr when there are many of them."""
    count = len(items) if total is None else total  # type: ignore[arg-type]
    if count < quiet_below:
        yield from items
        return
    from rich.console import Console
    from rich.progress import track as rich_track

    yield from rich_track(items, description=description, console=Console(stderr=True), transient=True)
