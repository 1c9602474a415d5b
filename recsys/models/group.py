"""Group aggregation: turning each member's scores over the catalogue into one ranked group list.

Every model yields a ``(members, tracks)`` score table (:meth:`Recommender.member_scores`); this module
is the one place that turns it into a group list. Strategies (Masthoff's classic social-choice rules
plus a fairness-aware greedy one):

``average`` (default)
    Mean of the members' normalised scores.
``least_misery``
    The worst-off member's normalised score (nobody hates the list).
``most_pleasure``
    The happiest member's normalised score.
``multiplicative``
    Product of the normalised scores (a track one member scores at the bottom is ranked last).
``borda``
    Borda count, truncated at ``depth`` (default 1000): each member gives each of its ``depth`` best
    candidate tracks (and any tied with the ``depth``-th) as many points as there are candidate tracks
    that member scores strictly lower (tied tracks share the same points); tracks below a member's
    ``depth``-th get no points from that member. Points are summed. With ``depth`` at least the number
    of candidates this is the full Borda count. The truncation makes it linear in the catalogue (a
    partition instead of a full sort per member: about 10x faster on 10 members x 22,000 tracks) and
    means a track must be near the top of some member's list to score, which is what a group list of
    a few tracks needs; for the full count pass ``depth=len(tracks)``.
``average_without_misery``
    Average, but a track that any member scores below ``threshold`` (normalised, default 0.3) is
    vetoed: vetoed tracks come only after every admissible one (so the list still has ``n`` tracks
    when fewer pass), and ``details["vetoed"]`` marks them.
``fairness``
    Greedy: the next pick is the favourite remaining track of the member least served so far (the
    lowest sum of normalised scores over the tracks already picked; ties to the earlier member), ties
    between tracks broken by the group average. ``details["for_member"]`` says whom each pick served.

Scale. Members' raw scores live on different scales (a heavy listener's WMF scores are larger, the
popularity fall-back counts users). Before aggregating, each member's scores are min-max normalised
over the candidate (non-excluded) tracks: that member's favourite becomes 1 and least liked 0. Min-max
keeps each member's order and relative gaps, costs one pass (a rank-percentile scale needs a sort per
member), and gives values in ``[0, 1]`` so that ``multiplicative`` multiplies non-negative numbers and
``threshold`` has the same meaning for everyone. A member whose scores are all equal has no preference
and gets 1 for every track (neutral for least misery, the veto and the product).

Ties between tracks always go to the lower track index, so the result is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recsys.errors import ConfigError

__all__ = ["GroupResult", "STRATEGIES", "aggregate", "group_list", "member_ranks", "normalise", "top_n"]

STRATEGIES: tuple[str, ...] = (
    "average",
    "least_misery",
    "most_pleasure",
    "multiplicative",
    "borda",
    "average_without_misery",
    "fairness",
)

_OPTIONS: dict[str, set[str]] = {name: set() for name in STRATEGIES}
_OPTIONS["average_without_misery"] = {"threshold"}
_OPTIONS["borda"] = {"depth"}

DEFAULT_VETO_THRESHOLD = 0.3
DEFAULT_BORDA_DEPTH = 1000


@dataclass(frozen=True)
class GroupResult:
    """One group list.

    Attributes
    ----------
    items : numpy.ndarray
        ``int64`` ``(n,)`` track indices, best first (fewer than ``n`` only when fewer tracks are
        candidates).
    group_scores : numpy.ndarray
        ``float64`` ``(n,)`` the strategy's group score of each track (for ``fairness`` and
        ``average_without_misery``: the members' average normalised score).
    member_scores : numpy.ndarray
        ``float64`` ``(m, n)`` each member's normalised score (``[0, 1]``) of each listed track.
    member_ranks : numpy.ndarray
        ``int64`` ``(m, n)`` 1-based rank of each listed track in that member's own ranking over the
        candidate tracks (ties to the lower track index).
    strategy : str
        The strategy used.
    details : dict
        Strategy-specific per-track arrays (``vetoed``, ``for_member``).
    """

    items: np.ndarray
    group_scores: np.ndarray
    member_scores: np.ndarray
    member_ranks: np.ndarray
    strategy: str = "average"
    details: dict[str, np.ndarray] = field(default_factory=dict)


def normalise(scores: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
    """Min-max normalise each member's scores over the candidate tracks.

    Parameters
    ----------
    scores : numpy.ndarray
        ``(m, n_items)`` raw scores.
    candidates : numpy.ndarray, optional
        ``bool`` ``(n_items,)`` tracks that may be recommended; the min and max are taken over these.

    Returns
    -------
    numpy.ndarray
        ``float64`` ``(m, n_items)``; candidates in ``[0, 1]`` (1 everywhere for a member with
        constant scores). Non-candidates are normalised with the same affine map (they may fall
        outside ``[0, 1]``); callers never rank them.
    """
    s = np.asarray(scores, dtype=np.float64)
    return _apply_scale(s, *_scale(s, candidates))


def _scale(s: np.ndarray, candidates: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per member: the min over the candidates, the span (1 where flat) and whether it is flat."""
    if candidates is None:
        lo, hi = s.min(axis=1), s.max(axis=1)
    else:
        # np.where over the full table is much faster than boolean column indexing.
        lo = np.where(candidates, s, np.inf).min(axis=1)
        hi = np.where(candidates, s, -np.inf).max(axis=1)
    # min and max are exact in any dtype; the span is taken in float64 like the scaled scores.
    lo, hi = lo.astype(np.float64), hi.astype(np.float64)
    span = hi - lo
    flat = span <= 0
    return lo, np.where(flat, 1.0, span), flat


