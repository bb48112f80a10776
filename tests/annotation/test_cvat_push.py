"""Push to and pull from CVAT: the real cvat-sdk client and ``alcore`` command against a local stand-in.

No CVAT server runs here (it needs its Docker images and database services); ``cvat_server``
answers the REST calls cvat-sdk makes, in the shapes of CVAT's published schema.
"""

from __future__ import annotations

import io
import json
import socket
import zipfile
from pathlib import Path

import numpy as np
import pytest
from annotators import COLOURS, colour_mask, make_pool, truth_of
from cvat_server import cvat_server
from PIL import Image
from test_annotation_session import StubPlugin

from alcore.annotation.session import select
from alcore.progress import Reporter
from tests.conftest import run_cli

TOKEN = "cvat-pat-0123456789"
CLASSES = ["background", "ground", "object"]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A production run whose first cycle trained (instant stub model) and predicted its batch of 4."""
    from alcore.plugins import build_registry

    root = tmp_path_factory.mktemp("cvat")
    ids = make_pool(root / "pool", root / "truth")
    given = root / "given"
    given.mkdir()
    for sid in ids[:3]:
        Image.fromarray(truth_of(root / "truth", sid)).save(given / f"{sid}.png")
    settings = {"dataset": "folder", "dataset_options": {"root": str(root / "pool")}, "model": "stub",
                "acq": "entropy", "budget": 4}
    env = {"ALCORE_DATA": str(root / "data")}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ALCORE_DATA", env["ALCORE_DATA"])
        batch = select(root / "run", settings, given, Reporter(quiet=True),
                       build_registry(extra_plugins=[("stub", StubPlugin)]))
    assert all(i.prediction for i in batch.items)
    return {"root": root, "env": env, "batch": [i.id for i in batch.items]}


@pytest.fixture
def case(base: dict, tmp_path: Path) -> dict:
    import shutil

    shutil.copytree(base["root"] / "run", tmp_path / "run")
    return {**base, "run": tmp_path / "run", "tmp": tmp_path}


def cli(case: dict, *args: str, code: int = 0) -> tuple[str, str]:
    proc = run_cli(*args, env=case["env"], timeout=300)
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    if code:
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return proc.stdout, proc.stderr


def _encode(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8), "RGB").save(buf, "PNG")
    return buf.getvalue()


def files_hold(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_export_creates_a_task_and_import_pulls_completed_jobs_exactly(case: dict) -> None:
    run, out, batch = case["run"], case["tmp"] / "out", case["batch"]
    truth = {i: truth_of(case["root"] / "truth", i) for i in batch}
    with cvat_server(TOKEN, segment_size=2) as cvat:
        stdout, _ = cli(case, "export", str(run), "--format", "cvat", "--to", str(out),
                        "--cvat-url", cvat.base, "--cvat-token", TOKEN)
        assert f"uploaded 4 images to {cvat.base}/tasks/1" in stdout
        assert cvat.calls[:2] == [("GET", "/api/server/about"), ("GET", "/api/users/self")]
        upload = [c for c in cvat.calls if c[0] in ("POST", "PATCH")]
        assert upload[0] == ("POST", "/api/tasks")
        assert upload[1:4] == [("POST", "/api/tasks/1/data/")] * 3  # Upload-Start, -Multiple, -Finish
        assert upload[4:6] == [("POST", "/api/tasks/1/annotations/")] * 2  # Upload-Start, TUS creation
        assert upload[6][0] == "PATCH" and upload[7] == ("POST", "/api/tasks/1/annotations/")
        assert sum(c[1].startswith("/api/requests/") for c in cvat.calls) == 2
        assert cvat.auth_seen == {f"Bearer {TOKEN}"}

        task = cvat.tasks[1]
        assert task["name"] == "alcore run cycle 0 export 001"
        assert [(label["name"], label["color"], label["type"]) for label in task["labels"]] == [
            (n, "#{:02x}{:02x}{:02x}".format(*COLOURS[k]), "mask") for k, n in enumerate(CLASSES)
        ]
        assert [f["name"] for f in task["frames"]] == [f"{i}.png" for i in batch]  # pick order
        assert task["mask_to_poly"] == "false" and sorted(task["masks"]) == sorted(batch)
        for sid in batch:  # the stub model predicts "ground" everywhere
            assert (task["masks"][sid] == COLOURS[1]).all()
        record = json.loads((run / "exports/001/manifest.json").read_text())
        assert record["project"] == f"{cvat.base}/tasks/1"

        for sid in batch[:2]:
            task["masks"][sid] = colour_mask(truth[sid])
        cvat.set_job_states(1, "completed", "in progress")
        stdout, stderr = cli(case, "import", str(run), "--format", "cvat", "--cvat-url", cvat.base,
                             "--cvat-token", TOKEN)
        assert "export 001: imported 2 labels (partial)" in stdout
        assert "note: 2 of 4 frames are in jobs not completed yet" in stderr
        assert ("POST", "/api/tasks/1/dataset/export") in cvat.calls

        changed = colour_mask(truth[batch[3]])
        changed[:4] = 0  # an annotator left a strip unlabeled
        task["masks"][batch[2]] = colour_mask(truth[batch[2]])
        task["masks"][batch[3]] = changed
        cvat.set_job_states(1, "completed", "completed")
        stdout, _ = cli(case, "import", str(run), "--format", "cvat", "--cvat-url", cvat.base,
                        "--cvat-token", TOKEN, "--cvat-task", "1")
        assert "imported 2 labels (imported); 7 labeled in all; skipped 2 already imported" in stdout

    for sid in batch[:3]:
        assert (np.asarray(Image.open(run / "labels" / f"{sid}.png")) == truth[sid]).all()
    expect = truth[batch[3]].copy()
    expect[:4] = 255
    assert (np.asarray(Image.open(run / "labels" / f"{batch[3]}.png")) == expect).all()
    state = json.loads((run / "state.json").read_text())
    sources = {r["id"]: r["source"] for r in state["labeled"]}
    pulled = sorted((run / "exports/pulled").glob("task-1-*.zip"))
    assert len(pulled) == 2 and not list((run / "exports/pulled").glob(".*"))
    assert sources[batch[0]] == f"import:cvat:{pulled[0]}"
    with zipfile.ZipFile(pulled[0]) as zf:
        assert sorted(n for n in zf.namelist() if n.startswith("SegmentationClass/")) == sorted(
            f"SegmentationClass/{i}.png" for i in batch[:2]
        )
    assert not files_hold(run, TOKEN) and not files_hold(out, TOKEN)


def test_a_project_task_with_password_login_and_an_existing_task(case: dict) -> None:
    run = case["run"]
    with cvat_server(TOKEN) as cvat:
        spec = [{"name": n, "color": "#{:02x}{:02x}{:02x}".format(*COLOURS[k]), "type": "mask"}
                for k, n in enumerate(CLASSES)]
        project = cvat.add_project("street", spec + [{"name": "sky", "color": "#4682b4", "type": "mask"}])
        stdout, _ = cli(case, "export", str(run), "--format", "cvat", "--to", str(case["tmp"] / "a"),
                        "--cvat-url", cvat.base, "--cvat-credentials", "annotator:pass",
                        "--cvat-project", str(project))
        (task,) = cvat.tasks.values()
        assert task["project_id"] == project and task["labels"] == [] and len(task["masks"]) == 4
        assert ("POST", "/api/auth/login") in cvat.calls and not cvat.auth_seen  # session cookie + CSRF

        cli(case, "close", str(run), "1")
        empty = cvat.add_task("made in CVAT", spec)
        stdout, _ = cli(case, "export", str(run), "--format", "cvat", "--to", str(case["tmp"] / "b"),
                        "--cvat-url", cvat.base, "--cvat-token", TOKEN, "--cvat-task", str(empty))
        assert f"{cvat.base}/tasks/{empty}" in stdout
        assert len(cvat.tasks[empty]["frames"]) == 4 and len(cvat.tasks[empty]["masks"]) == 4

        cli(case, "close", str(run), "2")
        cvat.tasks[empty]["labels"] = cvat.tasks[empty]["labels"][:2]
        _, err = cli(case, "export", str(run), "--format", "cvat", "--to", str(case["tmp"] / "c"),
                     "--cvat-url", cvat.base, "--cvat-token", TOKEN, "--cvat-task", str(empty), code=2)
        assert f"CVAT task {empty} lacks the label(s) object" in err


def test_bad_options_refused_credentials_and_an_unreachable_server_are_one_line(case: dict) -> None:
    run, to = str(case["run"]), str(case["tmp"] / "x")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    export, pull = ("export", run, "-f", "cvat", "--to", to), ("import", run, "-f", "cvat")
    refused = [
        (("export", run, "-f", "manifest", "--to", to, "--cvat-url", closed), "--format cvat"),
        ((*export, "--cvat-url", closed), "--cvat-token"),
        ((*export, "--cvat-task", "3"), "need --cvat-url"),
        ((*export, "--cvat-url", closed, "--cvat-token", "t", "--cvat-credentials", "u:p"), "not both"),
        ((*export, "--cvat-url", "cvat.local", "--cvat-token", "t"), "http://"),
        ((*pull, "--cvat-url", closed, "--cvat-credentials", "nopassword"), "USER:PASSWORD"),
        ((*pull, "--cvat-url", closed, "--cvat-token", "t"), "give --cvat-task"),
        ((*pull, "x.zip", "--cvat-url", closed, "--cvat-task", "1"), "no PATH"),
    ]
    for args, expect in refused:
        _, err = cli(case, *args, code=2)
        assert expect in err, (args, err)
    _, err = cli(case, *export, "--cvat-url", closed, "--cvat-token", "t", code=3)
    assert f"CVAT at {closed} did not answer (connect)" in err
    with cvat_server(TOKEN) as cvat:
        _, err = cli(case, "export", run, "-f", "cvat", "--to", to, "--cvat-url", cvat.base,
                     "--cvat-token", "wrong-token", code=2)
        assert "refused the credentials (401)" in err and "wrong-token" not in err
        _, err = cli(case, "import", run, "-f", "cvat", "--cvat-url", cvat.base, "--cvat-token", TOKEN,
                     "--cvat-task", "9", code=2)
        assert "answered 404 to GET task 9" in err
    assert not Path(to).exists() and not (case["run"] / "exports").exists()


def test_cvat_errors_reach_the_user_as_cvat_words(case: dict, tmp_path: Path) -> None:
    from alcore.annotation.cvat_api import Cvat
    from alcore.annotation.cvat_push import pull_task
    from alcore.sdk.errors import DataError, StateError

    with cvat_server(TOKEN) as fake:
        cvat = Cvat(fake.base, TOKEN)
        assert cvat.version_note() is None
        task = cvat.create_task("t", [{"name": "ground", "color": "#f423e8", "type": "mask"}], None)
        image = tmp_path / "a.png"
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image)
        cvat.upload_images(task, [image])
        bundle = tmp_path / "b.zip"
        with zipfile.ZipFile(bundle, "w") as zf:
            zf.writestr("labelmap.txt", "ground:244,35,232::\nsky:70,130,180::\n")
            zf.writestr("SegmentationClass/a.png", _encode(np.full((8, 8, 3), (70, 130, 180), np.uint8)))
        with pytest.raises(StateError, match="could not import b.zip .*Label 'sky' is not registered"):
            cvat.upload_annotations(task, bundle)
        with pytest.raises(DataError, match="has no completed job yet"):
            pull_task(case["run"], cvat, task.id)

