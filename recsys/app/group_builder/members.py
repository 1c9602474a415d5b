"""Who the members are: a card of each member's listening, and their display labels."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from recsys.app.group_builder.tracks import track_info
from recsys.errors import UnknownUserError
from recsys.evaluation.beyond import genre_list
from recsys.jsonable import to_plain

__all__ = ["MemberCard", "member_card", "member_labels"]


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
    history: pd.DataFrame,
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
    history : pandas.DataFrame
        ``user_id, track_id, score`` pairs (all splits together, the user's whole known listening).
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
    mine = history[history["user_id"] == user_id]
    if row.empty and mine.empty:
        raise UnknownUserError(f"unknown user id {user_id!r}: not in the users table nor in the history")
    name = str(row["name"].iloc[0]) if not row.empty and "name" in row else ""
    city = str(row["city"].iloc[0]) if not row.empty and "city" in row else ""
    has_genres = not row.empty and "favourite_genres" in row
    declared = genre_list(row["favourite_genres"].iloc[0]) if has_genres else []
    per_track = mine.groupby("track_id", as_index=False)["score"].sum()
    joined = per_track.merge(track_info(tracks), left_on="track_id", right_on="id", how="left")
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
