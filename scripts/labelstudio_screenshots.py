"""Screenshots of a real Label Studio showing alcore serve's pre-annotations, for the README.

    python scripts/labelstudio_screenshots.py [OUT_DIR]      # default docs/

Builds a small unlabeled pool, trains a first model on three given labels (``alcore select``),
starts Label Studio (the test suite's pinned install under .cache/) and ``alcore serve``, pushes the
batch into a new project, connects the backend, then logs in with headless Chromium and saves the
task list and one task with its pre-annotation. Needs ``pip install playwright`` and a system
chromium (Debian: ``apt-get install -y chromium``); nothing is downloaded by the browser.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "annotation"), str(ROOT)]

from annotators import make_pool, truth_of  # noqa: E402
from labelstudio_server import PASSWORD, USER, free_port, label_studio  # noqa: E402

from alcore.serve.lsclient import LabelStudio  # noqa: E402

TOKEN = "screenshot-token"


def cli(*args: str, env: dict) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "alcore.cli", *args], env={**os.environ, **env}, capture_output=True, text=True
    )
    if proc.returncode:
        raise SystemExit(proc.stderr)
    return proc.stdout


def shrink(path: Path) -> None:
    """Store a screenshot as a 256-colour PNG (a fraction of the size, same look)."""
    Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="alcore-shots-"))
    env = {"ALCORE_DATA": str(tmp / "data"), "OMP_NUM_THREADS": "1"}
    ids = make_pool(tmp / "pool", tmp / "truth")
    (tmp / "given").mkdir()
    for sid in ids[:3]:
        Image.fromarray(truth_of(tmp / "truth", sid)).save(tmp / "given" / f"{sid}.png")
    run = tmp / "run"
    model = ["--model-opt", "iters=60", "--model-opt", "width=8", "--model-opt", "batch_size=2"]
    cli("select", "--dataset", "folder", "--dataset-opt", f"root={tmp / 'pool'}", "--out", str(run),
        "--budget", "4", "--acq", "entropy", "--initial-labels", str(tmp / "given"), *model,
        env=env)  # fmt: skip
    with label_studio(tmp) as studio:
        port = free_port()
        serve_url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "alcore.cli", "serve", str(run), "--port", str(port)],
            env={**os.environ, **env, "ALCORE_SERVE_TOKEN": TOKEN},
        )
        try:
            for _ in range(120):
                try:
                    httpx.get(f"{serve_url}/health", timeout=2)
                    break
                except httpx.HTTPError:
                    time.sleep(0.5)
            text = cli("export", str(run), "--format", "labelstudio", "--to", str(tmp / "ls"),
                       "--ls-url", studio["url"],
                       "--ls-token", studio["token"], env=env)  # fmt: skip
            project = int(text.split("/projects/")[1].split()[0])
            ls = LabelStudio(studio["url"], studio["token"])
            ls.call("PATCH", f"/api/projects/{project}", json={"sampling": "Uncertainty sampling",
                                                              "show_collab_predictions": True})  # fmt: skip
            ls.connect_backend(project, serve_url, token=TOKEN)
            tasks = ls.call("GET", "/api/tasks", params={"project": project})["tasks"]
            first = min(tasks, key=lambda t: ls.task(t["id"])["predictions"][0]["score"])
            shoot(studio["url"], project, first["id"], out)
        finally:
            server.terminate()
            server.wait(timeout=30)


def shoot(url: str, project: int, task: int, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"{url}/user/login/")
        page.fill("input[name=email]", USER)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{url}/projects/{project}/data")
        page.wait_for_load_state("networkidle")
        time.sleep(3)
        page.screenshot(path=str(out / "labelstudio-tasks.png"))
        page.goto(f"{url}/projects/{project}/data?task={task}")
        page.wait_for_load_state("networkidle")
        time.sleep(6)
        page.screenshot(path=str(out / "labelstudio-task.png"))
        browser.close()
    for name in ("labelstudio-tasks.png", "labelstudio-task.png"):
        shrink(out / name)
        print(out / name, (out / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
