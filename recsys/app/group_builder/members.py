"""Who the members are: a card of each member's listening, and their display labels."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recsys.app.group_builder.tracks import track_info
from recsys.errors import UnknownUserError
from recsys.evaluation.beyond import genre_list
from recsys.jsonable import to_plain

__all__ = [
    "CARDS_UP_TO",
    "MemberCard",
    "MemberHistory",
    "member_card",
    "member_cards",
    "member_history",
    "member_labels",
    "member_table",
]

CARDS_UP_TO = 8
"""Members shown as cards; a larger group is shown as one table, a row per member (50 cards would fill
several screens)."""


@dataclass(frozen=True)
class MemberHistory:
    """Everyone's listening grouped by user, so a member card reads its own rows only (a card scanned all
    10 million pairs before: 50 cards took seconds).

    Attributes
    ----------
    users : pandas.Index
        The distinct users, in the order of ``starts``.
    starts : numpy.ndarray
        ``pairs`` rows of user ``users[i]`` are ``starts[i]:starts[i + 1]``.
    pairs : pandas.DataFrame
        ``user_id, track_id, score``, grouped by user (each user's rows in their original order).
    catalogue : pandas.DataFrame
        :func:`~recsys.app.group_builder.tracks.track_info` indexed by ``id``.
    """

    users: pd.Index
    starts: np.ndarray
    pairs: pd.DataFrame
    catalogue: pd.DataFrame

    def of(self, user_id: Hashable) -> pd.DataFrame:
        """The rows of one user (empty when the user has none)."""
        pos = self.users.get_indexer([user_id])[0]
        if pos < 0:
            return self.pairs.iloc[:0]
        return self.pairs.iloc[int(self.starts[pos]) : int(self.starts[pos + 1])]


def member_history(history: pd.DataFrame, tracks: pd.DataFrame) -> MemberHistory:
    """Group ``history`` by user once, for :func:`member_card` and :func:`member_cards`.

    Parameters
    ----------
    history : pandas.DataFrame
        ``user_id, track_id, score`` pairs (all splits together).
    tracks : pandas.DataFrame
        The catalogue (or its :func:`~recsys.app.group_builder.tracks.track_info`).

    Returns
    -------
    MemberHistory
    """
    codes, users = pd.factorize(history["user_id"], sort=True)
    order = np.argsort(codes, kind="stable")
    known = codes[order] >= 0  # a missing user id (code -1) sorts first and belongs to no one
    order = order[known]
    counts = np.bincount(codes[order], minlength=len(users))
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    pairs = history[["user_id", "track_id", "score"]].iloc[order].reset_index(drop=True)
    catalogue = track_info(tracks).set_index("id")
    return MemberHistory(users=pd.Index(users), starts=starts, pairs=pairs, catalogue=catalogue)


@dataclass(frozen=True)
class MemberCard:
    """What a member listens to.

    Attributes
    ----------
    user_id : object
        The user.
    name, city : str
        From the users table (empty when unknown).
    favourite_genres : list of str
        Genres the user declared.
    top_genres : list of tuple
        ``(genre, share)`` of the user's listening score, most first.
    top_artists : list of tuple
        ``(artist, score)``, most first.
    top_tracks : list of tuple
        ``(track name, artist, score)``, most first.
    n_tracks : int
        Distinct tracks in the history.
    total_score : float
        Sum of the history's scores.
    """

    user_id: Hashable
    name: str
    city: str
    favourite_genres: list[str]
    top_genres: list[tuple[str, float]] = field(default_factory=list)
    top_artists: list[tuple[str, float]] = field(default_factory=list)
    top_tracks: list[tuple[str, str, float]] = field(default_factory=list)
    n_tracks: int = 0
    total_score: float = 0.0


def member_card(
    user_id: Hashable,
    users: pd.DataFrame,
    history: pd.DataFrame | MemberHistory,
    tracks: pd.DataFrame,
    *,
    top: int = 5,
) -> MemberCard:
    """A member's card: declared genres, and top genres, artists and tracks of their history.

    Parameters
    ----------
    user_id : object
        The member.
    users : pandas.DataFrame
        The users table.
    history : pandas.DataFrame or MemberHistory
        ``user_id, track_id, score`` pairs (all splits together, the user's whole known listening), or
        them grouped by :func:`member_history` (then its catalogue is used, not ``tracks``).
    tracks : pandas.DataFrame
        ``id, name, artist_name, genres``.
    top : int
        Entries per top list.

    Returns
    -------
    MemberCard
        Ties in scores go to the name first in alphabetical order, so the card is deterministic.

    Raises
    ------
    UnknownUserError
        The user is neither in ``users`` nor in ``history``.
    """
    row = users[users["user_id"] == user_id]
    if isinstance(history, MemberHistory):
        mine, catalogue = history.of(user_id), history.catalogue
    else:
        mine, catalogue = history[history["user_id"] == user_id], track_info(tracks).set_index("id")
    if row.empty and mine.empty:
        raise UnknownUserError(f"unknown user id {user_id!r}: not in the users table nor in the history")
    name = str(row["name"].iloc[0]) if not row.empty and "name" in row else ""
    city = str(row["city"].iloc[0]) if not row.empty and "city" in row else ""
    has_genres = not row.empty and "favourite_genres" in row
    declared = genre_list(row["favourite_genres"].iloc[0]) if has_genres else []
    per_track = mine.groupby("track_id", as_index=False)["score"].sum()
    joined = per_track.join(catalogue, on="track_id", how="left")
    joined["name"] = joined["name"].fillna(joined["track_id"].astype(str))
    joined["artist_name"] = joined["artist_name"].fillna("unknown artist")
    top_tracks = joined.sort_values(["score", "name"], ascending=[False, True], kind="stable").head(top)
    artists = joined.groupby("artist_name", as_index=False)["score"].sum()
    artists = artists.sort_values(["score", "artist_name"], ascending=[False, True], kind="stable").head(top)
    exploded = joined[["score", "genres"]].explode("genres").dropna(subset=["genres"])
    total = float(per_track["score"].sum())
    genres = exploded.groupby("genres", as_index=False)["score"].sum()
    genres = genres.sort_values(["score", "genres"], ascending=[False, True], kind="stable").head(top)
    return MemberCard(
        user_id=to_plain(user_id),
        name=name,
        city=city,
        favourite_genres=declared,
        top_genres=[(str(g), float(s) / total if total else 0.0) for g, s in genres.itertuples(index=False)],
        top_artists=[(str(a), float(s)) for a, s in artists.itertuples(index=False)],
        top_tracks=[
            (str(n), str(a), float(s))
            for n, a, s in top_tracks[["name", "artist_name", "score"]].itertuples(index=False)
        ],
        n_tracks=len(per_track),
        total_score=total,
    )


def member_cards(
    user_ids: Sequence[Hashable],
    users: pd.DataFrame,
    history: pd.DataFrame | MemberHistory,
    tracks: pd.DataFrame | None = None,
    *,
    top: int = 5,
) -> list[MemberCard | str]:
    """Every member's card, or for a member without one the reason (an unknown id), in the order given.

    Parameters
    ----------
    user_ids : sequence
        The members.
    users : pandas.DataFrame
        The users table.
    history : pandas.DataFrame or MemberHistory
        Everyone's ``user_id, track_id, score`` pairs (read once for all the members: one pass over 10
        million pairs, not one per card), or them grouped by :func:`member_history`.
    tracks : pandas.DataFrame, optional
        The catalogue; needed with a DataFrame ``history``.
    top : int
        Entries per top list.

    Returns
    -------
    list
        A :class:`MemberCard` per member, or the message of the
        :class:`~recsys.errors.UnknownUserError` that member raised.

    Raises
    ------
    ValueError
        A DataFrame ``history`` without ``tracks``.
    """
    if not isinstance(history, MemberHistory):
        if tracks is None:
            raise ValueError("member_cards needs the catalogue (tracks) with a history table")
        history = member_history(history[history["user_id"].isin(list(user_ids))], tracks)
    cards: list[MemberCard | str] = []
    for uid in user_ids:
        try:
            cards.append(member_card(uid, users, history, history.catalogue, top=top))
        except UnknownUserError as exc:
            cards.append(str(exc))
    return cards


def member_table(cards: Sequence[MemberCard]) -> pd.DataFrame:
    """The cards of a large group as one table, a row per member (for :data:`CARDS_UP_TO` and beyond).

    Parameters
    ----------
    cards : sequence of MemberCard
        From :func:`member_cards`.

    Returns
    -------
    pandas.DataFrame
        ``user_id, name, city, top_genres`` (``"rock 40%, pop 25%"``), ``top_artists``, ``top_tracks``
        (the first three, ``"track — artist"``), ``tracks`` (distinct tracks in the history), in the
        cards' order.
    """
    return pd.DataFrame(
        {
            "user_id": [str(c.user_id) for c in cards],
            "name": [c.name for c in cards],
            "city": [c.city for c in cards],
            "top_genres": [", ".join(f"{g} {s:.0%}" for g, s in c.top_genres) for c in cards],
            "top_artists": [", ".join(a for a, _ in c.top_artists) for c in cards],
            "top_tracks": ["; ".join(f"{t} — {a}" for t, a, _ in c.top_tracks[:3]) for c in cards],
            "tracks": [int(c.n_tracks) for c in cards],
        }
    )


def member_labels(directory: pd.DataFrame, user_ids: Sequence[Hashable]) -> dict[Hashable, str]:
    """Member id -> ``"name (id)"`` (or ``"user <id>"`` without a name), for charts and tables.

    Parameters
    ----------
    directory : pandas.DataFrame
        From :func:`~recsys.app.group_builder.search.user_directory`.
    user_ids : sequence
        The members.

    Returns
    -------
    dict
        One label per member, in the order given.
    """
    names = dict(zip(directory["user_id"], directory["name"], strict=True))
    return {uid: f"{names[uid]} ({uid})" if names.get(uid) else f"user {uid}" for uid in user_ids}