def _apply_scale(s: np.ndarray, lo: np.ndarray, span: np.ndarray, flat: np.ndarray) -> np.ndarray:
    out = (np.asarray(s, dtype=np.float64) - lo[:, None]) / span[:, None]
    out[flat] = 1.0
    return out


def top_n(values: np.ndarray, n: int, candidates: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``n`` largest values, best first, ties to the lower index.

    Parameters
    ----------
    values : numpy.ndarray
        ``(n_items,)`` values.
    n : int
        How many.
    candidates : numpy.ndarray, optional
        ``bool`` ``(n_items,)``; only these may be returned.

    Returns
    -------
    numpy.ndarray
        ``int64`` indices, ``min(n, number of candidates)`` of them.
    """
    v = np.asarray(values, dtype=np.float64)
    if candidates is not None:
        v = np.where(candidates, v, -np.inf)
        n = min(n, int(candidates.sum()))
    n = min(n, v.size)
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    if n < v.size:
        part = np.argpartition(-v, n - 1)[:n]
        cut = v[part].min()
        above = np.flatnonzero(v > cut)
        tied = np.flatnonzero(v == cut)[: n - above.size]
        chosen = np.concatenate([above, tied])
    else:
        chosen = np.arange(v.size)
    # lexsort: last key is primary (score, descending), then the index ascending.
    return chosen[np.lexsort((chosen, -v[chosen]))].astype(np.int64)


def aggregate(
    scores: np.ndarray,
    *,
    strategy: str = "average",
    n: int = 10,
    exclude: np.ndarray | None = None,
    **options: Any,
) -> GroupResult:
    """Aggregate members' scores into one ranked group list.

    Parameters
    ----------
    scores : numpy.ndarray
        ``(m, n_items)`` members' raw scores over every track (higher is better); finite.
    strategy : str
        One of :data:`STRATEGIES` (see the module docstring).
    n : int
        Length of the list.
    exclude : numpy.ndarray, optional
        ``bool`` ``(n_items,)`` tracks never to recommend (e.g. already heard).
    **options
        ``threshold`` (``average_without_misery``): the normalised score below which a member vetoes
        a track, default 0.3. ``depth`` (``borda``): how many of each member's best tracks earn
        points, default 1000 (see the module docstring).

    Returns
    -------
    GroupResult

    Raises
    ------
    ConfigError
        Unknown strategy or option, ``n < 1``, a badly shaped or non-finite table, or every track
        excluded.
    """
    raw, candidates = _check(scores, strategy, n, exclude, options)
    if strategy == "borda":
        # Borda ranks raw scores: only the listed tracks need normalising (the scale is per member).
        items, group, details = _rank(raw, None, candidates, strategy, n, options)
        listed = _apply_scale(raw[:, items], *_scale(raw, candidates))
    else:
        norm = normalise(raw, candidates)
        items, group, details = _rank(raw, norm, candidates, strategy, n, options)
        listed = norm[:, items]
    return GroupResult(
        items=items,
        group_scores=np.asarray(group, dtype=np.float64),
        member_scores=listed,
        member_ranks=member_ranks(raw, items, candidates),
        strategy=strategy,
        details=details,
    )


def group_list(
    scores: np.ndarray,
    *,
    strategy: str = "average",
    n: int = 10,
    exclude: np.ndarray | None = None,
    **options: Any,
) -> np.ndarray:
    """Only the track indices of :func:`aggregate`'s list (no member ranks: faster, for evaluation).

    Parameters and errors are those of :func:`aggregate`.

    Returns
    -------
    numpy.ndarray
        ``int64`` track indices, best first.
    """
    raw, candidates = _check(scores, strategy, n, exclude, options)
    norm = None if strategy == "borda" else normalise(raw, candidates)
    return _rank(raw, norm, candidates, strategy, n, options)[0]


def _check(
    scores: np.ndarray, strategy: str, n: int, exclude: np.ndarray | None, options: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray | None]:
    if strategy not in STRATEGIES:
        raise ConfigError(f"unknown aggregation strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}")
    unknown = set(options) - _OPTIONS[strategy]
    if unknown:
        raise ConfigError(f"strategy {strategy!r} takes no option(s) {sorted(unknown)}")
    if n < 1:
        raise ConfigError(f"n must be at least 1, got {n}")
    raw = np.asarray(scores)
    if raw.ndim != 2 or raw.shape[0] == 0:
        raise ConfigError(
            f"scores must be a (members, tracks) table with at least one member, got shape {raw.shape}"
        )
    if not np.isfinite(raw).all():
        raise ConfigError("member scores contain NaN or infinite values")
    n_items = raw.shape[1]
    if exclude is None:
        return raw, None
    exclude = np.asarray(exclude, dtype=bool)
    if exclude.shape != (n_items,):
        raise ConfigError(f"exclude must be a bool mask of {n_items} tracks, got shape {exclude.shape}")
    candidates = ~exclude
    if not candidates.any():
        raise ConfigError("every track is excluded: nothing left to recommend")
    return raw, candidates


def _rank(
    raw: np.ndarray,
    norm: np.ndarray | None,
    candidates: np.ndarray | None,
    strategy: str,
    n: int,
    options: dict[str, Any],
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    details: dict[str, np.ndarray] = {}
    if strategy == "borda":
        depth = options.get("depth", DEFAULT_BORDA_DEPTH)
        if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
            raise ConfigError(f"borda depth must be a positive integer, got {depth!r}")
        values = _borda(raw, candidates, int(depth))
        items = top_n(values, n, candidates)
        return items, values[items], details
    assert norm is not None  # every strategy but Borda works on normalised scores
    if strategy == "fairness":
        items, for_member = _fairness(norm, n, candidates)
        details["for_member"] = for_member
        return items, norm[:, items].mean(axis=0), details
    if strategy == "average_without_misery":
        threshold = float(options.get("threshold", DEFAULT_VETO_THRESHOLD))
        avg = norm.mean(axis=0)
        ok = (norm >= threshold).all(axis=0)
        # Admissible tracks are shifted above every vetoed one (averages lie in [0, 1]).
        items = top_n(np.where(ok, avg + 2.0, avg), n, candidates)
        details["vetoed"] = ~ok[items]
        return items, avg[items], details
    values = _values(strategy, raw, norm, candidates)
    items = top_n(values, n, candidates)
    return items, values[items], details


def member_ranks(scores: np.ndarray, items: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
    """1-based rank of each of ``items`` in each member's own ranking over the candidates.

    Counts, per member, the candidates scored higher (and tied candidates with a lower index): one
    pass over the catalogue per listed track, no sort.

    Parameters
    ----------
    scores : numpy.ndarray
        ``(m, n_items)`` raw scores.
    items : numpy.ndarray
        ``(n,)`` track indices.
    candidates : numpy.ndarray, optional
        ``bool`` ``(n_items,)`` tracks that take part in the ranking.

    Returns
    -------
    numpy.ndarray
        ``int64`` ``(m, n)``.
    """
    s = np.asarray(scores)
    if candidates is not None:
        s = np.where(candidates, s, -np.inf)
    m = s.shape[0]
    out = np.empty((m, len(items)), dtype=np.int64)
    for j, item in enumerate(items):
        col = s[:, item][:, None]
        better = (s > col).sum(axis=1)
        tied_before = (s[:, :item] == col).sum(axis=1) if item > 0 else 0
        out[:, j] = better + tied_before + 1
    return out


def _values(strategy: str, raw: np.ndarray, norm: np.ndarray, candidates: np.ndarray | None) -> np.ndarray:
    if strategy == "average":
        return norm.mean(axis=0)
    if strategy == "least_misery":
        return norm.min(axis=0)
    if strategy == "most_pleasure":
        return norm.max(axis=0)
    if strategy == "multiplicative":
        # Candidates' normalised scores are in [0, 1]; clip keeps non-candidates from flipping signs.
        return np.clip(norm, 0.0, None).prod(axis=0)
    raise AssertionError(strategy)  # pragma: no cover - guarded by the caller


def _borda(raw: np.ndarray, candidates: np.ndarray | None, depth: int) -> np.ndarray:
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
        for row, c in zip(s, cut, strict=True):
            top = np.flatnonzero(row >= c)  # ties with the cut-off all take part
            tracks.append(top)
            # candidates strictly lower = those below the cut + the top tracks below this one
            points.append((n_cand - top.size) + _tie_first_positions(row[top]))
        total = np.bincount(np.concatenate(tracks), weights=np.concatenate(points), minlength=n_cand)
    else:
        order = np.argsort(s, axis=1)
        first = np.vstack([_tie_first_positions(row, o) for row, o in zip(s, order, strict=True)])
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


def _fairness(norm: np.ndarray, n: int, candidates: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    m, n_items = norm.shape
    avail = np.ones(n_items, dtype=bool) if candidates is None else candidates.copy()
    n = min(n, int(avail.sum()))
    avg = norm.mean(axis=0)
    served = np.zeros(m)
    items = np.empty(n, dtype=np.int64)
    for_member = np.empty(n, dtype=np.int64)
    for step in range(n):
        who = int(np.argmin(served))  # argmin returns the first (earlier member) on ties
        row = np.where(avail, norm[who], -np.inf)
        best = row.max()
        tied = np.flatnonzero(row == best)
        pick = int(tied[np.argmax(avg[tied])])  # argmax: first, i.e. lowest index, on equal averages
        items[step] = pick
        for_member[step] = who
        served += norm[:, pick]
        avail[pick] = False
    return items, for_member
