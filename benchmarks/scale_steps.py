"""The steps :mod:`benchmarks.scale` runs, each in its own process (``python -m benchmarks.scale_steps ...``).

Each prints one JSON line with its figures; the driver adds wall time and peak memory.

    read {polars,pyarrow} SESSIONS
    implicit PREPARED [fit]               implicit's fit and top-10 of every user on the training matrix
    train PREPARED MODEL [ARGS...]        the CLI's train (ARGS: more flags), each epoch's parts timed (the
                                          training loss is computed once more per epoch to time the
                                          validation loss apart: fit_wall carries that extra)
    evaluate-dense PREPARED MODEL         evaluate_model scoring every track, and whether its lists match
    group PREPARED MODEL MEMBERS          one group recommendation of MEMBERS trained users
    fit {ours,implicit} USERS ITEMS PAIRS FACTORS ITERATIONS    fit only, synthetic matrix
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

WORK = Path(__file__).resolve().parent / "work" / "scale"
FACTORS, ITERATIONS, REG, THREADS = 64, 15, 10.0, 2


def _emit(result: dict[str, Any]) -> None:
    print(json.dumps(result, default=float), flush=True)


def read(engine: str, path: str) -> None:
    """A bare read of sessions.jsonl into memory (schema inferred), the anchor for prepare."""
    start = time.perf_counter()
    if engine == "polars":
        import polars as pl

        rows = pl.read_ndjson(path).height
    else:
        import pyarrow.json as pj

        rows = pj.read_json(path).num_rows
    _emit({"seconds": time.perf_counter() - start, "rows": rows})


def _confidence_matrix(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """implicit's input for our default objective: ``c = 1 + score`` on cells with ``p = 1`` (score >= 1).

    Our cells with score 0 (skipped only) have c = 1 and p = 0, exactly an unobserved cell, so both
    models minimise the same objective (see benchmarks/bench_als.py)."""
    c = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    c.data = np.where(c.data >= 1.0, 1.0 + c.data, 0.0).astype(np.float32)
    c.eliminate_zeros()
    return c


def _implicit_fit(matrix: sp.csr_matrix, factors: int, iterations: int) -> tuple[Any, float]:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    model = AlternatingLeastSquares(
        factors=factors, regularization=REG, iterations=iterations, use_cg=True, num_threads=THREADS,
        random_state=0, calculate_training_loss=False,
    )
    with threadpool_limits(1, "blas"):  # what implicit asks for its fit
        start = time.perf_counter()
        model.fit(_confidence_matrix(matrix), show_progress=False)
        return model, time.perf_counter() - start


def implicit_step(prepared_dir: str, only: str = "") -> None:
    """implicit's fit and its top-10 of every training user (training tracks filtered) on our matrix;
    with ``only="fit"`` the fit alone (a whole-process anchor for ``train``)."""
    from recsys.app.training import training_matrices
    from recsys.data.prepared import load_prepared
    from recsys.evaluation.evaluate import prepare_truth
    from recsys.evaluation.metrics import ndcg_at_k

    prepared = load_prepared(prepared_dir)
    train, _ = training_matrices(prepared)
    model, fit = _implicit_fit(train.matrix, FACTORS, ITERATIONS)
    if only == "fit":
        _emit({"fit_seconds": fit, "users": int(train.n_users)})
        return
    users = np.arange(train.n_users)
    start = time.perf_counter()
    ids, _ = model.recommend(users, train.matrix.tocsr(), N=10, filter_already_liked_items=True)
    rec = time.perf_counter() - start
    truth = prepare_truth(train, prepared.matrix("test", like=train), exclude_seen=True)
    rows = truth.rows
    ndcg = float(np.mean(ndcg_at_k(np.asarray(ids)[rows], truth.relevant[rows], 10))) if len(rows) else None
    _emit({"fit_seconds": fit, "recommend_seconds": rec, "users": int(train.n_users), "ndcg@10": ndcg})


def train_step(prepared_dir: str, model_path: str, *extra: str) -> None:
    """``python -m recsys train --model wmf [EXTRA...]`` in this process, with each epoch's parts timed."""
    import recsys.app.training as training
    import recsys.models.wmf as wmf
    from recsys.cli import main

    loss_calls: list[tuple[float, float]] = []
    val_calls: list[float] = []
    real_losses, real_validator = wmf.wmf_losses, training.ndcg_validator

    def timed_losses(x: Any, y: Any, cells: Any, **kwargs: Any) -> list[float]:
        # the fit asks for both losses in one call (they share the Gram term); the training loss alone
        # is computed first, so the validation loss's own cost is the difference (benchmark runs only)
        start = time.perf_counter()
        real_losses(x, y, cells[:1], **kwargs)
        alone = time.perf_counter() - start
        start = time.perf_counter()
        values = real_losses(x, y, cells, **kwargs)
        both = time.perf_counter() - start
        loss_calls.append((alone, max(both - alone, 0.0)))
        return values

    def timed_validator(*args: Any, **kwargs: Any) -> Any:
        validate = real_validator(*args, **kwargs)

        def run(*a: Any) -> dict[str, float]:
            start = time.perf_counter()
            out = validate(*a)
            val_calls.append(time.perf_counter() - start)
            return out

        return run

    wmf.wmf_losses, training.ndcg_validator = timed_losses, timed_validator
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["train", "--data", prepared_dir, "--model", "wmf", "--out", model_path, "--json",
                     *extra])  # fmt: skip
    if code:
        raise SystemExit(code)
    report = json.loads(buffer.getvalue().strip().splitlines()[-1])
    epochs = []
    for i, row in enumerate(report["history"]):
        train_loss, val_loss = loss_calls[i]
        epochs.append({"fit_seconds": row["fit_seconds"], "train_loss_seconds": train_loss,
                       "val_seconds": val_loss + val_calls[i], "validate_seconds": val_calls[i]})  # fmt: skip
    _emit({"epochs": epochs, "fit_wall": report["seconds"], "final_seconds": report.get("final_seconds"),
           "val_users": report.get("val_users"), "metrics": report["metrics"]})  # fmt: skip


