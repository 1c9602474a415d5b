"""Fitting a WMF model with Apache Spark MLlib's ALS: trained on a cluster, saved as an ordinary WMF model.

:meth:`WMF.fit <recsys.models.wmf.WMF.fit>` hands a model whose config says ``engine="spark"`` to
:func:`fit_on_spark`. MLlib's implicit ALS minimises ALS-WR (Zhou et al. 2008) on Hu, Koren & Volinsky's
weighted objective::

    sum_ui c_ui (p_ui - x_u . y_i)^2 + regParam (sum_u n_u |x_u|^2 + sum_i n_i |y_i|^2)

with ``c = 1 + alpha |r|``, ``p = [r > 0]`` and ``n`` each row's number of ratings ``r > 0``. That is our
objective with ``reg_scaling="count"`` (``reg`` = ``regParam``) once each training score ``s`` is handed to
Spark as the rating ``r = +g(s)`` when ``s`` reaches the preference threshold and ``r = -g(s)`` below it,
``g(s) = s`` for the linear confidence and ``log(1 + s / eps)`` for the log one: then ``1 + alpha |r|`` is
our confidence and ``r > 0`` our preference, cell for cell (``docs/SPARK.md``).

The ratings come from the prepared ``train.parquet`` read by Spark itself when the matrix says where it
was read from (:attr:`Interactions.source <recsys.data.interactions.Interactions.source>`), else from the
matrix in memory (as Arrow). The learned factors come back with their ids and are laid on the matrix's
rows and columns (a track nobody played has no factors in Spark: zeros, which is its ALS-WR minimiser).

Spark runs all ``maxIter`` iterations in one ``fit`` and keeps no factors in between, so progress is read
from its jobs: in implicit mode every half-iteration starts with one ``aggregate`` job (the Gram matrix of
the fixed side), and iteration ``i``'s factors are complete when job ``2 i + 1`` has run. The callback gets
``seconds`` for each iteration as it ends; the losses and ``val_ndcg@10`` with the last one, measured
here on the final factors. The stop flag cancels the Spark job group; a cancelled fit has no factors, so
it raises :class:`~recsys.errors.TrainingCancelled`.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow.compute as pc
import torch

from recsys.data.interactions import Interactions
from recsys.data.spark_interactions import cells_frame
from recsys.data.spark_session import spark_session
from recsys.errors import EngineError, TrainingCancelled, TrainingError
from recsys.models.base import TrainCallback, Validator
from recsys.models.training import StopFlag
from recsys.models.wmf_loss import penalty, weighted_cells, wmf_losses

if TYPE_CHECKING:
    from pyspark import SparkContext
    from pyspark.sql import DataFrame, SparkSession

    from recsys.models.wmf import WMF

__all__ = ["YTY_STAGE", "fit_on_spark", "iterations_done", "spark_ratings"]

YTY_STAGE = "aggregate at ALS.scala"
"""Name prefix of the stage that opens each half-iteration of implicit ALS (the Gram matrix ``Y^T Y``)."""

_POLL_SECONDS = 0.2
_GROUP = itertools.count(1)


def spark_ratings(session: SparkSession, train: Interactions, config: Any) -> DataFrame:
    """The training cells as Spark ALS ratings ``(u, i, r)``: ``u``/``i`` the matrix's row and column.

    Parameters
    ----------
    session : pyspark.sql.SparkSession
    train : Interactions
        Read from ``train.source`` (Parquet, by Spark) when it is set, else from the matrix in memory.
    config : WMFConfig
        Its ``confidence``, ``eps`` and ``threshold`` map each score to a rating (module docstring).

    Returns
    -------
    pyspark.sql.DataFrame
        ``u`` int, ``i`` int, ``r`` float; zero scores left out (they are unobserved cells).
    """
    from pyspark.sql import functions as F

    cells = cells_frame(session, train)
    g = F.col("s") if config.confidence == "linear" else F.log1p(F.col("s") / F.lit(float(config.eps)))
    rating = F.when(F.col("s") >= F.lit(float(config.threshold)), g).otherwise(-g)
    return cells.select("u", "i", rating.cast("float").alias("r"))


def iterations_done(sc: SparkContext, group: str) -> int:
    """ALS iterations completed so far by the jobs of ``group`` (see the module docstring).

    Parameters
    ----------
    sc : pyspark.SparkContext
    group : str
        The job group the fit runs in.

    Returns
    -------
    int
        ``(finished Gram jobs - 1) // 2``, 0 before the third.
    """
    tracker = sc.statusTracker()
    gram_jobs = 0
    for job in tracker.getJobIdsForGroup(group):
        info = tracker.getJobInfo(job)
        if info is None or info.status != "SUCCEEDED" or not info.stageIds:
            continue
        stage = tracker.getStageInfo(max(info.stageIds))  # a job's result stage is its last one
        if stage is not None and stage.name.startswith(YTY_STAGE):
            gram_jobs += 1
    return max(gram_jobs - 1, 0) // 2


class _Fit(threading.Thread):
    """``ALS.fit`` in its own thread and job group, so the caller can watch it and cancel it."""

    def __init__(self, sc: SparkContext, estimator: Any, ratings: DataFrame, group: str) -> None:
        super().__init__(name=f"spark-{group}", daemon=True)
        self.sc, self.estimator, self.ratings, self.group = sc, estimator, ratings, group
        self.model: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            # pyspark pins each Python thread to a JVM thread: the group applies to this fit's jobs
            self.sc.setJobGroup(self.group, "recsys: WMF on Spark MLlib ALS", interruptOnCancel=True)
            self.model = self.estimator.fit(self.ratings)
        except BaseException as exc:  # handed to the caller's thread, which reports it
            self.error = exc


def fit_on_spark(
    model: WMF,
    train: Interactions,
    *,
    val: Interactions | None = None,
    callback: TrainCallback | None = None,
    stop: StopFlag | None = None,
    validate: Validator | None = None,
) -> WMF:
    """Fit ``model`` (``engine="spark"``) with Spark MLlib's implicit ALS; the WMF contract's ``fit``.

    Parameters
    ----------
    model : WMF
        Its config gives ``rank`` (``embedding_dim``), ``maxIter`` (``epochs``), ``regParam`` (``reg``),
        ``alpha``, ``seed``, the blocks and the Spark master and settings.
    train, val, callback, stop, validate
        As :meth:`WMF.fit <recsys.models.wmf.WMF.fit>`: ``callback(iteration, metrics)`` after every
        iteration (``seconds``, ``fit_seconds``; the last one also ``train_loss``, ``val_loss`` and the
        validator's metrics on the final factors).

    Returns
    -------
    WMF
        ``model``, fitted; its config records the Spark master the fit ran on.

    Raises
    ------
    TrainingCancelled
        ``stop`` was set before Spark finished (no factors exist yet).
    EngineError
        Spark cannot start, or its job failed (the message says why).
    TrainingError
        An empty matrix.
    """
    from pyspark.ml.recommendation import ALS

    cfg = model.config
    if train.n_users == 0 or train.n_items == 0:
        raise TrainingError(f"cannot train on an empty matrix ({train.n_users} x {train.n_items})")
    # the local cells first: a negative or infinite score fails here, before any Spark job
    cells = _cells(train, cfg)
    session = spark_session(cfg.spark_settings())
    sc = session.sparkContext
    estimator = ALS(
        rank=cfg.embedding_dim,
        maxIter=cfg.epochs,
        regParam=cfg.reg,
        alpha=cfg.alpha,
        implicitPrefs=True,
        nonnegative=False,
        seed=cfg.seed,
        numUserBlocks=cfg.spark_blocks,
        numItemBlocks=cfg.spark_blocks,
        userCol="u",
        itemCol="i",
        ratingCol="r",
    )
    group = f"recsys-als-{next(_GROUP)}-{id(model)}"
    fit = _Fit(sc, estimator, spark_ratings(session, train, cfg), group)
    history: list[dict[str, float]] = []
    started = last = time.perf_counter()
    fit.start()
    try:
        while fit.is_alive():
            fit.join(_POLL_SECONDS)
            if stop is not None and stop.is_set():
                sc.cancelJobGroup(group)
            # the last iteration is reported below, with the metrics of the final factors
            for epoch in range(len(history) + 1, min(iterations_done(sc, group), cfg.epochs - 1) + 1):
                now = time.perf_counter()
                history.append({"fit_seconds": now - last, "seconds": now - last})
                last = now
                if callback is not None:
                    callback(epoch, dict(history[-1]))
    finally:
        if fit.is_alive():  # interrupted (Ctrl-C): do not leave the cluster computing
            sc.cancelJobGroup(group)
    if fit.error is not None:
        if stop is not None and stop.is_set():
            raise TrainingCancelled(
                f"training stopped after {len(history)} of {cfg.epochs} iterations: the Spark job was "
                "cancelled, and Spark keeps no factors between iterations, so there is no model to save"
            ) from None
        text = str(fit.error).strip()
        raise EngineError(f"Spark's ALS failed: {text.splitlines()[0] if text else type(fit.error).__name__}")
    fit_seconds = time.perf_counter() - last
    x = _factors(fit.model.userFactors, train.n_users, cfg.embedding_dim)
    y = _factors(fit.model.itemFactors, train.n_items, cfg.embedding_dim)
    model._set_state({"user_factors": x, "item_factors": y})
    model.train = train
    model.config = replace(cfg, spark_master=sc.master)
    metrics = _final_metrics(model, train, val, validate, cells)
    metrics.update(fit_seconds=fit_seconds, seconds=time.perf_counter() - last)
    history.append(metrics)
    model.history = history
    model.metrics = {**model.metrics, "spark_seconds": time.perf_counter() - started}
    if callback is not None:
        callback(cfg.epochs, dict(metrics))
    return model


def _cells(matrix: Interactions, cfg: Any) -> Any:
    return weighted_cells(
        matrix.matrix, alpha=cfg.alpha, eps=cfg.eps, kind=cfg.confidence, threshold=cfg.threshold
    )


def _factors(table: DataFrame, n: int, k: int) -> torch.Tensor:
    """Spark's ``(id, features)`` factor table as an ``(n, k)`` tensor; rows Spark has not learned are 0."""
    got = table.toArrow()
    out = np.zeros((n, k), dtype=np.float32)
    if got.num_rows:
        ids = got["id"].combine_chunks().to_numpy(zero_copy_only=False)
        values = pc.list_flatten(got["features"].combine_chunks()).to_numpy(zero_copy_only=False)
        out[ids] = values.reshape(len(ids), k)
    return torch.from_numpy(out)


def _final_metrics(
    model: WMF,
    train: Interactions,
    val: Interactions | None,
    validate: Validator | None,
    cells: Any,
) -> dict[str, float]:
    """The losses of ALS-WR (the objective Spark minimised) and the validator's metrics, final factors."""
    cfg = model.config
    x, y = model.user_factors, model.item_factors
    ridge = penalty(cells, cfg.reg, "count")
    if val is None:
        return {"train_loss": wmf_losses(x, y, [cells], **ridge)[0]}
    same = np.array_equal(val.user_ids, train.user_ids) and np.array_equal(val.item_ids, train.item_ids)
    if not same:
        val = train.align(val.to_frame())
    # one call, as WMF.fit: the two losses share their Gram term
    train_loss, val_loss = wmf_losses(x, y, [cells, _cells(val, cfg)], **ridge)
    metrics = {"train_loss": train_loss, "val_loss": val_loss}
    if validate is not None:
        metrics.update({str(k): float(v) for k, v in validate(model.score_users, train, val).items()})
    return metrics
