"""Passes over a group's ``(members, tracks)`` score table a few members at a time.

A group of 2,000 members over 100,000 tracks is a 0.8 GB float32 table. Normalising it whole in float64
(1.6 GB), masking it (another copy) and ranking the listed tracks with one full pass per track took
23 s and 6.5 GB; every strategy that looks at one track at a time (``average``, ``least_misery``,
``most_pleasure``, ``multiplicative``, ``average_without_misery``) only needs, per track, a running
sum, minimum, maximum or product over the members. So these passes walk the table in blocks of members:
memory stays at a block's float64 copy per thread, and the blocks run on a small thread pool, since
NumPy releases the GIL inside its loops (each thread accumulates its share, the shares are combined at
the end). Results are those of the whole-table formulas (sums may differ in the last bit, being added
per block).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = ["BLOCK_CELLS", "RANK_CELLS", "linear_values", "member_scale", "ranks", "row_counts"]

BLOCK_CELLS = 1 << 22
"""Members x tracks cells per block (32 MB of float64): a few members at 100,000 tracks, all of a small
group at the demo's 5,000."""


RANK_CELLS = 1 << 20
"""Cells per block of :func:`ranks` (4 MB of float32: stays in cache across the listed tracks)."""


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


def member_scale(raw: np.ndarray, candidates: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per member, the minimum over the candidates, the span (1 where flat) and whether it is flat.

    The blocked form of :func:`recsys.models.group.normalise`'s scale: the same values.
    """
    m = raw.shape[0]
    lo = np.empty(m, dtype=np.float64)
    hi = np.empty(m, dtype=np.float64)

    def work(rows: slice) -> None:
        block = raw[rows]
        if candidates is None:
            lo[rows], hi[rows] = block.min(axis=1), block.max(axis=1)
        else:
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

    blocks = list(_blocks(m, n_items))
    workers = _workers(len(blocks))
    size = -(-len(blocks) // workers)  # one contiguous share of the blocks per thread
    shares = [blocks[i : i + size] for i in range(0, len(blocks), size)]
    parts = _on_threads(part, shares)
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

    def part(rows: slice) -> np.ndarray:
        return coef[rows] @ raw[rows].astype(np.float64)

    total = np.full(n_items, const)
    for values in _on_threads(part, list(_blocks(m, n_items))):
        total += values
    return total / m


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
    _on_threads(work, list(_blocks(m, n_items, cells=RANK_CELLS)))
    return out


def _count_passes(s: np.ndarray, items: np.ndarray, out: np.ndarray) -> None:
    """Ranks by counting over whole rows (when the listed tracks sit low in the members' rankings and
    most of the block would be kept): one pass per listed track. A track is outranked by the tracks
    scored higher and by the tied ones at a lower index, so the count is of ``>=`` left of the track and
    of ``>`` right of it."""
    for j, item in enumerate(items.tolist()):
        col = s[:, item : item + 1]
        out[:, j] = row_counts(s[:, :item] >= col) + row_counts(s[:, item + 1 :] > col) + 1


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
