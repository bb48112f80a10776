"""The ``alcore`` command line: one module per command; errors become one line in ``common``."""

from __future__ import annotations

import logging
import os

import typer

from alcore.cli import (
    advise_cmd,
    bench_cmd,
    close_cmd,
    common,
    data_cmd,
    export_cmd,
    import_cmd,
    plugins_cmd,
    report_cmd,
    run_cmd,
    select_cmd,
    serve_cmd,
    status_cmd,
)
from alcore.cli.usage import OneLineGroup

app = typer.Typer(
    name="alcore",
    cls=OneLineGroup,
    help="Active learning for semantic segmentation on MMSegmentation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logs."),
) -> None:
    if debug or os.environ.get("ALCORE_DEBUG", "").strip() not in ("", "0"):
        common.DEBUG.enabled = True
        logging.getLogger("alcore").setLevel(logging.DEBUG)
        logging.basicConfig()


app.command("run")(common.guarded(run_cmd.run))
app.command("plugins")(common.guarded(plugins_cmd.plugins))
app.command("report")(common.guarded(report_cmd.report))
app.command("select")(common.guarded(select_cmd.select))
app.command("export")(common.guarded(export_cmd.export))
app.command("import")(common.guarded(import_cmd.import_labels))
app.command("close")(common.guarded(close_cmd.close))
app.command("serve")(common.guarded(serve_cmd.serve))
app.command("status")(common.guarded(status_cmd.status))
app.command("bench")(common.guarded(bench_cmd.bench))
app.command("advise")(common.guarded(advise_cmd.advise))
app.add_typer(data_cmd.app, name="data")


def _hoist_debug(argv: list[str]) -> list[str]:
    """``--debug`` anywhere before a ``--`` means the global flag, as if given first."""
    end = argv.index("--") if "--" in argv else len(argv)
    if "--debug" not in argv[:end]:
        return argv
    return ["--debug"] + [a for i, a in enumerate(argv) if not (a == "--debug" and i < end)]


def main() -> None:
    """Console-script entry point."""
    import sys

    app(args=_hoist_debug(sys.argv[1:]), prog_name="alcore")
