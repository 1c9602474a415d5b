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
from collections.abc import Mapping

import numpy as np
import pandas as pd

from recsys.errors import ConfigError

__all__ = ["DEFAULT_WEIGHTS", "aggregate_codes", "aggregate_interactions", "validate_weights"]

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
