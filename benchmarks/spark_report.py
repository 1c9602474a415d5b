"""Writes ``benchmarks/results/spark.md`` from ``benchmarks/work/spark/results.json`` (see ``bench_spark``).

The cluster plan's numbers are computed here from the measured ones: the bytes Spark's ALS shuffled per
iteration on the 50,000-user set (its event log), calibrated against the number of factor messages its
blocking implies for that data, and the time per iteration on ``local[2]``, scaled by the work.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["write_report"]

WORK = Path(__file__).resolve().parent / "work" / "spark"
BLOCKS = 10  # spark_blocks used by the benchmark (WMFConfig's default, Spark's own)
RANK = 64
# the target of the plan, and the cluster it is sized for
TARGET = {"users": 10_000_000, "tracks": 1_000_000, "events": 10_000_000_000}
CLUSTER = {"executors": 50, "cores": 8, "memory_gb": 32, "network_gb_s": 1.25}  # 10 Gbit/s per node


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _ndcg(mine: dict[str, Any], model: str, regime: str) -> float | None:
    got = mine.get(f"eval-{model}-{regime}")
    return None if got is None else float(got["result"]["metrics"]["ndcg@10"])


def _per_iteration(fit: dict[str, Any]) -> float | None:
    result = fit["result"]
    if "per_iteration" in result:
        return float(result["per_iteration"])
    history = result.get("history") or []
    if not history:
        return None
    return statistics.median(row.get("fit_seconds", row.get("seconds", 0.0)) for row in history)


def _messages(prepared: Path, blocks: int) -> tuple[float, float, float]:
    """Factor messages of one ALS iteration for ``prepared``'s training pairs split into ``blocks`` blocks a
    side (Spark hashes a row number to block ``row % blocks``): each user's factors go to every track block
    holding one of its pairs, and back. Returns (messages, pairs, mean user degree)."""
    train = pd.read_parquet(prepared / "train.parquet", columns=["user_id", "track_id", "score"])
    train = train[train["score"] != 0]
    catalogue = pd.read_parquet(prepared / "tracks.parquet", columns=["id"])["id"]
    tracks = np.sort(catalogue.astype(object).to_numpy())
    users = np.sort(train["user_id"].unique())
    u = np.searchsorted(users, train["user_id"].to_numpy())
    i = np.searchsorted(tracks, train["track_id"].astype(object).to_numpy())
    pairs = pd.DataFrame({"u": u, "i": i, "ub": u % blocks, "ib": i % blocks})
    to_tracks = pairs.drop_duplicates(["u", "ib"]).shape[0]
    to_users = pairs.drop_duplicates(["i", "ub"]).shape[0]
    return float(to_tracks + to_users), float(len(pairs)), len(pairs) / len(users)


def _covered(degree: float, blocks: int) -> float:
    """Expected distinct blocks hit by ``degree`` pairs spread at random over ``blocks`` blocks."""
    return blocks * (1.0 - (1.0 - 1.0 / blocks) ** degree)


def _plan(results: dict[str, Any]) -> list[str]:
    mine = results.get("scale50k", {})
    fit = mine.get("fit-spark")
    shuffle = mine.get("shuffle") or {}
    prepare = mine.get("prepare-local")
    if not fit or not shuffle.get("iterations") or not prepare:
        return ["(the 50,000-user measurements are missing: run the benchmark with `--sizes scale50k`)"]
    prepared = WORK / "scale50k-out" / "prep-local"
    messages, pairs, _ = _messages(prepared, BLOCKS)
    iterations = shuffle["half_iterations"] / 2
    per_iteration_bytes = shuffle["iterations"] / iterations
    bytes_per_message = per_iteration_bytes / messages
    report = prepare["result"]
    pairs_per_event = report["splits"]["train"]["pairs"] / report["input_rows"]
    line_bytes = (WORK / "scale50k" / "sessions.jsonl").stat().st_size / report["input_rows"]
    seconds = _per_iteration(fit) or 0.0
    users_l, tracks_l = report["splits"]["train"]["users"], report["tracks"]
    t_pairs = TARGET["events"] * pairs_per_event
    d_user, d_track = t_pairs / TARGET["users"], t_pairs / TARGET["tracks"]
    work_local = 2 * pairs * RANK**2 + (users_l + tracks_l) * RANK**3 / 3
    work_target = 2 * t_pairs * RANK**2 + (TARGET["users"] + TARGET["tracks"]) * RANK**3 / 3
    scale = work_target / work_local
    cores = CLUSTER["executors"] * CLUSTER["cores"]
    compute = seconds * 2 * scale / cores  # local[2]: 2 cores' seconds per iteration, at this CPU's speed
    lines = [
        "Measured on the 50,000-user set (Spark `local[2]`, 10 blocks a side, rank 64):",
        "",
        f"- one iteration shuffled {per_iteration_bytes / 2**20:,.0f} MB of factor messages (the two "
        f"`flatMap at ALS.scala` stages of each iteration in the event log, {iterations:.0f} iterations); "
        f"the blocking of this data implies {messages:,.0f} messages per iteration (a user's factors go to "
        f"each track block holding one of its pairs, and a track's to each user block), so "
        f"**{bytes_per_message:,.0f} bytes per message** (the 256 bytes of 64 floats plus serialisation);",
        f"- one iteration took {seconds:.1f} s on 2 cores: {seconds * 2:.0f} core-seconds for "
        f"{pairs / 1e6:.2f} M training pairs and {users_l + tracks_l:,} rows;",
        f"- {pairs_per_event:.3f} training pairs per event line, {line_bytes:.0f} bytes per line of "
        "`sessions.jsonl`.",
        "",
        f"Target: {TARGET['users'] / 1e6:.0f} M users x {TARGET['tracks'] / 1e6:.0f} M tracks x "
        f"{TARGET['events'] / 1e9:.0f} B events, so about {t_pairs / 1e9:.1f} B training pairs "
        f"({d_user:,.0f} per user, {d_track:,.0f} per track on average), on {CLUSTER['executors']} "
        f"executors of {CLUSTER['cores']} cores and {CLUSTER['memory_gb']} GB ({cores} cores), 10 Gbit/s "
        "between nodes.",
        "",
        "| ALS blocks a side | factor messages / iteration | shuffle / iteration "
        "| shuffle time at 50 x 10 Gbit/s | compute / iteration | expected time / iteration |",
        "|---|---|---|---|---|---|",
    ]
    for blocks in (50, 100, 200, 400):
        count = TARGET["users"] * _covered(d_user, blocks) + TARGET["tracks"] * _covered(d_track, blocks)
        volume = count * bytes_per_message
        network = volume / (CLUSTER["executors"] * CLUSTER["network_gb_s"] * 1e9)
        lines.append(
            f"| {blocks} | {count / 1e9:,.2f} B | {volume / 1e9:,.0f} GB | {network:,.0f} s "
            f"| {compute:,.0f} s | {compute + network:,.0f} s |"
        )
    ratings = 2 * t_pairs * 8  # each pair in a user block and a track block: an int index and a float
    factors = (TARGET["users"] + TARGET["tracks"]) * RANK * 4
    lines += [
        "",
        f"Compute scales by the work of an iteration (the normal equations, `2 x pairs x rank^2`, and one "
        f"Cholesky per row, `rows x rank^3 / 3`): {scale:,.0f} times the 50,000-user set's, spread over "
        f"{cores} cores at this machine's per-core speed (a conservative figure: the cluster's cores are "
        "usually faster than these shared ones). The shuffle grows with the blocks: with 400 blocks almost "
        "every user reaches every track block, so 100-200 blocks is the balance for this size.",
        "",
        "Data per executor:",
        "",
        f"- **prepare**: {TARGET['events'] * line_bytes / 1e12:,.2f} TB of JSON lines, "
        f"{TARGET['events'] * line_bytes / CLUSTER['executors'] / 1e9:,.0f} GB read per executor, in "
        "parallel splits of 128 MB; the cleaning windows (repair by session, duplicates by five fields) "
        "and the per-user split window shuffle the parsed rows once each (about 40 bytes a row); the "
        "outputs are written as Parquet datasets by the executors (today the tables come back to the "
        "driver, which fits one machine's data; at this size `prepare` must write `train.parquet/` "
        "etc. as folders of parts, which `pd.read_parquet` and Spark both read as one table);",
        f"- **ALS**: the rating blocks take {ratings / 1e9:,.0f} GB in all "
        f"({ratings / CLUSTER['executors'] / 1e9:,.1f} GB per executor, kept in memory and spilled to disk "
        f"when short), the factors {factors / 1e9:,.1f} GB per copy (two or three copies live during an "
        "iteration); with `--spark-conf spark.checkpoint.dir=hdfs://...` ALS checkpoints its factors every "
        "10 iterations, which keeps the lineage (and a lost executor's recomputation) short;",
        "- **evaluate**: the track factors are broadcast to every executor "
        f"({TARGET['tracks'] * RANK * 4 / 1e9:.2f} GB), each task scores 512 users against all tracks "
        f"({512 * TARGET['tracks'] * 4 / 1e9:.1f} GB of float32 scores per task, so 512 users a block is "
        "too many at 1 M tracks: 128 keeps a task at 0.5 GB) and keeps their top 30.",
        "",
        "How the dashboard reads a model trained there: today a model file holds the training matrix (for "
        "fold-in and the seen-track filter) and every factor, which is right for one machine but is "
        f"{t_pairs * 12 / 1e9:,.0f} GB at this size. The cluster job writes instead the factors as "
        "Parquet beside a small model file: `users.parquet` (`user_id`, 64 floats; "
        f"{TARGET['users'] * RANK * 4 / 1e9:.1f} GB, sorted by id, row groups of 100,000 users) and "
        "`tracks.parquet` "
        f"({TARGET['tracks'] * RANK * 4 / 1e9:.2f} GB). The Group builder loads the track factors once "
        "(or the most popular 100,000 of them, 26 MB) and, for a group, only its members' rows: a filter on "
        "`user_id` reads one row group per member by its min/max statistics (about 25 MB, under a second); "
        "a member's seen tracks come from `events.parquet` filtered the same way. Scoring 5 members against "
        "1 M tracks is 5 x 1 M x 64 multiply-adds, some 50 ms.",
    ]
    return lines


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if not a or not b else f"{a / b:.1f}x"


def _reading(results: dict[str, Any]) -> list[str]:
    """The ratios of this run, and what they mean."""
    rows = []
    for name in ("release", "scale50k"):
        mine = results.get(name, {})
        if "prepare-spark" not in mine or "fit-spark" not in mine:
            continue
        models = ("spark", "ours-count", "ours-default", "implicit")
        it = {m: _per_iteration(mine[f"fit-{m}"]) for m in models if f"fit-{m}" in mine}
        evals = (("local", "spark-discovery"), ("spark", "spark-engine"))
        ev = {e: mine[f"eval-{k}"]["wall"] for e, k in evals if f"eval-{k}" in mine}
        rows.append(
            f"| {name} | {_ratio(mine['prepare-spark']['wall'], mine['prepare-local']['wall'])} "
            f"| {_ratio(it.get('spark'), it.get('ours-count'))} "
            f"| {_ratio(it.get('implicit'), it.get('ours-default'))} "
            f"| {_ratio(ev.get('spark'), ev.get('local'))} |"
        )
    return [
        "Ratios measured in this run (wall time for prepare and evaluate, median iteration for the fits):",
        "",
        "| data | prepare Spark / local | iteration Spark / ours (ALS-WR) | iteration implicit / ours (WMF) "
        "| evaluate Spark / local |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "On one machine Spark is the slower engine at every step, and it is meant to be: `prepare`'s local "
        "reader parses JSON with pyarrow's vectorised C++ reader and cleans with numpy, where Spark parses "
        "each line into a variant and runs each rule as a SQL stage whose shuffles go through disk even in "
        "`local[2]`; MLlib's ALS is a distributed algorithm (blocks, factor messages, a Cholesky per row in "
        "the JVM) where ours solves a whole side in a few batched torch kernels; `evaluate` pays for its "
        "joins and for starting Python workers that import torch. The JVM itself costs 10-20 s per process "
        "and 2.5-9 GB of memory. What Spark buys is the rest of the page: the same results (every count, "
        "score, per-user metric; the same NDCG@10 within 0.3%) on data no single machine holds. On a "
        "quiet machine all times are lower; the machine was shared during these runs (loads in the tables' "
        "`results.json`), which slows both engines alike and makes single iteration times noisy.",
    ]


def write_report(results: dict[str, Any], out: Path, *, command: str) -> None:
    """Write the results file from the measurements."""
    runs = results.get("runs", [])
    machine = results.get("machine", {})
    lines = [
        "# Spark `local[2]` against our ALS and `implicit`; the objective check; a plan for a cluster",
        "",
        f"Command: `{command}` (steps measured in earlier runs of the same command are kept, see "
        "`benchmarks/work/spark/results.json`).",
        "",
        f"Machine: nproc={machine.get('nproc')}, {machine.get('cpu')}, RAM {machine.get('ram')}, "
        f"{machine.get('platform')}, Python {machine.get('python')}. Runs: "
        + "; ".join(
            f"{r.get('started')} to {r.get('ended', '?')} "
            f"(load {r.get('load')} -> {r.get('load_after', '?')})"
            for r in runs
        )
        + ". The machine is shared with other engineers' jobs: a load above 2 means the runs got a fraction "
        "of the 2 cores, and every figure below (both engines alike) is slower than on a quiet machine.",
        "",
        "Every step is a fresh process: `wall` is its whole life (Python start-up and imports; for Spark "
        "also the JVM's start, 10-20 s here), `work` the time the command reports for its own work, "
        "`peak` the highest resident memory of its whole process tree (Python, the JVM and Spark's Python "
        "workers; Spark runs with `spark.driver.memory=12g`). Models: 64 factors, 15 iterations, alpha 1, "
        "seed 0.",
        "",
        "## Prepare",
        "",
        "| data | engine | wall s | work s | peak MB | counts per rule, splits equal to local |",
        "|---|---|---|---|---|---|",
    ]
    keys = ("input_rows", "kept_rows", "rejected", "repaired", "splits", "fingerprint")
    for name in ("release", "scale50k"):
        mine = results.get(name, {})
        local = mine.get("prepare-local")
        for engine in ("local", "spark"):
            got = mine.get(f"prepare-{engine}")
            if got is None:
                continue
            same = all(got["result"].get(k) == local["result"].get(k) for k in keys) if local else None
            lines.append(
                f"| {name} | {engine} | {_fmt(got['wall'])} | {_fmt(got['result']['seconds'])} "
                f"| {_fmt(got['peak_mb'], 0)} | {'yes' if same else 'NO' if same is False else '-'} |"
            )
    lines += [
        "",
        "## Fit and test NDCG@10",
        "",
        "`ALS-WR` is the count-scaled objective Spark minimises (`--reg-scaling count`, regParam 0.3); "
        "`WMF` our default objective (reg 10 on every factor), which `implicit` minimises too (it has no "
        "count scaling). `fit s` is the fit's wall time inside the process (for Spark including the start "
        "of its session); `s / iter` the median iteration.",
        "",
        "| data | model | objective | fit s | s / iter | peak MB | NDCG@10 all tracks | NDCG@10 discovery |",
        "|---|---|---|---|---|---|---|---|",
    ]
    labels = {
        "ours-count": ("ours (ALS, CG)", "ALS-WR"), "spark": ("Spark MLlib ALS", "ALS-WR"),
        "ours-default": ("ours (ALS, CG)", "WMF"), "implicit": ("implicit (CG)", "WMF"),
    }
    for name in ("real", "demo", "release", "scale50k"):
        mine = results.get(name, {})
        for model, (label, objective) in labels.items():
            fit = mine.get(f"fit-{model}")
            if fit is None:
                continue
            lines.append(
                f"| {name} | {label} | {objective} | {_fmt(fit['result']['seconds'])} "
                f"| {_fmt(_per_iteration(fit), 2)} | {_fmt(fit['peak_mb'], 0)} "
                f"| {_fmt(_ndcg(mine, model, 'all'), 4)} | {_fmt(_ndcg(mine, model, 'discovery'), 4)} |"
            )
    lines += [
        "",
        "## Evaluate (the Spark-trained model, test split, discovery, k = 10)",
        "",
        "| data | engine | wall s | work s | peak MB | NDCG@10 | metrics equal |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("release", "scale50k"):
        mine = results.get(name, {})
        local, spark = mine.get("eval-spark-discovery"), mine.get("eval-spark-engine")
        for engine, got in (("local", local), ("spark", spark)):
            if got is None:
                continue
            same = local is not None and spark is not None and all(
                abs(spark["result"]["metrics"][k] - local["result"]["metrics"][k]) <= 1e-6
                for k in local["result"]["metrics"]
            )
            lines.append(
                f"| {name} | {engine} | {_fmt(got['wall'])} | {_fmt(got['result']['seconds'])} "
                f"| {_fmt(got['peak_mb'], 0)} | {_fmt(got['result']['metrics']['ndcg@10'], 4)} "
                f"| {'yes' if same else 'NO'} |"
            )
    lines += [
        "",
        "## The same objective reaches the same quality",
        "",
        "Our ALS with `reg_scaling=\"count\"` and Spark's ALS minimise the same function (see "
        "`docs/SPARK.md`; `tests/spark/test_spark_als.py` checks it exactly: our count-scaled solve of "
        "every user against Spark's track factors gives back Spark's user factors). They start from "
        "different random factors (ours uniform on [0, 0.01), Spark's unit-length Gaussian rows) and our "
        "default solver takes 3 CG steps per row where Spark solves each row exactly, so the factors "
        "differ; the test NDCG@10 they reach must not differ by more than 2%. The objective each reached "
        "(the ALS-WR loss per cell on the training pairs, computed by our code for both) is beside it.",
        "",
        "| data | ours ALS-WR all / discovery | Spark all / discovery | difference all / discovery "
        "| within 2% | objective ours / Spark |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("real", "demo", "release", "scale50k"):
        mine = results.get(name, {})
        cells, ok = [], True
        values = {m: (_ndcg(mine, m, "all"), _ndcg(mine, m, "discovery")) for m in ("ours-count", "spark")}
        if None in values["ours-count"] or None in values["spark"]:
            continue
        for ours, theirs in zip(values["ours-count"], values["spark"], strict=True):
            diff = abs(ours - theirs) / max(ours, theirs) if max(ours, theirs) > 0 else 0.0
            ok &= diff <= 0.02
            cells.append(f"{diff:.1%}")
        loss = [mine[f"fit-{m}"]["result"]["history"][-1].get("train_loss") for m in ("ours-count", "spark")]
        lines.append(
            f"| {name} | {values['ours-count'][0]:.4f} / {values['ours-count'][1]:.4f} "
            f"| {values['spark'][0]:.4f} / {values['spark'][1]:.4f} | {' / '.join(cells)} "
            f"| {'yes' if ok else 'NO'} | {_fmt(loss[0], 5)} / {_fmt(loss[1], 5)} |"
        )
    lines += ["", "## Reading", "", *_reading(results)]
    lines += ["", "## A plan for 10 M users x 1 M tracks x 10 B events", "", *_plan(results), ""]
    out.write_text("\n".join(lines))
