"""Progress and status lines on stderr: rich bars on a terminal, plain lines elsewhere."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from alcore.sdk.model import Progress as ProgressFn


class Reporter:
    """Shows what a run is doing. Results go to stdout elsewhere; this writes only to stderr."""

    def __init__(self, quiet: bool = False, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.quiet = quiet
        self.bars = not quiet and self.console.is_terminal

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, highlight=False)

    @contextlib.contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[ProgressFn]:
        """A progress bar for one phase; yields a ``(completed, total)`` callback."""
        if not self.bars:
            yield lambda done, tot: None
            return
        with Progress(
            TextColumn("  {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        ) as bar:
            task_id = bar.add_task(description, total=total)

            def update(done: int, tot: int) -> None:
                bar.update(task_id, completed=done, total=tot)

            yield update


def stdout_console() -> Console:
    """Console for results (tables, summaries) on stdout."""
    return Console(file=sys.stdout)
