"""The customer's group protocol, on every group size and kind, fast.

The notebook drew random groups of ``size`` users, took as the group's relevant set the *union* of
its members' relevant validation tracks, and scored the group list by precision@k. This module keeps
that protocol and adds, per group, each member's NDCG@k and Recall@k of the group list summarised
per group (mean, minimum, min/max ratio, Jain's index, zero-recall, discounted first hit: see
:mod:`recsys.evaluation.group_metrics`), a ``decoupled`` protocol that judges the list by each
member's own model ranking instead of held-out plays (:mod:`recsys.evaluation.group_lists`), and
more group kinds built from taste similarity (cosine of the members' training vectors):

* ``random``: members drawn uniformly (seeded), as in the notebook;
* ``similar``: a random first member, then greedily the candidate with the highest mean cosine
  similarity to the members so far;
* ``divergent``: the same with the lowest mean similarity;
* ``outlier``: a similar group of ``size - 1`` members, then the candidate least similar to them
  (one member who does not fit; of two members, a divergent pair).

Only users with at least one relevant item (in the regime) are candidates, so every member has a
defined NDCG; the decoupled protocol uses the same groups, so the two protocols read side by side.
Group lists are made by :func:`recsys.models.group.group_list` over the members' model scores (the
same aggregation as ``model.recommend``, without the per-member explanation).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.evaluation.evaluate import prepare_truth, regime_name, summarise
from recsys.evaluation.group_lists import PROTOCOLS, build_group_lists, score_group_lists
from recsys.models.base import Recommender

__all__ = [
    "GROUP_KINDS",
    "PROTOCOLS",
    "GroupEvaluation",
    "cutoffs",
    "evaluate_groups",
    "group_similarity",
    "make_groups",
]

GROUP_KINDS: tuple[str, ...] = ("random", "similar", "divergent", "outlier")
"""Kinds of groups drawn by :func:`make_groups` (the one list: the CLI, the Evaluate page and the Group
builder offer these)."""


def _unit_rows(matrix: sp.spmatrix) -> sp.csr_matrix:
    m = sp.csr_matrix(matrix, dtype=np.float32)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(np.where(norms > 0, 1.0 / np.maximum(norms, 1e-30), 0.0)) @ m)


def make_groups(
    candidates: Sequence[int] | np.ndarray,
    n_groups: int,
    size: int,
    *,
    kind: str = "random",
    seed: int = 0,
    matrix: sp.spmatrix | None = None,
) -> np.ndarray:
    """Draw groups of distinct users.

    Parameters
    ----------
    candidates : array-like of int
        The users to draw from (row indices of ``matrix``).
    n_groups, size : int
        How many groups, of how many members.
    kind : str
        ``random``, ``similar``, ``divergent`` or ``outlier`` (see the module docstring).
    seed : int
        Seed of the draw.
    matrix : scipy.sparse matrix, optional
        Users x tracks training matrix, needed for every kind but ``random``.

    Returns
    -------
    numpy.ndarray
        ``int64`` ``(n_groups, size)`` entries of ``candidates``; members of a group are distinct.
    """
    cand = np.asarray(candidates, dtype=np.int64)
    if kind not in GROUP_KINDS:
        raise ConfigError(f"unknown group kind {kind!r}: choose one of {', '.join(GROUP_KINDS)}")
    if size < 1 or n_groups < 1:
        raise ConfigError(f"need at least one group of at least one member, got {n_groups} x {size}")
    if cand.size < size:
        raise ConfigError(f"groups of {size} need at least {size} users with relevant items, got {cand.size}")
    rng = np.random.default_rng(seed)
    if kind == "random":
        # argsort of uniform keys = a random permutation per group; keep the first `size`.
        out = np.empty((n_groups, size), dtype=np.int64)
        for lo in range(0, n_groups, 256):
            hi = min(n_groups, lo + 256)
            out[lo:hi] = np.argsort(rng.random((hi - lo, cand.size)), axis=1)[:, :size]
        return cand[out]
    if matrix is None:
        raise ConfigError(f"{kind} groups need the training matrix to measure taste similarity")
    x = _unit_rows(sp.csr_matrix(matrix)[cand])
    xt = sp.csr_matrix(x.T)
    first = rng.integers(0, cand.size, size=n_groups)
    members = np.empty((n_groups, size), dtype=np.int64)
    members[:, 0] = first
    # Up to a few thousand candidates, one users x users product is cheaper than one per step.
    full = np.asarray((x @ xt).todense(), dtype=np.float32) if cand.size <= 4000 else None

    def sims(rows: np.ndarray) -> np.ndarray:
        if full is not None:
            return full[rows]
        return np.asarray((x[rows] @ xt).todense(), dtype=np.float32)

    total = sims(first)
    taken = np.zeros((n_groups, cand.size), dtype=bool)
    taken[np.arange(n_groups), first] = True
    for step in range(1, size):
        # similar: closest to the members so far; divergent: farthest; outlier: close, then one far
        far = kind == "divergent" or (kind == "outlier" and step == size - 1)
        key = np.where(taken, -np.inf, -total if far else total)
        pick = np.argmax(key, axis=1)  # ties: the lowest index
        members[:, step] = pick
        taken[np.arange(n_groups), pick] = True
        if step < size - 1:
            total += sims(pick)
    return cand[members]


def group_similarity(groups: np.ndarray, matrix: sp.spmatrix) -> np.ndarray:
    """Mean pairwise cosine similarity of the members' training vectors, per group (NaN for size 1)."""
    g = np.asarray(groups, dtype=np.int64)
    n_groups, size = g.shape
    if size < 2:
        return np.full(n_groups, np.nan)
    x = _unit_rows(matrix)
    summed = sp.csr_matrix(
        (np.ones(g.size, dtype=np.float32), (np.repeat(np.arange(n_groups), size), g.ravel())),
        shape=(n_groups, x.shape[0]),
    ) @ x
    sq = np.asarray(summed.multiply(summed).sum(axis=1)).ravel()
    self_sim = np.asarray(x.multiply(x).sum(axis=1)).ravel()[g].sum(axis=1)
    return (sq - self_sim) / (size * (size - 1))