def evaluate_dense(prepared_dir: str, model_path: str) -> None:
    """``evaluate_model`` scoring every track (``prune=False``), and whether the pruned lists are the same."""
    from recsys.data.prepared import load_prepared
    from recsys.evaluation import evaluate_model
    from recsys.models import load_model

    model = load_model(model_path)
    prepared = load_prepared(prepared_dir)
    truth = prepared.matrix("test", like=model.train)
    dense = evaluate_model(model, truth, k=(10,), exclude_seen=True, prune=False)
    pruned = evaluate_model(model, truth, k=(10,), exclude_seen=True, n_boot=0)
    _emit({"seconds": dense.seconds, "pruned_seconds": pruned.seconds, "ndcg@10": dense.metrics()["ndcg@10"],
           "same_top": bool(np.array_equal(dense.top, pruned.top)), "users": dense.users})  # fmt: skip


def group_step(prepared_dir: str, model_path: str, members: str) -> None:
    """One group of ``members`` trained users (seeded), recommended 10 tracks with the history."""
    from recsys.data.prepared import load_prepared
    from recsys.models import load_model

    model = load_model(model_path)
    history = load_prepared(prepared_dir).history()
    m = int(members)
    group = list(np.random.default_rng(0).choice(model.user_ids, size=m, replace=False))
    model.recommend(group[:5], 10, history=history)  # warm: fold-in caches, first-call imports
    # the first call of a big group also pays for the page faults of its fresh score table (1 s of the
    # 2,000-member call's 2.7 s here): reported apart, the median is of the calls after it
    repeats = 5 if m <= 100 else 3 if m <= 2000 else 1
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = model.recommend(group, 10, history=history)
        times.append(time.perf_counter() - start)
    _emit({"members": m, "seconds": float(np.median(times[1:] or times)), "first_seconds": times[0],
           "repeats": repeats,
           "tracks": int(model.train.n_items), "listed": len(result.track_ids)})  # fmt: skip


def fit_step(engine: str, users: str, items: str, pairs: str, factors: str, iterations: str) -> None:
    """Fit only on a synthetic matrix (cached under benchmarks/work/scale/): seconds per iteration."""
    from benchmarks.synthetic import popularity_matrix

    n_users, n_items, n_pairs = int(users), int(items), int(pairs)
    cache = WORK / f"synthetic-{n_users}-{n_items}-{n_pairs}.npz"
    if cache.is_file():
        matrix = sp.load_npz(cache).tocsr()
    else:
        matrix = popularity_matrix(n_users, n_items, n_pairs, seed=0)
        cache.parent.mkdir(parents=True, exist_ok=True)
        sp.save_npz(cache, matrix)
    k, its = int(factors), int(iterations)
    if engine == "implicit":
        _, seconds = _implicit_fit(matrix, k, its)
        per_iter = seconds / its
    else:
        from recsys.data.interactions import Interactions
        from recsys.models.wmf import WMF, WMFConfig

        inter = Interactions(matrix=matrix, user_ids=np.arange(n_users), item_ids=np.arange(n_items))
        model = WMF(WMFConfig(embedding_dim=k, epochs=its)).fit(inter)
        per_iter = float(np.median([h["fit_seconds"] for h in model.history]))
    _emit({"per_iter": per_iter, "iterations": its, "users": n_users, "items": n_items,
           "pairs": int(matrix.nnz), "factors": k})  # fmt: skip


STEPS = {"read": read, "implicit": implicit_step, "train": train_step, "evaluate-dense": evaluate_dense,
         "group": group_step, "fit": fit_step}  # fmt: skip

if __name__ == "__main__":
    STEPS[sys.argv[1]](*sys.argv[2:])
