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
            _cell(d, "groups", "{}"),
            _cell(d, "max_group_share", "{:.2f}"),
            _cell(d, "neighbour_rate", "{:.2f}"),
        )
    return table


def _cell(diagnostics: dict, key: str, form: str) -> str:
    """A diagnostic for the table: blank when none were recorded, "unknown" when groups are."""
    if not diagnostics:
        return ""
    value = diagnostics.get(key)
    return "unknown" if value is None else form.format(value)
