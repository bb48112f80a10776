# ruff: noqa: E501  (a table: one case per line reads better than wrapped cells)
"""The bad-input catalogue as data: one line per case.

Each :class:`Case` names a breakage (a function that damages a copy of the world and returns
the command to run), the message fragment the one ``error:`` line must contain (the file or
option at fault), the exit code (2 bad input, 3 environment, 0 where the run recovers exactly)
and what must be left unchanged. A new case is one more line in :data:`CASES`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from tests.reliability.hostile import (
    corrupt_pixels,
    crafted_checkpoint,
    json_file,
    labelmap_folder,
    labelmap_of,
    ls_annotation,
    ls_task,
    mask_png,
    png_claiming,
    unrelated_weights,
    zip_of,
)


@dataclass
class Ctx:
    """What a breakage works on: a copy of the dataset, a finished run and a half-finished run."""

    tmp: Path
    data: Path
    done: Path
    partial: Path
    new: Path  # an --out that does not exist yet
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *extra: str, out: Path | None = None, data: Path | None = None) -> list[str]:
        return ["run", "--dataset", "folder", "--dataset-opt", f"root={data or self.data}", "--model", "fake",
                "--acq", "entropy", "--initial", "3", "--budget", "2", "--cycles", "3", "--seed", "5",
                "--out", str(out or self.new), "-q", *extra]

    def resume(self, run: Path | None = None, *extra: str) -> list[str]:
        return ["run", "--resume", str(run or self.partial), "-q", *extra]

    def select(self, *extra: str, out: Path | None = None) -> list[str]:
        return ["select", "--out", str(out or self.new), "--dataset", "folder", "--dataset-opt",
                f"root={self.data}", "--model", "fake", "-q", *extra]

    def yaml(self, text: str, name: str = "run.yaml") -> Path:
        path = self.tmp / name
        path.write_text(text)
        return path


@dataclass
class Case:
    """One line of the catalogue."""

    name: str
    kind: str  # options, configs, datasets, run files, annotation, disk
    breaks: Callable[[Ctx], list[str]]
    fragment: str
    code: int = 2
    #: "done", "partial" or "data": what must be byte-identical afterwards; "new": --out not created
    keep: str = "new"


# ---------------------------------------------------------------- small breakers
def write_png(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.asarray(array, dtype=np.uint8))


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def edit_json(path: Path, change: Callable[[object], object]) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


def _state_without_last_label(ctx: Ctx) -> list[str]:
    edit_json(ctx.partial / "state.json", lambda s: {**s, "labeled": s["labeled"][:-1]})
    return ctx.resume()


def _state_with_extra_label(ctx: Ctx) -> list[str]:
    state = json.loads((ctx.partial / "state.json").read_text())
    taken = {r["id"] for r in state["labeled"]}
    spare = next(f"g{g}-{f}" for g in range(4) for f in range(4) if f"g{g}-{f}" not in taken)
    state["labeled"].append({"id": spare, "cycle": 2, "strategy": "entropy", "source": "ground-truth"})
    (ctx.partial / "state.json").write_text(json.dumps(state))
    return ctx.resume()


def _state_swapped_pick(ctx: Ctx) -> list[str]:
    state = json.loads((ctx.partial / "state.json").read_text())
    taken = {r["id"] for r in state["labeled"]}
    spare = next(f"g{g}-{f}" for g in range(4) for f in range(4) if f"g{g}-{f}" not in taken)
    next(r for r in state["labeled"] if r["cycle"] == 1)["id"] = spare
    (ctx.partial / "state.json").write_text(json.dumps(state))
    return ctx.resume()


def _dataset_change(ctx: Ctx) -> list[str]:
    import yaml

    config = yaml.safe_load((ctx.partial / "config.yaml").read_text())
    config["dataset_options"]["root"] = str(ctx.data)  # the run reads this case's copy of the data
    (ctx.partial / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    shutil.copy(ctx.data / "images" / "g0-0.png", ctx.data / "images" / "g9-0.png")
    shutil.copy(ctx.data / "labels" / "g0-0.png", ctx.data / "labels" / "g9-0.png")
    return ctx.resume()


def _then(action: Callable[[], object], args: list[str]) -> list[str]:
    action()
    return args


def _classes(n: int) -> Callable[[Ctx], list[str]]:
    def breaker(ctx: Ctx) -> list[str]:
        (ctx.data / "classes.txt").write_text("".join(f"c{i}\n" for i in range(n)))
        return ctx.run()
    return breaker


def _pool_file(text: str) -> Callable[[Ctx], list[str]]:
    def breaker(ctx: Ctx) -> list[str]:
        path = ctx.tmp / "pool.txt"
        path.write_text(text)
        return ctx.run("--pool-file", str(path))
    return breaker


def _config(text: str) -> Callable[[Ctx], list[str]]:
    def breaker(ctx: Ctx) -> list[str]:
        return ["run", "--config", str(ctx.yaml(text)), "--out", str(ctx.new), "-q"]
    return breaker


def _run_config(text: str) -> Callable[[Ctx], list[str]]:
    def breaker(ctx: Ctx) -> list[str]:
        (ctx.partial / "config.yaml").write_text(text)
        return ctx.resume()
    return breaker


def _groups(text: str) -> Callable[[Ctx], list[str]]:
    def breaker(ctx: Ctx) -> list[str]:
        (ctx.data / "groups.csv").write_text(text)
        return ctx.run()
    return breaker


def _state(text: str) -> Callable[[Ctx], list[str]]:
    def breaker(ctx: Ctx) -> list[str]:
        (ctx.partial / "state.json").write_text(text)
        return ctx.resume()
    return breaker


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
DEEP = "[" * 200_000 + "]" * 200_000


def opt(*args: str, fragment: str, kind: str = "options", code: int = 2) -> Case:
    """A case that is just extra command-line items on a valid new run."""
    return Case(" ".join(args), kind, lambda ctx: ctx.run(*args), fragment, code)


def mmseg(*options: str, fragment: str, env: dict[str, str] | None = None, select: bool = False) -> Case:
    """A case of the MMSeg model plugin's options, on a new run (or a first ``alcore select``)."""
    items = [a for o in options for a in ("--model-opt", o)]

    def breaker(ctx: Ctx) -> list[str]:
        ctx.env.update(env or {})
        return ctx.select("--model", "mmseg", *items) if select else ctx.run("--model", "mmseg", *items)
    return Case(("select " if select else "") + "mmseg " + " ".join(options), "options", breaker, fragment)


