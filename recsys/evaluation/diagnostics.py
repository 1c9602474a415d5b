"""Signal diagnostics: is there anything for a recommender to learn in this data?

Some releases are structured (people play their favourite genres, popular tracks are played more, people
re-listen), others are close to uniform noise, and then every model scores like random. Each check here
compares a figure with what it would be if there were no such structure, with a bootstrap confidence
interval (seeded), and the data behind its chart:

- :func:`popularity_dispersion` -- plays per track against a Poisson spread (dispersion index
  variance / mean, 1 under "every play picks a track at random"), and the Gini coefficient against
  the Gini of such random plays.
- :func:`genre_affinity` -- share of each user's plays in their favourite genres, against the share
  expected if users picked plays independently of who they are (the genres' share of *all* plays);
  the genres' share of the catalogue is reported beside it.
- :func:`relistening` -- share of a user's validation pairs already heard in training, against the share
  expected if validation tracks were drawn independently of the user (from everyone else's validation
  plays).
- :func:`popularity_vs_random` -- NDCG@10 of the most-played tracks against random's expected NDCG@10.

:func:`diagnose` turns them into a verdict. A check's effect is *detected* when its 95% CI excludes the
null value, and *clear* when the CI's lower end clears the null by a margin (the smallest effect worth
acting on, :data:`MARGINS`). The verdict is about *personal* structure (genre affinity, re-listening),
the thing a personalised model learns; popularity skew and the popularity model are reported beside it
as context, because a dataset whose track ids were shuffled across events keeps every track's play count
(and so its popularity skew) while nothing about any user remains:

- ``structured``: every available personal check detected, at least one clearly;
- ``weak``: some personal structure detected, but not that much;
- ``none``: no personal structure detected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from recsys.errors import ConfigError, DataError
from recsys.evaluation.beyond import genre_list
from recsys.evaluation.stats import random_expectations
from recsys.jsonable import to_plain

__all__ = [
    "MARGINS",
    "Check",
    "Diagnosis",
    "diagnose",
    "diagnose_cached",
    "popularity_dispersion",
    "genre_affinity",
    "relistening",
    "straddling_pairs",
    "popularity_vs_random",
    "best_model_vs_random",
    "gini",
]

#: Smallest effect worth acting on, per check (in the units of the check's ``effect``).
MARGINS: dict[str, float] = {
    "popularity_dispersion": 0.5,  # variance at least 1.5 x the Poisson variance
    "genre_affinity": 0.05,  # 5 points more of a user's plays in their favourite genres
    "relistening": 0.02,  # 2 points more of validation pairs already heard
    "popularity_vs_random": 0.01,  # NDCG@10 one hundredth above random
    "model_vs_random": 0.01,  # likewise, for the best trained model
}
_PERSONAL = ("genre_affinity", "relistening")
_LEVEL = 0.95


@dataclass
class Check:
    """One diagnostic: a figure against its no-structure baseline, with confidence intervals.

    Attributes
    ----------
    name : str
        The check's name (a key of :data:`MARGINS`).
    figure : float
        The observed value.
    ci : tuple of float
        95% bootstrap confidence interval of ``figure``.
    baseline : float
        The value expected with no structure.
    effect : float
        ``figure - baseline`` (the quantity tested).
    effect_ci : tuple of float
        95% bootstrap confidence interval of ``effect``.
    margin : float
        The smallest effect counted as clear.
    status : str
        ``clear`` (CI lower end above ``margin``), ``detected`` (above 0), ``not detected``, or
        ``unavailable`` (the data lacks what the check needs).
    personal : bool
        Whether the check measures per-user structure (counts towards the verdict).
    meaning : str
        One plain sentence saying what the figure means.
    details : dict
        Further figures (JSON-able).
    tables : dict of str to DataFrame
        The data behind the check's charts.
    """

    name: str
    figure: float
    ci: tuple[float, float]
    baseline: float
    effect: float
    effect_ci: tuple[float, float]
    margin: float
    status: str
    personal: bool
    meaning: str
    details: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of the check, without its tables."""
        d = asdict(self)
        d.pop("tables")
        return to_plain(d)

    @classmethod
    def measured(
        cls,
        name: str,
        *,
        figure: float,
        ci: tuple[float, float],
        baseline: float,
        effect_ci: tuple[float, float],
        personal: bool,
        meaning: str,
        details: dict[str, Any] | None = None,
        tables: dict[str, pd.DataFrame] | None = None,
    ) -> Check:
        """A check with a figure: the effect, the margin and the status follow from the figures."""
        margin = MARGINS[name]
        return cls(name, figure, ci, baseline, figure - baseline, effect_ci, margin,
                   _status(effect_ci, margin), personal, meaning, details or {}, tables or {})  # fmt: skip

    @classmethod
    def unavailable(cls, name: str, *, personal: bool, meaning: str, baseline: float = float("nan")) -> Check:
        """A check the data lacks what it needs for."""
        nan, nan2 = float("nan"), (float("nan"), float("nan"))
        return cls(name, nan, nan2, baseline, nan, nan2, MARGINS[name], "unavailable", personal, meaning, {})


