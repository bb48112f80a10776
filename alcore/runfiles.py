"""Run files read with a schema check, derived ones recomputed, and the labeled set reconciled.

A run directory holds two kinds of files. Primary files hold what cannot be recomputed:
``config.yaml``, ``state.json`` (the labels money bought) and checkpoints. Derived files can be
recomputed from them: a cycle's ``metrics.json`` (from its checkpoint), ``record.json`` (from
its checkpoint, metrics and selection) and the ``selection.json`` of a cycle not yet labeled.
A damaged derived file is removed with a notice and recomputed; a damaged or missing primary
file is an error naming it and the next step. Before anything trains, :func:`reconcile` checks
that ``state.json`` holds exactly the labels every cycle's durable selection says it picked; a
cycle whose files are lost is redone on its labels as of then, and must pick what the state
says it picked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from alcore.pool import PoolState
from alcore.rundir import RunDir
from alcore.sdk.atomic import read_json, write_json
from alcore.sdk.errors import CorruptFileError, StateError

Notice = Callable[[str], None]


def notices(reporter: Any) -> Notice:
    """Where recovery notices go: the reporter's console, even under ``--quiet`` (they change files)."""
    return lambda message: reporter.console.print(message, highlight=False, markup=False)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_metrics(data: Any) -> str | None:
    """What is wrong with a ``metrics.json`` payload, or None."""
    if not isinstance(data, dict) or not _is_number(data.get("mIoU")):
        return "no numeric 'mIoU'"
    return None


def check_selection(data: Any) -> str | None:
    """What is wrong with a ``selection.json`` payload, or None."""
    if not isinstance(data, dict):
        return "not a JSON object"
    ids = data.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return "'ids' is not a list of sample ids"
    if len(set(ids)) != len(ids):
        return "'ids' names a sample twice"
    if not isinstance(data.get("strategy"), str):
        return "no 'strategy'"
    return None


def check_record(data: Any) -> str | None:
    """What is wrong with a ``record.json`` payload, or None."""
    if not isinstance(data, dict):
        return "not a JSON object"
    if not isinstance(data.get("cycle"), int) or not isinstance(data.get("labeled"), int):
        return "no integer 'cycle' and 'labeled'"
    if "metrics" in data and check_metrics(data["metrics"]):
        return "its 'metrics' have no numeric 'mIoU'"
    if "selection" in data and check_selection(data["selection"]):
        return "its 'selection' " + str(check_selection(data["selection"]))
    return None


def read_checked(path: Path, check: Callable[[Any], str | None]) -> Any:
    """Read a JSON run file and check its shape; damage is a :class:`CorruptFileError`."""
    data = read_json(path)
    problem = check(data)
    if problem:
        raise CorruptFileError(path, problem)
    return data


def read_derived(path: Path, check: Callable[[Any], str | None], notice: Notice) -> Any | None:
    """A derived file's content, or None where it is absent or damaged (then removed, with a notice)."""
    if not path.is_file():
        return None
    try:
        return read_checked(path, check)
    except CorruptFileError as exc:
        notice(f"notice: {exc.message}; recomputing it")
        path.unlink()
        return None


def cycle_picks(run: RunDir, cycle: int) -> tuple[list[str] | None, Path]:
    """The ids cycle ``cycle`` picked, from its durable record or selection (None if neither holds them)."""
    record, selection = run.record(cycle), run.selection(cycle)
    for path, check, key in ((record, check_record, "selection"), (selection, check_selection, None)):
        if not path.is_file():
            continue
        try:
            data = read_checked(path, check)
        except CorruptFileError:
            continue
        picks = data.get(key) if key else data
        if isinstance(picks, dict) and isinstance(picks.get("ids"), list):
            return list(picks["ids"]), path
    return None, selection


def reconcile(run: RunDir, state: PoolState, cycles: int, initial: Sequence[str] | None) -> None:
    """Fail, naming the files, unless ``state.json`` holds exactly what the cycles' files say was labeled.

    Cycle ``c``'s picks carry label cycle ``c + 1`` in the state. The one allowed gap is the crash
    window after a cycle's selection is written and before its labels are: the picks are then
    absent from the state and the cycle has no ``record.json`` yet (labeling them again is exact).
    """
    by_cycle: dict[int, set[str]] = {}
    for r in state.labeled:
        by_cycle.setdefault(r.cycle, set()).add(r.id)
    where = run.state
    if initial is not None and by_cycle.get(0, set()) != set(initial):
        raise StateError(
            f"{where} does not hold this run's initial labeled set ({len(by_cycle.get(0, ()))} labels "
            f"where the seed gives {len(initial)})",
            hint="restore state.json from a backup, or start a new run",
        )
    for cycle in range(cycles + 1):
        labels = by_cycle.pop(cycle + 1, set())
        picks, source = cycle_picks(run, cycle)
        if picks is None:
            # the cycle is redone from its labels as of then, and its picks must then equal these
            # labels (the oracle checks), so a lost cycle is recomputed exactly or named, never relabeled
            continue
        if labels and labels != set(picks):
            raise StateError(
                f"{where} and {source} disagree on cycle {cycle}'s picks "
                f"({len(labels - set(picks))} labeled but not picked, "
                f"{len(set(picks) - labels)} the other way)",
                hint="restore both from the same backup",
            )
        if not labels and picks and run.record(cycle).is_file():
            raise StateError(
                f"{where} lacks the {len(picks)} labels {source} says cycle {cycle} picked and finished",
                hint="restore state.json from a backup",
            )
    by_cycle.pop(0, None)
    if by_cycle:
        extra = min(by_cycle)
        raise StateError(f"{where} holds labels for cycle {extra}, after this run's last cycle")


def check_no_orphans(run: RunDir) -> None:
    """Fail where ``state.json`` is gone but cycles were run: rebuilding it would forget their labels."""
    if run.state.is_file() or not run.cycles.is_dir():
        return
    done = sorted(p.parent.name for p in run.cycles.glob("*/*.json"))
    if done:
        raise StateError(
            f"{run.state} is missing but {run.cycles} holds files of cycle(s) "
            f"{', '.join(sorted(set(done)))}",
            hint="restore state.json from a backup; alcore will not rebuild the labeled set from guesses",
        )


def restore_from_record(run: RunDir, cycle: int, record: dict, notice: Notice) -> None:
    """A finished cycle's ``metrics.json`` and ``selection.json``, rewritten from its record where lost."""
    for path, key, check in ((run.metrics(cycle), "metrics", check_metrics),
                             (run.selection(cycle), "selection", check_selection)):
        if key not in record:
            continue
        if read_derived(path, check, notice) is None:
            write_json(path, record[key])
            notice(f"notice: rewrote {path} from {run.record(cycle)}")
