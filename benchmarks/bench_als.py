"""WMF-ALS (ours, PyTorch) against ``implicit``'s CPU conjugate-gradient ALS on the same matrices.

Run from the project root::

    .venv/bin/python -m benchmarks.bench_als [--sizes a b] [--settings linear:1:10 log:40:1000]
        [--threads 2] [--repeats 3] [--max-load 1.5] [--out benchmarks/results/als.md]

Both minimise the same objective. ``implicit`` (``implicit/cpu/als.py``, ``_als.pyx``) reads a stored
value ``v > 0`` as confidence ``c = alpha * v`` with preference ``p = 1`` and every other cell as
``c = 1``, ``p = 0``; its CG solves ``(Y^T Y + reg I + Y^T (C_u - I) Y) x_u = Y^T C_u p_u``, the same
unscaled ``reg`` as ours. So it is handed our confidences ``c`` (``1 + alpha * score`` or the log form)
as its matrix with its ``alpha=1``; every synthetic score is at least 1 (the preference threshold), so
``p = 1`` on every stored cell for both (checked). 64 factors, 15 iterations, the same ``reg`` and the
same thread count. NDCG@10 is measured on held-out pairs, training tracks excluded, with the project's
metric. Each setting is ``confidence:alpha:reg``; before each repeat the run waits (up to
``--max-wait`` s) for the 1-minute load average to fall to ``--max-load``, and records it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

from benchmarks.machine import machine as _machine
from benchmarks.synthetic import synthetic_split
from recsys.data.interactions import Interactions
from recsys.evaluation.metrics import ndcg_at_k
from recsys.evaluation.ranking import top_k
from recsys.models.wmf import WMF, WMFConfig
from recsys.models.wmf_loss import confidence

SIZES = {
    "a": dict(n_users=1_000, n_items=22_000, n_train_pairs=1_200_000),
    "b": dict(n_users=10_000, n_items=50_000, n_train_pairs=700_000),
}


def machine() -> str:
    """nproc, CPU model and load, for the results file."""
    info = _machine()
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return (
        f"nproc={info['nproc']}, CPU: {info['cpu']}, {info['platform']}, torch {torch.__version__}; "
        f"uptime: {load}"
    )


def ndcg10(
    user_factors: np.ndarray, item_factors: np.ndarray, train: sp.csr_matrix, test: sp.csr_matrix
) -> float:
    """Mean NDCG@10 over users with a held-out pair, training tracks excluded."""
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    total = 0.0
    for start in range(0, len(users), 500):
        rows = users[start : start + 500]
        scores = user_factors[rows] @ item_factors.T
        top = top_k(scores, 10, exclude=train[rows])
        total += float(np.sum(ndcg_at_k(top, test[rows])))
    return total / len(users)


def run_ours(train: sp.csr_matrix, test: sp.csr_matrix, cfg: WMFConfig) -> dict[str, float]:
    """Fit our WMF; time per iteration from the epochs' update time (loss reporting excluded)."""
    inter = Interactions(matrix=train, user_ids=np.arange(train.shape[0]), item_ids=np.arange(train.shape[1]))
    model = WMF(cfg)
    start = time.perf_counter()
    model.fit(inter)
    wall = time.perf_counter() - start
    per_iter = float(np.mean([h["fit_seconds"] for h in model.history]))
    return {
        "per_iter": per_iter,
        "wall": wall,
        "ndcg": ndcg10(model.user_factors.numpy(), model.item_factors.numpy(), train, test),
        "loss": model.history[-1]["train_loss"],
    }


def run_implicit(train: sp.csr_matrix, test: sp.csr_matrix, cfg: WMFConfig, threads: int) -> dict[str, float]:
    """Fit implicit's CPU CG ALS on the same confidences."""
    from implicit.cpu.als import AlternatingLeastSquares

    if train.data.min() < cfg.threshold:
        raise ValueError("a stored score below the threshold: implicit would give it p = 1, ours p = 0")
    conf = train.copy().astype(np.float32)
    conf.data = confidence(train.data, alpha=cfg.alpha, eps=cfg.eps, kind=cfg.confidence).astype(np.float32)
    model = AlternatingLeastSquares(
        factors=cfg.embedding_dim,
        regularization=cfg.reg,
        alpha=1.0,
        iterations=cfg.epochs,
        use_cg=True,
        calculate_training_loss=False,
        num_threads=threads,
        random_state=cfg.seed,
    )
    times: list[float] = []
    last = [time.perf_counter()]

    def tick(_it: int, _elapsed: float, _loss: float) -> None:
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now

    start = time.perf_counter()
    last[0] = start
    model.fit(conf, show_progress=False, callback=tick)
    wall = time.perf_counter() - start
    return {
        "per_iter": float(np.mean(times)) if times else wall / cfg.epochs,
        "wall": wall,
        "ndcg": ndcg10(np.asarray(model.user_factors), np.asarray(model.item_factors), train, test),
    }


