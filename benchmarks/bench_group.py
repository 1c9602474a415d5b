"""Latency and peak memory of one 10-member group recommendation over 22,000 tracks (WMF, average).

Run from the project root::

    .venv/bin/python -m benchmarks.bench_group [--repeats 200] [--out benchmarks/results/group.md]

A WMF model (64 factors) is trained on a synthetic 1,000 x 22,000 matrix; then ``model.recommend``
(per-member scores, min-max normalisation, average aggregation, top 10 with each member's score and
rank) is timed for random 10-member groups of trained users, and once for a group with three members
folded in from a history matrix. Peak memory: Python/numpy allocations during one call
(``tracemalloc``) and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from benchmarks.bench_als import machine
from benchmarks.synthetic import synthetic_split
from recsys.data.interactions import Interactions
from recsys.models.wmf import WMF, WMFConfig

TARGET_MS = 20.0


def main() -> None:
    """Train once, time many recommendations, write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train_m, _ = synthetic_split(1_000, 22_000, 300_000, seed=0)
    train = Interactions(matrix=train_m, user_ids=np.arange(1_000), item_ids=np.arange(22_000))
    model = WMF(WMFConfig(embedding_dim=64, epochs=3, solver="cg", device="cpu")).fit(train)
    # three extra users known only from a history matrix: folded in at recommendation time
    extra = train.to_frame().query("user_id < 3").assign(user_id=lambda f: f.user_id + 5_000)
    history = Interactions.from_frame(
        pd.concat([train.to_frame(), extra]),
        user_ids=[*np.arange(1000).tolist(), 5000, 5001, 5002],
        item_ids=train.item_ids,
    )
    rng = np.random.default_rng(0)
    groups = [rng.choice(1_000, size=10, replace=False).tolist() for _ in range(args.repeats)]
    model.recommend(groups[0], 10)  # warm-up
    times = []
    for group in groups:
        start = time.perf_counter()
        model.recommend(group, 10, strategy="average")
        times.append((time.perf_counter() - start) * 1e3)
    folded_group = [*groups[0][:7], 5000, 5001, 5002]
    folded = []
    for _ in range(max(20, args.repeats // 10)):
        start = time.perf_counter()
        result = model.recommend(folded_group, 10, strategy="average", history=history)
        folded.append((time.perf_counter() - start) * 1e3)
    statuses = sorted(set(result.statuses.values()))
    tracemalloc.start()
    model.recommend(groups[1], 10, strategy="average")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = np.array(times)
    f = np.array(folded)
    lines = [
        "# Group recommendation latency (WMF, 10 members, 22,000 tracks, strategy average)",
        "",
        f"Command: `.venv/bin/python -m benchmarks.bench_group --repeats {args.repeats} "
        f"--threads {args.threads}`",
        "",
        f"Machine: {machine()}",
        "",
        "| | median | p95 | max |",
        "|---|---|---|---|",
        f"| 10 trained members ({len(t)} groups) | {np.median(t):.2f} ms | {np.percentile(t, 95):.2f} ms "
        f"| {t.max():.2f} ms |",
        f"| 7 trained + 3 folded in ({len(f)} calls; statuses {', '.join(statuses)}) | {np.median(f):.2f} ms "
        f"| {np.percentile(f, 95):.2f} ms | {f.max():.2f} ms |",
        "",
        f"Peak Python/numpy allocation during one call (tracemalloc): {peak / 2**20:.2f} MiB; "
        f"process peak RSS (training included): {rss_mb:.0f} MiB.",
        "",
        f"Target: at most {TARGET_MS:.0f} ms: median "
        f"{'meets' if np.median(t) <= TARGET_MS else 'MISSES'} it, "
        f"p95 {'meets' if np.percentile(t, 95) <= TARGET_MS else 'misses'} it.",
        "",
    ]
    text = "\n".join(lines)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
