"""Track enrichment: a recommended list with each track's name, artist and genres from the catalogue."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.evaluation.beyond import genre_list
from recsys.models.recommendation import GroupRecommendation

__all__ = ["enrich_tracks", "track_info"]


def track_info(tracks: pd.DataFrame) -> pd.DataFrame:
    """The catalogue's columns the Group builder shows, whichever of them the catalogue has.

    Parameters
    ----------
    tracks : pandas.DataFrame
        The catalogue (``id``, and optionally ``name``, ``artist_name``, ``genres``).

    Returns
    -------
    pandas.DataFrame
        ``id, name, artist_name, genres``: missing names and artists are ``None``, ``genres`` a list
        per track (empty when unknown). Marked in ``attrs`` so that passing it again returns it as is.
    """
    if tracks.attrs.get("track_info"):
        return tracks  # already this table (the page caches it per dataset: 100,000 genre cells)
    out = pd.DataFrame({"id": tracks["id"].to_numpy()})
    out["name"] = tracks["name"].to_numpy() if "name" in tracks else None
    out["artist_name"] = tracks["artist_name"].to_numpy() if "artist_name" in tracks else None
    genres = tracks["genres"] if "genres" in tracks else pd.Series([None] * len(tracks))
    out["genres"] = [genre_list(g) for g in genres]
    out.attrs["track_info"] = True  # member_card and enrich_tracks take it as it is
    return out


def enrich_tracks(recommendation: GroupRecommendation, tracks: pd.DataFrame) -> pd.DataFrame:
    """A recommended list as a display table with each track's name, artist and genres.

    Parameters
    ----------
    recommendation : GroupRecommendation
        From :meth:`Recommender.recommend <recsys.models.base.Recommender.recommend>`.
    tracks : pandas.DataFrame
        ``id, name, artist_name, genres``.

    Returns
    -------
    pandas.DataFrame
        ``rank, track_id, name, artist, genres`` (comma-joined text), ``score``, then the per-member
        ``score[<uid>]`` and ``rank[<uid>]`` columns, in the list's order, with the ``attrs`` of
        :meth:`GroupRecommendation.to_frame`; a track missing from ``tracks`` keeps its id as its name.
    """
    info = track_info(tracks)
    out = recommendation.to_frame()
    # positions of the listed tracks in the catalogue: a lookup of n ids, not a re-index of 100,000 rows
    # (set_index + map took a second per list at a real catalogue's size)
    pos = pd.Index(info["id"]).get_indexer(out["track_id"]) if len(info) else np.full(len(out), -1)
    found = pos >= 0

    def column(name: str) -> pd.Series:
        values = info[name].to_numpy(dtype=object)[np.where(found, pos, 0)] if len(info) else None
        return pd.Series(values if values is not None else [None] * len(out), index=out.index, dtype=object)

    names = column("name")
    out.insert(2, "name", names.where(found & names.notna(), out["track_id"].astype(str)).astype(str))
    artists = column("artist_name")
    out.insert(3, "artist", artists.where(found & artists.notna(), "unknown artist").astype(str))
    genres = column("genres").where(found, None)
    out.insert(4, "genres", [", ".join(g) if isinstance(g, list) else "" for g in genres])
    return out