@dataclass(frozen=True)
class GroupEvaluation:
    """The result of :func:`evaluate_groups`.

    Attributes
    ----------
    per_group : pandas.DataFrame
        One row per group: ``group``, ``members`` (user ids), ``n_relevant`` (union), ``n_candidates``,
        then per cut-off ``precision@k`` (group precision, the notebook's) and every per-member metric
        of :data:`recsys.evaluation.group_metrics.MEMBER_METRICS` (``ndcg_mean@k``, ``ndcg_min@k``,
        ``ndcg_minmax@k``, ``ndcg_jain@k``, ``recall_mean@k``, ``recall_min@k``, ``zero_recall@k``,
        ``dfh@k``).
    member_ndcg : dict
        ``k`` -> ``(n_groups, size)`` each member's NDCG@k of the group list.
    summary : pandas.DataFrame
        Mean, std, 95% bootstrap interval and ``random`` (a random list's expected mean) per column.
    groups : numpy.ndarray
        ``(n_groups, size)`` training rows of the members.
    top : numpy.ndarray
        ``(n_groups, max k)`` the group lists (``-1`` pads a short list).
    random_per_group : pandas.DataFrame
        Per group, a random list's expected value of each summary column (NaN for the minima and the
        ratios, which have no simple closed form).
    protocol : str
        ``coupled`` (held-out plays) or ``decoupled`` (each member's own ranking).
    """

    per_group: pd.DataFrame
    member_ndcg: dict[int, np.ndarray]
    summary: pd.DataFrame
    groups: np.ndarray
    top: np.ndarray
    kind: str
    size: int
    strategy: str
    regime: str
    k: tuple[int, ...]
    seconds: float
    random_per_group: pd.DataFrame
    protocol: str = "coupled"

    def metrics(self) -> dict[str, float]:
        """Mean of each column (``"precision@10"`` -> float)."""
        return {name: float(v) for name, v in self.summary["mean"].items()}


