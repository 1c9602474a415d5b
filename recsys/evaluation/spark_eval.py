"""Evaluating a factor model on Spark: every user's top-k in blocks on the executors, the summary here.

:func:`evaluate_on_spark` gives the :class:`~recsys.evaluation.evaluate.Evaluation` that
:func:`~recsys.evaluation.evaluate.evaluate_model` gives, for a WMF model, with the heavy part on Spark:

* Spark reads the truth split (its Parquet table, when the matrix says where it came from) and the
  model's training pairs, and builds per user the relevant tracks (score at least the threshold; in the
  discovery regime minus the tracks heard in training) and the tracks to exclude;
* the evaluated users (at least one relevant track), in ascending row order, are cut into blocks of
  ``block_size`` consecutive users, exactly the local evaluator's batches; each block is one Spark task,
  which scores its users against the broadcast track factors with the same float32 matrix product as
  :meth:`WMF.score_users <recsys.models.wmf.WMF.score_users>`, takes the top-k with the same tie rule
  (:func:`~recsys.evaluation.ranking.top_k`) and computes the same per-user metrics
  (:func:`~recsys.evaluation.metrics.all_metrics`);
* the per-user table (and the top lists, for the beyond-accuracy figures) comes back to the driver, where
  the means, bootstrap intervals and random expectations are computed as locally
  (:func:`~recsys.evaluation.evaluate.summarise`).

Only the track factors travel to every executor (1 M tracks x 64 floats = 256 MB); user factors travel
with their users' rows.
"""

from __future__ import annotations

import itertools
import threading
import time
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recsys.data.interactions import Interactions
from recsys.data.spark_interactions import cells_frame
from recsys.data.spark_session import SparkSettings, spark_session
from recsys.errors import ConfigError
from recsys.evaluation.evaluate import Evaluation, regime_name, summarise
from recsys.evaluation.metrics import METRICS
from recsys.evaluation.stats import random_expectations

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from recsys.models.base import Recommender

__all__ = ["DEFAULT_BLOCK", "evaluate_on_spark"]

DEFAULT_BLOCK = 512
"""Users per block: the local evaluator's batch, so that both compute the same products."""

_GROUP = itertools.count(1)


