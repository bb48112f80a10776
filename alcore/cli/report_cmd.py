"""``alcore report``: Markdown and self-contained HTML reports from one or more run directories."""

from __future__ import annotations

from pathlib import Path

import typer


def report(
    run_dirs: list[Path] = typer.Argument(
        ..., help="Run directories; seeds of one configuration are pooled."
    ),
    out: Path = typer.Option(
        None, "--out", help="Output folder (default: the run's own directory, or ./report for several)."
    ),
) -> None:
    """Write report.md and report.html: learning curves, comparison, diagnostics, embedding maps."""
    from alcore.report import write_report

    html = write_report(list(run_dirs), out)
    typer.echo(f"wrote {html} and {html.with_name('report.md')}")
