"""Playlist export: a group list's table as CSV or JSON bytes, for download buttons and files."""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from typing import Any

import pandas as pd

from recsys.jsonable import to_plain

__all__ = ["playlist_csv", "playlist_json"]

_EXPORT_COLUMNS = ("rank", "track_id", "name", "artist", "genres", "score")


def playlist_csv(table: pd.DataFrame) -> bytes:
    """The playlist as CSV bytes (UTF-8).

    Parameters
    ----------
    table : pandas.DataFrame
        A group list's table (:attr:`recsys.app.group_builder.comparison.GroupList.table`).

    Returns
    -------
    bytes
        ``rank, track_id, name, artist, genres, score`` (those present) and the per-member
        ``score[<uid>]`` columns.
    """
    cols = [c for c in _EXPORT_COLUMNS if c in table] + [c for c in table if c.startswith("score[")]
    return table[cols].to_csv(index=False).encode("utf-8")


def playlist_json(
    table: pd.DataFrame,
    *,
    model: str | None = None,
    strategy: str | None = None,
    user_ids: Sequence[Hashable] = (),
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
        "members": [{"user_id": to_plain(m), "status": statuses.get(m)} for m in members],
        "tracks": tracks,
    }
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str).encode("utf-8")
