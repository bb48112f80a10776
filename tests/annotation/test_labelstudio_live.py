"""The live loop against a real Label Studio: push, pre-annotations, webhooks, retrain, next batch, pull."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from annotators import TINY, brush_result, make_pool, truth_of
from labelstudio_server import free_port, label_studio
from PIL import Image

from alcore.serve import inbox
from alcore.serve.lsclient import LabelStudio
from tests.conftest import run_cli

CLASSES = ["background", "ground", "object"]
SERVE_TOKEN = "serve-token-1"


def cli(*args: str, env: dict) -> str:
    proc = run_cli(*args, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def painted(prediction: dict, shape: tuple[int, int]) -> np.ndarray:
    """A prediction's brushes as a class map, decoded with Label Studio's own converter."""
    from label_studio_converter import brush

    out = np.full(shape, 255, np.uint8)
    for r in prediction["result"]:
        alpha = brush.decode_rle(r["value"]["rle"]).reshape(*shape, 4)[:, :, 3]
        out[alpha == 255] = CLASSES.index(r["value"]["brushlabels"][0])
    return out


def wait_for(what: str, check, timeout: float = 120.0):
    end = time.time() + timeout
    while time.time() < end:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def batch_of(run: Path, cycle: int) -> dict:
    return json.loads((run / f"cycles/{cycle:03d}/batch.json").read_text())


def annotate(ls: LabelStudio, task: dict, truth: Path) -> int:
    label = truth_of(truth, task["data"]["alcore_id"])
    result = [brush_result(label == k, CLASSES[k], k) for k in np.unique(label)]
    return ls.call("POST", f"/api/tasks/{task['id']}/annotations", json={"result": result})["id"]


def project_tasks(ls: LabelStudio, project: int) -> list[dict]:
    answer = ls.call("GET", "/api/tasks", params={"project": project, "page_size": 100})
    return [ls.task(t["id"]) for t in (answer["tasks"] if isinstance(answer, dict) else answer)]


@pytest.mark.slow
def test_live_loop_with_a_real_label_studio(tmp_path: Path) -> None:
    env = {"ALCORE_DATA": str(tmp_path / "data"), "OMP_NUM_THREADS": "1"}
    ids = make_pool(tmp_path / "pool", tmp_path / "truth")
    truth = tmp_path / "truth"
    given = tmp_path / "given"
    given.mkdir()
    for sid in ids[:3]:
        Image.fromarray(truth_of(truth, sid)).save(given / f"{sid}.png")
    run = tmp_path / "run"
    pool = f"root={tmp_path / 'pool'}"
    cli("select", "--dataset", "folder", "--dataset-opt", pool, "--out", str(run), "--budget", "4",
        "--acq", "entropy", "--initial-labels", str(given), *TINY, env=env)  # fmt: skip
    first = batch_of(run, 0)
    assert first["model"] and all(i["prediction"] for i in first["items"])

    with label_studio(tmp_path) as studio:
        ls = LabelStudio(studio["url"], studio["token"])
        port = free_port()
        serve_url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "alcore.cli", "serve", str(run), "--port", str(port)],
            env={**os.environ, **env, "ALCORE_SERVE_TOKEN": SERVE_TOKEN},
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / "serve.log", "wb"),  # noqa: SIM115
        )
        try:
            wait_for("alcore serve", lambda: _up(serve_url), timeout=120)
            # push: a new project with alcore's labeling config, the images uploaded, the batch as tasks
            out = cli("export", str(run), "--format", "labelstudio", "--to", str(tmp_path / "ls1"),
                      "--ls-url", studio["url"], "--ls-token", studio["token"], env=env)  # fmt: skip
            assert "LOCAL_FILES" not in out
            project = int(out.split(f"{studio['url']}/projects/")[1].split()[0])
            backend = ls.connect_backend(project, serve_url, token=SERVE_TOKEN)
            assert backend["state"] == "CO", backend
            assert backend["model_version"] == first["model"]
            wait_for(
                "webhook authorization",
                lambda: all(
                    h["headers"] == {"Authorization": f"Bearer {SERVE_TOKEN}"}
                    for h in ls.call("GET", "/api/webhooks", params={"project": project})
                ),
            )

            # the predictions Label Studio shows are alcore's, best task (lowest score) first
            tasks = project_tasks(ls, project)
            ls_auth = {"Authorization": f"Token {studio['token']}"}
            items = {i["id"]: i for i in first["items"]}
            assert sorted(t["data"]["alcore_id"] for t in tasks) == sorted(items)
            for task in tasks:
                item = items[task["data"]["alcore_id"]]
                pred = np.asarray(Image.open(run / item["prediction"]))
                (shown,) = task["predictions"]
                assert shown["model_version"] == first["model"]
                assert np.array_equal(painted(shown, pred.shape), pred)
                # Label Studio serves the image itself: no storage was set up
                assert task["data"]["image"].startswith("/data/upload/")
                image = httpx.get(studio["url"] + task["data"]["image"], headers=ls_auth)
                assert image.status_code == 200 and image.content == Path(item["image"]).read_bytes()
            by_score = sorted(tasks, key=lambda t: t["predictions"][0]["score"])
            assert [items[t["data"]["alcore_id"]]["rank"] for t in by_score] == [0, 1, 2, 3]

            # Label Studio asks /predict for a task that lost its prediction
            again = tasks[0]
            ls.call("DELETE", f"/api/predictions/{again['predictions'][0]['id']}")
            ls.call(
                "POST",
                "/api/dm/actions",
                params={"id": "retrieve_tasks_predictions", "project": project},
                json={"selectedItems": {"all": False, "included": [again["id"]]}},
            )
            (fresh,) = wait_for("a prediction from /predict", lambda: ls.task(again["id"])["predictions"])
            pred = np.asarray(Image.open(run / items[again["data"]["alcore_id"]]["prediction"]))
            assert fresh["model_version"] == first["model"] and np.array_equal(
                painted(fresh, pred.shape), pred
            )

            # annotations submitted in Label Studio reach the run through the webhook
            done = {annotate(ls, t, truth): t["data"]["alcore_id"] for t in tasks[:2]}
            kept = wait_for(
                "the webhook",
                lambda: (r := inbox.load(run)) and len(r) == 2 and {x["annotation"]: x for x in r},
            )
            for ann, sid in done.items():
                assert kept[ann]["sample"] == sid and kept[ann]["project"] == project

            # Start Training in Label Studio retrains in the background; the next batch arrives
            ls.train(backend["id"])
            status = wait_for(
                "the retrain",
                lambda: (
                    (p := run / "serve/retrain.json").is_file()
                    and json.loads(p.read_text()).get("state") in ("done", "failed")
                    and json.loads(p.read_text())
                ),
                timeout=600,
            )
            assert status["state"] == "done", status
            second = batch_of(run, 1)
            assert second["model"] and second["model"] != first["model"]
            state = json.loads((run / "state.json").read_text())
            sources = {r["id"]: r["source"] for r in state["labeled"]}
            for ann, sid in done.items():
                assert sources[sid].startswith("labelstudio:") and f"annotation={ann}" in sources[sid]
                assert np.array_equal(np.asarray(Image.open(run / f"labels/{sid}.png")), truth_of(truth, sid))
            tasks = wait_for(
                "the new batch in the project", lambda: len(t := project_tasks(ls, project)) == 8 and t
            )
            new = [t for t in tasks if t["data"]["alcore_id"] in {i["id"] for i in second["items"]}]
            assert len(new) == 4
            assert all(t["predictions"][0]["model_version"] == second["model"] for t in new)
            assert all(t["data"]["image"].startswith("/data/upload/") for t in new)
            assert httpx.get(f"{serve_url}/health").json()["model_version"] == second["model"]

            # pull (with a personal access token): what is new comes in, what the webhook brought is skipped
            annotate(ls, new[0], truth)
            personal = ls.call("POST", "/api/token/")["token"]
            out = cli("import", str(run), "--format", "labelstudio", "--ls-url", studio["url"],
                      "--ls-token", personal, "--project", str(project), env=env)  # fmt: skip
            assert "imported 1 labels" in out and "skipped 2 already imported" in out, out
        finally:
            server.terminate()
            server.wait(timeout=30)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
