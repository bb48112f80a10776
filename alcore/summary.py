"""The compact table ``alcore run`` prints when it finishes."""

from __future__ import annotations

from rich.table import Table


def summary_table(results: dict, title: str) -> Table:
    """Labeled count, mIoU and batch diagnostics per cycle."""
    table = Table(title=title, title_justify="left")
    for col in ("cycle", "labeled", "mIoU", "groups", "max share", "neighbours"):
        table.add_column(col, justify="right")
    for row in results["curve"]:
        d = row.get("diagnostics") or {}
        table.add_row(
            str(row["cycle"]), str(row["labeled"]), f"{row['mIoU']:.2f}",
            str(d.get("groups", "")),
            f"{d['max_group_share']:.2f}" if d else "",
            f"{d['neighbour_rate']:.2f}" if d else "",
        )
    return table
