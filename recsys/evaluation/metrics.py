"""Per-user ranking metrics over a top-k matrix and a sparse matrix of relevant items.

All metrics use binary relevance: an item is relevant to user ``b`` when ``relevant[b, item]`` is a
stored non-zero entry. Each takes ``top`` (``(B, K)`` item indices, best first, ``-1`` for an empty
slot, as :func:`~recsys.evaluation.ranking.top_k` returns) and evaluates its first ``k`` columns
(``k`` defaults to ``K``), so one top-30 matrix serves @5, @10 and @30.

Conventions
-----------
* A user with no relevant item has no defined value: every metric returns NaN for that user (the
  evaluation drops such users upstream).
* ``precision@k`` divides by ``k`` even when fewer than ``k`` items are relevant (or listed): it is
  the share of the list that hits, so its maximum is ``min(k, n_rel) / k``.
* ``recall@k`` divides by ``n_rel`` (all relevant items), so its maximum is ``min(k, n_rel) / n_rel``.
* ``ndcg@k``: DCG = sum over hit positions ``i`` (1-based) of ``1 / log2(i + 1)``; the ideal DCG puts
  ``min(k, n_rel)`` hits first, so a perfect list scores 1 whatever ``n_rel``.
* ``map@k`` (average precision): the sum of precision@i over hit positions ``i <= k``, divided by
  ``min(k, n_rel)`` (so a perfect list scores 1 even when ``n_rel > k``).
* ``mrr@k``: 1 / position of the first hit within ``k``, 0 without a hit.
* ``hit_rate@k``: 1 if any of the first ``k`` is relevant, else 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import scipy.sparse as sp

from recsys.errors import ConfigError

__all__ = [
    "METRICS",
    "hits",
    "n_relevant",
    "precision_at_k",
    "recall_at_k",
    "ndcg_at_k",
    "average_precision_at_k",
    "reciprocal_rank_at_k",
    "hit_rate_at_k",
    "all_metrics",
]


def _csr(relevant: sp.spmatrix | sp.sparray) -> sp.csr_matrix:
    rel = sp.csr_matrix(relevant)
    if (rel.data == 0).any():
        rel = rel.copy()
        rel.eliminate_zeros()
    if not rel.has_sorted_indices:
        rel = rel.sorted_indices()
    return rel


def n_relevant(relevant: sp.spmatrix | sp.sparray) -> np.ndarray:
    """Number of relevant items per user (stored non-zero entries per row), ``int64`` ``(B,)``."""
    return np.diff(_csr(relevant).indptr).astype(np.int64)


def hits(top: np.ndarray, relevant: sp.spmatrix | sp.sparray) -> np.ndarray:
    """Whether each listed item is relevant to its user.

    Parameters
    ----------
    top : numpy.ndarray
        ``(B, K)`` item indices (``-1`` = empty slot, never a hit).
    relevant : scipy.sparse matrix
        ``(B, n_items)`` relevant items.

    Returns
    -------
    numpy.ndarray
        ``bool`` ``(B, K)``.
    """
    top = np.asarray(top, dtype=np.int64)
    rel = _csr(relevant)
    if top.ndim != 2 or top.shape[0] != rel.shape[0]:
        raise ConfigError(f"top has shape {top.shape} but relevant has {rel.shape[0]} rows")
    n_items = rel.shape[1]
    # Encode (row, item) pairs as one sorted key array; membership is then a binary search.
    rows = np.repeat(np.arange(rel.shape[0], dtype=np.int64), np.diff(rel.indptr))
    keys = rows * n_items + rel.indices.astype(np.int64)
    query = np.arange(top.shape[0], dtype=np.int64)[:, None] * n_items + top
    if keys.size == 0:
        return np.zeros(top.shape, dtype=bool)
    pos = np.searchsorted(keys, query)
    found = keys[np.minimum(pos, keys.size - 1)] == query
    return found & (top >= 0)


def _prepare(
    top: np.ndarray, relevant: sp.spmatrix | sp.sparray, k: int | None
) -> tuple[np.ndarray, np.ndarray, int]:
    top = np.asarray(top)
    kk = top.shape[1] if k is None else int(k)
    if kk < 1 or kk > top.shape[1]:
        raise ConfigError(f"k must be between 1 and the list length {top.shape[1]}, got {kk}")
    return hits(top[:, :kk], relevant), n_relevant(relevant), kk


def _nan_where_empty(values: np.ndarray, n_rel: np.ndarray) -> np.ndarray:
    out = values.astype(np.float64)
    out[n_rel == 0] = np.nan
    return out


def _precision(h: np.ndarray, n_rel: np.ndarray, k: int) -> np.ndarray:
    return _nan_where_empty(h.sum(axis=1) / k, n_rel)


def _recall(h: np.ndarray, n_rel: np.ndarray, k: int) -> np.ndarray:
    return _nan_where_empty(h.sum(axis=1) / np.maximum(n_rel, 1), n_rel)


def _ndcg(h: np.ndarray, n_rel: np.ndarray, k: int) -> np.ndarray:
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = h @ discount
    ideal = np.concatenate([[0.0], np.cumsum(discount)])[np.minimum(n_rel, k)]
    return _nan_where_empty(dcg / np.where(ideal > 0, ideal, 1.0), n_rel)


def _average_precision(h: np.ndarray, n_rel: np.ndarray, k: int) -> np.ndarray:
    prec_at_i = np.cumsum(h, axis=1) / np.arange(1, k + 1)
    total = (prec_at_i * h).sum(axis=1)
    return _nan_where_empty(total / np.maximum(np.minimum(n_rel, k), 1), n_rel)


def _reciprocal_rank(h: np.ndarray, n_rel: np.ndarray, k: int) -> np.ndarray:
    first = np.argmax(h, axis=1)
    rr = np.where(h.any(axis=1), 1.0 / (first + 1), 0.0)
    return _nan_where_empty(rr, n_rel)


def _hit_rate(h: np.ndarray, n_rel: np.ndarray, k: int) -> np.ndarray:
    return _nan_where_empty(h.any(axis=1).astype(np.float64), n_rel)


METRICS: dict[str, Callable[[np.ndarray, np.ndarray, int], np.ndarray]] = {
    "precision": _precision,
    "recall": _recall,
    "ndcg": _ndcg,
    "map": _average_precision,
    "mrr": _reciprocal_rank,
    "hit_rate": _hit_rate,
}
"""Metric name (as in ``"ndcg@10"``) -> function of ``(hits (B, k), n_relevant (B,), k)``."""


def precision_at_k(top: np.ndarray, relevant: sp.spmatrix | sp.sparray, k: int | None = None) -> np.ndarray:
    """Share of the first ``k`` listed items that are relevant, per user (``float64`` ``(B,)``)."""
    return _precision(*_prepare(top, relevant, k))


def recall_at_k(top: np.ndarray, relevant: sp.spmatrix | sp.sparray, k: int | None = None) -> np.ndarray:
    """Share of the user's relevant items found in the first ``k``, per user."""
    return _recall(*_prepare(top, relevant, k))