def evaluate_on_spark(
    model: Recommender,
    truth: Interactions,
    *,
    k: Sequence[int] | int = (5, 10, 30),
    threshold: float = 1.0,
    exclude_seen: bool = False,
    block_size: int = DEFAULT_BLOCK,
    seed: int = 0,
    n_boot: int = 1000,
    progress: bool = False,
    spark: SparkSettings | None = None,
) -> Evaluation:
    """:func:`~recsys.evaluation.evaluate.evaluate_model` with the top-k and per-user metrics on Spark.

    Parameters
    ----------
    model : Recommender
        A trained factor model (``wmf``): its factors are what Spark scores with.
    truth : Interactions
        The validation or test split laid on the model's indices
        (``Prepared.matrix("val", like=model.train)``); read from its Parquet table when it has one.
    k, threshold, exclude_seen, seed, n_boot, progress
        As :func:`~recsys.evaluation.evaluate.evaluate_model`.
    block_size : int
        Users per Spark task.
    spark : SparkSettings, optional
        Master and settings (the running session by default).

    Returns
    -------
    Evaluation

    Raises
    ------
    ConfigError
        Not a factor model, a truth on other indices, bad cut-offs or block size.
    EngineError
        Spark cannot start.
    """
    started = time.perf_counter()
    ks = (int(k),) if isinstance(k, (int, np.integer)) else tuple(sorted({int(x) for x in k}))
    if not ks or ks[0] < 1:
        raise ConfigError(f"cut-offs must be positive integers, got {k}")
    if block_size < 1:
        raise ConfigError(f"block_size must be at least 1, got {block_size}")
    factors = getattr(model, "item_factors", None)
    if factors is None:
        raise ConfigError(
            f"--engine spark evaluates factor models (wmf); a {model.kind} model is evaluated here, "
            "in seconds"
        )
    train = model._fitted()
    same = np.array_equal(truth.user_ids, train.user_ids) and np.array_equal(truth.item_ids, train.item_ids)
    if not same:
        raise ConfigError(
            "the truth must be laid on the model's indices: Prepared.matrix(split, like=model.train)"
        )
    session = spark_session(spark)
    users = _user_rows(session, truth, train, threshold=threshold, exclude_seen=exclude_seen).persist()
    names = [f"{m}@{c}" for c in ks for m in METRICS]
    schema = "u int, pos long, n_relevant long, n_candidates long, top array<long>, " + ", ".join(
        f"`{name}` double" for name in names
    )
    blocks = (
        users.where(users["pos"].isNotNull())
        .join(_user_factors(session, model), "u")
        .withColumn("block", (users["pos"] / int(block_size)).cast("long"))
        .groupBy("block")
        .applyInArrow(_block_kernel(session.sparkContext, model, ks, names), schema)
    )
    try:
        result = _collect(session.sparkContext, blocks, f"recsys-eval-{next(_GROUP)}", progress)
        no_relevant = users.where(users["pos"].isNull()).count()
    finally:
        users.unpersist()
    result = result.take(pc.sort_indices(result, [("pos", "ascending")]))
    rows = result["u"].to_numpy(zero_copy_only=False)
    per_user = pd.DataFrame(
        {
            "user_id": train.user_ids[rows],
            "n_relevant": result["n_relevant"].to_numpy(zero_copy_only=False),
            "n_candidates": result["n_candidates"].to_numpy(zero_copy_only=False),
        }
    )
    for name in names:
        per_user[name] = result[name].to_numpy(zero_copy_only=False)
    summary = summarise(per_user, names, n_boot=n_boot, seed=seed)
    expected: dict[str, np.ndarray] = {}
    if len(rows):
        for c in ks:
            expected.update(
                random_expectations(per_user["n_relevant"].to_numpy(), per_user["n_candidates"].to_numpy(), c)
            )
    summary["random"] = [float(np.mean(expected[n])) if len(rows) else np.nan for n in names]
    top = np.asarray(pc.list_flatten(result["top"]).to_numpy(zero_copy_only=False), dtype=np.int64)
    return Evaluation(
        per_user=per_user,
        summary=summary,
        regime=regime_name(exclude_seen),
        k=ks,
        threshold=float(threshold),
        skipped_users=0,  # the truth is on the model's indices: no user outside training is in it
        no_relevant_users=int(no_relevant),
        top=top.reshape(len(rows), ks[-1]),
        seconds=time.perf_counter() - started,
    )