def _import(fmt: str, name: str, make: Callable[[Path], object], **env: str) -> Callable[[Ctx], list[str]]:
    """Import ``name`` (made by ``make`` in the case's folder) into the finished run."""
    def breaker(ctx: Ctx) -> list[str]:
        ctx.env.update(env)
        path = ctx.tmp / name
        make(path)
        return ["import", str(ctx.done), str(path), "--format", fmt]
    return breaker


def import_case(name: str, fmt: str, file: str, make: Callable[[Path], object], fragment: str,
                **env: str) -> Case:
    return Case(name, "annotation", _import(fmt, file, make, **env), fragment, keep="done")


def resume_with(*args: str, fragment: str) -> Case:
    return Case("resume " + " ".join(args), "options", lambda ctx: ctx.resume(None, *args), fragment,
                keep="partial")


def select_with(*args: str, fragment: str) -> Case:
    return Case("select " + " ".join(args), "options", lambda ctx: ctx.select(*args), fragment)


CASES: list[Case] = [
    # ------------------------------------------------------------------ options
    opt("--cycles", "0", fragment="--cycles must be at least 1"),
    opt("--cycles", "-2", fragment="--cycles must be at least 1"),
    opt("--cycles", "1001", fragment="--cycles must be at most 1000"),
    opt("--budget", "0", fragment="--budget must be at least 1"),
    opt("--budget", "-3", fragment="--budget must be at least 1"),
    opt("--budget", "20000000", fragment="--budget must be at most"),
    opt("--initial", "0", fragment="--initial must be at least 1"),
    opt("--initial", "-1", fragment="--initial must be at least 1"),
    opt("--seed", "-1", fragment="--seed must be at least 0"),
    opt("--seed", "4294967296", fragment="--seed must be at most"),
    opt("--seed", "4000001", fragment="--seed must be at most 4000000"),
    opt("--cycles", "abc", fragment="--cycles: 'abc' is not a valid integer"),
    opt("--budget", "1.5", fragment="--budget: '1.5' is not a valid integer"),
    opt("--seed", "1e3", fragment="--seed: '1e3' is not a valid integer"),
    opt("--initial", "", fragment="--initial: '' is not a valid integer"),
    opt("--no-such-option", fragment="--no-such-option: no such option"),
    opt("--cycles", fragment="--cycles: needs a value"),
    Case("unknown command", "options", lambda ctx: ["selekt", "--out", str(ctx.new)], "no such command 'selekt'"),
    Case("select without --out", "options", lambda ctx: ["select", "--budget", "2"], "--out: missing"),
    Case("data describe without a dataset", "options", lambda ctx: ["data", "describe"], "DATASET: missing"),
    Case("select --budget not a number", "options", lambda ctx: ctx.select("--budget", "many"),
         "--budget: 'many' is not a valid integer"),
    opt("--acq", "nosuch", fragment="unknown acquisition 'nosuch'"),
    opt("--ssl", "nosuch", fragment="unknown ssl 'nosuch'"),
    opt("--model", "nosuch", fragment="unknown model 'nosuch'"),
    Case("--dataset nosuch", "options", lambda ctx: ["run", "--dataset", "nosuch", "--out", str(ctx.new)],
         "unknown dataset 'nosuch'"),
    opt("--acq-opt", "novalue", fragment="--acq-opt"),
    opt("--acq-opt", "nosuch=1", fragment="has no option 'nosuch'"),
    opt("--model-opt", "nosuch=1", fragment="has no option 'nosuch'"),
    opt("--dataset-opt", "nosuch=1", fragment="has no option 'nosuch'"),
    opt("--dataset-opt", "ignore_index=-1", fragment="option 'ignore_index': must be at least 0"),
    opt("--dataset-opt", "ignore_index=abc", fragment="option 'ignore_index'"),
    opt("--dataset-opt", "val_fraction=2", fragment="option 'val_fraction': must be at most"),
    opt("--dataset-opt", "val_fraction=nan", fragment="option 'val_fraction': must be a finite number"),
    opt("--dataset-opt", "validate=maybe", fragment="option 'validate'"),
    opt("--ssl", "fixmatch", "--ssl-opt", "threshold=2", fragment="option 'threshold': must be at most 1"),
    opt("--ssl", "fixmatch", "--ssl-opt", "ratio=-1", fragment="option 'ratio': must be at least"),
    opt("--ssl", "fixmatch", "--ssl-opt", "momentum=1.5", fragment="option 'momentum'"),
    opt("--ssl", "fixmatch", "--ssl-opt", "weight=inf", fragment="option 'weight': must be a finite"),
    opt("--acq", "coreset", "--acq-opt", "chunk_rows=-1", fragment="option 'chunk_rows'"),
    Case("--pool-file missing", "options", lambda ctx: ctx.run("--pool-file", str(ctx.tmp / "nope.txt")),
         "nope.txt"),
    Case("--pool-file empty", "options", _pool_file("# nothing\n"), "lists no sample ids"),
    Case("--pool-file unknown id", "options", _pool_file("g0-0\nzz-9\n"), "not in the dataset"),
    Case("--out is a file", "options",
         lambda ctx: _then(lambda: ctx.new.write_text("x"), ctx.run()), "is a file, not a folder", keep="new-file"),
    Case("--out inside a file", "options",
         lambda ctx: _then(lambda: (ctx.tmp / "afile").write_text("x"), ctx.run(out=ctx.tmp / "afile" / "run")),
         "afile", keep="new"),
    Case("--out not empty", "options",
         lambda ctx: _then(lambda: (ctx.new.mkdir(), (ctx.new / "notes.txt").write_text("mine")), ctx.run()),
         "not empty", keep="new-dir"),
    Case("--out holds a run", "options", lambda ctx: ctx.run(out=ctx.done), "already holds a run", keep="done"),
    Case("--resume missing", "options", lambda ctx: ctx.resume(ctx.tmp / "nothere"), "nothere"),
    Case("--resume not a run", "options", lambda ctx: _then(lambda: ctx.new.mkdir(), ctx.resume(ctx.new)),
         "not a run directory", keep="new-dir"),
    resume_with("--cycles", "5", fragment="--cycles"),
    resume_with("--budget", "2", fragment="--budget"),
    resume_with("--initial", "2", fragment="--initial"),
    resume_with("--seed", "1", fragment="--seed"),
    resume_with("--model-opt", "width=4", fragment="--model-opt"),
    resume_with("--acq-opt", "chunk_rows=3", fragment="--acq-opt"),
    resume_with("--ssl-opt", "ratio=1", fragment="--ssl-opt"),
    resume_with("--dataset-opt", "validate=0", fragment="--dataset-opt"),
    resume_with("--acq", "random", fragment="--acq"),
    resume_with("--model-config", "x.py", fragment="--model-config x.py differs"),
    select_with("--budget", "0", fragment="--budget must be at least 1"),
    select_with("--budget", "-4", fragment="--budget must be at least 1"),
    select_with("--seed", "-1", fragment="--seed must be at least 0"),
    select_with("--acq", "nosuch", fragment="unknown acquisition 'nosuch'"),
    select_with("--initial-labels", "/nonexistent/labels", fragment="/nonexistent/labels"),
    mmseg("iters=0", fragment="option 'iters': must be at least 1, got 0"),
    mmseg("iters=-5", fragment="option 'iters': must be at least 1"),
    mmseg("width=0", fragment="option 'width': must be at least 1, got 0"),
    mmseg("eval_batch_size=0", fragment="option 'eval_batch_size': must be at least 1"),
    mmseg("batch_size=1", fragment="option 'batch_size': must be at least 2"),
    mmseg("epochs=-1", fragment="option 'epochs': must be at least 0"),
    mmseg("lr=-0.1", fragment="option 'lr': must be at least 0"),
    mmseg("lr=nan", fragment="option 'lr': must be a finite number"),
    mmseg("workers=-1", fragment="option 'workers': must be at least 0"),
    mmseg("mc_samples=0", fragment="option 'mc_samples': must be at least 1"),
    mmseg("threads=-2", fragment="option 'threads': must be at least 0"),
    mmseg("embedding_stage=99", fragment="option 'embedding_stage': must be at most"),
    mmseg("embedding_stage=4", fragment="embedding_stage: 4 is not a stage of this backbone"),
    mmseg("pretrained=/nonexistent.pth", fragment="option 'pretrained': '/nonexistent.pth' does not exist"),
    mmseg("pretrained=/tmp", fragment="option 'pretrained': '/tmp' is not a file"),
    mmseg("pretrained=https://example.com/w.pth", fragment="is not a local file"),
    Case("mmseg pretrained weights that fit nothing", "options",
         lambda ctx: ctx.run("--model", "mmseg", "--model-opt", f"pretrained={unrelated_weights(ctx)}"),
         "pretrained: none of the 1 tensors"),
    mmseg("device=cuda", env={"CUDA_VISIBLE_DEVICES": ""}, fragment="device=cuda but CUDA is not available"),
    mmseg("device=gpu", fragment="option 'device': 'gpu' is not one of"),
    mmseg("on_url=maybe", fragment="option 'on_url': must be one of 'error', 'scratch'"),
    Case("mmseg --model-config missing", "options",
         lambda ctx: ctx.run("--model", "mmseg", "--model-config", "/nonexistent.py"),
         "option 'config': '/nonexistent.py' does not exist"),
    mmseg("config=/nonexistent.py", fragment="--model-opt config names the Python model config"),
    mmseg("iters=0", select=True, fragment="option 'iters': must be at least 1"),
    mmseg("device=cuda", select=True, env={"CUDA_VISIBLE_DEVICES": ""}, fragment="CUDA is not available"),
    # ------------------------------------------------------------------ configs
    Case("config missing", "configs", lambda ctx: ["run", "--config", str(ctx.tmp / "no.yaml")], "no.yaml"),
    Case("config syntax error", "configs", _config("cycles: [1,\n"), "is not valid YAML"),
    Case("config is a list", "configs", _config("- 1\n- 2\n"), "must hold a mapping"),
    Case("config is a scalar", "configs", _config("just text\n"), "must hold a mapping"),
    Case("config unknown key", "configs", _config("cycels: 3\n"), "unknown key 'cycels'"),
    Case("config cycles not int", "configs", _config("cycles: three\n"), "'cycles' must be an integer"),
    Case("config cycles bool", "configs", _config("cycles: true\n"), "'cycles' must be an integer"),
    Case("config budget float", "configs", _config("budget: 1.5\n"), "'budget' must be an integer"),
    Case("config cycles 0", "configs", _config("cycles: 0\n"), "--cycles must be at least 1"),
    Case("config seed negative", "configs", _config("seed: -4\n"), "--seed must be at least 0"),
    Case("config dataset not a name", "configs", _config("dataset: 3\n"), "'dataset' must be a string"),
    Case("config options a list", "configs", _config("acq_options: [1, 2]\n"), "'acq_options' must be a mapping"),
    Case("config options a string", "configs", _config("model_options: wide\n"), "'model_options' must be a"),
    Case("config keys mix types", "configs", _config("1: 2\ncycles: 3\n"), "key 1 is not a name"),
    Case("config option key not a name", "configs", _config("acq_options: {1: 2}\n"), "'acq_options' has a key 1"),
    Case("config pool_file not a path", "configs", _config("pool_file: 3\n"), "'pool_file' must be"),
    Case("config alias bomb", "configs", _config(BOMB), "YAML nodes through its aliases"),
    Case("config not UTF-8", "configs",
         lambda ctx: _then(lambda: (ctx.tmp / "bin.yaml").write_bytes(b"\xff\xfe\x00cycles"),
                           ["run", "--config", str(ctx.tmp / "bin.yaml"), "--out", str(ctx.new)]), "not UTF-8"),
    Case("config too large", "configs",
         lambda ctx: _then(lambda: ctx.env.update(ALCORE_MAX_YAML_KB="1"), _config("#" * 4000 + "\n")(ctx)),
         "is over 1 KB"),
    Case("config names a Python model config", "configs",
         lambda ctx: ["run", "--config", str(ctx.yaml(f"dataset: folder\ndataset_options: {{root: {ctx.data}}}\n"
                                                      "model_options: {config: evil.py}\n")), "--out", str(ctx.new)],
         "names the Python model config 'evil.py'"),
    Case("resumed run names a Python model config", "configs",
         lambda ctx: _then(lambda: (ctx.partial / "config.yaml").write_text(
             (ctx.partial / "config.yaml").read_text().replace("model_options: {}", "model_options: {config: evil.py}")),
             ctx.resume()), "names the Python model config 'evil.py'", keep="partial"),
    Case("model config loads a crafted checkpoint from a run-shaped folder", "configs", crafted_checkpoint,
         "fake-run/cycles/001/checkpoint.pth' holds more than weights and nothing proves alcore wrote it"),
    Case("config unknown acq", "configs", _config("acq: nosuch\n"), "unknown acquisition 'nosuch'"),
    Case("config unknown option", "configs",
         lambda ctx: ["run", "--config", str(ctx.yaml(f"dataset: folder\ndataset_options: {{root: {ctx.data}, x: 1}}\n"
                                                      "model: fake\n")), "--out", str(ctx.new)],
         "has no option 'x'"),
    # ------------------------------------------------------------------ datasets
    Case("truncated image", "datasets", lambda ctx: _then(lambda: truncate(ctx.data / "images/g1-1.png"), ctx.run()),
         "images/g1-1.png"),
    Case("image not a PNG", "datasets",
         lambda ctx: _then(lambda: (ctx.data / "images/g1-2.png").write_bytes(b"not a png"), ctx.run()),
         "images/g1-2.png"),
    Case("image corrupt pixel data", "datasets",
         lambda ctx: _then(lambda: corrupt_pixels(ctx.data / "images/g2-1.png"), ctx.run()), "images/g2-1.png"),
    Case("label corrupt pixel data", "datasets",
         lambda ctx: _then(lambda: corrupt_pixels(ctx.data / "labels/g2-2.png"), ctx.run()), "labels/g2-2.png"),
    Case("label truncated", "datasets", lambda ctx: _then(lambda: truncate(ctx.data / "labels/g0-2.png"), ctx.run()),
         "labels/g0-2.png"),
    Case("val image truncated", "datasets",
         lambda ctx: _then(lambda: truncate(ctx.data / "val/images/v1.png"), ctx.run()), "val/images/v1.png"),
    Case("val label missing", "datasets",
         lambda ctx: _then(lambda: (ctx.data / "val/labels/v0.png").unlink(), ctx.run()), "val/images/v0.png"),
    Case("pool label missing", "datasets",
         lambda ctx: _then(lambda: (ctx.data / "labels/g3-1.png").unlink(), ctx.run()), "images/g3-1.png"),
    Case("label without image", "datasets",
         lambda ctx: _then(lambda: shutil.copy(ctx.data / "labels/g0-0.png", ctx.data / "labels/zz.png"), ctx.run()),
         "labels/zz.png"),
    Case("label of another size", "datasets",
         lambda ctx: _then(lambda: write_png(ctx.data / "labels/g1-3.png", np.zeros((8, 8))), ctx.run()),
         "labels/g1-3.png"),
    Case("label values out of range", "datasets",
         lambda ctx: _then(lambda: write_png(ctx.data / "labels/g2-3.png", np.full((16, 32), 7)), ctx.run()),
         "labels/g2-3.png"),
    Case("label in colour", "datasets",
         lambda ctx: _then(lambda: write_png(ctx.data / "labels/g0-1.png", np.zeros((16, 32, 3))), ctx.run()),
         "labels/g0-1.png"),
    Case("image 1x1", "datasets",
         lambda ctx: _then(lambda: (write_png(ctx.data / "images/g3-2.png", np.zeros((1, 1, 3))),
                                    write_png(ctx.data / "labels/g3-2.png", np.zeros((1, 1)))), ctx.run()),
         "images/g3-2.png is 1x1"),
    Case("image 4x4", "datasets",
         lambda ctx: _then(lambda: (write_png(ctx.data / "images/g3-2.png", np.zeros((4, 4, 3))),
                                    write_png(ctx.data / "labels/g3-2.png", np.zeros((4, 4)))), ctx.run()),
         "at least 8 pixels"),
    Case("mixed image sizes", "datasets",
         lambda ctx: _then(lambda: (write_png(ctx.data / "images/g3-3.png", np.zeros((24, 40, 3))),
                                    write_png(ctx.data / "labels/g3-3.png", np.zeros((24, 40)))), ctx.run()),
         "images differ in size"),
    Case("image decompression bomb", "datasets",
         lambda ctx: _then(lambda: (ctx.data / "images/g2-0.png").write_bytes(png_claiming(30000, 30000)), ctx.run()),
         "images/g2-0.png claims 30000x30000"),
    Case("label decompression bomb", "datasets",
         lambda ctx: _then(lambda: (ctx.data / "labels/g2-0.png").write_bytes(png_claiming(13000, 13000)), ctx.run()),
         "labels/g2-0.png claims 13000x13000"),
    Case("image empty file", "datasets",
         lambda ctx: _then(lambda: (ctx.data / "images/g1-0.png").write_bytes(b""), ctx.run()), "images/g1-0.png"),
    Case("image is a folder", "datasets",
         lambda ctx: _then(lambda: ((ctx.data / "images/g1-0.png").unlink(), (ctx.data / "images/g1-0.png").mkdir()),
                           ctx.run()), "g1-0"),
    Case("no images folder", "datasets",
         lambda ctx: _then(lambda: shutil.rmtree(ctx.data / "images"), ctx.run()), "has no images/ folder"),
    Case("empty pool", "datasets",
         lambda ctx: _then(lambda: (shutil.rmtree(ctx.data / "images"), shutil.rmtree(ctx.data / "labels"),
                                    (ctx.data / "images").mkdir(), (ctx.data / "groups.csv").unlink()), ctx.run()),
         "no images found"),
    Case("root missing", "datasets", lambda ctx: ctx.run(data=ctx.tmp / "nodata"), "nodata"),
    Case("300 classes", "datasets", _classes(300), "reach the ignore index 255"),
    Case("classes.txt empty", "datasets",
         lambda ctx: _then(lambda: (ctx.data / "classes.txt").write_text(""), ctx.run()), "classes"),
    Case("groups.csv two groups for one id", "datasets",
         _groups("id,group,frame\ng0-0,g0,0\ng0-0,g1,0\n"), "id 'g0-0' is given a second group"),
    Case("groups.csv missing columns", "datasets", _groups("name,seq\ng0-0,g0\n"), "expected columns id,group"),
    Case("groups.csv bad frame", "datasets", _groups("id,group,frame\ng0-0,g0,first\n"), "groups.csv:2"),
    Case("groups.csv unknown id", "datasets", _groups("id,group,frame\nzz,g0,0\n"), "names ids without an image"),
    # ------------------------------------------------------------------ run files
    Case("state.json deleted", "run files", lambda ctx: _then(lambda: (ctx.partial / "state.json").unlink(),
                                                              ctx.resume()), "state.json is missing", keep="partial"),
    Case("state.json is []", "run files", _state("[]"), "state.json", keep="partial"),
    Case("state.json truncated", "run files",
         lambda ctx: _then(lambda: truncate(ctx.partial / "state.json"), ctx.resume()), "state.json", keep="partial"),
    Case("state.json empty", "run files", _state(""), "state.json", keep="partial"),
    Case("state.json nested deeply", "run files", _state(DEEP), "nested too deeply", keep="partial"),
    Case("state.json wrong version", "run files", _state('{"version": 99}'), "version 99", keep="partial"),
    Case("state.json labels not records", "run files",
         _state('{"version": 1, "digest": "x", "size": 16, "labeled": [1, 2]}'), "state.json", keep="partial"),
    Case("state.json labels a string", "run files",
         _state('{"version": 1, "digest": "x", "size": 16, "labeled": "g0-0"}'), "state.json", keep="partial"),
    Case("state.json a label twice", "run files",
         lambda ctx: _then(lambda: edit_json(ctx.partial / "state.json",
                                             lambda s: {**s, "labeled": s["labeled"] + s["labeled"][:1]}),
                           ctx.resume()), "labeled twice", keep="partial"),
    Case("state.json lost a pick", "run files", _state_without_last_label, "disagree", keep="partial"),
    Case("state.json extra label", "run files", _state_with_extra_label, "state.json", keep="partial"),
    Case("state.json other pick", "run files", _state_swapped_pick, "disagree", keep="partial"),
    Case("state.json other initial set", "run files",
         lambda ctx: _then(lambda: edit_json(ctx.partial / "state.json", lambda s: {
             **s, "labeled": [r for r in s["labeled"] if r["cycle"] > 0]}), ctx.resume()),
         "initial labeled set", keep="partial"),
    Case("state.json over the size limit", "run files",
         lambda ctx: _then(lambda: ctx.env.update(ALCORE_MAX_JSON_MB="0.0001"), ctx.resume()),
         "ALCORE_MAX_JSON_MB", keep="partial"),
    Case("pool changed under the run", "run files", _dataset_change, "pool differs", keep="partial"),
    Case("finished cycle's checkpoint deleted", "run files",
         lambda ctx: _then(lambda: ((ctx.partial / "cycles/001/checkpoint.pth").unlink(),
                                    (ctx.partial / "cycles/002/checkpoint.pth").unlink()), ctx.resume()),
         "cycles/001/checkpoint.pth is missing", keep="partial"),
    Case("finished cycle's checkpoint replaced", "run files",
         lambda ctx: _then(lambda: ((ctx.partial / "cycles/001/checkpoint.pth").write_text('["g0-0"]'),
                                    (ctx.partial / "cycles/002/checkpoint.pth").unlink()), ctx.resume()),
         "is not the checkpoint", keep="partial"),
    Case("unfinished cycle's checkpoint damaged", "run files",
         lambda ctx: _then(lambda: (ctx.partial / "cycles/002/checkpoint.pth").write_text("[broken"), ctx.resume()),
         "training cycle 2 again", code=0, keep="outcome"),
    Case("selection names a stranger", "run files",
         lambda ctx: _then(lambda: edit_json(ctx.partial / "cycles/002/selection.json",
                                             lambda s: {**s, "ids": ["nobody"]}), ctx.resume()),
         "state.json", keep="partial"),
    Case("config.yaml syntax error", "run files", _run_config("cycles: [\n"), "config.yaml", keep="partial"),
    Case("config.yaml deleted", "run files",
         lambda ctx: _then(lambda: (ctx.partial / "config.yaml").unlink(), ctx.resume()), "no config.yaml",
         keep="partial"),
    Case("config.yaml unknown key", "run files", _run_config("colour: blue\n"), "unknown key 'colour'",
         keep="partial"),
    Case("config.yaml cycles 0", "run files", _run_config("cycles: 0\n"), "--cycles must be at least 1",
         keep="partial"),
    Case("config.yaml alias bomb", "run files", _run_config(BOMB), "aliases", keep="partial"),
    Case("config.yaml a list", "run files", _run_config("- a\n"), "must hold a mapping", keep="partial"),
    Case("run dir in use", "run files",
         lambda ctx: ctx.resume(), "in use by another alcore process", keep="partial-locked"),
    # ------------------------------------------------------------------ annotation imports
    Case("import into a missing run", "annotation",
         lambda ctx: ["import", str(ctx.tmp / "norun"), str(ctx.tmp), "--format", "png"], "norun"),
    Case("import an unknown format", "annotation",
         lambda ctx: ["import", str(ctx.done), str(ctx.tmp), "--format", "tiff"], "tiff", keep="done"),
    Case("import a missing export", "annotation",
         lambda ctx: ["import", str(ctx.done), str(ctx.tmp / "none.zip"), "--format", "cvat"], "none.zip",
         keep="done"),
    Case("import a zip that is not one", "annotation",
         lambda ctx: _then(lambda: (ctx.tmp / "fake.zip").write_bytes(b"PK nothing"),
                           ["import", str(ctx.done), str(ctx.tmp / "fake.zip"), "--format", "cvat"]), "fake.zip",
         keep="done"),
    import_case("cvat member over the size limit", "cvat", "big.zip",
                zip_of({"SegmentationClass/g0-0.png": b"\0" * 200_000}),
                "member SegmentationClass/g0-0.png inflates to 200000 bytes", ALCORE_MAX_MEMBER_MB="0.1"),
    import_case("cvat zip bomb member", "cvat", "bomb.zip",
                zip_of({"SegmentationClass/g0-0.png": mask_png(), "labelmap.txt": b"\0" * (8 << 20)}),
                "member labelmap.txt inflates 1"),
    import_case("cvat labelmap.txt over the text limit", "cvat", "labels.zip",
                zip_of({"SegmentationClass/g0-0.png": mask_png(), "labelmap.txt": labelmap_of(2 << 20)}),
                "labels.zip:labelmap.txt inflates to"),
    import_case("cvat folder labelmap.txt over the text limit", "cvat", "cvat-folder", labelmap_folder,
                "cvat-folder:labelmap.txt is"),
    import_case("cvat mask claiming 13000x13000", "cvat", "huge.zip",
                zip_of({"SegmentationClass/g0-0.png": png_claiming(13000, 13000)}),
                "huge.zip:SegmentationClass/g0-0.png claims 13000x13000"),
    import_case("cvat labelmap.txt not UTF-8", "cvat", "latin.zip",
                zip_of({"SegmentationClass/g0-0.png": mask_png(), "labelmap.txt": b"caf\xe9:1,2,3::\n"}),
                "latin.zip:labelmap.txt is not UTF-8"),
    import_case("labelstudio nested 200000 deep", "labelstudio", "deep.json", json_file(DEEP), "nested too deeply"),
    import_case("labelstudio over the JSON limit", "labelstudio", "big.json",
                json_file(ls_task(annotations=[], padding="x" * 200_000)), "big.json is", ALCORE_MAX_JSON_MB="0.1"),
    import_case("labelstudio annotations a string", "labelstudio", "a.json", json_file(ls_task(annotations="done")),
                "a.json#task 7: 'annotations' must be a list of objects, got a string"),
    import_case("labelstudio annotations integers", "labelstudio", "b.json", json_file(ls_task(annotations=[1, 2])),
                "b.json#task 7: 'annotations' must be a list of objects, got a list holding int"),
    import_case("labelstudio result a string", "labelstudio", "c.json", json_file(ls_annotation(result="brush")),
                "c.json#task 7 annotation 3: 'result' must be a list of objects, got a string"),
    import_case("labelstudio result integers", "labelstudio", "d.json", json_file(ls_annotation(result=[4, 5])),
                "d.json#task 7 annotation 3: 'result' must be a list of objects"),
    import_case("labelstudio data a string", "labelstudio", "e.json",
                json_file([{"id": 7, "data": "g0-0", "annotations": [{"was_cancelled": True}]}]),
                "e.json#task 7: 'data' must be an object"),
    import_case("labelstudio value a string", "labelstudio", "f.json",
                json_file(ls_annotation(result=[{"type": "brushlabels", "value": "rle"}])),
                "f.json#task 7: a brush result's 'value' must be an object"),
    # ------------------------------------------------------------------ disk and permissions
    Case("disk full at the first write", "disk",
         lambda ctx: _then(lambda: ctx.env.update(ALCORE_FAULT_FULL="1"), ctx.run()), "no space left", code=3,
         keep="none"),
    Case("disk full writing metrics", "disk",
         lambda ctx: _then(lambda: ctx.env.update(ALCORE_FAULT_FULL="5"), ctx.run()), "metrics.json", code=3,
         keep="none"),
    Case("disk full writing the cache", "disk",
         lambda ctx: _then(lambda: ctx.env.update(ALCORE_FAULT_FULL="6"), ctx.run()), "cache.h5", code=3,
         keep="none"),
    Case("disk full on resume", "disk",
         lambda ctx: _then(lambda: ctx.env.update(ALCORE_FAULT_FULL="1"), ctx.resume()), "no space left", code=3,
         keep="partial"),
    Case("disk full in select", "disk",
         lambda ctx: _then(lambda: ctx.env.update(ALCORE_FAULT_FULL="2"), ctx.select()), "no space left", code=3,
         keep="none"),
    Case("data home is a file", "disk",
         lambda ctx: _then(lambda: ((ctx.tmp / "home").write_text("x"), ctx.env.update(ALCORE_DATA=str(ctx.tmp / "home"))),
                           ["run", "--out", str(ctx.new), "--dataset-opt", "sequences=2"]), "home", keep="new"),
    # ------------------------------------------------------------------ recovered exactly (exit 0)
    Case("record.json truncated", "run files",
         lambda ctx: _then(lambda: truncate(ctx.partial / "cycles/001/record.json"), ctx.resume()),
         "recomputing it", code=0, keep="outcome"),
    Case("metrics.json garbage", "run files",
         lambda ctx: _then(lambda: (ctx.partial / "cycles/001/metrics.json").write_text("{}"), ctx.resume()),
         "", code=0, keep="outcome"),
    Case("unfinished selection truncated", "run files",
         lambda ctx: _then(lambda: truncate(ctx.partial / "cycles/002/selection.json"), ctx.resume()),
         "recomputing it", code=0, keep="outcome"),
    Case("cache.h5 garbage", "run files",
         lambda ctx: _then(lambda: (ctx.partial / "cache.h5").write_bytes(b"\0" * 4096), ctx.resume()),
         "", code=0, keep="outcome"),
    Case("middle cycle deleted", "run files",
         lambda ctx: _then(lambda: shutil.rmtree(ctx.partial / "cycles/001"), ctx.resume()), "", code=0,
         keep="outcome"),
    Case("finished cycle's selection and record lost", "run files",
         lambda ctx: _then(lambda: ((ctx.partial / "cycles/001/selection.json").unlink(),
                                    (ctx.partial / "cycles/001/record.json").unlink()), ctx.resume()),
         "", code=0, keep="outcome"),
    Case("results.json garbage", "run files",
         lambda ctx: _then(lambda: (ctx.partial / "results.json").write_text("{"), ctx.resume()),
         "", code=0, keep="outcome"),
]
