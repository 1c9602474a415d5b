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
``gfar``
    GFAR (Kaya, Bridge & Tintarev 2020): greedy for the expected number of members who find at least
    one relevant track on the list; a member's relevance is the Borda count of their top ``depth``
    tracks (default 20), so each pick favours members with nothing for them yet.
    ``details["gain"]`` holds each pick's marginal gain.
``epfuzzda``
    EP-FuzzDA (Malecek & Peska 2021): exactly-proportional fuzzy D'Hondt; each member is owed their
    weight's share of the list's total relevance, and a track counts only the relevance its members
    are still owed. ``details["gain"]`` holds each pick's gain.

The greedy loops (``fairness``, ``gfar``, ``epfuzzda``) are in :mod:`recsys.models.group_greedy`.
:data:`STRATEGY_HELP` says each strategy in one line of plain words (what the dashboard shows).

Member weights. ``weights`` (one non-negative number per member, not all 0) make some members count
more; they are rescaled to average 1, and equal weights give exactly the unweighted list. They enter
every strategy that admits them (:data:`WEIGHTED_STRATEGIES`): ``average`` and
``average_without_misery`` take the weighted mean (a member of weight 0 has no veto either),
``multiplicative`` the weighted geometric product ``prod s_u^w_u``, ``borda`` weighted points,
``fairness`` serves each member in proportion to their weight, ``gfar`` weights each member's gain
and ``epfuzzda`` owes each member their weight's share. ``least_misery`` and ``most_pleasure`` take one
member's score per track, which a weight cannot scale without changing what the strategy means: they
refuse unequal weights.

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
from recsys.models.group_borda import borda_points
from recsys.models.group_greedy import DEFAULT_GFAR_DEPTH, ep_fuzzda, fairness, gfar, weighted_mean
from recsys.models.member_blocks import linear_values, member_scale, ranks, row_extremes

__all__ = [
    "GroupResult",
    "STRATEGIES",
    "STRATEGY_HELP",
    "WEIGHTED_STRATEGIES",
    "aggregate",
    "check_weights",
    "group_list",
    "member_ranks",
    "normalise",
    "top_n",
]

STRATEGIES: tuple[str, ...] = (
    "average",
    "least_misery",
    "most_pleasure",
    "multiplicative",
    "borda",
    "average_without_misery",
    "fairness",
    "gfar",
    "epfuzzda",
)
"""Every aggregation strategy (the one list: the CLI, the Evaluate page and the Group builder offer these)."""

STRATEGY_HELP: dict[str, str] = {
    "average": "Tracks the members like most on average.",
    "least_misery": "Tracks the least happy member still likes: nobody hates the list.",
    "most_pleasure": "Tracks that someone in the group loves most.",
    "multiplicative": "Tracks everyone likes at least a little: one dislike sinks a track.",
    "borda": "Each member ranks the tracks; the best places earn the most points.",
    "average_without_misery": "Best on average, but a track anyone dislikes comes last.",
    "fairness": "Members take turns: the one served least so far picks next.",
    "gfar": "Aims for every member to find at least one of their favourites on the list.",
    "epfuzzda": "Each member gets their fair share of the list, in proportion to their weight.",
}
"""One line of plain words per strategy, for the dashboard."""

WEIGHTED_STRATEGIES: tuple[str, ...] = tuple(
    name for name in STRATEGIES if name not in ("least_misery", "most_pleasure")
)
"""Strategies that take member weights (see the module docstring)."""

_OPTIONS: dict[str, set[str]] = {name: set() for name in STRATEGIES}
_OPTIONS["average_without_misery"] = {"threshold"}
_OPTIONS["borda"] = {"depth"}
_OPTIONS["gfar"] = {"depth"}

