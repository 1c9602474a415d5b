"""Finding users: the directory of users, searching it, and one searchable line per user for a picker."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from recsys.errors import ConfigError
from recsys.evaluation.beyond import genre_list
from recsys.jsonable import to_plain

__all__ = ["SEARCH_FIELDS", "search_users", "user_directory", "user_labels"]

SEARCH_FIELDS: tuple[str, ...] = ("any", "id", "name", "city", "genre")
"""Where :func:`search_users` may look (the Group builder page offers these, in this order)."""


def user_directory(users: pd.DataFrame, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per user, ready to search and show.

    Parameters
    ----------
    users : pandas.DataFrame
        The users table (``user_id``, ``name``, ``city``, ``favourite_genres``; other columns ignored).
    history : pandas.DataFrame, optional
        ``user_id, track_id, score`` pairs; adds each user's ``tracks`` (distinct tracks) count.

    Returns
    -------
    pandas.DataFrame
        ``user_id, name, city, favourite_genres`` (comma-joined text), and ``tracks`` when ``history``
        is given, sorted by ``user_id``.
    """
    out = pd.DataFrame({"user_id": users["user_id"].to_numpy()})
    for col in ("name", "city"):
        out[col] = users[col].astype("string").fillna("").to_numpy() if col in users else ""
    genres = users["favourite_genres"] if "favourite_genres" in users else pd.Series([None] * len(users))
    out["favourite_genres"] = [", ".join(genre_list(g)) for g in genres]
    if history is not None:
        counts = history.groupby("user_id")["track_id"].nunique()
        out["tracks"] = out["user_id"].map(counts).fillna(0).astype(int)
    return out.sort_values("user_id", kind="stable").reset_index(drop=True)


def search_users(
    directory: pd.DataFrame, query: str, *, field: str = "any", limit: int | None = 50
) -> pd.DataFrame:
    """Users matching ``query`` (case-insensitive) by id, name, city or favourite genre.

    Parameters
    ----------
    directory : pandas.DataFrame
        From :func:`user_directory`.
    query : str
        Text to look for. An id matches exactly or as a prefix (``"10"`` finds 10, 101, 102...); name,
        city and genre match as substrings. An empty query returns every user.
    field : str
        Where to look: one of :data:`SEARCH_FIELDS` (``"any"`` looks everywhere).
    limit : int, optional
        At most this many rows (``None``: all).

    Returns
    -------
    pandas.DataFrame
        The matching rows of ``directory``; exact id matches first.

    Raises
    ------
    ConfigError
        An unknown ``field``.
    """
    if field not in SEARCH_FIELDS:
        raise ConfigError(f"unknown search field {field!r}; choose one of {list(SEARCH_FIELDS)}")
    text = str(query or "").strip().lower()
    if not text:
        hits = directory
    else:
        ids = directory["user_id"].astype(str).str.lower()
        by: dict[str, pd.Series] = {
            "id": ids.str.startswith(text),
            "name": directory["name"].astype(str).str.lower().str.contains(text, regex=False),
            "city": directory["city"].astype(str).str.lower().str.contains(text, regex=False),
            "genre": directory["favourite_genres"].astype(str).str.lower().str.contains(text, regex=False),
        }
        mask = by[field] if field != "any" else by["id"] | by["name"] | by["city"] | by["genre"]
        exact = (ids == text).to_numpy()
        order = np.argsort(~exact[mask.to_numpy()], kind="stable")
        hits = directory[mask.to_numpy()].iloc[order]
    if limit is not None:
        hits = hits.head(int(limit))
    return hits.reset_index(drop=True)


def user_labels(directory: pd.DataFrame) -> dict[Hashable, str]:
    """User id -> ``"<id> · name · city · genres"``: one searchable line per user for a picker.

    Parameters
    ----------
    directory : pandas.DataFrame
        From :func:`user_directory`.

    Returns
    -------
    dict
        Plain user id -> label, in the directory's order.
    """
    out = {}
    for uid, name, city, genres in directory[["user_id", "name", "city", "favourite_genres"]].itertuples(
        index=False
    ):
        out[to_plain(uid)] = " · ".join(str(p) for p in (uid, name, city, genres) if p)
    return out
