"""Aggregating a split's events into one score per (user, track), as the customer's notebook does.

The score of a pair is the sum of its events' weights: by default ``play`` 1.0, ``like`` 1.0, ``skip``
and any other event 0.0, so a track played twice and liked once scores 3.0.

A pair whose events all weigh 0 (a user who only ever skipped a track) is **kept with score 0**: the
user did meet the track, the pair counts of a split stay honest (``pairs`` in the prepare report is
every pair with an event), and a model that wants only positive pairs filters ``score > 0`` (or
``>= threshold``) itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from recsys.errors import ConfigError

__all__ = [
    "DEFAULT_WEIGHTS", "aggregate_codes", "aggregate_event_codes", "aggregate_interactions", "score_splits",
    "validate_weights",
]

#: Default event weights; an event type not listed weighs 0.
DEFAULT_WEIGHTS: dict[str, float] = {"play": 1.0, "like": 1.0, "skip": 0.0}


def validate_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Check event weights and return them as a plain dict with lower-case names.

    Raises
    ------
    ConfigError
        A weight that is not a finite number.
    """
    out: dict[str, float] = {}
    for name, value in weights.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"weight of event {name!r} must be a finite number, got {value!r}")
        out[str(name).lower()] = float(value)
    return out


def aggregate_interactions(
    events: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    *,
    default_weight: float = 0.0,
) -> pd.DataFrame:
    """One score per (user, track): the sum of the weights of its events.

    Parameters
    ----------
    events : pandas.DataFrame
        Columns ``user_id``, ``track_id``, ``event_type`` (lower-case names).
    weights : mapping, optional
        Event type -> weight; :data:`DEFAULT_WEIGHTS` when omitted.
    default_weight : float, default 0.0
        Weight of an event type not in ``weights``.

    Returns
    -------
    pandas.DataFrame
        ``user_id``, ``track_id``, ``score`` (float64), one row per pair with at least one event
        (zero-score pairs included), sorted by user then track.

    Raises
    ------
    ConfigError
        A weight that is not a finite number.
    """
    weights = validate_weights(DEFAULT_WEIGHTS if weights is None else weights)
    if not math.isfinite(default_weight):
        raise ConfigError(f"default_weight must be a finite number, got {default_weight!r}")
    if events.empty:
        return pd.DataFrame(
            {
                "user_id": events["user_id"].iloc[:0] if "user_id" in events else [],
                "track_id": events["track_id"].iloc[:0] if "track_id" in events else [],
                "score": np.zeros(0),
            }
        )
    event_codes, event_names = pd.factorize(events["event_type"], use_na_sentinel=True)
    values = np.array([weights.get(str(name), default_weight) for name in event_names] + [default_weight])
    user_codes, user_ids = pd.factorize(events["user_id"], sort=True)
    track_codes, track_ids = pd.factorize(events["track_id"], sort=True)
    pair_users, pair_tracks, scores = aggregate_codes(
        user_codes, track_codes, values[event_codes], len(track_ids)
    )
    return pd.DataFrame(
        {
            "user_id": np.asarray(user_ids)[pair_users],
            "track_id": np.asarray(track_ids)[pair_tracks],
            "score": scores,
        }
    )