_PER_TRACK = ("average", "least_misery", "most_pleasure", "multiplicative", "average_without_misery")

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
        ``float64`` ``(n,)`` the strategy's group score of each track (for ``fairness``,
        ``average_without_misery``, ``gfar`` and ``epfuzzda``: the members' (weighted) average
        normalised score).
    member_scores : numpy.ndarray
        ``float64`` ``(m, n)`` each member's normalised score (``[0, 1]``) of each listed track.
    member_ranks : numpy.ndarray
        ``int64`` ``(m, n)`` 1-based rank of each listed track in that member's own ranking over the
        candidate tracks (ties to the lower track index).
    strategy : str
        The strategy used.
    details : dict
        Strategy-specific per-track arrays (``vetoed``, ``for_member``, ``gain``).
    weights : numpy.ndarray or None
        ``(m,)`` the member weights used, rescaled to average 1 (None: everyone equal).
    """

    items: np.ndarray
    group_scores: np.ndarray
    member_scores: np.ndarray
    member_ranks: np.ndarray
    strategy: str = "average"
    details: dict[str, np.ndarray] = field(default_factory=dict)
    weights: np.ndarray | None = None


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
    weights: Any = None,
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
    weights : array-like, optional
        One non-negative weight per member (see the module docstring and :func:`check_weights`).
    **options
        ``threshold`` (``average_without_misery``): the normalised score below which a member vetoes
        a track, default 0.3. ``depth`` (``borda``): how many of each member's best tracks earn
        points, default 1000; (``gfar``): how many of each member's best tracks may be relevant,
        default 20 (see the module docstring).

    Returns
    -------
    GroupResult

    Raises
    ------
    ConfigError
        Unknown strategy or option, ``n < 1``, a badly shaped or non-finite table, every track
        excluded, or bad weights (see :func:`check_weights`).
    """
    raw, candidates, extremes = _check(scores, strategy, n, exclude, options)
    w = check_weights(weights, raw.shape[0], strategy)
    if strategy == "borda" or strategy in _PER_TRACK:
        # Borda ranks raw scores, the per-track strategies run over blocks of members
        # (recsys.models.member_blocks): only the listed tracks need normalising here, on the scale the
        # strategy used (without candidates it is the extremes the check already took).
        scale = member_scale(raw, candidates, extremes)
        items, group, details = _rank(raw, None, candidates, strategy, n, options, w, scale)
        listed = _apply_scale(raw[:, items], *scale)
    else:
        norm = normalise(raw, candidates)
        items, group, details = _rank(raw, norm, candidates, strategy, n, options, w)
        listed = norm[:, items]
    return GroupResult(
        items=items,
        group_scores=np.asarray(group, dtype=np.float64),
        member_scores=listed,
        member_ranks=member_ranks(raw, items, candidates),
        strategy=strategy,
        details=details,
        weights=w,
    )


def group_list(
    scores: np.ndarray,
    *,
    strategy: str = "average",
    n: int = 10,
    exclude: np.ndarray | None = None,
    weights: Any = None,
    **options: Any,
) -> np.ndarray:
    """Only the track indices of :func:`aggregate`'s list (no member ranks: faster, for evaluation).

    Parameters and errors are those of :func:`aggregate`.

    Returns
    -------
    numpy.ndarray
        ``int64`` track indices, best first.
    """
    raw, candidates, _ = _check(scores, strategy, n, exclude, options)
    w = check_weights(weights, raw.shape[0], strategy)
    norm = None if strategy == "borda" or strategy in _PER_TRACK else normalise(raw, candidates)
    return _rank(raw, norm, candidates, strategy, n, options, w)[0]


