"""``alcore serve`` without Label Studio: every endpoint, refused payloads, durable annotations, kills."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from annotators import brush_result, make_pool, truth_of
from PIL import Image
from starlette.testclient import TestClient
from test_annotation_session import StubPlugin

from alcore.annotation.session import select
from alcore.progress import Reporter
from alcore.serve import inbox, worker
from alcore.serve.app import create_app
from alcore.serve.server import build_service

TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CLASSES = ["background", "ground", "object"]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A production run whose first cycle trained (on given labels) and wrote predictions."""
    from alcore.plugins import build_registry

    monkeypatch.setenv("ALCORE_DATA", str(tmp_path / "data"))
    ids = make_pool(tmp_path / "pool", tmp_path / "truth")
    given = tmp_path / "given"
    given.mkdir()
    for sid in ids[:3]:
        Image.fromarray(truth_of(tmp_path / "truth", sid)).save(given / f"{sid}.png")
    settings = {
        "dataset": "folder",
        "dataset_options": {"root": str(tmp_path / "pool")},
        "model": "stub",
        "acq": "entropy",
        "budget": 4,
    }
    registry = build_registry(extra_plugins=[("stub", StubPlugin)])
    batch = select(tmp_path / "run", settings, given, Reporter(quiet=True), registry)
    assert batch.model and all(i.prediction for i in batch.items)
    return {"root": tmp_path / "run", "batch": batch, "truth": tmp_path / "truth", "tmp": tmp_path}


def client(run: dict, **kw) -> TestClient:
    return TestClient(create_app(build_service(run["root"], token=TOKEN, retrain=False, **kw)))


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def annotation_event(
    run: dict, sid: str, ann_id: int, label: np.ndarray, updated: str = "2026-01-01T00:00:00Z", **extra
) -> dict:
    """Label Studio's ANNOTATION_CREATED webhook body for one brush annotation of one task."""
    result = [brush_result(label == k, CLASSES[k], k) for k in np.unique(label) if k < 3]
    return {
        "action": "ANNOTATION_CREATED",
        "annotation": {
            "id": ann_id,
            "result": result,
            "completed_by": 1,
            "updated_at": updated,
            "was_cancelled": False,
            **extra,
        },
        "task": {"id": 100 + ann_id, "data": {"alcore_id": sid, "image": f"http://x/images/{sid}.png"}},
        "project": {"id": 7},
    }


def test_health_setup_and_predict_serve_the_batch_predictions_in_pick_order(run: dict) -> None:
    from label_studio_converter import brush

    c = client(run)
    batch = run["batch"]
    assert c.get("/health").json() == {"status": "UP", "model_class": "alcore", "model_version": batch.model}
    answer = c.post(
        "/setup", json={"project": "7.1700000000", "schema": "<View><BrushLabels/></View>"}, headers=AUTH
    )
    assert answer.status_code == 200 and answer.json() == {"model_version": batch.model}
    tasks = [{"id": n, "data": {"alcore_id": i.id}} for n, i in enumerate(reversed(batch.items))]
    tasks.append({"id": 99, "data": {"image": "/data/upload/1/nobody.png"}})
    results = c.post("/predict", json={"tasks": tasks}, headers=AUTH).json()["results"]
    assert len(results) == len(tasks) and results[-1]["result"] == []
    by_rank = {}
    for task, res in zip(tasks, results[:-1]):
        item = next(i for i in batch.items if i.id == task["data"]["alcore_id"])
        assert res["model_version"] == batch.model and 0 < res["score"] < 1
        by_rank[item.rank] = res["score"]
        pred = np.asarray(Image.open(run["root"] / item.prediction))
        painted = np.full(pred.shape, 255, np.uint8)
        for r in res["result"]:
            alpha = brush.decode_rle(r["value"]["rle"]).reshape(*pred.shape, 4)[:, :, 3]
            painted[alpha == 255] = CLASSES.index(r["value"]["brushlabels"][0])
        assert np.array_equal(painted, pred)
    # Label Studio serves the lowest score first: the first pick must have the lowest
    assert [by_rank[r] for r in sorted(by_rank)] == sorted(by_rank.values())
    image = c.get(f"/images/{batch.items[0].name}.png")
    assert image.status_code == 200 and image.content == Path(batch.items[0].image).read_bytes()
    assert c.get("/images/not-selected.png").status_code == 404


