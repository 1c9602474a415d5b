"""Spark ``local[2]`` against our ALS and ``implicit``: prepare, fit, evaluate; the objective check; the
shuffle of one ALS iteration, and from them the plan for a cluster.

Run from the project root (it takes about an hour on the 2-core machine; steps already measured are kept
in ``benchmarks/work/spark/results.json`` and skipped, ``--redo fit- eval-`` measures those again)::

    .venv/bin/python -m benchmarks.bench_spark [--sizes release scale50k] [--objective real demo]
        [--redo STEP ...] [--max-load 2] [--max-wait 300] [--out benchmarks/results/spark.md]

Before each step it waits (up to ``--max-wait`` s) for the 1-minute load average to fall to ``--max-load``,
and records the load it ran at.

Every measured step is a fresh process (the CLI, or this module's ``implicit`` step): its wall time, the
time the command reports for its own work, and the peak memory of its whole process tree (the Python
driver, Spark's JVM and its Python workers, sampled every 0.2 s). Datasets are generated with
``python -m recsys generate`` into ``benchmarks/work/spark/``. Models: 64 factors, 15 iterations,
``alpha`` 1, seed 0; ALS-WR (``--reg-scaling count``, ``regParam`` 0.3) for our ALS and Spark, the WMF
defaults (``reg`` 10 unscaled) for our ALS and ``implicit`` (which has no count scaling). NDCG@10 is
measured by ``python -m recsys evaluate`` on the test split, all tracks and discovery.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.machine import load_average, machine

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "work" / "spark"
REAL = ROOT.parent / "shared" / "data" / "pozytywka-23z-50u" / "clean"
DATASETS: dict[str, dict[str, int]] = {
    "demo": {"users": 1000, "tracks": 5000, "seed": 0},
    "release": {"users": 1000, "tracks": 22000, "events": 3_000_000, "seed": 0},
    "scale50k": {"users": 50000, "tracks": 100000, "events": 10_000_000, "seed": 0},
}
MODEL = ["--embedding-dim", "64", "--epochs", "15", "--alpha", "1", "--seed", "0"]
REG_PARAM = 0.3  # ALS-WR's weight per positive pair: the best of 0.01-3 for our ALS on the demo
SPARK = ["--engine", "spark", "--spark-master", "local[2]", "--spark-conf", "spark.driver.memory=12g"]
# the fit's shuffle bytes, read back after from Spark's event log (one plain file)
EVENT_LOG = [
    "--spark-conf", "spark.eventLog.enabled=true", "--spark-conf", "spark.eventLog.compress=false",
    "--spark-conf", "spark.eventLog.rolling.enabled=false",
]
_PAGE = os.sysconf("SC_PAGE_SIZE")


# -- measuring one process ------------------------------------------------------------------------
def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (the JVM and Spark's Python workers)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            pages = int((entry / "statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
        rss[int(entry.name)] = pages * _PAGE
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def run(command: list[str], *, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``command`` (printing one JSON object); its result, wall seconds and peak tree memory (MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})},
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], _tree_rss(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}\n{err[-3000:]}")
    return {"result": json.loads(out), "wall": wall, "peak_mb": peak[0] / 2**20, "load": load_average()}


def recsys(*args: str) -> list[str]:
    return [sys.executable, "-m", "recsys", *args, "--json"]


# -- steps ----------------------------------------------------------------------------------------
def ensure_raw(name: str) -> Path:
    """The raw folder of a dataset (generated the first time)."""
    if name == "real":
        return REAL
    folder = WORK / name
    if not (folder / "sessions.jsonl").is_file():
        spec = DATASETS[name]
        flags = [f"--{k}={v}" for k, v in spec.items()]
        run(recsys("generate", "--out", str(folder), *flags))
    return folder


def implicit_step(data: Path, out: Path) -> None:
    """(In its own process) implicit's CPU ALS on the WMF defaults' objective, saved as a WMF model."""
    import torch

    from benchmarks.quality import fit_implicit
    from recsys.app.training import training_matrices
    from recsys.data.prepared import load_prepared

    torch.set_num_threads(2)
    prepared = load_prepared(data)
    train, _ = training_matrices(prepared)
    model, seconds = fit_implicit(train, {"embedding_dim": 64, "epochs": 15, "seed": 0}, use_cg=True)
    model.fingerprint = prepared.fingerprint
    model.save(out)
    print(json.dumps({"seconds": seconds, "per_iteration": seconds / 15, "model": str(out)}))


def shuffle_bytes(folder: Path) -> dict[str, float]:
    """Shuffle bytes written by the newest Spark event log in ``folder``: by its ALS iterations (the
    ``flatMap at ALS.scala`` stages that send factors to the other side's blocks, two per iteration), by
    ALS's one-off blocking of the ratings, and in all."""
    logs = sorted((p for p in folder.glob("*") if p.is_file()), key=lambda p: p.stat().st_mtime)
    if not logs:
        return {}
    stage_names: dict[int, str] = {}
    written: dict[int, int] = {}
    with open(logs[-1]) as fh:
        for line in fh:
            event = json.loads(line)
            kind = event.get("Event")
            if kind == "SparkListenerStageCompleted":
                info = event["Stage Info"]
                stage_names[info["Stage ID"]] = info["Stage Name"]
            elif kind == "SparkListenerTaskEnd":
                metrics = event.get("Task Metrics") or {}
                shuffle = (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0)
                written[event["Stage ID"]] = written.get(event["Stage ID"], 0) + int(shuffle)
    name = {s: stage_names.get(s, "") for s in written}
    iterations = [b for s, b in written.items() if name[s].startswith("flatMap at ALS.scala")]
    setup = [b for s, b in written.items() if "ALS.scala" in name[s] and not name[s].startswith("flatMap")]
    return {"all": float(sum(written.values())), "iterations": float(sum(iterations)),
            "half_iterations": float(len(iterations)), "setup": float(sum(setup))}


def wait_for_quiet(max_load: float, max_wait: float) -> None:
    """Sleep until the 1-minute load average is at most ``max_load`` (or ``max_wait`` s passed)."""
    deadline = time.monotonic() + max_wait
    while os.getloadavg()[0] > max_load and time.monotonic() < deadline:
        time.sleep(10)


def measure(
    name: str, results: dict[str, Any], redo: tuple[str, ...], *, speed: bool, quiet: tuple[float, float]
) -> None:
    """Every step of one dataset, saved into ``results[name]`` as it is measured."""
    raw = ensure_raw(name)
    mine = results.setdefault(name, {})
    base = WORK / f"{name}-out"
    models = base / "models"
    models.mkdir(parents=True, exist_ok=True)
    prep = base / "prep-local"

    def step(key: str, command: list[str]) -> dict[str, Any]:
        if key.startswith(redo) or key not in mine:
            wait_for_quiet(*quiet)
            print(f"[{name}] {key}: {' '.join(command[2:])}", flush=True)
            mine[key] = run(command)
            save(results)
        return mine[key]

    step("prepare-local", recsys("prepare", "--data", str(raw), "--out", str(prep), "--force"))
    if speed:
        spark_out = str(base / "prep-spark")
        step("prepare-spark", recsys("prepare", "--data", str(raw), "--out", spark_out, "--force", *SPARK))
    fits = {
        "ours-count": recsys("train", "--data", str(prep), "--model", "wmf", *MODEL, "--reg-scaling", "count",
                             "--reg", str(REG_PARAM), "--out", str(models / "ours-count.pt")),
        "spark": recsys("train", "--data", str(prep), "--model", "wmf", *MODEL, "--reg", str(REG_PARAM),
                        "--out", str(models / "spark.pt"), *SPARK, *EVENT_LOG,
                        "--spark-conf", f"spark.eventLog.dir=file://{base / 'events'}"),
    }
    if speed:
        fits["ours-default"] = recsys("train", "--data", str(prep), "--model", "wmf", *MODEL,
                                      "--out", str(models / "ours-default.pt"))
        fits["implicit"] = [sys.executable, "-m", "benchmarks.bench_spark", "implicit", "--data", str(prep),
                            "--model-out", str(models / "implicit.pt")]
    (base / "events").mkdir(exist_ok=True)
    for model, command in fits.items():
        step(f"fit-{model}", command)
        for regime in ("all", "discovery"):
            extra = ["--exclude-seen"] if regime == "discovery" else []
            step(f"eval-{model}-{regime}", recsys("evaluate", "--data", str(prep), "--model",
                                                  str(models / f"{model}.pt"), "--split", "test", "--k", "10",
                                                  "--n-boot", "0", *extra))
    if "shuffle" not in mine or "fit-spark".startswith(redo):
        mine["shuffle"] = shuffle_bytes(base / "events")
        save(results)
    if speed:
        model = str(models / "spark.pt")
        step("eval-spark-engine", recsys("evaluate", "--data", str(prep), "--model", model, "--split", "test",
                                         "--k", "10", "--n-boot", "0", "--exclude-seen", *SPARK))


def save(results: dict[str, Any]) -> None:
    (WORK / "results.json").write_text(json.dumps(results, indent=1, default=str))


def main(argv: list[str] | None = None) -> None:
    """Measure what is missing, then write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    one = sub.add_parser("implicit")
    one.add_argument("--data", type=Path, required=True)
    one.add_argument("--model-out", type=Path, required=True)
    parser.add_argument("--sizes", nargs="*", default=["release", "scale50k"])
    parser.add_argument("--objective", nargs="*", default=["real", "demo"])
    parser.add_argument("--redo", nargs="*", default=[], metavar="STEP",
                        help="measure again the steps whose name starts so (fit-, eval-, prepare-spark...)")
    parser.add_argument("--max-load", type=float, default=2.0, help="wait for this 1-minute load first")
    parser.add_argument("--max-wait", type=float, default=300.0, help="... but at most this many seconds")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "spark.md")
    args = parser.parse_args(argv)
    if args.command == "implicit":
        implicit_step(args.data, args.model_out)
        return
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "results.json"
    results: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
    started = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "load": load_average()}
    results.setdefault("runs", []).append(started)
    for name in args.objective:
        measure(name, results, tuple(args.redo), speed=False, quiet=(args.max_load, args.max_wait))
    for name in args.sizes:
        measure(name, results, tuple(args.redo), speed=True, quiet=(args.max_load, args.max_wait))
    results["runs"][-1]["ended"] = time.strftime("%Y-%m-%d %H:%M:%S")
    results["runs"][-1]["load_after"] = load_average()
    results["machine"] = machine()
    save(results)
    from benchmarks.spark_report import write_report

    command = " ".join([".venv/bin/python -m benchmarks.bench_spark", *(argv or sys.argv[1:])])
    write_report(results, args.out, command=command)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