def cutoffs(k: Sequence[int] | int) -> tuple[int, ...]:
    """Cut-offs as a sorted tuple of distinct positive integers.

    Raises
    ------
    ConfigError
        None given, or one below 1.
    """
    ks = (int(k),) if isinstance(k, (int, np.integer)) else tuple(sorted({int(x) for x in k}))
    if not ks or ks[0] < 1:
        raise ConfigError(f"cut-offs must be positive integers, got {k}")
    return ks


def evaluate_groups(
    model: Recommender,
    truth: Interactions,
    *,
    n_groups: int = 1000,
    size: int = 5,
    kind: str = "random",
    k: Sequence[int] | int = (5, 10, 30),
    strategy: str = "average",
    threshold: float = 1.0,
    exclude_seen: bool = False,
    seed: int = 0,
    n_boot: int = 1000,
    groups: np.ndarray | None = None,
    batch_groups: int = 128,
    progress: bool = False,
    protocol: str = "coupled",
    **strategy_options: Any,
) -> GroupEvaluation:
    """Run the group protocol for ``model``.

    Parameters
    ----------
    model : Recommender
        A trained model.
    truth : Interactions
        The validation or test split (see :func:`~recsys.evaluation.evaluate.evaluate_model`); it picks
        the candidate members in both protocols, and is the truth in the coupled one.
    n_groups, size, kind : int, int, str
        Groups to draw (ignored when ``groups`` is given).
    k : int or sequence of int
        Cut-offs.
    strategy : str
        Aggregation strategy (:data:`recsys.models.group.STRATEGIES`).
    threshold : float
        Relevance threshold.
    exclude_seen : bool
        Discovery: tracks any member heard in training are not listed, and each member's heard tracks
        are not relevant for them.
    seed : int
        Seed of the group draw and of the bootstrap.
    n_boot : int
        Bootstrap resamples.
    groups : numpy.ndarray, optional
        ``(n_groups, size)`` training rows: evaluate exactly these groups (to compare models on the
        same groups).
    batch_groups : int
        Groups whose members are scored in one call.
    progress : bool
        Progress bar on stderr.
    protocol : {"coupled", "decoupled"}
        Judge the lists by held-out plays, or by each member's own ranking
        (:mod:`recsys.evaluation.group_lists`).
    **strategy_options
        Passed to the aggregation.

    Returns
    -------
    GroupEvaluation
    """
    start = time.perf_counter()
    ks = cutoffs(k)
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown group protocol {protocol!r}: choose one of {', '.join(PROTOCOLS)}")
    train = model._fitted()
    data = prepare_truth(train, truth, threshold=threshold, exclude_seen=exclude_seen)
    if groups is None:
        groups = make_groups(data.rows, n_groups, size, kind=kind, seed=seed, matrix=train.matrix)
    groups = np.asarray(groups, dtype=np.int64)
    n_groups, size = groups.shape
    lists = build_group_lists(
        model,
        groups,
        [strategy],
        ks[-1],
        exclude_seen=exclude_seen,
        own=protocol == "decoupled",
        options={strategy: strategy_options},
        batch_groups=batch_groups,
        progress=progress,
    )
    scored = score_group_lists(lists, strategy, ks, protocol=protocol, relevant=data.relevant)
    frame = pd.DataFrame(
        {
            "group": np.arange(n_groups),
            "members": [list(train.user_ids[g]) for g in groups],
            "n_relevant": scored.n_relevant,
            "n_candidates": lists.n_candidates,
            **scored.columns,
        }
    )
    columns = list(scored.columns)
    summary = summarise(frame, columns, n_boot=n_boot, seed=seed)
    summary["random"] = [float(np.mean(scored.expected[col])) for col in columns]
    return GroupEvaluation(
        per_group=frame,
        member_ndcg=scored.member_ndcg,
        summary=summary,
        groups=groups,
        top=lists.tops[strategy],
        kind=kind,
        size=size,
        strategy=strategy,
        regime=regime_name(exclude_seen),
        k=ks,
        seconds=time.perf_counter() - start,
        random_per_group=pd.DataFrame({col: scored.expected[col] for col in columns}),
        protocol=protocol,
    )
