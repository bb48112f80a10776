"""Export records: which samples went out to annotators, in which format, and what came back.

An export is open until every one of its samples is labeled; imports are matched against open
exports, so labels nobody asked for, or labels for a batch already imported, are refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from alcore.annotation.layout import AnnotationDirs
from alcore.pool import PoolState
from alcore.sdk.atomic import read_json, write_json
from alcore.sdk.errors import StateError

OPEN, PARTIAL, IMPORTED = "open", "partial", "imported"


def now() -> str:
    """The current UTC time as an ISO-8601 string (seconds)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class ExportRecord:
    """One batch handed to annotators: its samples (id, file name, image), format and status."""

    number: int
    cycle: int
    strategy: str
    format: str
    to: str
    created: str
    items: list[dict]
    status: str = OPEN
    imports: list[dict] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [item["id"] for item in self.items]

    def lookup(self, key: str) -> dict | None:
        """The item a returned file refers to, by its exported file name or its sample id."""
        for item in self.items:
            if key in (item["name"], item["id"]):
                return item
        return None

    def refresh(self, labeled: set[str]) -> bool:
        """Recompute the status from the labeled set; return whether it changed."""
        done = sum(i in labeled for i in self.ids)
        status = IMPORTED if done == len(self.items) else PARTIAL if done else OPEN
        changed, self.status = status != self.status, status
        return changed

    @property
    def is_open(self) -> bool:
        return self.status != IMPORTED


def load_exports(dirs: AnnotationDirs) -> list[ExportRecord]:
    """Every export record of a run, oldest first."""
    if not dirs.exports.is_dir():
        return []
    out = []
    for path in sorted(dirs.exports.glob("[0-9][0-9][0-9]/manifest.json")):
        try:
            out.append(ExportRecord(**read_json(path)))
        except (OSError, ValueError, TypeError) as exc:
            raise StateError(f"{path}: not a readable export record ({exc})") from None
    return out


def save_export(dirs: AnnotationDirs, record: ExportRecord) -> None:
    """Atomically write one export record to ``exports/NNN/manifest.json``."""
    write_json(dirs.export(record.number) / "manifest.json", asdict(record))


def refresh_all(dirs: AnnotationDirs, records: Iterable[ExportRecord], state: PoolState) -> None:
    """Bring every record's status in line with the pool state (the state is the truth)."""
    labeled = set(state.labeled_ids)
    for record in records:
        if record.refresh(labeled):
            save_export(dirs, record)


def pending_ids(records: Iterable[ExportRecord], state: PoolState) -> list[str]:
    """Ids out with annotators: in an open export and not labeled yet."""
    labeled = set(state.labeled_ids)
    seen: dict[str, None] = {}
    for record in records:
        if record.is_open:
            seen.update((i, None) for i in record.ids if i not in labeled)
    return list(seen)


def match_export(
    records: Sequence[ExportRecord], keys: Sequence[str], state: PoolState, where: str, prefer: str = ""
) -> ExportRecord:
    """The open export that asked for every returned file (format ``prefer`` first, then newest)."""
    labeled = {r.id: r for r in state.labeled}
    for record in sorted(records, key=lambda r: (r.format == prefer, r.number), reverse=True):
        if not record.is_open or not all(record.lookup(k) for k in keys):
            continue
        done = [k for k in keys if record.lookup(k)["id"] in labeled]
        if done:
            prev = labeled[record.lookup(done[0])["id"]]
            raise StateError(
                f"{where}: '{done[0]}' is already labeled (cycle {prev.cycle}, "
                f"{prev.source}); refusing to import it twice"
            )
        return record
    for key in keys:
        for record in reversed(records):
            item = record.lookup(key)
            if item is not None and item["id"] in labeled:
                prev = labeled[item["id"]]
                raise StateError(
                    f"{where}: '{key}' is already labeled (cycle {prev.cycle}, "
                    f"{prev.source}); refusing to import it twice"
                )
    open_ = [r for r in records if r.is_open]
    listing = ", ".join(f"{r.number:03d} ({r.format}, {len(r.items)} samples)" for r in open_)
    stray = next((k for k in keys if not any(r.lookup(k) for r in open_)), None)
    if stray is None:
        raise StateError(
            f"{where}: the labels span several open exports; import each export's labels separately"
        )
    raise StateError(
        f"{where}: '{stray}' is not in any open export"
        + (f" (open exports: {listing})" if open_ else " (there are no open exports)")
    )
