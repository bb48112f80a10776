"""Progress and status lines on stderr: rich bars on a terminal, plain lines elsewhere."""

from __future__ import annotations

import contextlib
import sys
import time
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

from alcore.sdk.limits import env_number
from alcore.sdk.model import Progress as ProgressFn

#: seconds between plain progress lines off a terminal (environment: ALCORE_PROGRESS_INTERVAL)
LINE_INTERVAL = 30.0


class Reporter:
    """Shows what a run is doing. Results go to stdout elsewhere; this writes only to stderr."""

    def __init__(
        self, quiet: bool = False, console: Console | None = None, interval: float | None = None
    ) -> None:
        self.console = console or Console(stderr=True)
        self.quiet = quiet
        self.bars = not quiet and self.console.is_terminal
        if interval is None:
            interval = env_number("ALCORE_PROGRESS_INTERVAL", LINE_INTERVAL)
        self.interval = interval

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, highlight=False)

    @contextlib.contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[ProgressFn]:
        """A progress bar for one phase; yields a ``(completed, total)`` callback.

        Off a terminal (batch jobs, logs) there is no bar; instead a plain line such as
        ``  training: 120/400 (30%), 95s`` appears every ``interval`` seconds of a long phase.
        """
        if not self.bars:
            if self.quiet:
                yield lambda done, tot: None
            else:
                yield self._lines(description)
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


    def _lines(self, description: str) -> ProgressFn:
        """A progress callback that prints a plain line at most every ``interval`` seconds."""
        start = time.monotonic()
        last = [start]

        def update(done: int, tot: int) -> None:
            now = time.monotonic()
            if now - last[0] < self.interval or (tot and done >= tot):
                return
            last[0] = now
            share = f" ({100 * done / tot:.0f}%)" if tot else ""
            self.console.print(
                f"  {description}: {done}/{tot}{share}, {now - start:.0f}s", highlight=False, soft_wrap=True
            )

        return update


def stdout_console() -> Console:
    """Console for results (tables, summaries) on stdout."""
    return Console(file=sys.stdout)
