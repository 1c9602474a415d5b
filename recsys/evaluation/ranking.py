"""Top-k lists from dense score matrices, with exact and deterministic tie handling.

:func:`top_k` is on the path of every evaluation and of every training epoch's validation, over blocks of
hundreds of users x the whole catalogue (100,000 tracks at the largest size measured), so it is built
for that: PyTorch's ``topk`` picks each row's ``k + 1`` best in linear time on all intra-op threads (about
40x faster than NumPy's ``argpartition`` on a 1,024 x 100,000 block), exclusions are written into the
block in place (one scatter through the CSR indices, no copy of the block when the caller allows it),
and only the rows where a tie straddles the cut-off (or a NaN reached the top) take the exact NumPy
path. The result is the same as a full stable sort: best first, ties to the lower item index.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import torch

from recsys.errors import ConfigError

__all__ = ["top_k"]


def top_k(
    scores: np.ndarray,
    k: int,
    exclude: sp.spmatrix | sp.sparray | None = None,
    *,
    in_place: bool = False,
) -> np.ndarray:
    """The ``k`` best items of each row, best first, ties to the lower item index.

    Parameters
    ----------
    scores : numpy.ndarray
        ``(B, n_items)`` scores, higher is better. NaN counts as ``-inf``.
    k : int
        List length (at least 1).
    exclude : scipy.sparse matrix, optional
        ``(B, n_items)``; the stored entries of row ``b`` are never returned for that row (e.g. tracks
        already heard in training).
    in_place : bool
        Allow writing the exclusions (as ``-inf``) into ``scores`` instead of into a copy: what the
        evaluation does with a block of scores it owns, so the block is never copied. By default the
        caller's ``scores`` are not modified.

    Returns
    -------
    numpy.ndarray
        ``int64`` ``(B, k)`` item indices. Items scored ``-inf`` (or excluded) are never returned: when
        a row has fewer than ``k`` such items, its trailing positions hold ``-1``.

    Notes
    -----
    ``torch.topk`` returns each row's ``k + 1`` largest values (its order among equal values is not
    specified). The ``k`` kept are then re-sorted by (score descending, index ascending), which is the
    exact answer whenever the ``k``-th and ``(k + 1)``-th values differ. Rows where they are equal (a tie
    across the cut-off: which of the tied items enter the list depends on their indices), or where a NaN
    reached the top, are recomputed exactly with NumPy (``argpartition``, then counting the tied items
    in index order).
    """
    s = np.asarray(scores)
    if s.ndim != 2:
        raise ConfigError(f"scores must be a (users, items) matrix, got shape {s.shape}")
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    n_rows, n_items = s.shape
    ex = None
    if exclude is not None:
        ex = sp.csr_matrix(exclude)
        if ex.shape != s.shape:
            raise ConfigError(f"exclude has shape {ex.shape}, scores {s.shape}")
    if n_rows == 0:
        return np.empty((0, k), dtype=np.int64)
    if s.dtype not in (np.float32, np.float64):
        s = s.astype(np.float64)  # a fresh array: free to write into
        in_place = True
    writes = ex is not None and ex.nnz > 0
    # exclusions go into a copy unless the caller gave the block away; torch also needs C order
    if (writes and not (in_place and s.flags.writeable)) or not s.flags.c_contiguous:
        s = np.array(s, order="C", copy=True)
    t = _as_tensor(s)
    if writes:
        rows = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(ex.indptr))
        flat = torch.from_numpy(rows * n_items + ex.indices.astype(np.int64))
        t.view(-1).index_fill_(0, flat, float("-inf"))
    kk = min(k, n_items)
    if kk < n_items:
        vals, idx = torch.topk(t, kk + 1, dim=1, largest=True, sorted=True)
        # a tie across the cut-off, unless it is among -inf (those slots become -1 whatever their index)
        exact = (vals[:, kk - 1] == vals[:, kk]) & (vals[:, kk - 1] > float("-inf"))
        vals, idx = vals[:, :kk], idx[:, :kk]
    else:
        vals, idx = torch.sort(t, dim=1, descending=True, stable=True)
        exact = torch.zeros(n_rows, dtype=torch.bool)
    exact |= torch.isnan(vals).any(dim=1)
    # (score descending, index ascending) among the kept: sort by index, then a stable sort by score
    idx, perm = torch.sort(idx, dim=1)
    vals = vals.gather(1, perm)
    order = torch.sort(vals, dim=1, descending=True, stable=True).indices
    out = idx.gather(1, order).numpy().astype(np.int64, copy=False)
    out[vals.gather(1, order).numpy() == -np.inf] = -1
    redo = np.flatnonzero(exact.numpy())
    if redo.size:
        out[redo] = _exact_top_k(s[redo], kk)
    if kk < k:
        out = np.hstack([out, np.full((n_rows, k - kk), -1, dtype=np.int64)])
    return out


def _as_tensor(s: np.ndarray) -> torch.Tensor:
    with warnings.catch_warnings():
        # a read-only array is only ever read here (top_k copies it before writing exclusions)
        warnings.simplefilter("ignore", UserWarning)
        return torch.from_numpy(s)


def _exact_top_k(s: np.ndarray, kk: int) -> np.ndarray:
    """The exact NumPy path for a few rows: ``(B, kk)`` best first, ties to the lower index, ``-1`` for
    ``-inf``; ``kk`` at most the number of items. Exclusions are already ``-inf`` in ``s``."""
    if np.isnan(s).any():
        s = np.where(np.isnan(s), -np.inf, s)
    n_rows, n_items = s.shape
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
    out[np.take_along_axis(vals, order, axis=1) == -np.inf] = -1
    return out
