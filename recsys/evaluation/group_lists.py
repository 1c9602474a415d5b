"""Group lists for many groups, and their scores under the two group protocols.

:func:`build_group_lists` scores each group's members once and builds the group's list with every
strategy asked (the group-kinds study compares nine strategies on the same groups, so scoring once
matters), plus, for the decoupled protocol, each member's own list over the same candidates.
:func:`score_group_lists` scores one strategy's lists:

* ``coupled`` (the customer's protocol): a member's relevant tracks are their held-out plays (the
  validation or test split), the group's are the union of its members';
* ``decoupled``: a member's relevant tracks at cut-off ``k`` are the ``k`` tracks their own model
  ranks best among the group's candidates, so a perfect aggregation scores 1 and what is measured is
  what aggregating costs each member, whatever the held-out data.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from recsys.errors import ConfigError
from recsys.evaluation.group_metrics import member_metric_columns, random_member_expectations
from recsys.evaluation.metrics import hits
from recsys.models.base import Recommender
from recsys.models.group import group_list, top_n

__all__ = ["PROTOCOLS", "GroupLists", "GroupScores", "binary", "build_group_lists", "score_group_lists"]

PROTOCOLS: tuple[str, ...] = ("coupled", "decoupled")
"""Group protocols: ``coupled`` judges lists by held-out plays, ``decoupled`` by each member's own list."""


def binary(matrix: sp.spmatrix) -> sp.csr_matrix:
    """A copy of ``matrix`` with every stored non-zero entry 1 (``float32``, sorted indices)."""
    m = sp.csr_matrix(matrix, copy=True)
    m.data = (m.data != 0).astype(np.float32)
    m.eliminate_zeros()
    m.sort_indices()
    return m


def _indicator(groups: np.ndarray, n_rows: int) -> sp.csr_matrix:
    n_groups, size = groups.shape
    return sp.csr_matrix(
        (np.ones(groups.size, dtype=np.float32), (np.repeat(np.arange(n_groups), size), groups.ravel())),
        shape=(n_groups, n_rows),
    )


@dataclass(frozen=True)
class GroupLists:
    """Every strategy's list for the same groups.

    Attributes
    ----------
    groups : numpy.ndarray
        ``(n_groups, size)`` training rows of the members.
    tops : dict
        Strategy -> ``(n_groups, kmax)`` track indices, best first (``-1`` pads a short list).
    own : numpy.ndarray or None
        ``(n_groups, size, kmax)`` each member's own list over the group's candidates (decoupled).
    group_seen : scipy.sparse.csr_matrix or None
        ``(n_groups, n_items)`` tracks heard in training by any member (discovery), else None.
    n_candidates : numpy.ndarray
        ``(n_groups,)`` tracks each group's list may hold.
    n_items : int
        Tracks in the catalogue.
    """

    groups: np.ndarray
    tops: dict[str, np.ndarray]
    own: np.ndarray | None
    group_seen: sp.csr_matrix | None
    n_candidates: np.ndarray
    n_items: int