@dataclass
class Diagnosis:
    """The verdict on a dataset and the checks behind it.

    Attributes
    ----------
    verdict : str
        ``structured``, ``weak`` or ``none``.
    reasons : list of Check
        Every check run, personal ones first.
    figures : dict
        Summary numbers (users, tracks, plays, ...).
    """

    verdict: str
    reasons: list[Check]
    figures: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict: ``verdict``, ``reasons`` (each a :meth:`Check.to_dict`), ``figures``."""
        return {
            "verdict": self.verdict,
            "reasons": [r.to_dict() for r in self.reasons],
            "figures": to_plain(self.figures),
        }


def _status(effect_ci: tuple[float, float], margin: float) -> str:
    lo = effect_ci[0]
    if not np.isfinite(lo):
        return "unavailable"
    if lo > margin:
        return "clear"
    if lo > 0:
        return "detected"
    return "not detected"


def _ci(samples: np.ndarray) -> tuple[float, float]:
    a = (1 - _LEVEL) / 2
    if len(samples) == 0 or not np.isfinite(samples).any():
        return (float("nan"), float("nan"))
    lo, hi = np.nanquantile(samples, [a, 1 - a])
    return (float(lo), float(hi))


def _check_boot(n_boot: int) -> None:
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 10:
        raise ConfigError(f"n_boot must be an integer of at least 10, got {n_boot!r}")


def _boot_weights(rng: np.random.Generator, n: int, n_boot: int) -> np.ndarray:
    """``(n_boot, n)`` resampling counts: row b says how often each unit is drawn in replicate b."""
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)


# --------------------------------------------------------------------------- popularity


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


# --------------------------------------------------------------------------- genre affinity


def _track_genres(tracks: pd.DataFrame, artists: pd.DataFrame | None) -> pd.Series:
    """Genre list per track id (from the track's ``genres`` column, or joined from its artist)."""
    if "genres" in tracks.columns:
        return pd.Series([genre_list(g) for g in tracks["genres"]], index=tracks["id"].to_numpy())
    if artists is None or "id_artist" not in tracks.columns:
        raise DataError("tracks have no 'genres' column and no artists to take them from", field="genres")
    by_artist = dict(zip(artists["id"], artists["genres"], strict=True))
    lists = [genre_list(by_artist.get(a)) for a in tracks["id_artist"]]
    return pd.Series(lists, index=tracks["id"].to_numpy())


def genre_affinity(
    plays: pd.DataFrame,
    tracks: pd.DataFrame,
    users: pd.DataFrame,
    *,
    artists: pd.DataFrame | None = None,
    min_plays: int = 5,
    seed: int = 0,
    n_boot: int = 300,
) -> Check:
    """Share of each user's plays in their favourite genres against independence and the catalogue.

    Parameters
    ----------
    plays : DataFrame
        One row per play: ``user_id``, ``track_id``.
    tracks : DataFrame
        ``id`` and ``genres`` (a list per track), or ``id_artist`` with ``artists`` given.
    users : DataFrame
        ``user_id`` and ``favourite_genres`` (a list per user).
    artists : DataFrame, optional
        ``id``, ``genres``; used when ``tracks`` has no ``genres`` column.
    min_plays : int
        Users with fewer plays (of catalogue tracks) are left out.
    seed, n_boot : int
        Bootstrap over users.

    Returns
    -------
    Check
        ``figure`` is the mean over users of the share of their plays in their favourite genres (a track
        is in them when any of its artist's genres is); ``baseline`` the mean share expected if users'
        plays were drawn from everyone's plays (the genres' share of all plays); ``details`` holds the
        catalogue share. ``tables["users"]`` (per user) and ``tables["genres"]`` (per favourite genre:
        ``users``, ``observed``, ``independent``, ``catalogue`` shares).
    """
    _check_boot(n_boot)
    rng = np.random.default_rng(seed)
    genres_of = _track_genres(tracks, artists)
    track_ids = genres_of.index.to_numpy()
    t_index = pd.Index(track_ids)
    fav = None
    if "favourite_genres" in users.columns:
        fav = users.set_index("user_id")["favourite_genres"].map(genre_list)
    names = {g for gs in genres_of for g in gs} | ({g for f in fav for g in f} if fav is not None else set())
    vocab = pd.Index(sorted(names))
    p = plays[["user_id", "track_id"]].dropna()
    t_pos = t_index.get_indexer(p["track_id"])
    p = p[t_pos >= 0]
    t_pos = t_pos[t_pos >= 0]
    if fav is not None:
        p = p[p["user_id"].isin(fav.index)]
        t_pos = t_index.get_indexer(p["track_id"])
    per_user = p.groupby("user_id").size()
    keep_users = per_user.index[per_user >= min_plays]
    keep_users = [u for u in keep_users if fav is not None and len(fav.get(u, [])) > 0]
    if fav is None or len(keep_users) < 2:
        return Check.unavailable(
            "genre_affinity", personal=True, meaning="no users with favourite genres and enough plays"
        )
    u_index = pd.Index(keep_users)
    mask = u_index.get_indexer(p["user_id"]) >= 0
    u_pos = u_index.get_indexer(p["user_id"])[mask]
    t_pos = t_pos[mask]
    n_u, n_t, n_g = len(u_index), len(t_index), len(vocab)
    # G: track x genre incidence; F: user x genre favourites; M[t, u]: track t is in u's favourites.
    g_rows = np.repeat(np.arange(n_t), [len(g) for g in genres_of])
    g_cols = vocab.get_indexer([g for gs in genres_of for g in gs])
    G = sp.csr_matrix((np.ones(len(g_rows), dtype=np.float32), (g_rows, g_cols)), shape=(n_t, n_g))
    G.data[:] = 1.0
    favs = [fav[u] for u in u_index]
    f_rows = np.repeat(np.arange(n_u), [len(f) for f in favs])
    f_cols = vocab.get_indexer([g for f in favs for g in f])
    F = sp.csr_matrix((np.ones(len(f_rows), dtype=np.float32), (f_rows, f_cols)), shape=(n_u, n_g))
    F.data[:] = 1.0
    M = (G @ F.T).toarray() > 0
    in_fav = M[t_pos, u_pos]
    plays_u = np.bincount(u_pos, minlength=n_u).astype(np.float64)
    observed = np.bincount(u_pos, weights=in_fav, minlength=n_u) / plays_u
    play_share = np.bincount(t_pos, minlength=n_t).astype(np.float64)
    # Independence: u's plays drawn from everyone else's plays (own plays left out, so that a user's
    # own taste does not leak into their baseline).
    own_in = observed * plays_u
    others_total = len(t_pos) - plays_u
    independent = (M.T.astype(np.float64) @ play_share - own_in) / np.maximum(others_total, 1)
    catalogue = M.mean(axis=0)
    W = _boot_weights(rng, n_u, n_boot)
    obs_boot = W @ observed / n_u
    eff_boot = W @ (observed - independent) / n_u
    fig = float(observed.mean())
    base = float(independent.mean())
    effect_ci = _ci(eff_boot)
    status = _status(effect_ci, MARGINS["genre_affinity"])
    # Per favourite genre: users who favour it, their plays in it, its catalogue and play shares.
    C = sp.csr_matrix((np.ones(len(t_pos)), (u_pos, t_pos)), shape=(n_u, n_t))
    in_genre = (C @ G).toarray()
    fav_dense = F.toarray() > 0
    g_users = fav_dense.sum(axis=0)
    used = np.flatnonzero(g_users > 0)
    obs_g = (in_genre * fav_dense).sum(axis=0)[used] / (fav_dense * plays_u[:, None]).sum(axis=0)[used]
    all_plays_g = np.asarray(G.T @ play_share).ravel() / max(len(t_pos), 1)
    cat_g = np.asarray(G.sum(axis=0)).ravel() / n_t
    genre_table = pd.DataFrame({
        "genre": vocab[used],
        "users": g_users[used],
        "observed": obs_g,
        "independent": all_plays_g[used],
        "catalogue": cat_g[used],
    }).sort_values(["users", "genre"], ascending=[False, True], ignore_index=True)
    return Check.measured(
        "genre_affinity",
        figure=fig,
        ci=_ci(obs_boot),
        baseline=base,
        effect_ci=effect_ci,
        personal=True,
        meaning=(
            f"{fig:.0%} of a user's plays are in their favourite genres, against {base:.0%} if their "
            f"plays were anyone's" + ("" if status != "not detected" else ": taste does not show")
        ),
        details={
            "users": n_u,
            "catalogue_share": float(catalogue.mean()),
            "lift_vs_catalogue": fig - float(catalogue.mean()),
        },
        tables={
            "users": pd.DataFrame(
                {
                    "user_id": u_index.to_numpy(),
                    "plays": plays_u.astype(np.int64),
                    "observed": observed,
                    "independent": independent,
                    "catalogue": catalogue,
                }
            ),
            "genres": genre_table,
        },
    )


# --------------------------------------------------------------------------- re-listening


def relistening(
    train: pd.DataFrame,
    val: pd.DataFrame,
    *,
    positive_only: bool = True,
    exclude: pd.DataFrame | None = None,
    seed: int = 0,
    n_boot: int = 300,
) -> Check:
    """Share of validation pairs already heard in training, against independence.

    Parameters
    ----------
    train, val : DataFrame
        ``user_id``, ``track_id`` (and ``score``) pairs.
    positive_only : bool
        Count only validation pairs with ``score > 0`` (played or liked, not only skipped).
    exclude : DataFrame, optional
        ``user_id``, ``track_id`` validation pairs to leave out (see :func:`straddling_pairs`).
    seed, n_boot : int
        Bootstrap over users.

    Returns
    -------
    Check
        ``figure`` = heard / validation pairs (users with training history); ``baseline`` = the share
        expected if each user's validation tracks were drawn from the other users' validation pairs,
        independently of the user's own history. ``tables["users"]``: ``user_id``, ``pairs``, ``heard``,
        ``expected``.
    """
    _check_boot(n_boot)
    rng = np.random.default_rng(seed)
    v = val
    if positive_only and "score" in v.columns:
        v = v[v["score"] > 0]
    v = v[["user_id", "track_id"]].dropna().drop_duplicates()
    if exclude is not None and len(exclude):
        drop = pd.MultiIndex.from_frame(exclude[["user_id", "track_id"]])
        v = v[~pd.MultiIndex.from_frame(v).isin(drop)]
    tr = train[["user_id", "track_id"]].dropna().drop_duplicates()
    v = v[v["user_id"].isin(tr["user_id"])]
    users = pd.Index(pd.unique(v["user_id"]))
    if len(users) < 2 or len(v) == 0:
        return Check.unavailable(
            "relistening", personal=True, meaning="too few users with both training and validation pairs"
        )
    tr = tr[tr["user_id"].isin(users)]
    items = pd.Index(pd.unique(pd.concat([tr["track_id"], v["track_id"]], ignore_index=True)))
    shape = (len(users), len(items))

    def matrix(df: pd.DataFrame) -> sp.csr_matrix:
        return sp.csr_matrix(
            (np.ones(len(df)), (users.get_indexer(df["user_id"]), items.get_indexer(df["track_id"]))), shape
        )

    T, V = matrix(tr), matrix(v)
    n = np.asarray(V.sum(axis=1)).ravel()
    heard = np.asarray(T.multiply(V).sum(axis=1)).ravel()
    c = np.asarray(V.sum(axis=0)).ravel()
    # The other users' validation pairs falling on u's training tracks (u's own removed).
    others_on_history = np.asarray(T @ c).ravel() - heard
    expected = n * others_on_history / np.maximum(V.sum() - n, 1)
    W = _boot_weights(rng, len(users), n_boot)
    tot = W @ n
    fig_boot = (W @ heard) / tot
    eff_boot = (W @ (heard - expected)) / tot
    fig = float(heard.sum() / n.sum())
    base = float(expected.sum() / n.sum())
    effect_ci = _ci(eff_boot)
    status = _status(effect_ci, MARGINS["relistening"])
    ratio = fig / base if base > 0 else float("inf")
    return Check.measured(
        "relistening",
        figure=fig,
        ci=_ci(fig_boot),
        baseline=base,
        effect_ci=effect_ci,
        personal=True,
        meaning=(
            f"{fig:.1%} of validation pairs were already heard in training, against {base:.1%} if "
            "listening were independent of history"
            + (" (people re-listen)" if status != "not detected" else ": no re-listening beyond chance")
        ),
        details={"users": len(users), "pairs": int(n.sum()), "ratio": ratio},
        tables={
            "users": pd.DataFrame(
                {
                    "user_id": users.to_numpy(),
                    "pairs": n.astype(np.int64),
                    "heard": heard.astype(np.int64),
                    "expected": expected,
                }
            )
        },
    )


def straddling_pairs(events: pd.DataFrame, a: str = "train", b: str = "val") -> pd.DataFrame:
    """(user, track) pairs with events of one session in both splits ``a`` and ``b``.

    An event-level split cuts one session of each user in two, and a play in training followed by its
    like or skip in validation would count as re-listening; such pairs are left out of the check.

    Parameters
    ----------
    events : DataFrame
        ``session_id``, ``user_id``, ``track_id``, ``split``.
    a, b : str
        The two splits.

    Returns
    -------
    DataFrame
        ``user_id``, ``track_id``.
    """
    cols = ["session_id", "user_id", "track_id"]
    ea = events.loc[events["split"] == a, cols].drop_duplicates()
    eb = events.loc[events["split"] == b, cols].drop_duplicates()
    return ea.merge(eb, on=cols)[["user_id", "track_id"]].drop_duplicates(ignore_index=True)


# --------------------------------------------------------------------------- model vs random


def popularity_vs_random(
    train: pd.DataFrame,
    val: pd.DataFrame,
    catalogue: Sequence,
    *,
    k: int = 10,
    threshold: float = 1.0,
    seed: int = 0,
    n_boot: int = 300,
) -> Check:
    """NDCG@k of the most-played training tracks against a random ranking's expected NDCG@k.

    Parameters
    ----------
    train, val : DataFrame
        ``user_id``, ``track_id``, ``score`` pairs; relevant = validation ``score >= threshold``.
    catalogue : sequence
        Every track id that can be recommended.
    k : int
        List length.
    threshold : float
        Relevance threshold on the validation score.
    seed, n_boot : int
        Bootstrap over users of the paired difference.

    Returns
    -------
    Check
        ``figure`` = mean NDCG@k of popularity (all-tracks regime), ``baseline`` = random's expected
        NDCG@k (exact), ``effect`` their difference. Not a personal check: it shows what popularity
        alone is worth.
    """
    from recsys.evaluation.metrics import ndcg_at_k

    _check_boot(n_boot)
    rng = np.random.default_rng(seed)
    items = pd.Index(pd.unique(np.asarray(catalogue, dtype=object)))
    rel = val[val["score"] >= threshold]
    rel = rel[items.get_indexer(rel["track_id"]) >= 0]
    users = pd.Index(pd.unique(rel["user_id"]))
    if len(users) < 2 or len(items) < k:
        return Check.unavailable(
            "popularity_vs_random", personal=False, meaning="too few users with relevant validation tracks"
        )
    pos = train[train["score"] > 0]
    pop = np.bincount(items.get_indexer(pos["track_id"])[items.get_indexer(pos["track_id"]) >= 0],
                      minlength=len(items)).astype(np.float64)  # fmt: skip
    top = np.argsort(-pop, kind="stable")[:k]
    top = np.broadcast_to(top, (len(users), k))
    R = sp.csr_matrix(
        (np.ones(len(rel)), (users.get_indexer(rel["user_id"]), items.get_indexer(rel["track_id"]))),
        shape=(len(users), len(items)),
    )
    R.data[:] = 1.0
    nd = np.asarray(ndcg_at_k(top, R, k), dtype=np.float64)
    n_rel = np.asarray(R.sum(axis=1)).ravel().astype(np.int64)
    rnd = random_expectations(n_rel, np.full(len(n_rel), len(items)), k)[f"ndcg@{k}"]
    W = _boot_weights(rng, len(users), n_boot)
    fig_boot = W @ nd / len(users)
    eff_boot = W @ (nd - rnd) / len(users)
    fig, base = float(nd.mean()), float(rnd.mean())
    effect_ci = _ci(eff_boot)
    return Check.measured(
        "popularity_vs_random",
        figure=fig,
        ci=_ci(fig_boot),
        baseline=base,
        effect_ci=effect_ci,
        personal=False,
        meaning=f"the {k} most-played tracks reach NDCG@{k} {fig:.4f} against random's {base:.4f}",
        details={"users": len(users), "k": k, "threshold": threshold},
        tables={"users": pd.DataFrame({"user_id": users.to_numpy(), "ndcg": nd, "random": rnd})},
    )


def best_model_vs_random(
    models: Mapping[str, Any],
    prepared: Any,
    *,
    k: int = 10,
    threshold: float = 1.0,
    seed: int = 0,
    n_boot: int = 300,
) -> Check:
    """The best of trained ``models`` on the validation split against a random ranking, with a CI.

    Each model is evaluated on every trained user with a relevant validation track (all-tracks regime,
    :func:`recsys.evaluation.evaluate_model`); the one with the highest mean NDCG@k is compared, user by
    user, with the exact expected NDCG@k of a random list over the same candidates.

    Parameters
    ----------
    models : mapping of str to Recommender
        Trained models by name.
    prepared : Prepared
        The data the models were trained on (``matrix("val", like=...)`` is used).
    k, threshold : int, float
        List length and relevance threshold on the validation score.
    seed, n_boot : int
        Bootstrap over users of the paired difference.

    Returns
    -------
    Check
        ``figure`` = the best model's mean NDCG@k, ``baseline`` = random's, ``details["model"]`` its name
        and ``details["ndcg"]`` every model's figure. Not a personal check.
    """
    from recsys.evaluation import evaluate_model

    _check_boot(n_boot)
    if not models:
        raise ConfigError("best_model_vs_random needs at least one model")
    col = f"ndcg@{k}"
    tables: dict[str, pd.DataFrame] = {}
    for name, model in models.items():
        truth = prepared.matrix("val", like=model.train)
        ev = evaluate_model(model, truth, k=(k,), threshold=threshold, n_boot=10, seed=seed)
        tables[name] = ev.per_user
    figures = {name: float(t[col].mean()) for name, t in tables.items()}
    best = max(figures, key=lambda name: (figures[name], name))
    per_user = tables[best]
    nd = per_user[col].to_numpy(dtype=np.float64)
    rnd = random_expectations(per_user["n_relevant"].to_numpy(), per_user["n_candidates"].to_numpy(), k)[col]
    W = _boot_weights(np.random.default_rng(seed), len(nd), n_boot)
    fig, base = float(nd.mean()), float(rnd.mean())
    effect_ci = _ci(W @ (nd - rnd) / len(nd))
    return Check.measured(
        "model_vs_random",
        figure=fig,
        ci=_ci(W @ nd / len(nd)),
        baseline=base,
        effect_ci=effect_ci,
        personal=False,
        meaning=f"the best model, {best}, reaches NDCG@{k} {fig:.4f} against random's {base:.4f}",
        details={"model": best, "ndcg": figures, "users": len(nd), "k": k, "threshold": threshold},
        tables={
            "users": pd.DataFrame({"user_id": per_user["user_id"].to_numpy(), "ndcg": nd, "random": rnd})
        },
    )


# --------------------------------------------------------------------------- verdict


def _verdict(checks: list[Check]) -> str:
    personal = [c for c in checks if c.personal and c.status != "unavailable"]
    if not personal:
        return "none"
    found = [c for c in personal if c.status in ("clear", "detected")]
    if len(found) == len(personal) and any(c.status == "clear" for c in personal):
        return "structured"
    return "weak" if found else "none"


def diagnose(prepared: Any, *, seed: int = 0, n_boot: int = 300, with_model: bool = True) -> Diagnosis:
    """Run every check on a prepared dataset and give the verdict.

    Parameters
    ----------
    prepared : Prepared
        From :func:`recsys.data.prepare.load_prepared` / ``ensure_prepared``: uses ``events`` (play events),
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
    et = events["event_type"].astype(str).str.lower()
    plays = events.loc[et == "play", ["user_id", "track_id"]]
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


_CACHE_DIR = "diagnostics"
_CACHE_FILE = "diagnosis.json"


def diagnose_cached(prepared: Any, *, seed: int = 0, n_boot: int = 300) -> Diagnosis:
    """:func:`diagnose`, stored beside the prepared tables and reused while the data is unchanged.

    The diagnosis takes seconds (bootstraps over every user and track); a fresh dashboard server or a
    second CLI call should not pay for it again. The result lives in ``<prepared folder>/diagnostics/``
    (``diagnosis.json`` plus one Parquet file per chart table) keyed by the data's fingerprint, the
    seed and ``n_boot``. A folder that cannot be written (a read-only release) is simply not cached.

    Parameters
    ----------
    prepared : Prepared
        A prepared dataset (needs ``folder`` and ``fingerprint``).
    seed, n_boot : int
        As for :func:`diagnose`.

    Returns
    -------
    Diagnosis
        Equal to ``diagnose(prepared, seed=seed, n_boot=n_boot)``.
    """
    import json
    import os
    import shutil
    import tempfile
    from pathlib import Path

    key = {"fingerprint": getattr(prepared, "fingerprint", None), "seed": seed, "n_boot": n_boot}
    folder = getattr(prepared, "folder", None)
    if folder is None or key["fingerprint"] is None:
        return diagnose(prepared, seed=seed, n_boot=n_boot)
    target = Path(folder) / _CACHE_DIR
    stored = _read_cached(target, key)
    if stored is not None:
        return stored
    diagnosis = diagnose(prepared, seed=seed, n_boot=n_boot)
    tmp: Path | None = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=".diagnostics-", dir=folder))
        tables: dict[str, dict[str, str]] = {}
        for i, check in enumerate(diagnosis.reasons):
            tables[check.name] = {}
            for j, (name, table) in enumerate(check.tables.items()):
                file = f"{i}-{j}.parquet"
                table.to_parquet(tmp / file)
                tables[check.name][name] = file
        payload = {"key": key, "diagnosis": diagnosis.to_dict(), "tables": tables}
        (tmp / _CACHE_FILE).write_text(json.dumps(payload))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except OSError:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return diagnosis


def _read_cached(target: Any, key: dict[str, Any]) -> Diagnosis | None:
    import json

    meta = target / _CACHE_FILE
    if not meta.is_file():
        return None
    try:
        payload = json.loads(meta.read_text())
    except (OSError, ValueError):
        return None
    if payload.get("key") != key:
        return None
    stored = payload["diagnosis"]
    checks = []
    for item in stored["reasons"]:
        files = payload["tables"].get(item["name"], {})
        try:
            tables = {name: pd.read_parquet(target / file) for name, file in files.items()}
        except (OSError, ValueError):
            return None
        fields = dict(item)
        fields["ci"] = tuple(fields["ci"])
        fields["effect_ci"] = tuple(fields["effect_ci"])
        checks.append(Check(**fields, tables=tables))
    return Diagnosis(verdict=stored["verdict"], reasons=checks, figures=stored["figures"])
