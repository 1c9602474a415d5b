"""WMF-ALS (ours, PyTorch) against ``implicit``'s CPU conjugate-gradient ALS on the same matrices.

Run from the project root::

    .venv/bin/python -m benchmarks.bench_als [--sizes a b] [--threads 2] [--out benchmarks/results/als.md]

Both get the same confidence matrix (ours computes ``c = 1 + 40 log(1 + score / 1e-8)``; implicit is
handed those ``c`` as its matrix with ``alpha=1``, which is its own convention: ``C = alpha * R``,
``p = 1`` on stored cells), 64 factors, 15 iterations, the same ``reg`` and the same thread count.
NDCG@10 is measured on held-out pairs, training tracks excluded, with the project's metric.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

from benchmarks.synthetic import synthetic_split
from recsys.evaluation.metrics import ndcg_at_k
from recsys.evaluation.ranking import top_k
from recsys.interactions import Interactions
from recsys.models.wmf import WMF, WMFConfig
from recsys.models.wmf_loss import confidence

SIZES = {
    "a": dict(n_users=1_000, n_items=22_000, n_train_pairs=1_200_000),
    "b": dict(n_users=10_000, n_items=50_000, n_train_pairs=700_000),
}


def machine() -> str:
    """nproc, CPU model and load, for the results file."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return (
        f"nproc={os.cpu_count()}, CPU: {cpu}, {platform.platform()}, torch {torch.__version__}; "
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


def main() -> None:
    """Run the comparison and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["a", "b"], choices=sorted(SIZES))
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--solver", default=WMFConfig().solver, choices=["cholesky", "cg"])
    parser.add_argument("--cg-steps", type=int, default=3)
    parser.add_argument("--woodbury-below", type=int, default=None)
    parser.add_argument("--reg", type=float, default=WMFConfig().reg)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    cfg = WMFConfig(
        embedding_dim=64,
        epochs=15,
        reg=args.reg,
        solver=args.solver,
        cg_steps=args.cg_steps,
        woodbury_below=args.woodbury_below,
        device="cpu",
    )
    lines = [
        "# WMF-ALS vs implicit CPU CG ALS",
        "",
        f"Command: `.venv/bin/python -m benchmarks.bench_als --sizes {' '.join(args.sizes)} "
        f"--threads {args.threads} --solver {args.solver} --cg-steps {args.cg_steps} --reg {args.reg} "
        + (f"--woodbury-below {args.woodbury_below} " if args.woodbury_below is not None else "")
        + f"--repeats {args.repeats}`",
        "",
        f"Machine: {machine()}",
        "",
        f"Settings: 64 factors, 15 iterations, reg {cfg.reg}, log confidence alpha {cfg.alpha} "
        f"eps {cfg.eps}, "
        f"{args.threads} threads for both; ours solver={cfg.solver}"
        + (f" (cg_steps={cfg.cg_steps})" if cfg.solver == "cg" else "")
        + "; implicit use_cg=True (3 CG steps).",
        "",
        "| size | users x tracks | train pairs | ours s/iter | implicit s/iter | ratio ours/implicit "
        "| ours NDCG@10 | implicit NDCG@10 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size in args.sizes:
        spec = SIZES[size]
        train, test = synthetic_split(**spec, seed=0)
        for rep in range(args.repeats):
            ours = run_ours(train, test, cfg)
            ref = run_implicit(train, test, cfg, args.threads)
            ratio = ours["per_iter"] / ref["per_iter"]
            row = (
                f"| {size}{'' if args.repeats == 1 else f' #{rep + 1}'} "
                f"| {spec['n_users']:,} x {spec['n_items']:,} "
                f"| {train.nnz:,} | {ours['per_iter']:.3f} | {ref['per_iter']:.3f} | {ratio:.2f} "
                f"| {ours['ndcg']:.4f} | {ref['ndcg']:.4f} |"
            )
            print(row, flush=True)
            lines.append(row)
    lines += [
        "",
        f"After: uptime {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}",
        "",
    ]
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