def aggregate_codes(
    user_codes: np.ndarray, track_codes: np.ndarray, weights: np.ndarray, n_tracks: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The core of :func:`aggregate_interactions` on integer codes (no strings hashed).

    Parameters
    ----------
    user_codes, track_codes : numpy.ndarray
        Non-negative integer codes of each event's user and track.
    weights : numpy.ndarray
        Weight of each event.
    n_tracks : int
        Upper bound of the track codes (a pair key is ``user * n_tracks + track``).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        User code, track code and summed score (float64) of each pair, sorted by user then track.
    """
    if len(user_codes) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
    key = np.asarray(user_codes, dtype=np.int64) * max(int(n_tracks), 1) + np.asarray(track_codes, np.int64)
    sums = pd.Series(np.asarray(weights, dtype=np.float64)).groupby(key, sort=True).sum()
    pair = sums.index.to_numpy()
    return pair // max(int(n_tracks), 1), pair % max(int(n_tracks), 1), sums.to_numpy(dtype=np.float64)


# Largest whole weight whose sums stay exact in float64 for any split size (2**53 / 2**31 events).
_EXACT_WEIGHT = 2**21


def aggregate_event_codes(
    user_codes: np.ndarray,
    track_codes: np.ndarray,
    event_codes: np.ndarray,
    weight_of: np.ndarray,
    n_tracks: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`aggregate_codes` given each event's type code and the weight of each type.

    With whole-number weights (the defaults) a pair's score is an exact integer whatever the order of
    the additions, so it is computed from one sort of ``(pair, event type)`` keys: the events of each
    type per pair are counted and multiplied by the type's weight (no pandas grouping, a third of its
    time). Other weights go through :func:`aggregate_codes`, whose summation order defines the result.

    Parameters
    ----------
    user_codes, track_codes : numpy.ndarray
        Non-negative integer codes of each event's user and track.
    event_codes : numpy.ndarray
        Non-negative code of each event's type, indexing ``weight_of``.
    weight_of : numpy.ndarray
        Weight of each event type (float).
    n_tracks : int
        Upper bound of the track codes.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        As :func:`aggregate_codes`: user code, track code and score of each pair, sorted by user then track.
    """
    weight_of = np.asarray(weight_of, dtype=np.float64)
    n = len(user_codes)
    n_types = max(len(weight_of), 1)
    width = max(int(n_tracks), 1)
    n_users = int(np.max(user_codes)) + 1 if n else 0
    whole = bool(np.all(np.isfinite(weight_of) & (np.abs(weight_of) <= _EXACT_WEIGHT) & (weight_of % 1 == 0)))
    if n == 0 or not whole or n_users * width * n_types >= 2**62 or n >= 2**31:
        return aggregate_codes(user_codes, track_codes, weight_of[event_codes], n_tracks)
    key = np.asarray(user_codes, dtype=np.int64) * width
    key += np.asarray(track_codes, dtype=np.int64)
    key *= n_types
    key += np.asarray(event_codes, dtype=np.int64)
    key.sort()
    # Runs of equal (pair, type) keys: their counts times the type's weight, then summed per pair.
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counts = np.diff(np.r_[starts, n])
    typed = key[starts]
    del key
    pair = typed // n_types
    partial = counts * weight_of[typed % n_types]
    firsts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    scores = np.add.reduceat(partial, firsts) if len(firsts) else np.zeros(0, np.float64)
    pair = pair[firsts]
    # -0.0 would differ from pandas' 0.0 for a pair of zero-weight events only: normalise it
    scores = scores + 0.0
    return pair // width, pair % width, scores.astype(np.float64, copy=False)


def score_splits(
    codes: np.ndarray,
    users: tuple[np.ndarray, pa.Array],
    tracks: tuple[np.ndarray, pa.Array],
    event_codes: np.ndarray,
    weight_of: np.ndarray,
    *,
    names: tuple[str, ...] = ("train", "val", "test"),
    sink: Callable[[str, pa.Table], None] | None = None,
) -> tuple[dict[str, pa.Table], dict[str, dict[str, int]]]:
    """The score table of each split and its counts (:func:`aggregate_event_codes` per split).

    Parameters
    ----------
    codes : numpy.ndarray
        Split code of each event (indexing ``names``).
    users, tracks : (numpy.ndarray, pyarrow.Array)
        Each event's user (track) code and the ids behind the codes.
    event_codes : numpy.ndarray
        Each event's type code; ``weight_of`` gives the weight of each type.
    weight_of : numpy.ndarray
    names : tuple of str
        Split names by code.
    sink : callable, optional
        Called as ``sink(f"{name}.parquet", table)`` with each table once made (written meanwhile).

    Returns
    -------
    (dict, dict)
        Split name -> table (``user_id``, ``track_id``, ``score``), and split name -> ``events``,
        ``pairs``, ``users``.
    """
    (user_codes, user_ids), (track_codes, track_ids) = users, tracks
    tables: dict[str, pa.Table] = {}
    counts: dict[str, dict[str, int]] = {}
    for code, name in enumerate(names):
        rows = np.flatnonzero(codes == code)
        pair_users, pair_tracks, scores = aggregate_event_codes(
            user_codes[rows], track_codes[rows], event_codes[rows], weight_of, len(track_ids)
        )
        tables[name] = pa.table(
            {
                "user_id": user_ids.take(pa.array(pair_users)),
                "track_id": track_ids.take(pa.array(pair_tracks)),
                "score": pa.array(scores, type=pa.float64()),
            }
        )
        counts[name] = {
            "events": len(rows),
            "pairs": len(scores),
            "users": int(np.count_nonzero(np.bincount(user_codes[rows], minlength=1))),
        }
        if sink is not None:
            sink(f"{name}.parquet", tables[name])
    return tables, counts