def check_weights(weights: Any, n_members: int, strategy: str = "average") -> np.ndarray | None:
    """Member weights rescaled to average 1, or None when everyone counts the same.

    Parameters
    ----------
    weights : array-like or None
        One finite, non-negative number per member, not all 0.
    n_members : int
        Members of the group.
    strategy : str
        The strategy they are for: one outside :data:`WEIGHTED_STRATEGIES` accepts only equal weights.

    Returns
    -------
    numpy.ndarray or None
        ``float64`` ``(n_members,)`` averaging 1; None for no weights or equal ones (so that equal
        weights give exactly the unweighted list).

    Raises
    ------
    ConfigError
        Not one weight per member, a negative or non-finite weight, all weights 0, or unequal weights
        for a strategy that takes none.
    """
    if weights is None:
        return None
    try:
        w = np.asarray(weights, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ConfigError(f"member weights must be numbers, got {weights!r}") from None
    if w.size != n_members:
        raise ConfigError(f"give one weight per member ({n_members}), got {w.size}: {w.tolist()}")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise ConfigError(f"member weights must be finite and non-negative, got {float(w[bad][0])}")
    if w.sum() <= 0:
        raise ConfigError(f"member weights must not all be 0, got {w.tolist()}")
    if np.all(w == w[0]):
        return None
    if strategy not in WEIGHTED_STRATEGIES:
        raise ConfigError(
            f"strategy {strategy!r} takes no member weights (it looks at one member's score per track); "
            f"use equal weights or one of {', '.join(WEIGHTED_STRATEGIES)}"
        )
    return w * (n_members / w.sum())


def _check(
    scores: np.ndarray, strategy: str, n: int, exclude: np.ndarray | None, options: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray | None, tuple[np.ndarray, np.ndarray]]:
    """The table, the candidate mask (None: every track) and each member's :func:`row_extremes`."""
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
    extremes = row_extremes(raw)  # NaN propagates into a row's minimum: no (m, n) mask
    if not (np.isfinite(extremes[0]).all() and np.isfinite(extremes[1]).all()):
        raise ConfigError("member scores contain NaN or infinite values")
    n_items = raw.shape[1]
    if exclude is None:
        return raw, None, extremes
    exclude = np.asarray(exclude, dtype=bool)
    if exclude.shape != (n_items,):
        raise ConfigError(f"exclude must be a bool mask of {n_items} tracks, got shape {exclude.shape}")
    candidates = ~exclude
    if not candidates.any():
        raise ConfigError("every track is excluded: nothing left to recommend")
    return raw, candidates, extremes


def _positive_int(options: dict[str, Any], name: str, default: int, strategy: str) -> int:
    value = options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{strategy} {name} must be a positive integer, got {value!r}")
    return int(value)


def _rank(
    raw: np.ndarray,
    norm: np.ndarray | None,
    candidates: np.ndarray | None,
    strategy: str,
    n: int,
    options: dict[str, Any],
    weights: np.ndarray | None = None,
    scale: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    details: dict[str, np.ndarray] = {}
    if strategy == "borda":
        depth = _positive_int(options, "depth", DEFAULT_BORDA_DEPTH, strategy)
        values = borda_points(raw, candidates, depth, weights)
        items = top_n(values, n, candidates)
        return items, values[items], details
    if strategy in ("fairness", "gfar", "epfuzzda"):
        assert norm is not None  # the greedy strategies work on the whole normalised table
        if strategy == "fairness":
            items, details["for_member"] = fairness(norm, n, candidates, weights)
        elif strategy == "gfar":
            depth = _positive_int(options, "depth", DEFAULT_GFAR_DEPTH, strategy)
            tops = [top_n(row, depth, candidates) for row in raw]
            items, details["gain"] = gfar(raw, norm, n, candidates, tops, weights)
        else:
            items, details["gain"] = ep_fuzzda(norm, n, candidates, weights)
        return items, weighted_mean(norm[:, items], weights), details
    if strategy == "average_without_misery":
        threshold = float(options.get("threshold", DEFAULT_VETO_THRESHOLD))
        # A member of weight 0 does not count, so they have no veto either (in linear_values).
        avg, ok = linear_values(raw, strategy, candidates, weights, _apply_scale, threshold, scale)
        assert ok is not None
        # Admissible tracks are shifted above every vetoed one (averages lie in [0, 1]).
        items = top_n(np.where(ok, avg + 2.0, avg), n, candidates)
        details["vetoed"] = ~ok[items]
        return items, avg[items], details
    values = linear_values(raw, strategy, candidates, weights, _apply_scale, scale=scale)[0]
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
    return ranks(np.asarray(scores), items, candidates)  # blocked, on threads (member_blocks)
