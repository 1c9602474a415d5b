"""The greedy group strategies: each pick depends on the tracks already picked.

:mod:`recsys.models.group` is the one entry point (its :data:`~recsys.models.group.STRATEGIES` and module
docstring describe every strategy); this module holds the three list-building loops that cannot be
written as one score per track:

* :func:`fairness`: the least-served member picks next (Masthoff's "fairness");
* :func:`gfar`: Kaya, Bridge & Tintarev (2020), *Ensuring fairness in group recommendations by using
  rank-sensitive balancing* (RecSys '20): greedy for the expected number of members with at least one
  relevant track, with each member's relevance the Borda count of their top ``depth`` tracks;
* :func:`ep_fuzzda`: Malecek & Peska (2021), *Fairness-preserving group recommendations with user
  weighting* (UMAP '21 adjunct): exactly-proportional fuzzy D'Hondt, each member entitled to their
  weight's share of the list's total relevance.

All work on min-max normalised scores (``[0, 1]`` on the candidates) and member weights that average 1
(``None``: everyone equal). Ties between tracks go to the higher (weighted) group average, then to the
lower track index, so every list is deterministic.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_GFAR_DEPTH", "ep_fuzzda", "fairness", "gfar", "gfar_relevance", "weighted_mean"]

DEFAULT_GFAR_DEPTH = 20
"""Tracks per member that GFAR counts as possibly relevant (the authors' code uses 20)."""

_SHORTLIST = 256  # EP-FuzzDA: tracks scored per step at first (widened when the bound requires it)


def weighted_mean(norm: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """The members' (weighted) average of each track's normalised score.

    Parameters
    ----------
    norm : numpy.ndarray
        ``(m, n_items)`` normalised scores.
    weights : numpy.ndarray or None
        ``(m,)`` weights averaging 1, or None for equal weights.

    Returns
    -------
    numpy.ndarray
        ``float64`` ``(n_items,)``.
    """
    if weights is None:
        return norm.mean(axis=0)
    return (weights @ norm) / weights.size


def _pick(gain: np.ndarray, avg: np.ndarray, avail: np.ndarray) -> int:
    """The available track with the largest gain; ties to the higher average, then the lower index."""
    g = np.where(avail, gain, -np.inf)
    tied = np.flatnonzero(g == g.max())
    return int(tied[np.argmax(avg[tied])])  # argmax returns the first, i.e. lowest index, on equal averages


def _available(n_items: int, candidates: np.ndarray | None, n: int) -> tuple[np.ndarray, int]:
    avail = np.ones(n_items, dtype=bool) if candidates is None else candidates.copy()
    return avail, min(n, int(avail.sum()))


def fairness(
    norm: np.ndarray, n: int, candidates: np.ndarray | None, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Masthoff's fairness: the next pick is the favourite of the member least served so far.

    "Least served" is the lowest sum of normalised scores over the tracks already picked, divided by
    the member's weight (a member with twice the weight is served until they have twice as much; a
    member of weight 0 never picks). Ties go to the earlier member; ties between that member's
    favourites go to the higher group average, then the lower index.

    Parameters
    ----------
    norm : numpy.ndarray
        ``(m, n_items)`` normalised scores.
    n : int
        Length of the list.
    candidates : numpy.ndarray or None
        ``bool`` ``(n_items,)`` tracks that may be picked.
    weights : numpy.ndarray or None
        ``(m,)`` weights averaging 1.

    Returns
    -------
    tuple of numpy.ndarray
        The picked track indices and, per pick, the member it served.
    """
    m, n_items = norm.shape
    avail, n = _available(n_items, candidates, n)
    avg = weighted_mean(norm, weights)
    served = np.zeros(m)
    items = np.empty(n, dtype=np.int64)
    for_member = np.empty(n, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        for step in range(n):
            need = served if weights is None else np.where(weights > 0, served / weights, np.inf)
            who = int(np.argmin(need))  # argmin returns the first (earlier member) on ties
            items[step] = _pick(norm[who], avg, avail)
            for_member[step] = who
            served += norm[:, items[step]]
            avail[items[step]] = False
    return items, for_member


def gfar_relevance(raw: np.ndarray, tops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """GFAR's ``p(relevant | member, track)``: Borda points within each member's top tracks.

    Each member's top tracks (their ``depth`` best candidates, ties at the cut to the lower index, as
    :func:`recsys.models.group.top_n` gives them) get as many points as there are tracks among them
    that the member scores lower or equal (the best gets ``depth``, the ``depth``-th gets 1; tied tracks
    share the higher count); the points are divided by their sum so that they add up to 1 per member.
    Every other track has probability 0.

    Parameters
    ----------
    raw : numpy.ndarray
        ``(m, n_items)`` raw scores (only their order per member matters).
    tops : list of numpy.ndarray
        Per member, the indices of their top tracks.

    Returns
    -------
    tuple of numpy.ndarray
        ``cols`` (the tracks in some member's top, ascending) and ``p`` ``(m, len(cols))``.
    """
    cols = np.unique(np.concatenate(tops)) if tops else np.empty(0, dtype=np.int64)
    p = np.zeros((len(tops), cols.size))
    for u, top in enumerate(tops):
        values = np.asarray(raw[u], dtype=np.float64)[top]
        points = (values[None, :] <= values[:, None]).sum(axis=1).astype(np.float64)
        p[u, np.searchsorted(cols, top)] = points / points.sum()
    return cols, p


def gfar(
    raw: np.ndarray,
    norm: np.ndarray,
    n: int,
    candidates: np.ndarray | None,
    tops: list[np.ndarray],
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """GFAR: greedily maximise the (weighted) expected number of members served at least once.

    With ``p_u(i)`` from :func:`gfar_relevance` and ``S`` the tracks picked so far, the next pick
    maximises the marginal gain ``sum_u w_u p_u(i) prod_{j in S} (1 - p_u(j))``: a track counts for a
    member only as much as that member still has no relevant track on the list. Once no candidate
    gains anything (every member's top is used up), the list is filled by the group average.

    Parameters
    ----------
    raw, norm : numpy.ndarray
        ``(m, n_items)`` raw and normalised scores.
    n : int
        Length of the list.
    candidates : numpy.ndarray or None
        ``bool`` ``(n_items,)``.
    tops : list of numpy.ndarray
        Per member, their top ``depth`` candidate tracks (see :func:`gfar_relevance`).
    weights : numpy.ndarray or None
        ``(m,)`` weights averaging 1.

    Returns
    -------
    tuple of numpy.ndarray
        The picked track indices and each pick's marginal gain.
    """
    m, n_items = norm.shape
    avail, n = _available(n_items, candidates, n)
    avg = weighted_mean(norm, weights)
    cols, p = gfar_relevance(raw, tops)
    w = np.ones(m) if weights is None else weights
    none_yet = np.ones(m)  # per member, the probability that no pick so far is relevant
    gain = np.zeros(n_items)
    items = np.empty(n, dtype=np.int64)
    gains = np.empty(n)
    for step in range(n):
        gain[cols] = (w * none_yet) @ p
        items[step] = _pick(gain, avg, avail)
        gains[step] = gain[items[step]]
        avail[items[step]] = False
        at = np.searchsorted(cols, items[step])
        if at < cols.size and cols[at] == items[step]:
            none_yet *= 1.0 - p[:, at]
    return items, gains


def ep_fuzzda(
    norm: np.ndarray, n: int, candidates: np.ndarray | None, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """EP-FuzzDA: each member is owed their weight's share of the list's total relevance.

    Relevance is the normalised score (clipped at 0). With ``a_u`` the relevance member ``u`` has
    received so far and ``A`` the list's total, adding track ``i`` would make the total
    ``A + sum_v r_v(i)``, of which member ``u`` is owed ``s_u (A + sum_v r_v(i))`` (``s_u`` = the
    member's weight over the sum of weights). The gain of ``i`` is ``sum_u min(r_u(i), max(0, owed_u -
    a_u))``: only the relevance a member is still owed counts, so a member who got more than their
    share adds nothing until the others catch up.

    Parameters
    ----------
    norm : numpy.ndarray
        ``(m, n_items)`` normalised scores.
    n : int
        Length of the list.
    candidates : numpy.ndarray or None
        ``bool`` ``(n_items,)``.
    weights : numpy.ndarray or None
        ``(m,)`` weights averaging 1.

    Returns
    -------
    tuple of numpy.ndarray
        The picked track indices and each pick's gain.
    """
    m, n_items = norm.shape
    avail, n = _available(n_items, candidates, n)
    avg = weighted_mean(norm, weights)
    rel = np.clip(norm, 0.0, None)
    share = np.full(m, 1.0 / m) if weights is None else weights / weights.sum()
    total_if_added = rel.sum(axis=0)
    # A track's gain never exceeds its summed relevance S (each member's part is capped by r_u), so each
    # step scores only the tracks with the largest S, widening the shortlist until the best gain beats
    # the S of every track left out: exact, and about m x 256 work per step instead of m x n_items.
    by_sum = np.lexsort((np.arange(n_items), -total_if_added))
    awarded = np.zeros(m)
    total = 0.0
    items = np.empty(n, dtype=np.int64)
    gains = np.empty(n)
    for step in range(n):
        alive = by_sum[avail[by_sum]]
        k = _SHORTLIST
        while True:
            head = alive[:k]
            owed = share[:, None] * (total_if_added[head] + total)[None, :] - awarded[:, None]
            gain = np.minimum(np.maximum(owed, 0.0), rel[:, head]).sum(axis=0)
            best = gain.max()
            if k >= alive.size or best > total_if_added[alive[k]]:
                break
            k *= 4
        tied = head[gain == best]
        items[step] = int(tied[np.lexsort((tied, -avg[tied]))[0]])  # higher average, then lower index
        gains[step] = best
        avail[items[step]] = False
        awarded += rel[:, items[step]]
        total += float(rel[:, items[step]].sum())
    return items, gains
