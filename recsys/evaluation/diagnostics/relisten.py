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
    v = v[["user_id", "track_id"]].dropna()
    tr = train[["user_id", "track_id"]].dropna()
    # Track ids as integer codes of one shared space (string ids hashed once: the pandas joins on 2.8 M
    # string pairs took most of this check's 13 s at 50,000 users); rows keep their order, so the users
    # and tracks come out in the same order as a join on the ids themselves would give.
    ex = exclude[["user_id", "track_id"]].dropna() if exclude is not None and len(exclude) else None
    parts = [tr["track_id"], v["track_id"]] + ([ex["track_id"]] if ex is not None else [])
    codes, _ = pd.factorize(pd.concat(parts, ignore_index=True))
    n_codes = int(codes.max()) + 1 if len(codes) else 1
    tr = pd.DataFrame({"user_id": tr["user_id"].to_numpy(), "track": codes[: len(tr)]})
    v = pd.DataFrame({"user_id": v["user_id"].to_numpy(), "track": codes[len(tr) : len(tr) + len(v)]})
    v = v.drop_duplicates()
    if ex is not None:
        user_codes, _ = pd.factorize(pd.concat([v["user_id"], ex["user_id"]], ignore_index=True))
        v_keys = user_codes[: len(v)].astype(np.int64) * n_codes + v["track"].to_numpy()
        ex_keys = user_codes[len(v) :].astype(np.int64) * n_codes + codes[len(codes) - len(ex) :]
        v = v[~np.isin(v_keys, ex_keys)]
    tr = tr.drop_duplicates()
    v = v[v["user_id"].isin(tr["user_id"])]
    users = pd.Index(pd.unique(v["user_id"]))
    if len(users) < 2 or len(v) == 0:
        return Check.unavailable(
            "relistening", personal=True, meaning="too few users with both training and validation pairs"
        )
    tr = tr[tr["user_id"].isin(users)]
    items = pd.unique(np.concatenate([tr["track"].to_numpy(), v["track"].to_numpy()]))
    item_pos = np.full(n_codes, -1, dtype=np.int64)
    item_pos[items] = np.arange(len(items))
    shape = (len(users), len(items))

    def matrix(df: pd.DataFrame) -> sp.csr_matrix:
        return sp.csr_matrix(
            (np.ones(len(df)), (users.get_indexer(df["user_id"]), item_pos[df["track"].to_numpy()])), shape
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
        details={"users": len(users), "pairs": int(n.sum()), "ratio": ratio,
                 "sample": f"every user with training and validation pairs ({len(users):,})"},
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
    in_a, in_b = (events["split"] == a).to_numpy(), (events["split"] == b).to_numpy()
    # Only sessions with events in both splits can hold such a pair (a chronological split cuts about
    # one session per user): keep those before de-duplicating and joining (8 M events at 50,000 users).
    if "session_id" in events.columns:
        ids = events["session_id"].to_numpy()
        both = np.intersect1d(pd.unique(ids[in_a]), pd.unique(ids[in_b]))
        keep = np.isin(ids, both)
        events, in_a, in_b = events[keep], in_a[keep], in_b[keep]
    ea = events.loc[in_a, cols].drop_duplicates()
    eb = events.loc[in_b, cols].drop_duplicates()
    return ea.merge(eb, on=cols)[["user_id", "track_id"]].drop_duplicates(ignore_index=True)
