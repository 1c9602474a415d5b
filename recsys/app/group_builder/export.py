"""Playlist export: a group list's table as CSV or JSON bytes, for download buttons and files."""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pandas as pd

from recsys.jsonable import to_plain

__all__ = ["member_score_columns", "playlist_csv", "playlist_json"]

_EXPORT_COLUMNS = ("rank", "track_id", "name", "artist", "genres", "score")
_EXPORT_NAMES = {"rank": "rank", "track_id": "track id", "name": "track", "artist": "artist",
                 "genres": "genres", "score": "group score"}
_MEMBER_SCORE = re.compile(r"^score\[(.*)\]$")


def member_score_columns(table: pd.DataFrame, labels: Mapping[Hashable, str] | None = None) -> dict[str, str]:
    """The table's per-member score columns (``score[<uid>]``) -> their names in an export, in plain
    words: ``"score for Anna (574)"`` (``"score for user 574"`` without a label).

    Parameters
    ----------
    table : pandas.DataFrame
        A group list's table.
    labels : mapping, optional
        Member id -> label (:func:`recsys.app.group_builder.members.member_labels`).

    Returns
    -------
    dict of str to str
        In the table's order; members with the same label are told apart by their ids.
    """
    by_text = {str(uid): label for uid, label in (labels or {}).items()}
    ids = {}
    for column in table.columns:
        match = _MEMBER_SCORE.match(str(column))
        if match:
            ids[str(column)] = match.group(1)
    out = {column: f"score for {by_text.get(uid, f'user {uid}')}" for column, uid in ids.items()}
    if len(set(out.values())) < len(out):
        out = {column: f"{name} [{ids[column]}]" for column, name in out.items()}
    return out


def playlist_csv(table: pd.DataFrame, labels: Mapping[Hashable, str] | None = None) -> bytes:
    """The playlist as CSV bytes (UTF-8), with column names in plain words.

    Parameters
    ----------
    table : pandas.DataFrame
        A group list's table (:attr:`recsys.app.group_builder.comparison.GroupList.table`).
    labels : mapping, optional
        Member id -> label, for the per-member columns' names.

    Returns
    -------
    bytes
        ``rank, track id, track, artist, genres, group score`` (those present), then one ``score for
        <member>`` column per member (:func:`member_score_columns`).
    """
    members = member_score_columns(table, labels)
    cols = [c for c in _EXPORT_COLUMNS if c in table] + list(members)
    return table[cols].rename(columns={**_EXPORT_NAMES, **members}).to_csv(index=False).encode("utf-8")


def playlist_json(
    table: pd.DataFrame,
    *,
    model: str | None = None,
    strategy: str | None = None,
    user_ids: Sequence[Hashable] = (),
    labels: Mapping[Hashable, str] | None = None,
) -> bytes:
    """The playlist as JSON bytes (UTF-8).

    Parameters
    ----------
    table : pandas.DataFrame
        A group list's table; its ``attrs`` (``members``: id -> status, ``strategy``) fill what is not
        given.
    model : str, optional
        The model's label.
    strategy : str, optional
        The aggregation strategy (default: the table's).
    user_ids : sequence, optional
        The members, in order (default: the table's).
    labels : mapping, optional
        Member id -> label (each member's ``label`` in the payload).

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
        item: dict[str, Any] = {c: to_plain(row[c]) for c in _EXPORT_COLUMNS if c in table and c != "genres"}
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
        "members": [{"user_id": to_plain(m), "label": (labels or {}).get(m, f"user {m}"),
                     "status": statuses.get(m)} for m in members],
        "tracks": tracks,
    }
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str).encode("utf-8")
