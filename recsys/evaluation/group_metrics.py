"""Per-member metrics of a group list: how well, and how evenly, one list serves every member.

A group list is scored for each member against that member's own relevant tracks (their NDCG@k,
Recall@k and discounted first hit), and the members' values are summarised per group, as in the
group-evaluation literature (Kaya, Bridge & Tintarev 2020; the RecSys 2022 group-evaluation tutorial):

``ndcg_mean@k``, ``ndcg_min@k``
    The members' mean and minimum NDCG@k (the worst-served member).
``ndcg_minmax@k``
    Minimum over maximum NDCG@k: 1 when every member is served equally, near 0 when one member gets
    almost nothing of what another gets.
``ndcg_jain@k``
    Jain's fairness index of the members' NDCG@k, ``(sum x)^2 / (m sum x^2)``: 1 for equal values,
    ``1/m`` when one member gets everything.
``recall_mean@k``, ``recall_min@k``
    The members' mean and minimum Recall@k.
``zero_recall@k``
    The share of members with no relevant track on the list (Recall@k = 0).
``dfh@k``
    Discounted first hit: per member ``1 / log2(1 + p)`` with ``p`` the position of the first track
    relevant to them (0 without one), averaged over the members.

A list that serves no member (every value 0) has ``ndcg_minmax`` and ``ndcg_jain`` 0, not undefined: the
ratios say how evenly the list's value is shared, and a list with no value has nothing to share; this
keeps every group's value finite, so means, intervals and paired tests use every group.

:func:`random_member_expectations` gives a uniformly random list's expected ``recall_mean``,
``zero_recall`` and ``dfh`` per group (analytic, like :func:`recsys.evaluation.stats.random_expectations`);
the minimum and the ratios have no simple closed form.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recsys.errors import ConfigError
from recsys.evaluation.metrics import hits, ndcg_at_k, recall_at_k

__all__ = [
    "MEMBER_METRICS",
    "discounted_first_hit",
    "jain_index",
    "member_metric_columns",
    "min_max_ratio",
    "random_member_expectations",
    "zero_share",
]

MEMBER_METRICS: tuple[str, ...] = (
    "ndcg_mean",
    "ndcg_min",
    "ndcg_minmax",
    "ndcg_jain",
    "recall_mean",
    "recall_min",
    "zero_recall",
    "dfh",
)
"""The per-group columns :func:`member_metric_columns` gives (as ``<name>@<k>``), in order."""


def _groups_by_members(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or v.shape[1] == 0:
        raise ConfigError(f"member values must be a (groups, members) table, got shape {v.shape}")
    return v


def min_max_ratio(values: np.ndarray) -> np.ndarray:
    """Per group, the members' minimum over their maximum (0 where every member has 0).

    Parameters
    ----------
    values : numpy.ndarray
        ``(groups, members)`` non-negative values.

    Returns
    -------
    numpy.ndarray
        ``float64`` ``(groups,)`` in ``[0, 1]``.
    """
    v = _groups_by_members(values)
    hi = v.max(axis=1)
    return np.where(hi > 0, v.min(axis=1) / np.where(hi > 0, hi, 1.0), 0.0)


def jain_index(values: np.ndarray) -> np.ndarray:
    """Per group, Jain's fairness index ``(sum x)^2 / (m sum x^2)`` (0 where every member has 0).

    Parameters
    ----------
    values : numpy.ndarray
        ``(groups, members)`` non-negative values.

    Returns
    -------
    numpy.ndarray
        ``float64`` ``(groups,)``: 1 for equal values, ``1/m`` when one member has everything.
    """
    v = _groups_by_members(values)
    sq = (v * v).sum(axis=1)
    return np.where(sq > 0, v.sum(axis=1) ** 2 / (v.shape[1] * np.where(sq > 0, sq, 1.0)), 0.0)


def zero_share(values: np.ndarray) -> np.ndarray:
    """Per group, the share of members whose value is 0.

    Parameters
    ----------
    values : numpy.ndarray
        ``(groups, members)``.

    Returns
    -------
    numpy.ndarray
        ``float64`` ``(groups,)``.
    """
    return (_groups_by_members(values) == 0).mean(axis=1)


def discounted_first_hit(top: np.ndarray, relevant: sp.spmatrix, k: int | None = None) -> np.ndarray:
    """Per list, ``1 / log2(1 + p)`` for the position ``p`` (1-based) of the first relevant track.

    Parameters
    ----------
    top : numpy.ndarray
        ``(B, K)`` track indices, best first (``-1``: empty slot).
    relevant : scipy.sparse matrix
        ``(B, n_items)`` relevant tracks of each list's reader.
    k : int, optional
        Look at the first ``k`` positions (default all ``K``).

    Returns
    -------
    numpy.ndarray
        ``float64`` ``(B,)``: 1 for a hit at the top, 0 without a hit in the first ``k``.
    """
    t = np.asarray(top, dtype=np.int64)
    kk = t.shape[1] if k is None else int(k)
    if kk < 1 or kk > t.shape[1]:
        raise ConfigError(f"k must be between 1 and the list length {t.shape[1]}, got {kk}")
    h = hits(t[:, :kk], relevant)
    first = np.argmax(h, axis=1)
    return np.where(h.any(axis=1), 1.0 / np.log2(first + 2.0), 0.0)


def member_metric_columns(
    top: np.ndarray, member_relevant: sp.spmatrix, size: int, k: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every per-member group metric at cut-off ``k`` (see the module docstring).

    Parameters
    ----------
    top : numpy.ndarray
        ``(groups, K)`` group lists, ``K >= k``.
    member_relevant : scipy.sparse matrix
        ``(groups * size, n_items)`` each member's relevant tracks, members of a group consecutive.
    size : int
        Members per group.
    k : int
        Cut-off.

    Returns
    -------
    tuple of dict
        ``"<metric>@<k>"`` -> ``(groups,)`` for every name of :data:`MEMBER_METRICS`, and the
        per-member values behind them: ``"ndcg"``, ``"recall"``, ``"dfh"`` -> ``(groups, size)``.
    """
    t = np.asarray(top, dtype=np.int64)
    n_groups = t.shape[0]
    rel = sp.csr_matrix(member_relevant)
    if rel.shape[0] != n_groups * size:
        raise ConfigError(f"member_relevant has {rel.shape[0]} rows for {n_groups} groups of {size}")
    member_top = np.repeat(t, size, axis=0)
    # A member without relevant tracks has no NDCG or recall (NaN in the metrics module); here they
    # have no relevant track on the list either, so 0 keeps the group's summary defined.
    nd = np.nan_to_num(ndcg_at_k(member_top, rel, k)).reshape(n_groups, size)
    rc = np.nan_to_num(recall_at_k(member_top, rel, k)).reshape(n_groups, size)
    fh = discounted_first_hit(member_top, rel, k).reshape(n_groups, size)
    columns = {
        f"ndcg_mean@{k}": nd.mean(axis=1),
        f"ndcg_min@{k}": nd.min(axis=1),
        f"ndcg_minmax@{k}": min_max_ratio(nd),
        f"ndcg_jain@{k}": jain_index(nd),
        f"recall_mean@{k}": rc.mean(axis=1),
        f"recall_min@{k}": rc.min(axis=1),
        f"zero_recall@{k}": zero_share(rc),
        f"dfh@{k}": fh.mean(axis=1),
    }
    return columns, {"ndcg": nd, "recall": rc, "dfh": fh}


