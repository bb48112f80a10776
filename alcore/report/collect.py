"""Read finished (or partial) run directories into plain data the report can plot and tabulate."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from alcore.sdk.errors import StateError

log = logging.getLogger("alcore.report")

DIAGNOSTIC_KEYS = ("groups", "max_group_share", "neighbour_rate", "mean_pairwise_distance", "coverage_radius")


@dataclass
class Run:
    """One run directory's configuration and per-cycle records, sorted by cycle."""

    path: Path
    config: dict[str, Any]
    records: list[dict[str, Any]]
    initial: list[str] = field(default_factory=list)

    @property
    def seed(self) -> Any:
        return self.config.get("seed")

    @property
    def acq(self) -> str:
        return str(self.config.get("acq", "?"))

    @property
    def name(self) -> str:
        return self.path.name or str(self.path)

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """Labeled counts and mIoU per cycle (cycles without metrics are skipped)."""
        pts = [(r["labeled"], r["metrics"]["mIoU"]) for r in self.records if _miou(r) is not None]
        if not pts:
            return np.zeros(0), np.zeros(0)
        labeled, miou = zip(*pts)
        return np.asarray(labeled, dtype=float), np.asarray(miou, dtype=float)

    def diagnostics(self) -> list[tuple[int, dict]]:
        """(cycle, diagnostics) for every cycle that selected a batch."""
        out = []
        for r in self.records:
            diag = (r.get("selection") or {}).get("diagnostics")
            if isinstance(diag, dict):
                out.append((int(r["cycle"]), diag))
        return out

    def selections(self) -> dict[int, list[str]]:
        """The ids each cycle selected, by cycle."""
        return {
            int(r["cycle"]): list(r["selection"].get("ids") or [])
            for r in self.records
            if isinstance(r.get("selection"), dict)
        }

    def last_metrics(self) -> dict[str, Any]:
        for r in reversed(self.records):
            if _miou(r) is not None:
                return r["metrics"]
        return {}

    def examples(self) -> tuple[int, list[dict]] | None:
        """The latest cycle's ``examples.json`` rows, or None where no cycle wrote one."""
        for r in reversed(self.records):
            path = self.path / "cycles" / f"{int(r['cycle']):03d}" / "examples.json"
            rows = _read_examples(path)
            if rows:
                return int(r["cycle"]), rows
        return None


def _miou(record: dict) -> float | None:
    value = (record.get("metrics") or {}).get("mIoU")
    return float(value) if isinstance(value, (int, float)) else None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        log.warning("skipping %s: %s", path, exc)
        return None


