"""Passes over a group's ``(members, tracks)`` score table a few members at a time.

A group of 2,000 members over 100,000 tracks is a 0.8 GB float32 table. Normalising it whole in float64
(1.6 GB), masking it (another copy) and ranking the listed tracks with one full pass per track took
23 s and 6.5 GB; every strategy that looks at one track at a time (``average``, ``least_misery``,
``most_pleasure``, ``multiplicative``, ``average_without_misery``) only needs, per track, a running
sum, minimum, maximum or product over the members. So these passes walk the table in blocks of members:
memory stays at a block's float64 copy, and the blocks of :func:`ranks` run on a small thread pool,
since NumPy releases the GIL inside its loops. Results are those of the whole-table formulas (sums
may differ in the last bit, being added per block).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["BLOCK_CELLS", "RANK_CELLS", "linear_values", "member_scale", "ranks"]

BLOCK_CELLS = 1 << 22
"""Members x tracks cells per block (32 MB of float64): a few members at 100,000 tracks, all of a small
group at the demo's 5,000."""


RANK_CELLS = 1 << 20
"""Cells per block of :func:`ranks` (4 MB of float32: stays in cache across the listed tracks)."""


def _blocks(m: int, n_items: int, cells: int | None = None) -> Iterator[slice]:
    step = max(1, (BLOCK_CELLS if cells is None else cells) // max(n_items, 1))
    for lo in range(0, m, step):
        yield slice(lo, min(m, lo + step))


def member_scale(
    raw: np.ndarray, candidates: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per member, the minimum over the candidates, the span (1 where flat) and whether it is flat.

    The blocked form of :func:`recsys.models.group.normalise`'s scale: the same values.
    """
    m = raw.shape[0]
    lo = np.empty(m, dtype=np.float64)
    hi = np.empty(m, dtype=np.float64)
    for rows in _blocks(m, raw.shape[1]):
        block = raw[rows]
        if candidates is None:
            lo[rows], hi[rows] = block.min(axis=1), block.max(axis=1)
        else:
            lo[rows] = np.where(candidates, block, np.inf).min(axis=1)
            hi[rows] = np.where(candidates, block, -np.inf).max(axis=1)
    span = hi - lo
    flat = span <= 0
    return lo, np.where(flat, 1.0, span), flat


def linear_values(
    raw: np.ndarray,
    strategy: str,
    candidates: np.ndarray | None,
    weights: np.ndarray | None,
    apply_scale: Callable[..., np.ndarray],
    threshold: float = 0.3,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Each track's group value under a per-track strategy, from normalised scores, block by block.

    Parameters
    ----------
    raw : numpy.ndarray
        ``(m, n_items)`` raw member scores.
    strategy : str
        ``average``, ``least_misery``, ``most_pleasure``, ``multiplicative`` or
        ``average_without_misery``.
    candidates : numpy.ndarray or None
        ``bool`` ``(n_items,)`` tracks that may be recommended (the scale is taken over them).
    weights : numpy.ndarray or None
        ``(m,)`` member weights averaging 1, or None.
    apply_scale : callable
        ``apply_scale(block, lo, span, flat) -> float64 block``: the group module's normalisation.
    threshold : float
        ``average_without_misery``'s veto level.

    Returns
    -------
    tuple
        ``(values, admissible)``: ``float64`` ``(n_items,)`` values (the weighted average for
        ``average_without_misery``) and, for ``average_without_misery`` only, the ``bool`` tracks no
        member with a positive weight scores below ``threshold`` (else None).
    """
    m, n_items = raw.shape
    lo, span, flat = member_scale(raw, candidates)
    if strategy == "least_misery":
        acc = np.full(n_items, np.inf)
    elif strategy == "most_pleasure":
        acc = np.full(n_items, -np.inf)
    elif strategy == "multiplicative":
        acc = np.ones(n_items)
    else:
        acc = np.zeros(n_items)
    ok = np.ones(n_items, dtype=bool) if strategy == "average_without_misery" else None
    for rows in _blocks(m, n_items):
        norm = apply_scale(raw[rows], lo[rows], span[rows], flat[rows])
        w = None if weights is None else weights[rows]
        if strategy == "least_misery":
            np.minimum(acc, norm.min(axis=0), out=acc)
        elif strategy == "most_pleasure":
            np.maximum(acc, norm.max(axis=0), out=acc)
        elif strategy == "multiplicative":
            # candidates' normalised scores are in [0, 1]; clip keeps non-candidates from flipping signs
            base = np.clip(norm, 0.0, None)
            acc *= base.prod(axis=0) if w is None else (base ** w[:, None]).prod(axis=0)
        else:
            acc += norm.sum(axis=0) if w is None else w @ norm
            if ok is not None:
                # a member of weight 0 does not count, so they have no veto either
                voters = norm if w is None else norm[w > 0]
                ok &= (voters >= threshold).all(axis=0)
    if strategy in ("average", "average_without_misery"):
        acc /= m
    return acc, ok


def ranks(raw: np.ndarray, items: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
    """1-based rank of each of ``items`` in each member's own ranking over the candidates (ties to the
    lower track index): :func:`recsys.models.group.member_ranks`, in blocks of members on threads.

    A listed track can only be outranked by a candidate scoring at least the member's lowest listed
    score, so each block makes one pass to keep those (usually a small share of the catalogue), and the
    counts (candidates scored higher; tied candidates at a lower index) run on them alone: three passes
    over the block instead of two per listed track. A block where more than an eighth would be kept
    counts over whole rows instead (:func:`_count_passes`). Non-candidates count as ``-inf``.
    """
    items = np.asarray(items, dtype=np.int64)
    m, n_items = raw.shape
    out = np.empty((m, len(items)), dtype=np.int64)
    if m == 0 or len(items) == 0:
        return out
    listed_ok = None if candidates is None else candidates[items]

    def work(rows: slice) -> None:
        s = raw[rows]
        b = s.shape[0]
        own = s[:, items].astype(np.float64)
        if listed_ok is not None:
            own[:, ~listed_ok] = -np.inf
        floor = own.min(axis=1)
        keep = s >= floor[:, None]
        if candidates is not None:
            keep &= candidates
            # a listed non-candidate (-inf) ties with every non-candidate: keep whole rows then
            keep[np.isneginf(floor)] = True
        if 8 * np.count_nonzero(keep) > keep.size:
            _count_passes(s if candidates is None else np.where(candidates, s, -np.inf), items, out[rows])
            return
        r, c = np.nonzero(keep)
        vals = s[r, c].astype(np.float64)
        if candidates is not None:
            vals[~candidates[c]] = -np.inf
        for j, item in enumerate(items.tolist()):
            v = own[r, j]
            better = np.bincount(r[vals > v], minlength=b)
            tied_before = np.bincount(r[(vals == v) & (c < item)], minlength=b)
            out[rows, j] = better + tied_before + 1

    # a block of a few members at a time: its copies stay small and in cache
    blocks = list(_blocks(m, n_items, cells=RANK_CELLS))
    workers = min(len(blocks), os.cpu_count() or 1, 4)
    if workers <= 1:
        for rows in blocks:
            work(rows)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, blocks))
    return out


def _count_passes(s: np.ndarray, items: np.ndarray, out: np.ndarray) -> None:
    """Ranks by counting over whole rows (when the listed tracks sit low in the members' rankings and
    most of the block would be kept): one count of the higher scores per listed track, one of the equal
    ones, and the index-aware count only where another track ties."""
    for j, item in enumerate(items.tolist()):
        col = s[:, item : item + 1]
        rank = np.count_nonzero(s > col, axis=1) + 1
        tied = np.flatnonzero(np.count_nonzero(s == col, axis=1) > 1)
        if tied.size and item > 0:
            rank[tied] += np.count_nonzero(s[tied, :item] == col[tied], axis=1)
        out[:, j] = rank