def _user_rows(
    session: Any, truth: Interactions, train: Interactions, *, threshold: float, exclude_seen: bool
) -> DataFrame:
    """Per truth user: ``u``, relevant tracks ``rel``, excluded tracks ``seen``, ``pos`` among the evaluated.

    Users with stored truth pairs but no relevant track keep ``pos`` null: they are counted (the local
    ``no_relevant_users``), not scored.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    stored = cells_frame(session, truth)
    relevant = stored.where(F.col("s") >= threshold) if threshold > 0 else stored
    seen = cells_frame(session, train).select("u", "i")
    if exclude_seen:
        relevant = relevant.join(seen, ["u", "i"], "left_anti")
    rel = relevant.groupBy("u").agg(F.array_sort(F.collect_list("i")).alias("rel"))
    heard = seen.groupBy("u").agg(F.collect_list("i").alias("seen"))
    rows = stored.select("u").distinct().join(rel, "u", "left")
    rows = rows.join(heard, "u", "left") if exclude_seen else rows.withColumn("seen", F.lit(None))
    # evaluated users, ascending: position decides the block, as the local evaluator's batches
    evaluated = rows.where(F.col("rel").isNotNull()).withColumn(
        "pos", (F.row_number().over(Window.orderBy("u")) - 1).cast("long")
    )
    unscored = rows.where(F.col("rel").isNull()).withColumn("pos", F.lit(None).cast("long"))
    return evaluated.unionByName(unscored)


def _user_factors(session: Any, model: Recommender) -> DataFrame:
    x = model.user_factors.numpy()
    table = {
        "u": pa.array(np.arange(len(x), dtype=np.int32)),
        "x": pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), x.shape[1]).cast(
            pa.list_(pa.float32())
        ),
    }
    if model.user_bias is not None:
        table["b"] = pa.array(model.user_bias.numpy())
    return session.createDataFrame(pa.table(table))


def _block_kernel(sc: Any, model: Recommender, ks: tuple[int, ...], names: list[str]) -> Any:
    """The function Spark runs on each block of users (in its Python workers)."""
    items = sc.broadcast(
        (model.item_factors.numpy(), None if model.item_bias is None else model.item_bias.numpy())
    )
    kmax = ks[-1]

    def score_block(table: pa.Table) -> pa.Table:
        # imported in the worker (torch loads once per Python worker, which Spark reuses)
        import torch

        from recsys.evaluation.metrics import all_metrics
        from recsys.evaluation.ranking import top_k

        table = table.take(pc.sort_indices(table, [("pos", "ascending")]))
        y, item_bias = items.value
        n, n_items = table.num_rows, y.shape[0]
        x = pc.list_flatten(table["x"]).to_numpy(zero_copy_only=False).reshape(n, y.shape[1])
        scores = np.empty((n, n_items), dtype=np.float32)
        target = torch.from_numpy(scores)
        with torch.no_grad(), warnings.catch_warnings():
            # the broadcast factors are read-only numpy arrays; torch only reads them here
            warnings.simplefilter("ignore", UserWarning)
            # the product of WMF.score_users: the same kernel on the same shapes gives the same floats
            torch.mm(torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y).T, out=target)
            if item_bias is not None:
                target += torch.from_numpy(table["b"].to_numpy(zero_copy_only=False)).unsqueeze(1)
                target += torch.from_numpy(item_bias).unsqueeze(0)
        relevant = _csr(table["rel"], n, n_items)
        seen = _csr(table["seen"], n, n_items) if table["seen"].null_count < n else None
        top = top_k(scores, kmax, seen)
        values = all_metrics(top, relevant.astype(bool), ks)
        n_seen = np.zeros(n, dtype=np.int64) if seen is None else np.diff(seen.indptr)
        out = {
            "u": table["u"],
            "pos": table["pos"],
            "n_relevant": pa.array(np.diff(relevant.indptr).astype(np.int64)),
            "n_candidates": pa.array((n_items - n_seen).astype(np.int64)),
            "top": pa.FixedSizeListArray.from_arrays(pa.array(top.reshape(-1).astype(np.int64)), kmax).cast(
                pa.list_(pa.int64())
            ),
        }
        out.update({name: pa.array(values[name]) for name in names})
        return pa.table(out)

    return score_block


def _csr(column: pa.ChunkedArray, n: int, n_items: int) -> Any:
    """A list column of track indices (null = none) as a ``(n, n_items)`` 0/1 CSR matrix."""
    import scipy.sparse as sp

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    lengths = pc.fill_null(pc.list_value_length(column), 0).to_numpy(zero_copy_only=False)
    indices = pc.list_flatten(column).to_numpy(zero_copy_only=False).astype(np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    matrix = sp.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(n, n_items))
    matrix.sort_indices()
    return matrix


def _collect(sc: Any, frame: DataFrame, group: str, progress: bool) -> pa.Table:
    """``frame.toArrow()`` in a job group, counting its finished Spark tasks on stderr when asked."""
    done = threading.Event()
    bar = None
    if progress:
        import sys

        from tqdm import tqdm

        # Spark plans the stages as it goes (adaptive execution): the number of tasks is not known ahead
        bar = tqdm(desc="evaluating on Spark", unit="task", file=sys.stderr)

        def watch() -> None:
            tracker = sc.statusTracker()
            while not done.wait(0.3):
                jobs = [tracker.getJobInfo(j) for j in tracker.getJobIdsForGroup(group)]
                stages = [tracker.getStageInfo(s) for job in jobs if job is not None for s in job.stageIds]
                bar.n = sum(s.numCompletedTasks for s in stages if s is not None)
                bar.refresh()

        threading.Thread(target=watch, daemon=True).start()
    try:
        sc.setJobGroup(group, "recsys: evaluation on Spark", interruptOnCancel=True)
        return frame.toArrow()
    finally:
        done.set()
        if bar is not None:
            bar.close()