def wait_for_quiet(max_load: float, max_wait: float) -> float:
    """Sleep until the 1-minute load average is at most ``max_load`` (or ``max_wait`` s passed)."""
    deadline = time.monotonic() + max_wait
    while os.getloadavg()[0] > max_load and time.monotonic() < deadline:
        time.sleep(10)
    return os.getloadavg()[0]


def main() -> None:
    """Run the comparison and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["a", "b"], choices=sorted(SIZES))
    parser.add_argument("--settings", nargs="+", default=["linear:1:10", "log:40:1000"])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--solver", default=WMFConfig().solver, choices=["cholesky", "cg"])
    parser.add_argument("--cg-steps", type=int, default=3)
    parser.add_argument("--woodbury-below", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-load", type=float, default=1.5)
    parser.add_argument("--max-wait", type=float, default=300.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    configs = []
    for setting in args.settings:
        kind, alpha, reg = setting.split(":")
        configs.append(
            WMFConfig(
                embedding_dim=64,
                epochs=15,
                confidence=kind,
                alpha=float(alpha),
                reg=float(reg),
                solver=args.solver,
                cg_steps=args.cg_steps,
                woodbury_below=args.woodbury_below,
                device="cpu",
            )
        )
    lines = [
        "# WMF-ALS vs implicit CPU CG ALS",
        "",
        f"Command: `.venv/bin/python -m benchmarks.bench_als --sizes {' '.join(args.sizes)} "
        f"--settings {' '.join(args.settings)} --threads {args.threads} --solver {args.solver} "
        f"--cg-steps {args.cg_steps} "
        + (f"--woodbury-below {args.woodbury_below} " if args.woodbury_below is not None else "")
        + f"--repeats {args.repeats} --max-load {args.max_load}`",
        "",
        f"Machine: {machine()}",
        "",
        f"Settings: 64 factors, 15 iterations, {args.threads} threads for both, the same confidences and "
        f"reg (setting = confidence:alpha:reg, eps {WMFConfig().eps}); ours solver={args.solver}"
        + (f" (cg_steps={args.cg_steps})" if args.solver == "cg" else "")
        + "; implicit use_cg=True (3 CG steps).",
        "",
        "| size | setting | repeat | load (1 min) | ours s/iter | implicit s/iter | ratio ours/implicit "
        "| ours NDCG@10 | implicit NDCG@10 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    ratios: dict[tuple[str, str], list[float]] = {}
    ndcgs: dict[tuple[str, str], tuple[float, float]] = {}
    for size in args.sizes:
        spec = SIZES[size]
        train, test = synthetic_split(**spec, seed=0)
        for setting, cfg in zip(args.settings, configs, strict=True):
            for rep in range(args.repeats):
                load = wait_for_quiet(args.max_load, args.max_wait)
                ours = run_ours(train, test, cfg)
                ref = run_implicit(train, test, cfg, args.threads)
                ratio = ours["per_iter"] / ref["per_iter"]
                ratios.setdefault((size, setting), []).append(ratio)
                ndcgs[(size, setting)] = (ours["ndcg"], ref["ndcg"])
                row = (
                    f"| {size} ({spec['n_users']:,} x {spec['n_items']:,}, {train.nnz:,} pairs) | {setting} "
                    f"| {rep + 1} | {load:.2f} | {ours['per_iter']:.3f} | {ref['per_iter']:.3f} "
                    f"| {ratio:.2f} | {ours['ndcg']:.4f} | {ref['ndcg']:.4f} |"
                )
                print(row, flush=True)
                lines.append(row)
    lines += [
        "",
        f"After: uptime {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}",
        "",
        "## Medians (ratio ours/implicit time per iteration, same run)",
        "",
        "| size | setting | median ratio | range | ours NDCG@10 | implicit NDCG@10 |",
        "|---|---|---|---|---|---|",
    ]
    for (size, setting), values in ratios.items():
        ours_ndcg, ref_ndcg = ndcgs[(size, setting)]
        lines.append(
            f"| {size} | {setting} | {np.median(values):.2f} | {min(values):.2f}-{max(values):.2f} "
            f"| {ours_ndcg:.4f} | {ref_ndcg:.4f} |"
        )
    lines.append("")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
