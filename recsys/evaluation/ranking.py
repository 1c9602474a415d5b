"""Top-k lists from dense score matrices, with exact and deterministic tie handling."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recsys.errors import ConfigError

__all__ = ["top_k"]


def top_k(scores: np.ndarray, k: int, exclude: sp.spmatrix | sp.sparray | None = None) -> np.ndarray:
    """The ``k`` best items of each row, best first, ties to the lower item index.

    Parameters
    ----------
    scores : numpy.ndarray
        ``(B, n_items)`` scores, higher is better. NaN counts as ``-inf``.
    k : int
        List length (at least 1).
    exclude : scipy.sparse matrix, optional
        ``(B, n_items)``; the stored entries of row ``b`` are never returned for that row (e.g. tracks
        already heard in training). The caller's ``scores`` are not modified.

    Returns
    -------
    numpy.ndarray
        ``int64`` ``(B, k)`` item indices. Items scored ``-inf`` (or excluded) are never returned: when
        a row has fewer than ``k`` such items, its trailing positions hold ``-1``.

    Notes
    -----
    ``argpartition`` finds each row's top ``k`` in linear time; only rows where ties straddle the
    cut-off are resolved exactly (by counting tied items in index order), then the ``k`` are sorted.
    """
    s = np.asarray(scores)
    if s.ndim != 2:
        raise ConfigError(f"scores must be a (users, items) matrix, got shape {s.shape}")
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    n_rows, n_items = s.shape
    if not np.issubdtype(s.dtype, np.floating):
        s = s.astype(np.float64)
    copied = False
    if np.isnan(s).any():
        s = np.where(np.isnan(s), -np.inf, s)
        copied = True
    if exclude is not None:
        ex = sp.csr_matrix(exclude)
        if ex.shape != s.shape:
            raise ConfigError(f"exclude has shape {ex.shape}, scores {s.shape}")
        if not copied:
            s = s.copy()
        rows = np.repeat(np.arange(n_rows), np.diff(ex.indptr))
        s[rows, ex.indices] = -np.inf
    kk = min(k, n_items)
    if n_rows == 0:
        return np.empty((0, k), dtype=np.int64)
    if kk < n_items:
        part = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
        cut = np.take_along_axis(s, part, axis=1).min(axis=1)
        n_above = (s > cut[:, None]).sum(axis=1)
        n_tied = (s == cut[:, None]).sum(axis=1)
        ambiguous = np.flatnonzero(n_above + n_tied > kk)
        if ambiguous.size:
            sub = s[ambiguous]
            c = cut[ambiguous][:, None]
            tied = sub == c
            keep = (sub > c) | (tied & (np.cumsum(tied, axis=1) <= (kk - n_above[ambiguous])[:, None]))
            part[ambiguous] = np.nonzero(keep)[1].reshape(len(ambiguous), kk)
        chosen = np.sort(part, axis=1)
    else:
        chosen = np.broadcast_to(np.arange(n_items), (n_rows, n_items)).copy()
    # Stable sort of the index-ordered candidates by descending score keeps ties in index order.
    vals = np.take_along_axis(s, chosen, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    out = np.take_along_axis(chosen, order, axis=1).astype(np.int64)
    vals = np.take_along_axis(vals, order, axis=1)
    out[vals == -np.inf] = -1
    if kk < k:
        out = np.hstack([out, np.full((n_rows, k - kk), -1, dtype=np.int64)])
    return out