def build_group_lists(
    model: Recommender,
    groups: np.ndarray,
    strategies: Sequence[str],
    kmax: int,
    *,
    exclude_seen: bool = False,
    own: bool = False,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    batch_groups: int = 128,
    progress: bool = False,
) -> GroupLists:
    """Build each group's list with each strategy, scoring the members once.

    Parameters
    ----------
    model : Recommender
        A trained model.
    groups : numpy.ndarray
        ``(n_groups, size)`` training rows.
    strategies : sequence of str
        Aggregation strategies (:data:`recsys.models.group.STRATEGIES`).
    kmax : int
        List length.
    exclude_seen : bool
        Discovery: tracks any member heard in training are not listed.
    own : bool
        Also each member's own top ``kmax`` over the group's candidates (the decoupled protocol).
    options : mapping, optional
        Strategy -> its options (e.g. ``{"average_without_misery": {"threshold": 0.5}}``).
    batch_groups : int
        Groups whose members are scored in one call.
    progress : bool
        Progress bar on stderr.

    Returns
    -------
    GroupLists
    """
    if batch_groups < 1:
        raise ConfigError(f"batch_groups must be at least 1, got {batch_groups}")
    train = model._fitted()
    groups = np.asarray(groups, dtype=np.int64)
    n_groups, size = groups.shape
    tops = {s: np.full((n_groups, kmax), -1, dtype=np.int64) for s in strategies}
    own_top = np.full((n_groups, size, kmax), -1, dtype=np.int64) if own else None
    group_seen = None
    if exclude_seen:
        group_seen = binary(_indicator(groups, train.n_users) @ binary(train.matrix))
    batches = range(0, n_groups, batch_groups)
    for lo in tqdm(batches, desc="group lists", unit="batch", file=sys.stderr, disable=not progress):
        block = groups[lo : lo + batch_groups]
        rows, inverse = np.unique(block, return_inverse=True)
        scores = model.score_users(rows)
        inverse = inverse.reshape(block.shape)
        for j in range(len(block)):
            g = lo + j
            exclude = None
            if group_seen is not None:
                exclude = np.zeros(train.n_items, dtype=bool)
                exclude[group_seen.indices[group_seen.indptr[g] : group_seen.indptr[g + 1]]] = True
            member_scores = scores[inverse[j]]
            for strategy in strategies:
                opts = dict((options or {}).get(strategy, {}))
                items = group_list(member_scores, strategy=strategy, n=kmax, exclude=exclude, **opts)
                tops[strategy][g, : len(items)] = items
            if own_top is not None:
                # each member's own list over the group's candidates, ties to the lower index like the
                # group list (a per-row partition: small batches gain nothing from a threaded top-k)
                cand = None if exclude is None else ~exclude
                for u, row in enumerate(member_scores):
                    mine = top_n(row, kmax, cand)
                    own_top[g, u, : len(mine)] = mine
    seen_per_group = np.diff(group_seen.indptr) if group_seen is not None else np.zeros(n_groups, np.int64)
    return GroupLists(
        groups=groups,
        tops=tops,
        own=own_top,
        group_seen=group_seen,
        n_candidates=(train.n_items - seen_per_group).astype(np.int64),
        n_items=train.n_items,
    )


@dataclass(frozen=True)
class GroupScores:
    """One strategy's lists scored under one protocol.

    Attributes
    ----------
    columns : dict
        ``"<metric>@<k>"`` -> ``(n_groups,)`` per-group values, in display order.
    n_relevant : numpy.ndarray
        ``(n_groups,)`` the group's relevant tracks (union over members; decoupled: of their own lists
        at the largest cut-off).
    member_ndcg : dict
        ``k`` -> ``(n_groups, size)`` each member's NDCG@k of the group list.
    expected : dict
        ``"<metric>@<k>"`` -> ``(n_groups,)`` a random list's expected value (NaN without a closed form).
    """

    columns: dict[str, np.ndarray]
    n_relevant: np.ndarray
    member_ndcg: dict[int, np.ndarray]
    expected: dict[str, np.ndarray]


def _own_relevant(own: np.ndarray, k: int, n_items: int) -> sp.csr_matrix:
    """Each member's own top ``k`` as a ``(n_groups * size, n_items)`` relevance matrix."""
    flat = own[:, :, :k].reshape(-1, k)
    ok = flat >= 0
    rows = np.repeat(np.arange(flat.shape[0]), ok.sum(axis=1))
    ones = np.ones(rows.size, np.float32)
    return binary(sp.csr_matrix((ones, (rows, flat[ok])), shape=(flat.shape[0], n_items)))


def _union(member_rel: sp.csr_matrix, size: int) -> sp.csr_matrix:
    n_groups = member_rel.shape[0] // size
    members = np.arange(n_groups * size).reshape(n_groups, size)
    return binary(_indicator(members, member_rel.shape[0]) @ member_rel)


