"""Per-user evaluation of a model on a validation or test split, in two regimes.

* ``all``: the model ranks every track; a track the user played again is a hit (re-listening counts).
* ``discovery``: tracks the user heard in training (any stored training pair) are removed from the
  ranking *and* from the relevant set, so only new tracks count.

Every trained user with at least one relevant item (truth score ``>= threshold``, in the regime) is
evaluated, not a sample. Scoring runs in blocks of users written into one reused buffer (bounded
memory: ``batch_size x n_items`` floats), exclusions are written into the block through the CSR of heard
tracks, and each block's top-k is PyTorch's on all intra-op threads (:func:`~.ranking.top_k`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from tqdm import tqdm

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.evaluation.factor_topk import factor_index
from recsys.evaluation.metrics import METRICS, all_metrics
from recsys.evaluation.ranking import top_k
from recsys.evaluation.stats import bootstrap_cis, random_expectations

if TYPE_CHECKING:
    from recsys.models.base import Recommender

__all__ = ["Evaluation", "EvalData", "evaluate_model", "prepare_truth", "summarise", "regime_name"]


def regime_name(exclude_seen: bool) -> str:
    """``"discovery"`` when heard tracks are excluded, else ``"all"``."""
    return "discovery" if exclude_seen else "all"


@dataclass(frozen=True)
class EvalData:
    """The truth laid on a model's training indices, in one regime.

    Attributes
    ----------
    relevant : scipy.sparse.csr_matrix
        ``bool``-valued ``(n_train_users, n_items)``: relevant pairs (after removing heard tracks in
        the discovery regime).
    seen : scipy.sparse.csr_matrix or None
        Heard-in-training pairs to exclude from rankings (discovery), else ``None``.
    rows : numpy.ndarray
        Training rows of the evaluated users (at least one relevant item), ascending.
    skipped_users : int
        Users of the truth with a relevant pair who are not in training (not evaluated).
    no_relevant_users : int
        Trained users of the truth whose pairs are all below the threshold or (discovery) heard.
    """

    relevant: sp.csr_matrix
    seen: sp.csr_matrix | None
    rows: np.ndarray
    skipped_users: int
    no_relevant_users: int


def prepare_truth(
    train: Interactions, truth: Interactions, *, threshold: float = 1.0, exclude_seen: bool = False
) -> EvalData:
    """Lay ``truth`` on ``train``'s indices and pick the users to evaluate.

    Parameters
    ----------
    train : Interactions
        The model's training matrix (its rows and columns are the model's).
    truth : Interactions
        The validation or test split (on the same indices, or any: it is realigned by id).
    threshold : float
        A pair is relevant when its truth score is ``>= threshold``.
    exclude_seen : bool
        The discovery regime.

    Returns
    -------
    EvalData
    """
    skipped = 0
    if np.array_equal(truth.user_ids, train.user_ids) and np.array_equal(truth.item_ids, train.item_ids):
        mat = truth.matrix
    else:
        frame = truth.to_frame()
        frame = frame[frame["score"] >= threshold]
        known = pd.Index(train.user_ids).get_indexer(frame["user_id"].unique()) >= 0
        skipped = int((~known).sum())
        mat = Interactions.from_frame(frame, user_ids=train.user_ids, item_ids=train.item_ids).matrix
    rel = sp.csr_matrix(mat >= threshold) if threshold > 0 else _stored(mat)
    rel.eliminate_zeros()
    had_pairs = np.diff(sp.csr_matrix(mat).indptr) > 0
    seen = None
    if exclude_seen:
        seen = _stored(train.matrix)
        rel = sp.csr_matrix(rel - rel.multiply(seen))
        rel.eliminate_zeros()
    rel = rel.astype(bool)
    rel.sort_indices()
    n_rel = np.diff(rel.indptr)
    rows = np.flatnonzero(n_rel > 0)
    return EvalData(
        relevant=rel,
        seen=seen,
        rows=rows,
        skipped_users=skipped,
        no_relevant_users=int((had_pairs & (n_rel == 0)).sum()),
    )


def _stored(matrix: sp.spmatrix) -> sp.csr_matrix:
    # Every stored pair, whatever its score (a track played then skipped was still heard).
    m = sp.csr_matrix(matrix, copy=True)
    m.data = np.ones_like(m.data, dtype=np.float32)
    return m


@dataclass(frozen=True)
class Evaluation:
    """The result of :func:`evaluate_model`.

    Attributes
    ----------
    per_user : pandas.DataFrame
        One row per evaluated user: ``user_id``, ``n_relevant``, ``n_candidates``, then
        ``<metric>@<k>`` for every metric and cut-off.
    summary : pandas.DataFrame
        Indexed by ``<metric>@<k>``: ``mean``, ``std``, ``ci_low``, ``ci_high`` (95% bootstrap of the
        mean over users), ``random`` (a random recommender's expected mean, analytic).
    regime : str
        ``"all"`` or ``"discovery"``.
    k : tuple of int
        The cut-offs.
    threshold : float
        Relevance threshold.
    skipped_users, no_relevant_users : int
        See :class:`EvalData`.
    top : numpy.ndarray
        ``(users, max(k))`` the lists that were scored (for beyond-accuracy metrics).
    seconds : float
        Wall time.
    """

    per_user: pd.DataFrame
    summary: pd.DataFrame
    regime: str
    k: tuple[int, ...]
    threshold: float
    skipped_users: int
    no_relevant_users: int
    top: np.ndarray = field(repr=False)
    seconds: float = 0.0

    @property
    def users(self) -> int:
        """Number of evaluated users."""
        return len(self.per_user)

    def metrics(self) -> dict[str, float]:
        """Mean of every metric (``"ndcg@10"`` -> float)."""
        return {name: float(v) for name, v in self.summary["mean"].items()}

    def cis(self) -> dict[str, list[float]]:
        """95% bootstrap interval of every metric's mean."""
        s = self.summary
        return {
            name: [float(lo), float(hi)]
            for name, lo, hi in zip(s.index, s["ci_low"], s["ci_high"], strict=True)
        }

    def random(self) -> dict[str, float]:
        """A random recommender's expected mean of every metric."""
        return {name: float(v) for name, v in self.summary["random"].items()}


def summarise(
    per_user: pd.DataFrame, columns: Sequence[str], *, n_boot: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """Mean, std and 95% bootstrap interval of each column (users resampled jointly).

    Parameters
    ----------
    per_user : pandas.DataFrame
        Per-unit values.
    columns : sequence of str
        Columns to summarise.
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling.

    Returns
    -------
    pandas.DataFrame
        Indexed by column name: ``mean``, ``std``, ``ci_low``, ``ci_high``.
    """
    values = per_user[list(columns)].to_numpy(dtype=np.float64)
    ci = bootstrap_cis(values, n_boot=n_boot, seed=seed)
    return pd.DataFrame(
        {
            "mean": values.mean(axis=0) if len(values) else np.nan,
            "std": values.std(axis=0, ddof=1) if len(values) > 1 else np.nan,
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
        },
        index=list(columns),
    )


def evaluate_model(
    model: Recommender,
    truth: Interactions,
    *,
    k: Sequence[int] | int = (5, 10, 30),
    threshold: float = 1.0,
    exclude_seen: bool = False,
    batch_size: int = 512,
    seed: int = 0,
    n_boot: int = 1000,
    progress: bool = False,
    prune: bool = True,
) -> Evaluation:
    """Evaluate ``model`` on every trained user with at least one relevant item in ``truth``.

    Parameters
    ----------
    model : Recommender
        A trained model (its ``train`` matrix gives the rows and the heard tracks).
    truth : Interactions
        The validation or test split, ideally laid on the model's training indices
        (``Prepared.matrix("val", like=model.train)``); users not in training are skipped and counted.
    k : int or sequence of int
        Cut-offs.
    threshold : float
        Relevance threshold on the truth score (the notebook used 1 and 2).
    exclude_seen : bool
        The discovery regime (see the module docstring).
    batch_size : int
        Users scored at once (memory: ``batch_size x n_items`` floats).
    seed : int
        Seed of the bootstrap.
    n_boot : int
        Bootstrap resamples.
    progress : bool
        Show a progress bar on stderr.
    prune : bool
        For a factor model (:meth:`~recsys.models.base.Recommender.factors`), find each list by the exact
        pruned top-k of :mod:`recsys.evaluation.factor_topk` instead of scoring every track (the same
        lists, a few percent of the work on a large catalogue); False scores every track.

    Returns
    -------
    Evaluation
    """
    start = time.perf_counter()
    ks = (int(k),) if isinstance(k, (int, np.integer)) else tuple(sorted({int(x) for x in k}))
    if not ks or ks[0] < 1:
        raise ConfigError(f"cut-offs must be positive integers, got {k}")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
    if not isinstance(threshold, (int, float, np.number)) or not np.isfinite(threshold):
        raise ConfigError(f"the relevance threshold must be a finite number, got {threshold!r}")
    train = model._fitted()
    if ks[-1] > train.n_items:
        # A cut-off beyond the catalogue asks for a (users x k) ranking of tracks that do not exist
        # (k = 10^9 would allocate hundreds of GiB before anything else failed).
        raise ConfigError(
            f"cut-off k={ks[-1]} is larger than the catalogue ({train.n_items} tracks): "
            f"use at most {train.n_items}"
        )
    data = prepare_truth(train, truth, threshold=threshold, exclude_seen=exclude_seen)
    kmax = ks[-1]
    rows = data.rows
    top = np.empty((len(rows), kmax), dtype=np.int64)
    names = [f"{m}@{c}" for c in ks for m in METRICS]
    values = {name: np.empty(len(rows)) for name in names}
    batches = range(0, len(rows), batch_size)
    bar = tqdm(batches, desc="evaluating", unit="batch", file=sys.stderr, disable=not progress)
    # A factor model's lists come from the exact pruned top-k (only tracks that can enter a list are
    # scored). Any other model writes each block's scores into one buffer (batch_size x n_items
    # float32: 205 MB at 512 x 100,000), the exclusions are written into it and top_k reads it, so
    # memory stays bounded whatever the number of users and no block is allocated twice.
    index = factor_index(model) if prune else None
    buffer = None
    if index is None:
        buffer = np.empty((min(batch_size, max(len(rows), 1)), train.n_items), dtype=np.float32)
    for lo in bar:
        sel = rows[lo : lo + batch_size]
        exclude = data.seen[sel] if data.seen is not None else None
        if index is not None:
            t = index.top_k(sel, kmax, exclude)
        else:
            assert buffer is not None
            scores = model.score_users_into(sel, buffer[: len(sel)])
            t = top_k(scores, kmax, exclude, in_place=True)
        top[lo : lo + len(sel)] = t
        for name, v in all_metrics(t, data.relevant[sel], ks).items():
            values[name][lo : lo + len(sel)] = v
    n_rel = np.diff(data.relevant.indptr)[rows]
    n_seen = np.diff(data.seen.indptr)[rows] if data.seen is not None else np.zeros(len(rows), dtype=np.int64)
    n_cand = train.n_items - n_seen
    per_user = pd.DataFrame({"user_id": train.user_ids[rows], "n_relevant": n_rel, "n_candidates": n_cand})
    for name in names:
        per_user[name] = values[name]
    summary = summarise(per_user, names, n_boot=n_boot, seed=seed)
    expected: dict[str, np.ndarray] = {}
    if len(rows):
        for c in ks:
            expected.update(random_expectations(n_rel, n_cand, c))
    summary["random"] = [float(np.mean(expected[n])) if len(rows) else np.nan for n in names]
    return Evaluation(
        per_user=per_user,
        summary=summary,
        regime=regime_name(exclude_seen),
        k=ks,
        threshold=float(threshold),
        skipped_users=data.skipped_users,
        no_relevant_users=data.no_relevant_users,
        top=top,
        seconds=time.perf_counter() - start,
    )
