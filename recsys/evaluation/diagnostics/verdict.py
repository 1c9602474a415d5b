"""The verdict: every check run on a prepared dataset, and what they say together.

The verdict is about *personal* structure (genre affinity, re-listening), the thing a personalised model
learns; popularity skew and the popularity model are reported beside it as context:

- ``structured``: every available personal check detected, at least one clearly;
- ``weak``: some personal structure detected, but not that much;
- ``none``: no personal structure detected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recsys.evaluation.diagnostics.check import _LEVEL, Check, Diagnosis, _check_boot
from recsys.evaluation.diagnostics.genres import genre_affinity
from recsys.evaluation.diagnostics.popularity import popularity_dispersion
from recsys.evaluation.diagnostics.relisten import relistening, straddling_pairs
from recsys.evaluation.diagnostics.versus_random import popularity_vs_random

if TYPE_CHECKING:
    from recsys.data.prepared import Prepared

__all__ = ["diagnose"]


def _verdict(checks: list[Check]) -> str:
    personal = [c for c in checks if c.personal and c.status != "unavailable"]
    if not personal:
        return "none"
    found = [c for c in personal if c.status in ("clear", "detected")]
    if len(found) == len(personal) and any(c.status == "clear" for c in personal):
        return "structured"
    return "weak" if found else "none"


def _is_play(event_type: pd.Series) -> np.ndarray:
    """Which events are plays (any case); a categorical column is read through its few categories
    (lower-casing 8 million strings took seconds)."""
    if isinstance(event_type.dtype, pd.CategoricalDtype):
        is_play = np.append(event_type.cat.categories.astype(str).str.lower() == "play", False)
        return is_play[event_type.cat.codes.to_numpy()]  # a missing value's code -1 reads the False
    return (event_type.astype(str).str.lower() == "play").to_numpy()


def diagnose(prepared: Prepared, *, seed: int = 0, n_boot: int = 300, with_model: bool = True) -> Diagnosis:
    """Run every check on a prepared dataset and give the verdict.

    Parameters
    ----------
    prepared : Prepared
        From :func:`recsys.data.prepared.load_prepared` / ``ensure_prepared``: uses ``events`` (play events),
        ``train``, ``val``, ``tracks``, ``users`` (and ``artists`` if tracks carry no genres).
    seed : int
        Seed of every bootstrap and simulation.
    n_boot : int
        Bootstrap replicates per check.
    with_model : bool
        Also compare the popularity model's NDCG@10 with random's.

    Returns
    -------
    Diagnosis
        ``verdict`` (``structured``, ``weak`` or ``none``), ``reasons`` (the checks), ``figures``.
    """
    _check_boot(n_boot)
    events = prepared.events
    plays = events.loc[_is_play(events["event_type"]), ["user_id", "track_id"]]
    tracks = prepared.tracks
    artists = getattr(prepared, "artists", None)
    catalogue = tracks["id"].to_numpy()
    straddle = None
    if {"session_id", "split"} <= set(events.columns):
        straddle = straddling_pairs(events)
    checks = [
        genre_affinity(plays, tracks, prepared.users, artists=artists, seed=seed, n_boot=n_boot),
        relistening(prepared.train, prepared.val, exclude=straddle, seed=seed + 1, n_boot=n_boot),
        popularity_dispersion(plays["track_id"], catalogue, seed=seed + 2, n_boot=n_boot),
    ]
    if with_model:
        checks.append(popularity_vs_random(prepared.train, prepared.val, catalogue, seed=seed + 3,
                                           n_boot=n_boot))  # fmt: skip
    verdict = _verdict(checks)
    figures = {
        "users": int(events["user_id"].nunique()),
        "tracks": len(catalogue),
        "plays": len(plays),
        "seed": seed,
        "n_boot": n_boot,
        "level": _LEVEL,
        "popularity_only": verdict == "none" and any(
            c.status in ("clear", "detected") for c in checks if not c.personal
        ),
    }
    return Diagnosis(verdict=verdict, reasons=checks, figures=figures)