def score_group_lists(
    lists: GroupLists,
    strategy: str,
    ks: Sequence[int],
    *,
    protocol: str = "coupled",
    relevant: sp.csr_matrix | None = None,
) -> GroupScores:
    """Score one strategy's lists at every cut-off under one protocol.

    Parameters
    ----------
    lists : GroupLists
        From :func:`build_group_lists` (with ``own=True`` for the decoupled protocol).
    strategy : str
        Which of its strategies.
    ks : sequence of int
        Cut-offs, ascending, at most the lists' length.
    protocol : {"coupled", "decoupled"}
        See the module docstring.
    relevant : scipy.sparse.csr_matrix, optional
        Coupled: ``(n_train_users, n_items)`` relevant held-out tracks
        (:attr:`recsys.evaluation.evaluate.EvalData.relevant`).

    Returns
    -------
    GroupScores
    """
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown group protocol {protocol!r}: choose one of {', '.join(PROTOCOLS)}")
    top = lists.tops[strategy]
    n_groups, size = lists.groups.shape
    n_cand = lists.n_candidates
    own = lists.own
    reachable = None
    if protocol == "coupled":
        if relevant is None:
            raise ConfigError("the coupled protocol needs the held-out relevant tracks")
        fixed = binary(relevant[lists.groups.ravel()])
        union = _union(fixed, size)
        n_rel_all = np.diff(union.indptr)
        reachable = fixed
        if lists.group_seen is not None:
            # a member's relevant track heard by anyone in the group can never be listed; the heard
            # tracks are intersected with the group's relevant ones first, which keeps the rows short
            blocked = binary(lists.group_seen.multiply(union))[np.repeat(np.arange(n_groups), size)]
            reachable = binary(fixed - fixed.multiply(blocked))
    else:
        if own is None:
            raise ConfigError("the decoupled protocol needs each member's own list: pass own=True")
        fixed = None
        n_rel_all = np.diff(_union(_own_relevant(own, own.shape[2], lists.n_items), size).indptr)
    columns: dict[str, np.ndarray] = {}
    expected: dict[str, np.ndarray] = {}
    member_ndcg: dict[int, np.ndarray] = {}
    for c in ks:
        member_rel = fixed if fixed is not None else _own_relevant(own, c, lists.n_items)  # type: ignore[arg-type]
        # decoupled: each member's own list is drawn from the group's candidates, so all of it is reachable
        reach_rel = reachable if reachable is not None else member_rel
        group_rel = union if fixed is not None else _union(member_rel, size)
        group_reach = _union(reach_rel, size)
        columns[f"precision@{c}"] = hits(top[:, :c], group_rel).sum(axis=1) / c
        values, per_member = member_metric_columns(top, member_rel, size, c)
        columns.update(values)
        member_ndcg[c] = per_member["ndcg"]
        # a random list of min(c, N) candidates: each slot is relevant with probability R'/N
        length = np.minimum(c, n_cand)
        expected[f"precision@{c}"] = np.diff(group_reach.indptr) / n_cand * length / c
        n_rel = np.diff(member_rel.indptr).reshape(n_groups, size)
        n_reach = np.diff(reach_rel.indptr).reshape(n_groups, size)
        disc = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, c + 2)))])
        ideal = disc[np.minimum(n_rel, c)]
        exp_nd = (n_reach / n_cand[:, None]) * disc[length][:, None] / np.where(ideal > 0, ideal, 1.0)
        expected[f"ndcg_mean@{c}"] = exp_nd.mean(axis=1)
        expected.update(random_member_expectations(n_rel, n_reach, n_cand, c))
        for name in values:
            expected.setdefault(name, np.full(n_groups, np.nan))  # min and ratios: no closed form
    return GroupScores(columns=columns, n_relevant=n_rel_all, member_ndcg=member_ndcg, expected=expected)
