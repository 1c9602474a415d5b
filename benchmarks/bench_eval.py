"""Speed of evaluation and group aggregation at a real release's size.

Targets (issue 4 / issue 3): all users of a 1,000 x 22,000 release in both regimes in at most 5 s;
1,000 groups of 5 in at most 10 s; a 10-member group's aggregation over 22,000 tracks in at most 20 ms.

The model is a 64-factor dot-product scorer (what WMF's ``score_users`` computes) on a synthetic
matrix with 1.2 million training pairs (Zipf-distributed track popularity), so the timings measure the
evaluation code, not a particular training run.

Run: ``.venv/bin/python benchmarks/bench_eval.py`` (prints a Markdown table).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recsys.data.interactions import Interactions
from recsys.evaluation import evaluate_groups, evaluate_model, group_kinds_study
from recsys.models.base import Recommender
from recsys.models.group import STRATEGIES, aggregate


@dataclass
class _Config:
    """No settings."""


class DotModel(Recommender):
    """Scores ``X[rows] @ Y.T`` (the cost of WMF's scoring)."""

    kind = "dot"
    config_class = _Config

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        super().__init__()
        self.x, self.y = x, y

    def fit(
        self, train: Interactions, *, val: Interactions | None = None, callback: object = None
    ) -> DotModel:
        self.train = train
        return self

    def score_users(self, rows: np.ndarray) -> np.ndarray:
        return self.x[rows] @ self.y.T

    def _state(self) -> dict[str, torch.Tensor]:
        return {}

    def _set_state(self, tensors: dict[str, torch.Tensor]) -> None:
        pass


def _matrix(rng: np.random.Generator, users: int, items: int, per_user: int) -> sp.csr_matrix:
    # Distinct tracks per user, drawn without replacement with popularity ~ 1 / (rank + 10)^0.8
    # (Gumbel top-k), so the pair count is exact and popular tracks are shared.
    logw = -0.8 * np.log(np.arange(items) + 10.0)
    cols = np.empty((users, per_user), dtype=np.int64)
    for lo in range(0, users, 100):
        keys = logw + rng.gumbel(size=(min(100, users - lo), items))
        cols[lo : lo + 100] = np.argpartition(-keys, per_user - 1, axis=1)[:, :per_user]
    rows = np.repeat(np.arange(users), per_user)
    data = rng.integers(1, 4, size=rows.size).astype(np.float32)
    return sp.csr_matrix((data, (rows, cols.ravel())), shape=(users, items))


def _best(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    """Run the benchmark and print a Markdown report."""
    rng = np.random.default_rng(0)
    users, items = 1000, 22000
    train_m = _matrix(rng, users, items, 1200)
    val_m = _matrix(rng, users, items, 150)
    ids_u, ids_i = np.arange(users), np.arange(items)
    train = Interactions(train_m, ids_u, ids_i)
    val = Interactions(val_m, ids_u, ids_i)
    model = DotModel(
        rng.standard_normal((users, 64)).astype(np.float32),
        rng.standard_normal((items, 64)).astype(np.float32),
    ).fit(train)

    lines = [
        "| step | seconds (best of 3) | target |",
        "|---|---|---|",
    ]
    t_all, ev_all = _best(lambda: evaluate_model(model, val))
    t_disc, ev_disc = _best(lambda: evaluate_model(model, val, exclude_seen=True))
    lines.append(f"| evaluate all users, all-tracks regime ({ev_all.users} users) | {t_all:.2f} | |")
    lines.append(f"| evaluate all users, discovery regime ({ev_disc.users} users) | {t_disc:.2f} | |")
    lines.append(f"| **both regimes** | **{t_all + t_disc:.2f}** | <= 5 s |")
    for kind in ("random", "similar"):
        for disc in (False, True):
            t, _ = _best(
                lambda kind=kind, disc=disc: evaluate_groups(
                    model, val, n_groups=1000, size=5, kind=kind, exclude_seen=disc
                ),
                repeat=2,
            )
            regime = "discovery" if disc else "all"
            lines.append(f"| 1,000 {kind} groups of 5, {regime} | **{t:.2f}** | <= 10 s |")
    t, _ = _best(
        lambda: evaluate_groups(model, val, n_groups=1000, size=5, protocol="decoupled"), repeat=2
    )
    lines.append(f"| 1,000 random groups of 5, all, decoupled protocol | **{t:.2f}** | <= 10 s |")
    # the Evaluate page's group-kinds study with its defaults: 4 kinds x 7 sizes x 50 groups, 4 strategies
    t, _ = _best(
        lambda: group_kinds_study(
            {"dot": model}, val, strategies=("average", "least_misery", "gfar", "epfuzzda"), n_groups=50
        ),
        repeat=1,
    )
    lines.append(f"| group-kinds study (4 kinds x sizes 2-8 x 50 groups x 4 strategies) | {t:.2f} | |")

    scores = rng.standard_normal((10, items)).astype(np.float32)
    exclude = np.zeros(items, dtype=bool)
    exclude[rng.choice(items, 2000, replace=False)] = True
    agg = [
        "",
        "| strategy (10 members x 22,000 tracks, n=10, 2,000 excluded) | ms (median of 50) | target |",
        "|---|---|---|",
    ]
    for strategy in STRATEGIES:
        aggregate(scores, strategy=strategy, n=10, exclude=exclude)
        times = []
        for _ in range(50):
            t = time.perf_counter()
            aggregate(scores, strategy=strategy, n=10, exclude=exclude)
            times.append(time.perf_counter() - t)
        agg.append(f"| {strategy} | {1000 * float(np.median(times)):.1f} | <= 20 ms |")

    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    print("# Evaluation and aggregation speed\n")
    print("Command: `.venv/bin/python benchmarks/bench_eval.py`\n")
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__} "
        f"(CPU); load average at the end {tuple(round(x, 2) for x in load)}.\n"
    )
    print(
        f"Data: synthetic 1,000 users x 22,000 tracks, {train_m.nnz:,} training pairs, "
        f"{val_m.nnz:,} validation pairs; a 64-factor dot-product model.\n"
    )
    print("\n".join(lines + agg))


if __name__ == "__main__":
    main()
