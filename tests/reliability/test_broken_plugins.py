"""Third-party plugins that fail are reported with their distribution; everything else works."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli


def fake_distribution(site: Path, dist: str, module: str, source: str) -> None:
    """Install a distribution by hand: a module plus dist-info with an ``alcore`` entry point."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(source)
    info = site / f"{dist.replace('-', '_')}-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text(f"[alcore]\n{module} = {module}\n")


GOOD = """
from alcore.sdk.hookspecs import hookimpl
from alcore_acquisition.scores import RandomAcquisition

@hookimpl
def register_acquisitions(register):
    register("lucky", RandomAcquisition, help="random under another name")
"""

DUPLICATE = """
from alcore.sdk.hookspecs import hookimpl
from alcore_acquisition.scores import RandomAcquisition

@hookimpl
def register_acquisitions(register):
    register("entropy", RandomAcquisition, help="claims a built-in name")
"""

RAISES_IN_HOOK = """
from alcore.sdk.hookspecs import hookimpl

@hookimpl
def register_datasets(register):
    raise RuntimeError("cannot reach the dataset server")
"""


def test_failing_plugins_are_named_and_isolated(tmp_path):
    site = tmp_path / "site"
    fake_distribution(site, "broken-import", "broken_import", "raise ImportError('no numpy 3')\n")
    fake_distribution(site, "dup-names", "dup_names", DUPLICATE)
    fake_distribution(site, "raises-hook", "raises_hook", RAISES_IN_HOOK)
    fake_distribution(site, "good-one", "good_one", GOOD)
    env = {"PYTHONPATH": str(site)}

    proc = run_cli("plugins", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    plugins = {p["distribution"]: p for p in data["plugins"]}
    assert "no numpy 3" in plugins["broken-import"]["error"]
    assert "'entropy'" in plugins["dup-names"]["error"]
    assert "cannot reach the dataset server" in plugins["raises-hook"]["error"]
    assert plugins["good-one"]["error"] is None
    assert "lucky" in data["names"]["acquisition"]
    assert data["names"]["acquisition"]["entropy"]["plugin"] == "alcore"
    assert "drivesim" in data["names"]["dataset"]
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning: ")]
    assert len(warnings) == 3
    assert all("Traceback" not in ln for ln in proc.stderr.splitlines())

    debug = run_cli("--debug", "plugins", env=env)
    assert "Traceback" in debug.stderr and "no numpy 3" in debug.stderr

    proc = run_cli("run", "--acq", "nosuch", "--out", str(tmp_path / "r"), env=env)
    assert proc.returncode == 2
    assert "lucky" in proc.stderr and "broken-import" in proc.stderr
