"""Reports that show what a run did: learning curves, batch diagnostics, embedding maps, examples.

``write_report(run_dirs, out)`` reads run directories (several seeds and strategies at once),
groups runs that differ only in their seed, and writes ``report.md`` and a self-contained
``report.html`` into ``out``.
"""

from __future__ import annotations

from pathlib import Path

from alcore.report.collect import group_runs, load_runs
from alcore.report.render import write
from alcore.report.sections import build

__all__ = ["write_report", "default_out"]


def default_out(run_dirs: list[Path]) -> Path:
    """The single run's own directory, or ``./report`` for several."""
    unique = {Path(p).resolve() for p in run_dirs}
    return Path(run_dirs[0]) if len(unique) == 1 else Path("report")


def write_report(run_dirs: list[Path], out: Path | None = None) -> Path:
    """Write the report for ``run_dirs`` into ``out`` and return the path of ``report.html``."""
    paths = [Path(p) for p in run_dirs]
    runs = load_runs(paths)
    groups = group_runs(runs)
    intro, sections = build(groups)
    n = len(runs)
    title = (
        f"alcore report: {runs[0].name}"
        if n == 1
        else f"alcore report: {n} runs, {len(groups)} configurations"
    )
    return write(Path(out) if out is not None else default_out(paths), title, intro, sections)
