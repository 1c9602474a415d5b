"""The customer's group protocol, on every group size and kind, fast.

The notebook drew random groups of ``size`` users, took as the group's relevant set the *union* of
its members' relevant validation tracks, and scored the group list by precision@k. This module keeps
that protocol and adds, per group, each member's NDCG@k of the group list, their mean and their
minimum (a fairness view: the worst-served member), and two more group kinds built from taste
similarity (cosine of the members' training vectors):

* ``random``: members drawn uniformly (seeded), as in the notebook;
* ``similar``: a random first member, then greedily the candidate with the highest mean cosine
  similarity to the members so far;
* ``divergent``: the same with the lowest mean similarity.

Only users with at least one relevant item (in the regime) are candidates, so every member has a
defined NDCG. Group lists are made by :func:`recsys.models.group.group_list` over the members' model scores
(the same aggregation as ``model.recommend``, without the per-member explanation).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from tqdm import tqdm

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.evaluation.evaluate import prepare_truth, regime_name, summarise
from recsys.evaluation.metrics import hits, ndcg_at_k
from recsys.models.base import Recommender
from recsys.models.group import group_list

__all__ = ["GROUP_KINDS", "GroupEvaluation", "make_groups", "group_similarity", "evaluate_groups"]

GROUP_KINDS: tuple[str, ...] = ("random", "similar", "divergent")
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
        ``random``, ``similar`` or ``divergent`` (see the module docstring).
    seed : int
        Seed of the draw.
    matrix : scipy.sparse matrix, optional
        Users x tracks training matrix, needed for ``similar`` and ``divergent``.

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
    sign = 1.0 if kind == "similar" else -1.0
    for step in range(1, size):
        key = np.where(taken, -np.inf, sign * total)
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
        One row per group: ``group``, ``members`` (user ids), ``n_relevant`` (union),
        ``n_candidates``, then per cut-off ``precision@k`` (group precision, the notebook's),
        ``ndcg_mean@k`` and ``ndcg_min@k`` (the members' NDCG of the group list).
    member_ndcg : dict
        ``k`` -> ``(n_groups, size)`` each member's NDCG@k of the group list.
    summary : pandas.DataFrame
        Mean, std, 95% bootstrap interval and ``random`` (a random list's expected mean) per column.
    groups : numpy.ndarray
        ``(n_groups, size)`` training rows of the members.
    top : numpy.ndarray
        ``(n_groups, max k)`` the group lists (``-1`` pads a short list).
    random_per_group : pandas.DataFrame
        Per group, a random list's expected value of each summary column (NaN for ``ndcg_min``,
        which has no simple closed form).
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

    def metrics(self) -> dict[str, float]:
        """Mean of each column (``"precision@10"`` -> float)."""
        return {name: float(v) for name, v in self.summary["mean"].items()}


def _indicator(groups: np.ndarray, n_rows: int) -> sp.csr_matrix:
    n_groups, size = groups.shape
    return sp.csr_matrix(
        (np.ones(groups.size, dtype=np.float32), (np.repeat(np.arange(n_groups), size), groups.ravel())),
        shape=(n_groups, n_rows),
    )


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
    **strategy_options: Any,
) -> GroupEvaluation:
    """Run the group protocol for ``model``.

    Parameters
    ----------
    model : Recommender
        A trained model.
    truth : Interactions
        The validation or test split (see :func:`~recsys.evaluation.evaluate.evaluate_model`).
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
    **strategy_options
        Passed to the aggregation.

    Returns
    -------
    GroupEvaluation
    """
    start = time.perf_counter()
    ks = (int(k),) if isinstance(k, (int, np.integer)) else tuple(sorted({int(x) for x in k}))
    if not ks or ks[0] < 1:
        raise ConfigError(f"cut-offs must be positive integers, got {k}")
    train = model._fitted()
    data = prepare_truth(train, truth, threshold=threshold, exclude_seen=exclude_seen)
    if groups is None:
        groups = make_groups(data.rows, n_groups, size, kind=kind, seed=seed, matrix=train.matrix)
    groups = np.asarray(groups, dtype=np.int64)
    n_groups, size = groups.shape
    kmax = ks[-1]
    top = np.full((n_groups, kmax), -1, dtype=np.int64)
    heard = sp.csr_matrix(train.matrix) if exclude_seen else None
    group_seen = None
    if heard is not None:
        group_seen = sp.csr_matrix(_indicator(groups, train.n_users) @ _bin(heard))
    batches = range(0, n_groups, batch_groups)
    for lo in tqdm(batches, desc="group lists", unit="batch", file=sys.stderr, disable=not progress):
        block = groups[lo : lo + batch_groups]
        rows, inverse = np.unique(block, return_inverse=True)
        scores = model.score_users(rows)
        inverse = inverse.reshape(block.shape)
        for j in range(len(block)):
            exclude = None
            if group_seen is not None:
                exclude = np.zeros(train.n_items, dtype=bool)
                g = lo + j
                exclude[group_seen.indices[group_seen.indptr[g] : group_seen.indptr[g + 1]]] = True
            member_scores = scores[inverse[j]]
            items = group_list(member_scores, strategy=strategy, n=kmax, exclude=exclude, **strategy_options)
            top[lo + j, : len(items)] = items
    rel = data.relevant
    group_rel = _bin(_indicator(groups, train.n_users) @ rel)
    h = hits(top, group_rel)
    n_cand = train.n_items - (np.diff(group_seen.indptr) if group_seen is not None else 0)
    n_cand = np.broadcast_to(n_cand, (n_groups,)).astype(np.int64)
    reachable = group_rel if group_seen is None else _bin(group_rel - group_rel.multiply(group_seen))
    n_reach = np.diff(reachable.indptr)
    frame = pd.DataFrame(
        {
            "group": np.arange(n_groups),
            "members": [list(train.user_ids[g]) for g in groups],
            "n_relevant": np.diff(group_rel.indptr),
            "n_candidates": n_cand,
        }
    )
    member_top = np.repeat(top, size, axis=0)
    member_rel = rel[groups.ravel()]
    member_ndcg: dict[int, np.ndarray] = {}
    expected: dict[str, np.ndarray] = {}
    member_n_rel = np.diff(member_rel.indptr).reshape(n_groups, size)
    member_reach = _member_reachable(member_rel, group_seen, size)
    for c in ks:
        frame[f"precision@{c}"] = h[:, :c].sum(axis=1) / c
        nd = ndcg_at_k(member_top, member_rel, c).reshape(n_groups, size)
        member_ndcg[c] = nd
        frame[f"ndcg_mean@{c}"] = nd.mean(axis=1)
        frame[f"ndcg_min@{c}"] = nd.min(axis=1)
        # A random list of min(c, N) candidates: each slot is relevant with probability R'/N.
        length = np.minimum(c, n_cand)
        expected[f"precision@{c}"] = n_reach / n_cand * length / c
        disc = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, c + 2)))])
        ideal = disc[np.minimum(member_n_rel, c)]
        exp_nd = (member_reach / n_cand[:, None]) * disc[length][:, None] / np.where(ideal > 0, ideal, 1.0)
        expected[f"ndcg_mean@{c}"] = exp_nd.mean(axis=1)
        expected[f"ndcg_min@{c}"] = np.full(n_groups, np.nan)  # E[min] has no simple closed form
    columns = [col for c in ks for col in (f"precision@{c}", f"ndcg_mean@{c}", f"ndcg_min@{c}")]
    summary = summarise(frame, columns, n_boot=n_boot, seed=seed)
    summary["random"] = [float(np.mean(expected[col])) for col in columns]
    return GroupEvaluation(
        per_group=frame,
        member_ndcg=member_ndcg,
        summary=summary,
        groups=groups,
        top=top,
        kind=kind,
        size=size,
        strategy=strategy,
        regime=regime_name(exclude_seen),
        k=ks,
        seconds=time.perf_counter() - start,
        random_per_group=pd.DataFrame({col: expected[col] for col in columns}),
    )


def _bin(matrix: sp.spmatrix) -> sp.csr_matrix:
    m = sp.csr_matrix(matrix, copy=True)
    m.data = (m.data != 0).astype(np.float32)
    m.eliminate_zeros()
    m.sort_indices()
    return m


def _member_reachable(member_rel: sp.csr_matrix, group_seen: sp.csr_matrix | None, size: int) -> np.ndarray:
    """Per member, relevant items that the group list may contain (not heard by any member)."""
    n = np.diff(member_rel.indptr)
    if group_seen is None:
        return n.reshape(-1, size)
    seen_rep = group_seen[np.repeat(np.arange(group_seen.shape[0]), size)]
    blocked = np.diff(_bin(member_rel.multiply(seen_rep)).indptr)
    return (n - blocked).reshape(-1, size)
