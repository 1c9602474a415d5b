"""Borda points for :mod:`recsys.models.group`'s ``borda`` strategy (see its module docstring).

Each member gives each of its ``depth`` best candidate tracks (and any tied with the ``depth``-th) as
many points as there are candidate tracks that member scores strictly lower (tied tracks share the same
points); member weights multiply a member's points.
"""

from __future__ import annotations

import numpy as np

__all__ = ["borda_points"]


def borda_points(
    raw: np.ndarray, candidates: np.ndarray | None, depth: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """Each track's (weighted) Borda points.

    Parameters
    ----------
    raw : numpy.ndarray
        ``(m, n_items)`` raw scores.
    candidates : numpy.ndarray or None
        ``bool`` ``(n_items,)`` tracks taking part (the others get 0 and give none).
    depth : int
        How many of each member's best tracks earn points.
    weights : numpy.ndarray or None
        ``(m,)`` member weights (None: 1 each).

    Returns
    -------
    numpy.ndarray
        ``float64`` ``(n_items,)`` points.
    """
    # Only candidate columns are ranked, so excluded tracks neither earn nor give points.
    s = np.asarray(raw)
    s = s.astype(np.float32) if s.dtype != np.float32 else s
    n_items = s.shape[1]
    cols = None if candidates is None else np.flatnonzero(candidates)
    if cols is not None:
        s = s[:, cols]
    n_cand = s.shape[1]
    if depth < n_cand:
        # Each member's depth-th best score: only tracks scored at least that high earn points, so
        # a partition (linear) and a sort of those few replace a full sort of the catalogue.
        cut = np.partition(s, n_cand - depth, axis=1)[:, n_cand - depth]
        tracks, points = [], []
        for u, (row, c) in enumerate(zip(s, cut, strict=True)):
            top = np.flatnonzero(row >= c)  # ties with the cut-off all take part
            tracks.append(top)
            # candidates strictly lower = those below the cut + the top tracks below this one
            got = (n_cand - top.size) + _tie_first_positions(row[top])
            points.append(got if weights is None else got * weights[u])
        total = np.bincount(np.concatenate(tracks), weights=np.concatenate(points), minlength=n_cand)
    else:
        order = np.argsort(s, axis=1)
        first = np.vstack([_tie_first_positions(row, o) for row, o in zip(s, order, strict=True)])
        if weights is not None:
            first = first * weights[:, None]
        total = np.bincount(order.ravel(), weights=first.ravel(), minlength=n_cand)
    if cols is None:
        return total
    out = np.zeros(n_items, dtype=np.float64)
    out[cols] = total
    return out


def _tie_first_positions(values: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """For ``values[order]`` (ascending), the number of values strictly lower than each.

    With ``order=None`` the values are sorted here and the result is laid back in their own order.
    """
    own = order is None
    if order is None:
        order = np.argsort(values)
    sorted_vals = values[order]
    positions = np.arange(values.size, dtype=np.float64)
    if values.size > 1 and bool(np.any(sorted_vals[1:] == sorted_vals[:-1])):
        start = np.ones(values.size, dtype=bool)
        np.not_equal(sorted_vals[1:], sorted_vals[:-1], out=start[1:])
        positions = np.maximum.accumulate(np.where(start, positions, 0.0))
    if not own:
        return positions
    out = np.empty(values.size, dtype=np.float64)
    out[order] = positions
    return out
