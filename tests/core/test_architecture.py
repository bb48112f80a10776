"""The house rules, checked on the source: three floors, no cycles, no oversized rooms.

- plugins import only the contract (``alcore.sdk``) or the ``alcore`` facade;
- the contract imports nothing else of alcore;
- the engine (modules directly under ``alcore/``) imports no application;
- no import cycles among alcore's and the built-in plugins' modules;
- no source file over 600 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPLICATIONS = ("alcore.bench", "alcore.annotation", "alcore.report", "alcore.cli", "alcore.serve")
#: former module paths kept for third-party plugins; each only re-exports alcore.sdk
COMPAT = {"alcore.hookspecs", "alcore.acquisition", "alcore.testing"}
MAX_LINES = 600


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT / "plugins" if "plugins" in path.relative_to(ROOT).parts[:1] else ROOT)
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    files = list((ROOT / "alcore").rglob("*.py")) + list((ROOT / "plugins").rglob("*.py"))
    return {module_name(p): p for p in files if "__pycache__" not in p.parts}


def imports(path: Path, name: str) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (lazy imports count too)."""
    out: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


MODULES = sources()
OURS = tuple({m.split(".")[0] for m in MODULES})


def internal(targets: set[str]) -> set[str]:
    """The imported names that are modules of this project (submodule imports resolved to modules)."""
    return {t for t in targets if t in MODULES}


def test_plugins_import_only_the_contract():
    bad = []
    for name, path in MODULES.items():
        if name.startswith("alcore"):
            continue
        for target in imports(path, name):
            contract = target == "alcore.sdk" or target.startswith("alcore.sdk.")
            if target.startswith("alcore.") and not contract:
                bad.append(f"{path.relative_to(ROOT)} imports {target}")
    assert not bad, "\n".join(bad)


def test_the_contract_imports_nothing_else_of_alcore():
    bad = [
        f"{path.relative_to(ROOT)} imports {target}"
        for name, path in MODULES.items() if name.startswith("alcore.sdk")
        for target in imports(path, name)
        if target.split(".")[0] in OURS and not target.startswith("alcore.sdk")
    ]
    assert not bad, "\n".join(bad)


def test_the_engine_imports_no_application():
    engine = {n: p for n, p in MODULES.items() if p.parent == ROOT / "alcore" and n not in COMPAT}
    assert "alcore.cycle" in engine and "alcore.loop" in engine
    bad = [
        f"{path.relative_to(ROOT)} imports {target}"
        for name, path in engine.items()
        for target in imports(path, name)
        if target.startswith(APPLICATIONS) or target.split(".")[0] in OURS and not target.startswith("alcore")
    ]
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    graph = {name: internal(imports(path, name)) - {name} for name, path in MODULES.items()}
    # a package's __init__ importing its own submodules is how packages expose names, not a cycle
    for name in graph:
        graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("folder", ["alcore", "plugins", "tests", "benchmarks", "examples"])
def test_no_source_file_over_600_lines(folder):
    long = [
        f"{p.relative_to(ROOT)}: {n} lines"
        for p in (ROOT / folder).rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    ]
    assert not long, "\n".join(long)
