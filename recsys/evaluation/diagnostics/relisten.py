"""Re-listening: the share of a user's validation pairs already heard in training, against independence.

The baseline is the share expected if validation tracks were drawn independently of the user (from
everyone else's validation plays). :func:`straddling_pairs` finds the pairs an event-level split cut in
two, which would otherwise count as re-listening.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.evaluation.diagnostics.check import MARGINS, Check, _boot_weights, _check_boot, _ci, _status

__all__ = ["relistening", "straddling_pairs"]


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