def _read_examples(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    data = _read_json(path)
    if isinstance(data, dict):
        data = data.get("samples")
    if not isinstance(data, list):
        return []
    return [row for row in data if isinstance(row, dict) and row.get("id")]


def palette_of(run: Run) -> list[tuple[int, int, int]] | None:
    """The dataset palette, from ``RUN_DIR/dataset.json`` or a dict-form ``examples.json``, if any."""
    sources = [run.path / "dataset.json"]
    sources += [
        run.path / "cycles" / f"{int(r['cycle']):03d}" / "examples.json" for r in reversed(run.records)
    ]
    for path in sources:
        data = _read_json_quiet(path)
        if isinstance(data, dict) and isinstance(data.get("palette"), list):
            try:
                return [(int(c[0]), int(c[1]), int(c[2])) for c in data["palette"]]
            except (TypeError, ValueError, IndexError):
                continue
    return None


def _read_json_quiet(path: Path) -> Any:
    return _read_json(path) if path.is_file() else None


def load_run(path: Path) -> Run:
    """Read one run directory; a path that is not a run raises a StateError naming it."""
    path = Path(path)
    config_path = path / "config.yaml"
    if not config_path.is_file():
        raise StateError(f"{path} is not a run directory (no config.yaml)")
    try:
        config = yaml.safe_load(config_path.read_text()) or {}
    except yaml.YAMLError:
        raise StateError(f"{config_path} is not valid YAML") from None
    if not isinstance(config, dict):
        raise StateError(f"{config_path} does not hold a mapping")
    records = []
    for rec_path in sorted((path / "cycles").glob("*/record.json")):
        rec = _read_json(rec_path)
        if isinstance(rec, dict) and "cycle" in rec and "labeled" in rec:
            records.append(rec)
    if not records:
        records = _records_from_results(path / "results.json")
    records.sort(key=lambda r: int(r["cycle"]))
    return Run(path=path, config=config, records=records, initial=_initial_ids(path / "state.json"))


def _records_from_results(path: Path) -> list[dict]:
    """Records rebuilt from ``results.json`` where the per-cycle files are gone."""
    data = _read_json_quiet(path)
    if not isinstance(data, dict):
        return []
    out = []
    for row in data.get("curve") or []:
        rec = {"cycle": row["cycle"], "labeled": row["labeled"], "metrics": {"mIoU": row["mIoU"]}}
        if row.get("diagnostics"):
            rec["selection"] = {"ids": [], "diagnostics": row["diagnostics"]}
        out.append(rec)
    final = data.get("final") or {}
    if out and final.get("per_class_iou"):
        out[-1]["metrics"]["per_class_iou"] = final["per_class_iou"]
    return out


def _initial_ids(path: Path) -> list[str]:
    data = _read_json_quiet(path)
    if not isinstance(data, dict):
        return []
    return [
        r["id"]
        for r in data.get("labeled") or []
        if isinstance(r, dict) and r.get("cycle") == 0 and "id" in r
    ]


def load_runs(paths: list[Path]) -> list[Run]:
    """Read every run directory, in the order given, refusing duplicates and non-runs."""
    if not paths:
        raise StateError("no run directories given")
    runs, seen = [], set()
    for p in paths:
        key = Path(p).resolve()
        if key in seen:
            continue
        seen.add(key)
        runs.append(load_run(Path(p)))
    return runs


def config_key(config: dict[str, Any]) -> str:
    """The configuration minus its seed, as a canonical string: runs sharing it are seeds."""
    rest = {k: v for k, v in config.items() if k != "seed"}
    return json.dumps(rest, sort_keys=True, default=str)


@dataclass
class Group:
    """Runs that differ only in their seed."""

    key: str
    label: str
    runs: list[Run]

    @property
    def config(self) -> dict[str, Any]:
        return self.runs[0].config

    @property
    def acq(self) -> str:
        return self.runs[0].acq


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def group_runs(runs: list[Run]) -> list[Group]:
    """Group runs by configuration minus seed and name each group by what sets it apart."""
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(config_key(run.config), []).append(run)
    flats = {k: _flatten({a: b for a, b in rs[0].config.items() if a != "seed"}) for k, rs in groups.items()}
    keys = sorted({name for f in flats.values() for name in f})
    differing = [n for n in keys if len({json.dumps(f.get(n), default=str) for f in flats.values()}) > 1]
    out = []
    for key, members in groups.items():
        members.sort(key=lambda r: (str(r.seed), r.name))
        flat = flats[key]
        if differing:
            label = ", ".join(f"{n}={_short(flat.get(n))}" for n in differing)
        else:
            label = ", ".join(f"{n}={_short(flat[n])}" for n in ("acq", "ssl") if n in flat) or "run"
        out.append(Group(key=key, label=label, runs=members))
    return out


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def random_baseline(group: Group, groups: list[Group]) -> Group | None:
    """The group with acquisition 'random' whose configuration is otherwise equal, if given."""
    if group.acq == "random":
        return None
    mine = {k: v for k, v in group.config.items() if k not in ("seed", "acq", "acq_options")}
    for other in groups:
        if other.acq != "random":
            continue
        theirs = {k: v for k, v in other.config.items() if k not in ("seed", "acq", "acq_options")}
        if json.dumps(mine, sort_keys=True, default=str) == json.dumps(theirs, sort_keys=True, default=str):
            return other
    return None


def read_embedding(run: Run) -> tuple[list[str], np.ndarray, int] | None:
    """Pool embeddings from the run's cache under the latest cycle's fingerprint that has them.

    Returns (ids, embeddings, cycle), or None where the run has no cache or nothing stored.
    """
    cache_path = run.path / "cache.h5"
    if not cache_path.is_file():
        return None
    try:
        from alcore.cache import FeatureCache

        cache = FeatureCache(cache_path)
        for rec in reversed(run.records):
            fingerprint = rec.get("fingerprint")
            if not fingerprint:
                continue
            got = cache.read(fingerprint, "embedding")
            if got is not None:
                ids, emb = got
                emb = np.asarray(emb, dtype=np.float32).reshape(len(ids), -1)
                return [i.decode() if isinstance(i, bytes) else str(i) for i in ids], emb, int(rec["cycle"])
    except Exception as exc:
        log.warning("cannot read embeddings from %s: %s", cache_path, exc)
    return None
