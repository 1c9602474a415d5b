"""Passes over a group's ``(members, tracks)`` score table a few members at a time.

A group of 2,000 members over 100,000 tracks is a 0.8 GB float32 table. Normalising it whole in float64
(1.6 GB), masking it (another copy) and ranking the listed tracks with one full pass per track took
23 s and 6.5 GB; every strategy that looks at one track at a time (``average``, ``least_misery``,
``most_pleasure``, ``multiplicative``, ``average_without_misery``) only needs, per track, a running
sum, minimum, maximum or product over the members. So these passes walk the table in blocks of members:
memory stays at a block's float64 copy per thread, and the blocks run on a small thread pool, since
NumPy releases the GIL inside its loops (each thread accumulates its share, the shares are combined at
the end). Results are those of the whole-table formulas (sums may differ in the last bit, being added
per block). The members' ranks of the listed tracks (:func:`ranks`) are counted from the nearer end of
each ranking, on few cells, in many small steps that hold the GIL: their blocks run one after another.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = [
    "BLOCK_CELLS", "RANK_CELLS", "SCALE_CELLS", "linear_values", "member_scale", "ranks", "row_counts",
    "row_extremes",
]

BLOCK_CELLS = 1 << 22
"""Members x tracks cells per block (32 MB of float64): a few members at 100,000 tracks, all of a small
group at the demo's 5,000."""


SCALE_CELLS = 1 << 17
"""Cells per block of :func:`row_extremes` and of the average (512 KB of float32: the second read, or the
product reading the block's float64 copy, comes from cache; blocks of 40 members took twice as long)."""

RANK_CELLS = 1 << 22
"""Cells per block of :func:`ranks` (16 MB of float32): each block is read once or twice, so blocks need
not fit in a cache, and fewer of them cost fewer small steps."""


_START = {"least_misery": np.inf, "most_pleasure": -np.inf, "multiplicative": 1.0}
"""Each accumulating strategy's starting value (the sums start at 0)."""


def _workers(n_tasks: int) -> int:
    return max(1, min(n_tasks, os.cpu_count() or 1, 4))


_POOL: list[ThreadPoolExecutor] = []  # one pool for the process, made on first use


def _on_threads(work: Callable[[Any], Any], tasks: list[Any]) -> list[Any]:
    """``[work(t) for t in tasks]`` on a small thread pool (NumPy releases the GIL in its loops).

    The pool is kept: starting its threads anew cost a 100-member group a sixth of its time."""
    if _workers(len(tasks)) <= 1:
        return [work(t) for t in tasks]
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max_workers=_workers(1 << 30), thread_name_prefix="member-blocks"))
    return list(_POOL[0].map(work, tasks))


