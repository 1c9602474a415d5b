"""Genre affinity: the share of each user's plays in their favourite genres, against independence.

The baseline is the share expected if users picked plays independently of who they are (the genres' share
of everyone else's plays); the genres' share of the catalogue is reported beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.errors import DataError
from recsys.evaluation.beyond import genre_list
from recsys.evaluation.diagnostics.check import MARGINS, Check, _boot_weights, _check_boot, _ci, _status

__all__ = ["genre_affinity"]


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
