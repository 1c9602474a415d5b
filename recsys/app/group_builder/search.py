"""Finding users: the directory of users, searching it, and one searchable line per user for a picker.

Search runs on every keystroke, over 50,000 users on a large release. :func:`search_index` lower-cases
each searched field once per dataset (the page caches it), so a keystroke is one vectorised prefix or
substring test per field on Arrow strings (a few milliseconds), not a lower-casing of the whole
directory (:func:`search_users` builds the index itself when none is given).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.errors import ConfigError
from recsys.evaluation.beyond import genre_list
from recsys.jsonable import to_plain

__all__ = [
    "SEARCH_FIELDS",
    "SEARCH_LIMIT",
    "SearchIndex",
    "PICKER_USERS",
    "exact_user",
    "picker_options",
    "search_index",
    "search_users",
    "user_directory",
    "user_labels",
]

SEARCH_FIELDS: tuple[str, ...] = ("any", "id", "name", "city", "genre")
"""Where :func:`search_users` may look (the Group builder page offers these, in this order)."""

SEARCH_LIMIT = 50
"""Matches the Group builder lists at most (a search for "a" must not offer 1,000 users to add)."""


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
        out["tracks"] = out["user_id"].map(_distinct_tracks(history)).fillna(0).astype(int)
    return out.sort_values("user_id", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class SearchIndex:
    """Lower-case text of each searched field of a directory, row for row (see :func:`search_index`).

    Attributes
    ----------
    fields : dict of str to pandas.Series
        ``id``, ``name``, ``city``, ``genre`` -> lower-case string column (Arrow-backed).
    rows : int
        Rows of the directory it was built from.
    """

    fields: dict[str, pd.Series]
    rows: int


def search_index(directory: pd.DataFrame) -> SearchIndex:
    """Lower-case the searched fields of ``directory`` once, for :func:`search_users`.

    Parameters
    ----------
    directory : pandas.DataFrame
        From :func:`user_directory`.

    Returns
    -------
    SearchIndex
    """
    def lower(column: pd.Series) -> pd.Series:
        return column.astype(str).astype("string[pyarrow]").str.lower().reset_index(drop=True)

    return SearchIndex(
        fields={
            "id": lower(directory["user_id"]),
            "name": lower(directory["name"]),
            "city": lower(directory["city"]),
            "genre": lower(directory["favourite_genres"]),
        },
        rows=len(directory),
    )


def _distinct_tracks(history: pd.DataFrame) -> pd.Series:
    """Distinct tracks per user, from integer codes (a string groupby over 3.7 M pairs took seconds)."""
    users, user_ids = pd.factorize(history["user_id"])
    tracks, track_ids = pd.factorize(history["track_id"])
    known = (users >= 0) & (tracks >= 0)  # a missing user or track id (code -1) is not a listening
    keys = np.sort(users[known].astype(np.int64) * max(len(track_ids), 1) + tracks[known])
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys
    counts = np.bincount(keys // max(len(track_ids), 1), minlength=len(user_ids))
    return pd.Series(counts, index=pd.Index(user_ids))


def search_users(
    directory: pd.DataFrame,
    query: str,
    *,
    field: str = "any",
    limit: int | None = 50,
    index: SearchIndex | None = None,
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
    index : SearchIndex, optional
        :func:`search_index` of ``directory`` (built here when omitted).

    Returns
    -------
    pandas.DataFrame
        The matching rows of ``directory``; exact id matches first.

    Raises
    ------
    ConfigError
        An unknown ``field``, or an ``index`` of another directory.
    """
    if field not in SEARCH_FIELDS:
        raise ConfigError(f"unknown search field {field!r}; choose one of {list(SEARCH_FIELDS)}")
    text = str(query or "").strip().lower()
    if not text:
        hits = directory
    else:
        index = search_index(directory) if index is None else index
        if index.rows != len(directory):
            raise ConfigError(f"the search index has {index.rows} rows, the directory {len(directory)}")

        def test(name: str) -> np.ndarray:
            column = index.fields[name]
            found = column.str.startswith(text) if name == "id" else column.str.contains(text, regex=False)
            return found.fillna(False).to_numpy(dtype=bool)

        names = ("id", "name", "city", "genre") if field == "any" else (field,)
        mask = np.logical_or.reduce([test(name) for name in names])
        exact = (index.fields["id"] == text).fillna(False).to_numpy(dtype=bool)
        order = np.argsort(~exact[mask], kind="stable")
        hits = directory[mask].iloc[order]
    if limit is not None:
        hits = hits.head(int(limit))
    return hits.reset_index(drop=True)


def exact_user(directory: pd.DataFrame, query: str) -> Hashable | None:
    """The user whose id is exactly ``query`` (after trimming, case-insensitive), or ``None``.

    What typing an id and pressing Enter adds: that one user, not every id starting with it.

    Parameters
    ----------
    directory : pandas.DataFrame
        From :func:`user_directory`.
    query : str
        What was typed.

    Returns
    -------
    hashable or None
        The plain user id.
    """
    text = str(query or "").strip().lower()
    if not text:
        return None
    ids = directory["user_id"]
    found = ids[(ids.astype(str).str.lower() == text).to_numpy()]
    return to_plain(found.iloc[0]) if len(found) else None


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


PICKER_USERS = 2000
"""Up to this many users, the member picker lists everyone; beyond, only the members and the search's
hits (50,000 labels in a multiselect are megabytes sent to the browser on every rerun)."""


def picker_options(everyone: Sequence[Hashable], members: Sequence[Hashable], hits: Sequence[Hashable],
                   limit: int = PICKER_USERS) -> list[Hashable]:
    """The member picker's options: every user of a small release, else the members then the hits.

    Parameters
    ----------
    everyone : sequence
        Every user id, in display order.
    members : sequence
        The group's members (always options, so the picker keeps them).
    hits : sequence
        The search's matches.
    limit : int
        See :data:`PICKER_USERS`.

    Returns
    -------
    list
        Distinct ids.
    """
    if len(everyone) <= limit:
        return list(everyone)
    return list(dict.fromkeys([*members, *hits]))
