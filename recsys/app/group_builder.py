"""The group builder's logic: finding users, suggesting groups, member cards, two models side by side.

The Group builder page is a UI over these functions. They work on the plain tables of the prepared data
(``users``, ``tracks`` with ``artist_name`` and ``genres``, and a ``user_id, track_id, score`` history),
so they are tested with hand-made frames; models come in through their one contract
(:meth:`~recsys.models.base.Recommender.recommend`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError, UnknownUserError
from recsys.evaluation.beyond import genre_list

__all__ = [
    "GROUP_KINDS",
    "user_directory",
    "search_users",
    "suggest_group",
    "MemberCard",
    "member_card",
    "enrich_tracks",
    "affinity_matrix",
    "member_status_table",
    "GroupList",
    "Comparison",
    "compare_models",
    "playlist_csv",
    "playlist_json",
    "history_frame",
    "history_matrix",
    "member_labels",
    "user_labels",
    "user_directory_of",
    "user_labels_of",
    "add_members",
    "display_table",
    "status_text",
    "default_pair",
]

GROUP_KINDS = ("random", "similar", "divergent")
"""Kinds of suggested groups (those of the evaluation's group protocol)."""

_SEARCH_FIELDS = ("any", "id", "name", "city", "genre")


# -- finding users ---------------------------------------------------------------------------------
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
    field : {"any", "id", "name", "city", "genre"}
        Where to look.
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
    if field not in _SEARCH_FIELDS:
        raise ConfigError(f"unknown search field {field!r}; choose one of {list(_SEARCH_FIELDS)}")
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


def suggest_group(
    history: Interactions,
    kind: str = "random",
    *,
    size: int = 3,
    seed: int = 0,
    tracks: pd.DataFrame | None = None,
) -> list:
    """One suggested group of ``size`` users: random, similar (close tastes) or divergent.

    This is the evaluation's group protocol (:func:`recsys.evaluation.groups.make_groups`) asked for a
    single group, so the groups users build by hand are the kinds the evaluation measures.

    Parameters
    ----------
    history : Interactions
        Users' listening (the training matrix or the whole history).
    kind : {"random", "similar", "divergent"}
        The group kind.
    size : int
        Members.
    seed : int
        Random seed; the same seed gives the same group.
    tracks : pandas.DataFrame, optional
        Unused by the protocol today; kept for kinds that look at genres.

    Returns
    -------
    list
        Member ids (original user ids).

    Raises
    ------
    ConfigError
        An unknown kind, or more members than users.
    """
    from recsys.evaluation.groups import make_groups

    if kind not in GROUP_KINDS:
        raise ConfigError(f"unknown group kind {kind!r}; choose one of {list(GROUP_KINDS)}")
    if size < 1 or size > history.n_users:
        raise ConfigError(f"group size must be between 1 and {history.n_users} users, got {size}")
    # Only users with some listening can be judged similar or divergent.
    active = np.flatnonzero(np.diff(history.matrix.indptr) > 0)
    if active.size < size:
        raise ConfigError(f"a group of {size} needs {size} users with listening history, got {active.size}")
    groups = make_groups(active, 1, size, kind=kind, seed=seed, matrix=history.matrix)
    return [_plain_id(u) for u in history.user_ids[np.asarray(groups[0])]]


def _plain_id(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# -- member cards ----------------------------------------------------------------------------------
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

    user_id: Any
    name: str
    city: str
    favourite_genres: list[str]
    top_genres: list[tuple[str, float]] = field(default_factory=list)
    top_artists: list[tuple[str, float]] = field(default_factory=list)
    top_tracks: list[tuple[str, str, float]] = field(default_factory=list)
    n_tracks: int = 0
    total_score: float = 0.0


def member_card(
    user_id: Any,
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
    info = _track_info(tracks)
    joined = per_track.merge(info, left_on="track_id", right_on="id", how="left")
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
        user_id=_plain_id(user_id),
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


def _track_info(tracks: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"id": tracks["id"].to_numpy()})
    out["name"] = tracks["name"].to_numpy() if "name" in tracks else None
    out["artist_name"] = tracks["artist_name"].to_numpy() if "artist_name" in tracks else None
    genres = tracks["genres"] if "genres" in tracks else pd.Series([None] * len(tracks))
    out["genres"] = [genre_list(g) for g in genres]
    return out


# -- two lists side by side --------------------------------------------------------------------------
def enrich_tracks(recommendations: pd.DataFrame, tracks: pd.DataFrame) -> pd.DataFrame:
    """A recommendation list with each track's name, artist and genres.

    Parameters
    ----------
    recommendations : pandas.DataFrame
        From :meth:`Recommender.recommend` (``rank, track_id, score, score[<uid>], rank[<uid>]``).
    tracks : pandas.DataFrame
        ``id, name, artist_name, genres``.

    Returns
    -------
    pandas.DataFrame
        ``rank, track_id, name, artist, genres`` (comma-joined text), ``score``, then the per-member
        columns, in the list's order; a track missing from ``tracks`` keeps its id as its name.
    """
    info = _track_info(tracks).set_index("id")
    out = recommendations.copy()
    found = out["track_id"].isin(info.index)
    names = out["track_id"].map(info["name"]) if len(info) else pd.Series(index=out.index, dtype=object)
    out.insert(2, "name", names.where(found, out["track_id"].astype(str)).astype(str))
    artists = out["track_id"].map(info["artist_name"]) if len(info) else names
    out.insert(3, "artist", artists.where(found & artists.notna(), "unknown artist").astype(str))
    genres = out["track_id"].map(info["genres"]) if len(info) else names
    out.insert(4, "genres", [", ".join(g) if isinstance(g, list) else "" for g in genres])
    out.attrs = dict(recommendations.attrs)
    return out


def affinity_matrix(recommendations: pd.DataFrame, labels: Mapping[Any, str] | None = None) -> pd.DataFrame:
    """Members x tracks predicted affinity of a recommended list.

    Parameters
    ----------
    recommendations : pandas.DataFrame
        From :meth:`Recommender.recommend` (or :func:`enrich_tracks`): its ``score[<uid>]`` columns
        hold each member's normalised score of each listed track.
    labels : mapping, optional
        Member id -> display label (e.g. the name); default ``"user <id>"``.

    Returns
    -------
    pandas.DataFrame
        Rows the members (in the list's member order), columns the tracks (``"<rank>. <name>"`` when
        names are present, else the track id), values in ``[0, 1]``.
    """
    members = list(recommendations.attrs.get("members", {}))
    if not members:
        members = [c[len("score[") : -1] for c in recommendations.columns if c.startswith("score[")]
    if "name" in recommendations:
        columns = [f"{r}. {n}" for r, n in zip(recommendations["rank"], recommendations["name"], strict=True)]
    else:
        columns = [str(t) for t in recommendations["track_id"]]
    values = np.vstack([recommendations[f"score[{m}]"].to_numpy(dtype=float) for m in members])
    index = [(labels or {}).get(m, f"user {m}") for m in members]
    return pd.DataFrame(values, index=index, columns=columns)


def member_status_table(
    recommendations: pd.DataFrame, labels: Mapping[Any, str] | None = None
) -> pd.DataFrame:
    """How the model knew each member: ``trained``, ``folded_in`` or ``fallback``.

    Returns
    -------
    pandas.DataFrame
        ``user_id, member, status, explanation``.
    """
    explain = {
        "trained": "learned in training",
        "folded_in": "not in training: scored from their listening history (folded in)",
        "fallback": "no usable history: popularity fall-back",
    }
    rows = [
        {
            "user_id": _plain_id(uid),
            "member": (labels or {}).get(uid, f"user {uid}"),
            "status": status,
            "explanation": explain.get(status, status),
        }
        for uid, status in recommendations.attrs.get("members", {}).items()
    ]
    return pd.DataFrame(rows, columns=["user_id", "member", "status", "explanation"])


@dataclass(frozen=True)
class GroupList:
    """One model's list for the group.

    Attributes
    ----------
    model : str
        The model's label.
    table : pandas.DataFrame
        :func:`enrich_tracks` output plus ``in_both`` (the track is also on the other list).
    affinity : pandas.DataFrame
        :func:`affinity_matrix` of the list.
    members : pandas.DataFrame
        :func:`member_status_table` of the list.
    """

    model: str
    table: pd.DataFrame
    affinity: pd.DataFrame
    members: pd.DataFrame


@dataclass(frozen=True)
class Comparison:
    """Two models' lists for the same group and strategy.

    Attributes
    ----------
    lists : list of GroupList
        One per model, in the order given.
    overlap : list
        Track ids on every list, in the first list's order.
    strategy : str
        The aggregation strategy.
    user_ids : list
        The group.
    """

    lists: list[GroupList]
    overlap: list
    strategy: str
    user_ids: list

    @property
    def overlap_share(self) -> float:
        """Share of the first list's tracks also on the other list(s)."""
        first = self.lists[0].table
        return len(self.overlap) / len(first) if len(first) else 0.0


def compare_models(
    models: Mapping[str, Any],
    user_ids: Sequence,
    tracks: pd.DataFrame,
    *,
    n: int = 10,
    strategy: str = "average",
    history: Interactions | None = None,
    exclude_seen: bool = False,
    labels: Mapping[Any, str] | None = None,
) -> Comparison:
    """The same group's list from each model, side by side, with their overlap.

    Parameters
    ----------
    models : mapping
        Label -> trained :class:`~recsys.models.base.Recommender` (usually basic and WMF).
    user_ids : sequence
        The group's members.
    tracks : pandas.DataFrame
        ``id, name, artist_name, genres``.
    n : int
        Tracks per list.
    strategy : str
        Aggregation strategy (:data:`recsys.models.group.STRATEGIES`).
    history : Interactions, optional
        Everyone's known listening, to fold in members a model was not trained on.
    exclude_seen : bool
        Leave out tracks any member already heard (discovery).
    labels : mapping, optional
        Member id -> display label.

    Returns
    -------
    Comparison

    Raises
    ------
    UnknownUserError
        The group is empty, or a member is unknown to both the model and the history.
    ConfigError
        No models, or an invalid ``n`` / strategy.
    """
    if not models:
        raise ConfigError("give at least one model to compare")
    if len(user_ids) == 0:
        raise UnknownUserError("the group is empty: add at least one member")
    tables = {
        label: enrich_tracks(
            model.recommend(list(user_ids), n, strategy=strategy, history=history, exclude_seen=exclude_seen),
            tracks,
        )
        for label, model in models.items()
    }
    id_sets = [set(t["track_id"].tolist()) for t in tables.values()]
    common = set.intersection(*id_sets) if len(id_sets) > 1 else set()
    first = next(iter(tables.values()))
    overlap = [_plain_id(t) for t in first["track_id"] if t in common]
    lists = []
    for label, table in tables.items():
        table = table.copy()
        table.insert(table.columns.get_loc("score") + 1, "in_both", table["track_id"].isin(common))
        table.attrs = dict(tables[label].attrs)
        lists.append(
            GroupList(
                model=label,
                table=table,
                affinity=affinity_matrix(table, labels),
                members=member_status_table(table, labels),
            )
        )
    return Comparison(lists=lists, overlap=overlap, strategy=strategy, user_ids=list(user_ids))


# -- export --------------------------------------------------------------------------------------------
_EXPORT_COLUMNS = ["rank", "track_id", "name", "artist", "genres", "score"]


def playlist_csv(table: pd.DataFrame) -> bytes:
    """The playlist as CSV bytes (UTF-8): ``rank, track_id, name, artist, genres, score`` and the
    per-member scores."""
    cols = [c for c in _EXPORT_COLUMNS if c in table] + [c for c in table if c.startswith("score[")]
    return table[cols].to_csv(index=False).encode("utf-8")


def playlist_json(
    table: pd.DataFrame, *, model: str | None = None, strategy: str | None = None, user_ids: Sequence = ()
) -> bytes:
    """The playlist as JSON bytes (UTF-8).

    Returns
    -------
    bytes
        ``{"model", "strategy", "members": [{"user_id", "status"}], "tracks": [{rank, track_id, name,
        artist, genres (list), score, member_scores {uid: score}}]}``.
    """
    statuses = table.attrs.get("members", {})
    members = list(user_ids) or list(statuses)
    tracks = []
    for _, row in table.iterrows():
        item: dict[str, Any] = {c: _plain_id(row[c]) for c in _EXPORT_COLUMNS if c in table and c != "genres"}
        if "genres" in table:
            item["genres"] = [g for g in str(row["genres"]).split(", ") if g]
        item["score"] = float(row["score"])
        item["member_scores"] = {
            str(m): float(row[f"score[{m}]"]) for m in members if f"score[{m}]" in table
        }
        tracks.append(item)
    payload = {
        "model": model,
        "strategy": strategy if strategy is not None else table.attrs.get("strategy"),
        "members": [{"user_id": _plain_id(m), "status": statuses.get(m)} for m in members],
        "tracks": tracks,
    }
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str).encode("utf-8")


# -- the page's data ----------------------------------------------------------------------------------
def history_frame(prepared: Any) -> pd.DataFrame:
    """Every split's ``user_id, track_id, score`` pairs together (a user's whole known listening)."""
    return pd.concat([prepared.train, prepared.val, prepared.test], ignore_index=True)


def history_matrix(prepared: Any) -> Interactions:
    """All splits, all users, as one matrix (for folding in members a model was not trained on)."""
    return prepared.history()


def member_labels(directory: pd.DataFrame, user_ids: Sequence) -> dict[Any, str]:
    """Member id -> ``"name (id)"`` (or ``"user <id>"`` without a name), for charts and tables."""
    names = dict(zip(directory["user_id"], directory["name"], strict=True))
    return {uid: f"{names[uid]} ({uid})" if names.get(uid) else f"user {uid}" for uid in user_ids}


def user_labels(directory: pd.DataFrame) -> dict[Any, str]:
    """User id -> ``"<id> · name · city · genres"``: one searchable line per user for a picker."""
    out = {}
    for uid, name, city, genres in directory[["user_id", "name", "city", "favourite_genres"]].itertuples(
        index=False
    ):
        out[_plain_id(uid)] = " · ".join(str(p) for p in (uid, name, city, genres) if p)
    return out


def user_directory_of(prepared: Any) -> pd.DataFrame:
    """:func:`user_directory` of prepared data (users with their distinct-track counts)."""
    return user_directory(prepared.users, history_frame(prepared))


def user_labels_of(prepared: Any) -> dict[Any, str]:
    """:func:`user_labels` of prepared data."""
    return user_labels(user_directory(prepared.users))


def add_members(current: Sequence, new: Sequence) -> list:
    """``current`` followed by the ids of ``new`` not already in it (order kept, no duplicates)."""
    out = [_plain_id(u) for u in current]
    for uid in new:
        uid = _plain_id(uid)
        if uid not in out:
            out.append(uid)
    return out


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The columns of a list shown on screen: ``rank, name, artist, genres, score, in_both``."""
    cols = [c for c in ("rank", "name", "artist", "genres", "score", "in_both") if c in table]
    return table[cols]


def status_text(members: pd.DataFrame) -> str:
    """One line saying how the model knew the members (from :func:`member_status_table`)."""
    parts = []
    for status, label in (("trained", "trained on"), ("folded_in", "folded in"), ("fallback", "fell back")):
        who = members.loc[members["status"] == status, "member"].tolist()
        if who:
            parts.append(f"{label}: {', '.join(who)}")
    return "; ".join(parts) if parts else "no members"


def default_pair(names: Sequence[str], preferred: tuple[str, str] = ("basic", "wmf")) -> tuple[int, int]:
    """Indices in ``names`` of the two models shown by default: basic on the left, WMF on the right, or
    else the first other models available (the same one twice when there is only one)."""
    names = list(names)
    if not names:
        raise ConfigError("no saved models to choose from")
    left = names.index(preferred[0]) if preferred[0] in names else 0
    if preferred[1] in names and names.index(preferred[1]) != left:
        return left, names.index(preferred[1])
    others = [i for i in range(len(names)) if i != left]
    return left, others[0] if others else left
