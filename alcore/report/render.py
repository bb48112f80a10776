"""Report blocks rendered twice: Markdown with PNG files beside it, and one self-contained HTML file."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from alcore.sdk.atomic import write_text, write_with


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Para:
    text: str


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class Figure:
    name: str
    png: bytes
    caption: str = ""


@dataclass
class Fold:
    """Blocks folded away in HTML behind ``summary`` (long per-run tables); plain in Markdown."""

    summary: str
    blocks: list = field(default_factory=list)


@dataclass
class Gallery:
    """Figures laid out side by side in HTML."""

    figures: list[Figure] = field(default_factory=list)


@dataclass
class Section:
    """A titled group of blocks."""

    title: str
    blocks: list = field(default_factory=list)


FIGURE_DIR = "report_figures"

CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1100px;margin:24px auto;
padding:0 20px;color:#1f2328;line-height:1.45;font-size:15px}
h1{font-size:26px;border-bottom:1px solid #d0d7de;padding-bottom:6px}
h2{font-size:20px;margin-top:34px;border-bottom:1px solid #eaeef2;padding-bottom:4px}
h3{font-size:16px;margin-top:22px}
table{border-collapse:collapse;margin:10px 0 18px;font-size:13px}
th,td{border:1px solid #d0d7de;padding:4px 9px;white-space:nowrap}
th{background:#f6f8fa}
th,td{text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fbfcfd}
figure{margin:12px 0 20px}
figure img{max-width:100%;height:auto;border:1px solid #eaeef2}
figcaption{font-size:13px;color:#57606a;margin-top:4px}
caption{caption-side:top;text-align:left;font-size:13px;color:#57606a;padding-bottom:4px}
details>summary{cursor:pointer;font-weight:600;margin:10px 0}
.scroll{overflow-x:auto}
.gallery{display:flex;flex-wrap:wrap;gap:12px}
.gallery figure{flex:1 1 46%;max-width:49%;margin:0}
p.note{color:#57606a;font-size:13px}
"""


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(title: str, intro: list, sections: list[Section], figure_dir: str = FIGURE_DIR) -> str:
    """Markdown with figures referenced as PNG files under ``figure_dir``."""
    out = [f"# {title}", ""]
    for block in intro:
        out += _md_block(block, figure_dir)
    for sec in sections:
        out += [f"## {sec.title}", ""]
        for block in sec.blocks:
            out += _md_block(block, figure_dir)
    return "\n".join(out).rstrip() + "\n"


def _md_block(block, figure_dir: str) -> list[str]:
    if isinstance(block, Heading):
        return ["#" * block.level + " " + block.text, ""]
    if isinstance(block, Para):
        return [block.text, ""]
    if isinstance(block, Table):
        lines = [f"*{block.caption}*", ""] if block.caption else []
        lines.append("| " + " | ".join(_md_cell(h) for h in block.headers) + " |")
        lines.append("|" + "|".join(":--" if i == 0 else "--:" for i in range(len(block.headers))) + "|")
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
        return lines + [""]
    if isinstance(block, Fold):
        return [line for b in block.blocks for line in _md_block(b, figure_dir)]
    if isinstance(block, Gallery):
        return [line for f in block.figures for line in _md_block(f, figure_dir)]
    if isinstance(block, Figure):
        lines = [f"![{block.name}]({figure_dir}/{block.name}.png)", ""]
        return lines + ([f"*{block.caption}*", ""] if block.caption else [])
    return []


def to_html(title: str, intro: list, sections: list[Section]) -> str:
    """One HTML file: inline CSS, figures as base64 PNG data URIs, nothing fetched from elsewhere."""
    body = [f"<h1>{html.escape(title)}</h1>"]
    body += [_html_block(b) for b in intro]
    for sec in sections:
        inner = "\n".join(_html_block(b) for b in sec.blocks)
        body.append(f"<h2>{html.escape(sec.title)}</h2>\n{inner}")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _html_block(block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level + 1}>{html.escape(block.text)}</h{block.level + 1}>"
    if isinstance(block, Para):
        return f'<p class="note">{_inline(block.text)}</p>'
    if isinstance(block, Table):
        cap = f"<caption>{html.escape(block.caption)}</caption>" if block.caption else ""
        head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
        rows = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in block.rows)
        table = f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        return f'<div class="scroll">{table}</div>'
    if isinstance(block, Fold):
        inner = "\n".join(_html_block(b) for b in block.blocks)
        return f"<details><summary>{html.escape(block.summary)}</summary>\n{inner}\n</details>"
    if isinstance(block, Gallery):
        return '<div class="gallery">' + "\n".join(_html_block(f) for f in block.figures) + "</div>"
    if isinstance(block, Figure):
        data = base64.b64encode(block.png).decode("ascii")
        cap = f"<figcaption>{html.escape(block.caption)}</figcaption>" if block.caption else ""
        alt = html.escape(block.caption or block.name)
        return f'<figure><img alt="{alt}" src="data:image/png;base64,{data}">{cap}</figure>'
    return ""


NUMERIC = re.compile(r"^[-+−–]?\d|^–$")


def _td(cell: object) -> str:
    text = str(cell)
    cls = ' class="num"' if NUMERIC.match(text) else ""
    return f"<td{cls}>{html.escape(text)}</td>"


def _inline(text: str) -> str:
    """Escape text and turn Markdown ``code`` spans into <code>."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _figures(blocks: list):
    for b in blocks:
        if isinstance(b, Figure):
            yield b
        elif isinstance(b, Gallery):
            yield from b.figures
        elif isinstance(b, Fold):
            yield from _figures(b.blocks)


def write(out: Path, title: str, intro: list, sections: list[Section]) -> Path:
    """Write ``report.md`` (with its PNGs) and ``report.html`` into ``out``; return the HTML path."""
    out.mkdir(parents=True, exist_ok=True)
    figures = list(_figures([b for s in sections for b in s.blocks]))
    fig_dir = out / FIGURE_DIR
    if figures:
        fig_dir.mkdir(exist_ok=True)
    current = {f"{fig.name}.png" for fig in figures}
    for stale in fig_dir.glob("*.png") if fig_dir.is_dir() else []:
        if stale.name not in current:
            stale.unlink(missing_ok=True)
    for fig in figures:
        write_with(fig_dir / f"{fig.name}.png", lambda fh, data=fig.png: fh.write(data), mode="wb")
    write_text(out / "report.md", to_markdown(title, intro, sections))
    html_path = out / "report.html"
    write_text(html_path, to_html(title, intro, sections))
    return html_path