def test_the_token_is_required_and_basic_auth_carries_it(run: dict) -> None:
    c = client(run)
    body = {"tasks": []}
    assert c.post("/predict", json=body).status_code == 401
    assert c.post("/predict", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.post("/webhook", json={"action": "START_TRAINING"}).status_code == 401
    assert c.post("/predict", json=body, auth=("alcore", TOKEN)).status_code == 200
    assert c.post("/predict", json=body, headers={"Authorization": f"Token {TOKEN}"}).status_code == 200


def test_bad_payloads_get_a_one_line_4xx_and_write_nothing(run: dict) -> None:
    c = client(run, max_body=200_000)
    sid = run["batch"].items[0].id
    truth = truth_of(run["truth"], sid)
    wrong_class = annotation_event(run, sid, 1, truth)
    wrong_class["annotation"]["result"][0]["value"]["brushlabels"] = ["tree"]
    cases = [
        ("/predict", b"not json", 400, "not JSON"),
        ("/predict", b"[1, 2]", 400, "JSON object"),
        ("/predict", b'{"tasks": 3}', 400, "'tasks'"),
        ("/setup", b"{}", 400, "needs 'project'"),
        ("/setup", b'{"project": "1.2", "schema": "<View><Choices/></View>"}', 422, "BrushLabels"),
        ("/webhook", b"{}", 400, "needs 'action'"),
        ("/webhook", b'{"action": "ANNOTATION_CREATED", "annotation": {}}', 400, "with an 'id'"),
        ("/webhook", json.dumps(annotation_event(run, "nobody", 2, truth)).encode(), 422, "not a task"),
        ("/webhook", json.dumps(wrong_class).encode(), 422, "['tree'] is not a class"),
        ("/webhook", json.dumps(annotation_event(run, sid, 3, truth[:, :32])).encode(), 422, "32x32"),
        ("/webhook", b'{"action": "ANNOTATIONS_DELETED", "annotations": [3]}', 400, "list of {id}"),
        ("/webhook", b'{"action": "x", "pad": "' + b"x" * 300_000 + b'"}', 413, "over the limit"),
    ]
    before = snapshot(run["root"])
    for path, raw, status, expect in cases:
        answer = c.post(path, content=raw, headers={**AUTH, "Content-Type": "application/json"})
        error = answer.json()["error"]
        assert answer.status_code == status and expect in error and "\n" not in error, (path, error)
    assert snapshot(run["root"]) == before


def test_webhook_keeps_updates_deletions_and_the_fold_writes_them_with_provenance(run: dict) -> None:
    c = client(run)
    a, b, skipped = (i.id for i in run["batch"].items[:3])
    ta, tb = truth_of(run["truth"], a), truth_of(run["truth"], b)
    wrong = np.where(ta == 2, 1, ta)
    for event in (
        annotation_event(run, a, 11, wrong, "2026-01-01T10:00:00Z"),
        annotation_event(run, a, 12, ta, "2026-01-01T11:00:00Z"),
        annotation_event(run, b, 13, tb),
        {
            **annotation_event(run, skipped, 14, tb),
            "annotation": {"id": 14, "was_cancelled": True, "result": []},
        },
    ):
        assert c.post("/webhook", json=event, headers=AUTH).status_code == 201
    older = annotation_event(run, b, 13, np.ones_like(tb), "2025-01-01T00:00:00Z")
    assert c.post("/webhook", json=older, headers=AUTH).json()["stored"][0]["stored"] is False
    record = json.loads((run["root"] / "serve/annotations/13.json").read_text())
    assert (
        record["sample"] == b and record["task"] == 113 and record["completed_by"] == 1 and record["received"]
    )

    summary = worker.fold(run["root"])
    assert sorted(summary["added"]) == sorted([a, b]) and summary["released"] == [skipped]
    assert any("took annotation 12 (the newest), ignored 11" in n for n in summary["notes"])
    state = json.loads((run["root"] / "state.json").read_text())
    sources = {r["id"]: r["source"] for r in state["labeled"]}
    assert sources[a].startswith("labelstudio:") and "task=112&annotation=12" in sources[a]
    assert np.array_equal(np.asarray(Image.open(run["root"] / f"labels/{a}.png")), ta)

    # a deletion takes the label back out of the run at the next fold
    gone = c.post(
        "/webhook", json={"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 13}]}, headers=AUTH
    )
    assert gone.json() == {"deleted": [13]}
    assert worker.fold(run["root"])["removed"] == [b]
    state = json.loads((run["root"] / "state.json").read_text())
    assert b not in {r["id"] for r in state["labeled"]} and not (run["root"] / f"labels/{b}.png").exists()
    assert c.post("/webhook", json={"action": "PROJECT_UPDATED"}, headers=AUTH).json() == {
        "ignored": "PROJECT_UPDATED"
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(run_root: Path, port: int, fault: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "ALCORE_SERVE_TOKEN": TOKEN}
    env.pop("ALCORE_FAULT_KILL", None)
    if fault:
        env["ALCORE_FAULT_KILL"] = fault
    cmd = [sys.executable, "-m", "alcore.cli", "serve", str(run_root), "--port", str(port), "--no-retrain"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"server did not start: {proc.stderr.read().decode()[-2000:]}")


@pytest.mark.parametrize("fault", ["webhook-ack:3", "write:3"])
def test_sigkill_between_receiving_and_acknowledging_loses_no_acknowledged_annotation(
    run: dict, fault: str
) -> None:
    """Kill the server inside the 3rd annotation's handling; the acknowledged ones survive whole."""
    port = free_port()
    proc = start_server(run["root"], port, fault)
    items = run["batch"].items
    acknowledged = []
    try:
        for n, item in enumerate(items[:3], start=1):
            event = annotation_event(run, item.id, n, truth_of(run["truth"], item.id))
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/webhook", json=event, headers=AUTH, timeout=30)
            except httpx.HTTPError:
                break
            assert answer.status_code == 201
            acknowledged.append(n)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        proc.kill()
    assert acknowledged == [1, 2]
    proc = start_server(run["root"], port)
    try:
        kept = {r["annotation"]: r for r in inbox.load(run["root"])}
        assert {1, 2} <= set(kept) <= {1, 2, 3}
        for n in kept:
            assert kept[n]["sample"] == items[n - 1].id and kept[n]["result"]
        status = httpx.get(f"http://127.0.0.1:{port}/status", headers=AUTH).json()
        assert status["annotations"] == len(kept)
        # Label Studio sends the unacknowledged one again (or it is pulled); it is then kept once
        event = annotation_event(run, items[2].id, 3, truth_of(run["truth"], items[2].id))
        assert httpx.post(f"http://127.0.0.1:{port}/webhook", json=event, headers=AUTH).status_code == 201
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert sorted(r["annotation"] for r in inbox.load(run["root"])) == [1, 2, 3]
    summary = worker.fold(run["root"])
    assert sorted(summary["added"]) == sorted(i.id for i in items[:3])


def test_start_training_runs_the_worker_in_the_background_and_reports_its_failure(run: dict) -> None:
    """The run's model ('stub') exists only in this test process, so the worker process fails cleanly."""
    assert client(run).post("/webhook", json={"action": "START_TRAINING"}, headers=AUTH).status_code == 409
    service = build_service(run["root"], token=TOKEN)
    c = TestClient(create_app(service))
    answer = c.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 7}}, headers=AUTH)
    assert answer.status_code == 201 and answer.json() == {"training": "started"}
    task = {"tasks": [{"id": 1, "data": {"alcore_id": run["batch"].items[0].id}}]}
    assert c.post("/predict", json=task, headers=AUTH).json()["results"][0]["result"]
    deadline = time.time() + 120
    while service.trainer.status()["runs"] == 0 and time.time() < deadline:
        time.sleep(0.2)
    status = json.loads((run["root"] / "serve/retrain.json").read_text())
    assert service.trainer.status()["last_rc"] == 2 and status["state"] == "failed"
    assert "stub" in status["error"] and "\n" not in status["error"]
    assert c.get("/health").json()["model_version"] == run["batch"].model
