"""Export records: which samples went out to annotators, in which format, and what came back.

An export is open until every one of its samples is labeled or released (skipped by annotators,
or left when the export is closed); released samples go back to the pool. Imports are matched
against the exports that asked for the labels: labels nobody asked for are refused, labels this
export already brought in are skipped (so a tool's export can be imported again as work goes on),
and a sample labeled through another export is refused rather than labeled twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from alcore.annotation.layout import AnnotationDirs
from alcore.pool import LabelRecord, PoolState
from alcore.sdk.atomic import read_json, write_json
from alcore.sdk.errors import StateError

OPEN, PARTIAL, IMPORTED, CLOSED = "open", "partial", "imported", "closed"


def now() -> str:
    """The current UTC time as an ISO-8601 string (seconds)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class ExportRecord:
    """One batch handed to annotators: its samples (id, file name, image), format and status.

    ``project`` is the export's address in the tool it was pushed to: a Label Studio project or
    a CVAT task (``<server>/tasks/<id>``).
    """

    number: int
    cycle: int
    strategy: str
    format: str
    to: str
    created: str
    items: list[dict]
    status: str = OPEN
    imports: list[dict] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    closed: str | None = None
    project: str | None = None

    @property
    def ids(self) -> list[str]:
        return [item["id"] for item in self.items]

    def lookup(self, key: str) -> dict | None:
        """The item a returned file refers to, by its exported file name or its sample id."""
        for item in self.items:
            if key in (item["name"], item["id"]):
                return item
        return None

    def imported_ids(self) -> set[str]:
        """Ids this export's own imports labeled."""
        return {i for entry in self.imports for i in entry.get("ids", [])}

    def refresh(self, labeled: set[str]) -> bool:
        """Recompute the status from the labeled set; return whether it changed."""
        released = set(self.released) - labeled
        done = sum(i in labeled or i in released for i in self.ids)
        if self.closed:
            status = CLOSED
        else:
            status = IMPORTED if done == len(self.items) else PARTIAL if done else OPEN
        changed, self.status = status != self.status, status
        return changed

    @property
    def is_open(self) -> bool:
        return self.status not in (IMPORTED, CLOSED)

    def waiting(self, labeled: set[str]) -> list[str]:
        """Ids still out with annotators: neither labeled nor released."""
        if not self.is_open:
            return []
        released = set(self.released)
        return [i for i in self.ids if i not in labeled and i not in released]


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
        seen.update((i, None) for i in record.waiting(labeled))
    return list(seen)


def _twice(where: str, key: str, prev: LabelRecord) -> StateError:
    return StateError(
        f"{where}: '{key}' is already labeled (cycle {prev.cycle}, {prev.source}); "
        "refusing to import it twice"
    )


def match_export(
    records: Sequence[ExportRecord], keys: Sequence[str], state: PoolState, where: str, prefer: str = ""
) -> ExportRecord:
    """The export that asked for every returned file (open first, format ``prefer`` first, newest).

    Samples that export already imported are fine (the caller skips them); a sample labeled any
    other way is refused.
    """
    labeled = {r.id: r for r in state.labeled}
    asked = [r for r in records if all(r.lookup(k) for k in keys)]
    for record in sorted(asked, key=lambda r: (r.is_open, r.format == prefer, r.number), reverse=True):
        mine = record.imported_ids()
        ids = {k: record.lookup(k)["id"] for k in keys}
        again = next((k for k in keys if ids[k] in labeled and ids[k] not in mine), None)
        if again is not None:
            raise _twice(where, again, labeled[ids[again]])
        if record.is_open or all(ids[k] in mine for k in keys):
            return record
    open_ = [r for r in records if r.is_open]
    for key in keys:
        for record in reversed(records):
            item = record.lookup(key)
            if item is not None and item["id"] in labeled and item["id"] not in record.imported_ids():
                raise _twice(where, key, labeled[item["id"]])
    listing = ", ".join(f"{r.number:03d} ({r.format}, {len(r.items)} samples)" for r in open_)
    stray = next((k for k in keys if not any(r.lookup(k) for r in open_)), None)
    if stray is None:
        raise StateError(
            f"{where}: the labels span several open exports; import each export's labels separately"
        )
    closed = next((r for r in records if r.lookup(stray) and r.closed), None)
    raise StateError(
        f"{where}: '{stray}' is not in any open export"
        + (f" (export {closed.number:03d} was closed {closed.closed})" if closed else "")
        + (f" (open exports: {listing})" if open_ else " (there are no open exports)")
    )