def ndcg_at_k(top: np.ndarray, relevant: sp.spmatrix | sp.sparray, k: int | None = None) -> np.ndarray:
    """Normalised discounted cumulative gain at ``k`` (binary gains, log2 discount), per user."""
    return _ndcg(*_prepare(top, relevant, k))


def average_precision_at_k(
    top: np.ndarray, relevant: sp.spmatrix | sp.sparray, k: int | None = None
) -> np.ndarray:
    """Average precision at ``k`` (denominator ``min(k, n_rel)``), per user; its mean is MAP@k."""
    return _average_precision(*_prepare(top, relevant, k))


def reciprocal_rank_at_k(
    top: np.ndarray, relevant: sp.spmatrix | sp.sparray, k: int | None = None
) -> np.ndarray:
    """1 / position of the first relevant item within ``k`` (0 if none), per user; its mean is MRR@k."""
    return _reciprocal_rank(*_prepare(top, relevant, k))


def hit_rate_at_k(top: np.ndarray, relevant: sp.spmatrix | sp.sparray, k: int | None = None) -> np.ndarray:
    """1 when any of the first ``k`` items is relevant, else 0, per user."""
    return _hit_rate(*_prepare(top, relevant, k))


def all_metrics(
    top: np.ndarray,
    relevant: sp.spmatrix | sp.sparray,
    ks: Iterable[int],
    names: Iterable[str] | None = None,
) -> dict[str, np.ndarray]:
    """Every metric at every ``k`` from one top-``max(ks)`` matrix (hits are computed once).

    Parameters
    ----------
    top : numpy.ndarray
        ``(B, K)`` with ``K >= max(ks)``.
    relevant : scipy.sparse matrix
        ``(B, n_items)``.
    ks : iterable of int
        Cut-offs.
    names : iterable of str, optional
        Metric names from :data:`METRICS` (default all).

    Returns
    -------
    dict
        ``"<name>@<k>"`` -> per-user ``float64`` ``(B,)`` values, in the order ``k`` then name.
    """
    ks = sorted(set(int(k) for k in ks))
    top = np.asarray(top)
    if not ks or ks[0] < 1 or ks[-1] > top.shape[1]:
        raise ConfigError(f"cut-offs {ks} must lie between 1 and the list length {top.shape[1]}")
    chosen = list(METRICS) if names is None else list(names)
    unknown = [n for n in chosen if n not in METRICS]
    if unknown:
        raise ConfigError(f"unknown metric(s) {unknown}: choose from {', '.join(METRICS)}")
    h = hits(top[:, : ks[-1]], relevant)
    n_rel = n_relevant(relevant)
    return {f"{name}@{k}": METRICS[name](h[:, :k], n_rel, k) for k in ks for name in chosen}
