"""Popularity skew: plays per track against a Poisson spread, and their Gini against random plays'.

Not a personal check: a dataset whose track ids were shuffled across events keeps every track's play count
(and so its skew) while nothing about any user remains, so it is reported beside the verdict as context.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from recsys.evaluation.diagnostics.check import MARGINS, Check, _check_boot, _ci, _status

__all__ = ["gini", "popularity_dispersion"]


def gini(counts: np.ndarray) -> np.ndarray:
    """Gini coefficient of non-negative counts, along the last axis.

    Parameters
    ----------
    counts : numpy.ndarray
        ``(..., n)`` non-negative values.

    Returns
    -------
    numpy.ndarray
        Gini per row (0 = all equal, ``(n-1)/n`` = all in one); NaN where a row sums to 0.
    """
    x = np.sort(np.asarray(counts, dtype=np.float64), axis=-1)
    n = x.shape[-1]
    total = x.sum(axis=-1)
    rank = np.arange(1, n + 1, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = (2.0 * (x * rank).sum(axis=-1) / (n * total)) - (n + 1.0) / n
    return np.where(total > 0, g, np.nan)


def popularity_dispersion(
    plays: pd.Series | np.ndarray, catalogue: Sequence | None = None, *, seed: int = 0, n_boot: int = 300
) -> Check:
    """Plays per track against a Poisson spread, and their Gini against random plays' Gini.

    Parameters
    ----------
    plays : Series or array
        The track id of every play event.
    catalogue : sequence, optional
        Every track id of the catalogue (tracks never played count as 0); default the played ones.
    seed : int
        Seed of the bootstrap and of the simulated no-structure plays.
    n_boot : int
        Bootstrap replicates.

    Returns
    -------
    Check
        ``figure`` is the dispersion index (variance / mean of plays per track; 1 when plays pick
        tracks at random), ``effect`` is ``figure - 1``. ``details`` hold the Gini, its CI and the
        no-structure Gini. ``tables["histogram"]``: ``plays``, ``tracks`` (observed number of tracks
        with that many plays), ``poisson`` (expected under random plays).
    """
    _check_boot(n_boot)
    rng = np.random.default_rng(seed)
    ids = pd.Series(np.asarray(plays, dtype=object)).dropna()
    counts_s = ids.value_counts()
    if catalogue is not None:
        counts_s = counts_s.reindex(pd.Index(pd.unique(np.asarray(catalogue, dtype=object))), fill_value=0)
    counts = counts_s.to_numpy(dtype=np.int64)
    n_tracks, n_plays = len(counts), int(counts.sum())
    if n_tracks < 2 or n_plays == 0:
        return Check.unavailable(
            "popularity_dispersion", personal=False, baseline=1.0,
            meaning="too few plays or tracks to measure popularity",
        )
    mean = n_plays / n_tracks
    disp = float(counts.var() / mean)
    # Bootstrap over tracks (the units whose spread is measured).
    idx = rng.integers(0, n_tracks, size=(n_boot, n_tracks))
    boot = counts[idx]
    boot_mean = boot.mean(axis=1)
    disp_boot = np.where(boot_mean > 0, boot.var(axis=1) / np.maximum(boot_mean, 1e-12), np.nan)
    g = float(gini(counts))
    g_boot = gini(boot)
    del boot, idx
    null = rng.multinomial(n_plays, np.full(n_tracks, 1.0 / n_tracks), size=n_boot)
    g_null = gini(null)
    ci = _ci(disp_boot)
    effect_ci = (ci[0] - 1.0, ci[1] - 1.0)
    top = np.sort(counts)[::-1]
    top_share = float(top[: max(1, n_tracks // 100)].sum() / n_plays)
    hist_max = int(min(counts.max(), max(20, np.quantile(counts, 0.99))))
    k = np.arange(hist_max + 1)
    observed = np.bincount(np.minimum(counts, hist_max), minlength=hist_max + 1)
    expected = n_tracks * stats.poisson.pmf(k, mean)
    expected[-1] = n_tracks * stats.poisson.sf(hist_max - 1, mean)  # the last bin holds the tail
    status = _status(effect_ci, MARGINS["popularity_dispersion"])
    meaning = (
        f"plays per track vary {disp:.1f}x as much as random plays would"
        + (" (popularity is long-tailed)" if status != "not detected" else " (no popularity skew)")
    )
    return Check.measured(
        "popularity_dispersion",
        figure=disp,
        ci=ci,
        baseline=1.0,
        effect_ci=effect_ci,
        personal=False,
        meaning=meaning,
        details={
            "tracks": n_tracks,
            "plays": n_plays,
            "mean_plays_per_track": mean,
            "gini": g,
            "gini_ci": _ci(g_boot),
            "gini_random": float(np.mean(g_null)),
            "gini_random_range": _ci(g_null),
            "top_1pct_share": top_share,
        },
        tables={
            "histogram": pd.DataFrame({"plays": k, "tracks": observed, "poisson": expected}),
        },
    )