def random_member_expectations(
    n_relevant: np.ndarray, n_reachable: np.ndarray, n_candidates: np.ndarray, k: int
) -> dict[str, np.ndarray]:
    """A uniformly random list's expected ``recall_mean``, ``zero_recall`` and ``dfh`` per group.

    A random list of ``L = min(k, N)`` of the group's ``N`` candidates holds each of a member's ``R'``
    reachable relevant tracks with probability ``L/N``, so the member's expected recall is
    ``L R' / (N R)`` (``R``: all their relevant tracks); it misses all of them with probability
    ``prod_{i<L} (N - R' - i) / (N - i)``; its first hit is at position ``i`` with probability
    ``prod_{j<i} (N - R' - j + 1) / (N - j + 1) * R' / (N - i + 1)``.

    Parameters
    ----------
    n_relevant, n_reachable : numpy.ndarray
        ``(groups, members)``: each member's relevant tracks, and those among the group's candidates.
    n_candidates : numpy.ndarray
        ``(groups,)`` the group's candidate tracks.
    k : int
        Cut-off.

    Returns
    -------
    dict
        ``"recall_mean@k"``, ``"zero_recall@k"``, ``"dfh@k"`` -> ``(groups,)``.
    """
    r = np.asarray(n_relevant, dtype=np.float64)
    reach = np.asarray(n_reachable, dtype=np.float64)
    n = np.asarray(n_candidates, dtype=np.float64)[:, None]
    if np.any(n < 1) or np.any(reach > n) or np.any(reach > r):
        raise ConfigError("every group needs a candidate, and no member more reachable than relevant tracks")
    length = np.minimum(float(k), n)
    recall = np.where(r > 0, length * reach / (n * np.where(r > 0, r, 1.0)), 0.0)
    pos = np.arange(1, k + 1, dtype=np.float64)  # (k,)
    inside = pos[None, None, :] <= length[:, :, None]
    left = np.maximum(n[:, :, None] - (pos - 1.0), 1.0)  # candidates left before position i
    miss = np.clip((n[:, :, None] - reach[:, :, None] - (pos - 1.0)) / left, 0.0, 1.0)
    miss = np.where(inside, miss, 1.0)
    before = np.cumprod(miss, axis=2)[:, :, :-1]
    no_hit_before = np.concatenate([np.ones((*miss.shape[:2], 1)), before], axis=2)
    first_at = no_hit_before * np.clip(reach[:, :, None] / left, 0.0, 1.0) * inside
    return {
        f"recall_mean@{k}": recall.mean(axis=1),
        f"zero_recall@{k}": np.prod(miss, axis=2).mean(axis=1),
        f"dfh@{k}": (first_at / np.log2(pos + 1.0)).sum(axis=2).mean(axis=1),
    }