def _blocks(m: int, n_items: int, cells: int | None = None) -> Iterator[slice]:
    step = max(1, (BLOCK_CELLS if cells is None else cells) // max(n_items, 1))
    for lo in range(0, m, step):
        yield slice(lo, min(m, lo + step))


def _shares(m: int, n_items: int, cells: int | None = None) -> list[list[slice]]:
    """The blocks of :func:`_blocks` cut into one contiguous share per thread (each thread accumulates
    its share, the caller combines the shares)."""
    blocks = list(_blocks(m, n_items, cells))
    size = -(-len(blocks) // _workers(len(blocks)))
    return [blocks[i : i + size] for i in range(0, len(blocks), size)]


def row_extremes(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each member's lowest and highest score over every track, ``float64`` (NaN where a row has a NaN).

    One read of the table: each thread walks its share of the members a row block at a time, so the
    maximum is taken while the block the minimum just read is still in cache.
    """
    m, n_items = raw.shape
    lo = np.empty(m, dtype=np.float64)
    hi = np.empty(m, dtype=np.float64)

    def part(share: list[slice]) -> None:
        for rows in share:
            block = raw[rows]
            lo[rows], hi[rows] = block.min(axis=1), block.max(axis=1)

    _on_threads(part, _shares(m, n_items, SCALE_CELLS))
    return lo, hi


def member_scale(
    raw: np.ndarray, candidates: np.ndarray | None, extremes: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per member, the minimum over the candidates, the span (1 where flat) and whether it is flat.

    The blocked form of :func:`recsys.models.group.normalise`'s scale: the same values. Without
    candidates these are :func:`row_extremes`, taken from ``extremes`` when the caller has them.
    """
    m = raw.shape[0]
    if candidates is None:
        lo, hi = extremes if extremes is not None else row_extremes(raw)
    else:
        lo = np.empty(m, dtype=np.float64)
        hi = np.empty(m, dtype=np.float64)

        def work(rows: slice) -> None:
            block = raw[rows]
            lo[rows] = np.where(candidates, block, np.inf).min(axis=1)
            hi[rows] = np.where(candidates, block, -np.inf).max(axis=1)

        _on_threads(work, list(_blocks(m, raw.shape[1])))
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
    scale: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
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
    scale : tuple of numpy.ndarray, optional
        :func:`member_scale` of ``raw`` and ``candidates`` when the caller has it (computed otherwise).

    Returns
    -------
    tuple
        ``(values, admissible)``: ``float64`` ``(n_items,)`` values (the weighted average for
        ``average_without_misery``) and, for ``average_without_misery`` only, the ``bool`` tracks no
        member with a positive weight scores below ``threshold`` (else None).
    """
    m, n_items = raw.shape
    lo, span, flat = scale if scale is not None else member_scale(raw, candidates)
    if strategy == "average":
        return _average(raw, lo, span, flat, weights), None
    veto = strategy == "average_without_misery"

    def part(blocks: list[slice]) -> tuple[np.ndarray, np.ndarray | None]:
        """One thread's share of the blocks, into its own accumulator (combined below)."""
        acc = np.full(n_items, _START.get(strategy, 0.0))
        ok = np.ones(n_items, dtype=bool) if veto else None
        for rows in blocks:
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
        return acc, ok

    parts = _on_threads(part, _shares(m, n_items))
    acc, ok = parts[0]
    for other, other_ok in parts[1:]:
        if strategy == "least_misery":
            np.minimum(acc, other, out=acc)
        elif strategy == "most_pleasure":
            np.maximum(acc, other, out=acc)
        elif strategy == "multiplicative":
            acc *= other
        else:
            acc += other
        if ok is not None and other_ok is not None:
            ok &= other_ok
    if strategy in ("average", "average_without_misery"):
        acc /= m
    return acc, ok


def _average(
    raw: np.ndarray, lo: np.ndarray, span: np.ndarray, flat: np.ndarray, weights: np.ndarray | None
) -> np.ndarray:
    """The members' mean normalised score of every track, as one product: the mean of
    ``w_m (s_m - lo_m) / span_m`` is ``sum_m (w_m / span_m) s_m - sum_m w_m lo_m / span_m`` (a flat
    member adds ``w_m``), so each block is read once, by a matrix-vector product, instead of being
    shifted, scaled and summed in float64 copies (a third of a 2,000-member group's time)."""
    m, n_items = raw.shape
    w = np.ones(m) if weights is None else np.asarray(weights, dtype=np.float64)
    coef = np.where(flat, 0.0, w / span)
    const = float(np.sum(np.where(flat, w, -coef * lo)))

    def part(share: list[slice]) -> np.ndarray:
        # a few members at a time: their float64 copy stays in cache for the product that reads it
        acc = np.zeros(n_items)
        for rows in share:
            acc += coef[rows] @ raw[rows].astype(np.float64)
        return acc

    total = np.full(n_items, const)
    for values in _on_threads(part, _shares(m, n_items, SCALE_CELLS)):
        total += values
    return total / m


def ranks(raw: np.ndarray, items: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
    """1-based rank of each of ``items`` in each member's own ranking over the candidates (ties to the
    lower track index): :func:`recsys.models.group.member_ranks`, in blocks of members.

    A member's rank of a listed track scored ``v`` is ``1 + #(> v) + #(== v, lower index)``, or counted
    from the other end ``n - #(< v) - #(== v, higher index)``. A group's listed tracks sit mostly near the
    top of a member's ranking or near its bottom (a member the group outvoted), so each block first
    estimates every rank from a sample of the columns, then counts exactly: the tracks near the top on
    the few cells at or above their lowest score, those near the bottom on the few at or below their
    highest (one pass over the block each), and only the ones in between by passes over whole rows
    (:func:`_count_rows`). The estimate decides the cost, never the answer. Non-candidates count as
    ``-inf``. At 100 members x 100,000 tracks: 17-20 ms on one thread, where a pass per listed track took
    26 ms on two.
    """
    items = np.asarray(items, dtype=np.int64)
    m, n_items = raw.shape
    out = np.empty((m, len(items)), dtype=np.int64)
    if m == 0 or len(items) == 0:
        return out
    stride = max(1, n_items // _RANK_SAMPLE)
    edge = n_items // _RANK_EDGE

    def work(rows: slice) -> None:
        s = raw[rows] if candidates is None else np.where(candidates, raw[rows], -np.inf).astype(raw.dtype)
        own = s[:, items]
        res = np.empty(own.shape, dtype=np.int64)
        top = np.zeros(own.shape, dtype=bool)
        bottom = np.zeros(own.shape, dtype=bool)
        if stride > 1:  # on a small catalogue whole rows cost no more than the estimate would
            above, below = _estimate(s[:, ::stride], own)
            top = above * stride < edge
            bottom = (below * stride < edge) & ~top
        # where too many cells would be kept, those pairs are counted over whole rows instead
        if top.any() and not _count_near(s, items, own, top, res, from_top=True):
            top[:] = False
        if bottom.any() and not _count_near(s, items, own, bottom, res, from_top=False):
            bottom[:] = False
        middle = ~(top | bottom)
        for j in np.flatnonzero(middle.any(axis=0)).tolist():
            who = np.flatnonzero(middle[:, j])
            res[who, j] = _count_rows(s if len(who) == s.shape[0] else s[who], int(items[j]))
        out[rows] = res

    # blocks run one after the other: their many small steps hold the GIL, and two threads trading
    # it were slower than one
    for rows in _blocks(m, n_items, cells=RANK_CELLS):
        work(rows)
    return out


_RANK_SAMPLE = 1024
"""Columns a block's rank estimate reads per member (every ``n / 1024``-th track)."""

_RANK_EDGE = 64
"""A listed track is counted from the nearer end of a member's ranking when about ``n / 64`` tracks or
fewer lie beyond it (estimated); the cells kept then stay a small share of the row (n / 32 kept twice
as many cells and was 15% slower at 100 members x 100,000 tracks)."""


def _estimate(sample: np.ndarray, own: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per (member, listed track): how many sampled tracks score above it and how many below."""
    ordered = np.sort(sample, axis=1)
    above = np.empty(own.shape, dtype=np.int64)
    below = np.empty(own.shape, dtype=np.int64)
    width = ordered.shape[1]
    for k in range(own.shape[0]):
        above[k] = width - np.searchsorted(ordered[k], own[k], side="right")
        below[k] = np.searchsorted(ordered[k], own[k], side="left")
    return above, below


def _count_near(
    s: np.ndarray, items: np.ndarray, own: np.ndarray, chosen: np.ndarray, out: np.ndarray, *, from_top: bool
) -> bool:
    """Exact ranks of the ``chosen`` (member, listed track) pairs into ``out``, counted on the cells at
    or beyond each member's least extreme chosen score (at or above it from the top, at or below it from
    the bottom). False, with nothing written, when those cells would exceed an eighth of the block."""
    b, n = s.shape
    if from_top:
        cut = np.where(chosen, own, np.inf).min(axis=1)
    else:
        cut = np.where(chosen, own, -np.inf).max(axis=1)
    # the cuts are scores of the table or infinite, so comparing in its own dtype is exact
    cut = cut.astype(s.dtype)[:, None]
    kept = s >= cut if from_top else s <= cut
    if 8 * np.count_nonzero(kept) > kept.size:
        return False
    # flat positions of a C-contiguous mask ascend by member; np.nonzero's 2-D pairs are much slower
    flat = np.flatnonzero(kept)
    r, c = np.divmod(flat, n)
    vals = s.reshape(-1)[flat][:, None]
    ref = own[r]  # each kept cell against its member's listed scores
    beyond = _per_member(vals > ref if from_top else vals < ref, r, b)
    tied = _per_member(vals == ref, r, b)  # the track itself is one of them
    for k, j in zip(*np.nonzero(chosen & (tied > 1)), strict=True):  # other tracks tied with it: rare
        mine = r == k
        side = c[mine] < items[j] if from_top else c[mine] > items[j]
        tied[k, j] = 1 + np.count_nonzero((vals[mine, 0] == own[k, j]) & side)
    ties = tied - 1
    counts = 1 + beyond + ties if from_top else n - beyond - ties
    out[chosen] = counts[chosen]
    return True


def _per_member(hits: np.ndarray, r: np.ndarray, b: int) -> np.ndarray:
    """``(b, L)`` sums of ``hits`` ``(K, L)`` over each member's kept cells (``r`` ascending)."""
    counts = np.zeros((b, hits.shape[1]), dtype=np.int64)
    starts = np.searchsorted(r, np.arange(b))
    present = np.flatnonzero(np.diff(np.append(starts, len(r))) > 0)
    if len(present):
        counts[present] = np.add.reduceat(hits, starts[present], axis=0, dtype=np.int64)
    return counts


def _count_rows(s: np.ndarray, item: int) -> np.ndarray:
    """Ranks of track ``item`` by counting over whole rows: ``>=`` left of the track (ties at a lower
    index come first) and ``>`` right of it."""
    col = s[:, item : item + 1]
    return row_counts(s[:, :item] >= col) + row_counts(s[:, item + 1 :] > col) + 1


_WORD_BYTES = 8
_CHUNK_WORDS = 255  # a byte lane of a sum of this many 0/1 words cannot carry into the next lane


def row_counts(mask: np.ndarray) -> np.ndarray:
    """``np.count_nonzero(mask, axis=1)`` for a C-contiguous 2-D ``bool`` array, several times faster.

    The bytes of each row are read as 64-bit words and summed 255 words at a time, so every byte lane
    holds a count of at most 255 (no carry between lanes); the lanes are then added up. NumPy counts
    along an axis one byte at a time, which made this the cost of ranking a big group's lists.
    """
    m, n = mask.shape
    width = n // (_WORD_BYTES * _CHUNK_WORDS) * (_WORD_BYTES * _CHUNK_WORDS)
    counts = np.count_nonzero(mask[:, width:], axis=1).astype(np.int64)
    if width and m:
        words = np.ascontiguousarray(mask[:, :width]).view(np.uint64).reshape(m, -1, _CHUNK_WORDS)
        lanes = words.sum(axis=2, dtype=np.uint64)
        counts += lanes.view(np.uint8).reshape(m, -1).sum(axis=1, dtype=np.int64)
    return counts
