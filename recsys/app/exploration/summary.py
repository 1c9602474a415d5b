"""Headline counts and distributions of the cleaned events: the Data page's summary cards and its
events, long-tail and genre charts.

Pure pandas / numpy on the prepared tables; :mod:`recsys.app.charts` draws the results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "DatasetSummary",
    "dataset_summary",
    "events_by_type",
    "events_over_time",
    "genre_counts",
    "track_popularity",
    "user_activity",
]


@dataclass(frozen=True)
class DatasetSummary:
    """Headline counts of a cleaned dataset.

    Attributes
    ----------
    users, tracks, artists : int
        Rows of the users, tracks (catalogue) and artists tables.
    active_users, played_tracks : int
        Distinct users and tracks that appear in the cleaned events.
    events, sessions : int
        Cleaned events and distinct sessions.
    events_by_type : dict
        Event type -> number of events, most frequent first.
    start, end : pandas.Timestamp or None
        First and last event time (``None`` without events).
    """

    users: int
    tracks: int
    artists: int
    active_users: int
    played_tracks: int
    events: int
    sessions: int
    events_by_type: dict[str, int]
    start: pd.Timestamp | None
    end: pd.Timestamp | None


def dataset_summary(
    events: pd.DataFrame,
    tracks: pd.DataFrame,
    users: pd.DataFrame | None = None,
    artists: pd.DataFrame | None = None,
) -> DatasetSummary:
    """Count users, tracks, events by type and the date range.

    Parameters
    ----------
    events : pandas.DataFrame
        Cleaned events: ``session_id, timestamp, user_id, track_id, event_type``.
    tracks, users, artists : pandas.DataFrame
        The catalogue tables (``users`` / ``artists`` optional).

    Returns
    -------
    DatasetSummary
    """
    by_type = events_by_type(events)
    times = pd.to_datetime(events["timestamp"]) if len(events) else None
    return DatasetSummary(
        users=len(users) if users is not None else int(events["user_id"].nunique()),
        tracks=len(tracks),
        artists=len(artists) if artists is not None else 0,
        active_users=int(events["user_id"].nunique()),
        played_tracks=int(events["track_id"].nunique()),
        events=len(events),
        sessions=int(events["session_id"].nunique()) if "session_id" in events else 0,
        events_by_type=dict(zip(by_type["event_type"], by_type["events"].astype(int), strict=True)),
        start=times.min() if times is not None else None,
        end=times.max() if times is not None else None,
    )


def events_by_type(events: pd.DataFrame) -> pd.DataFrame:
    """Events per type, most frequent first (ties by name).

    Returns
    -------
    pandas.DataFrame
        Columns ``event_type`` (str), ``events`` (int).
    """
    counts = events["event_type"].value_counts()
    counts = counts[counts > 0]  # a categorical column also counts its unused categories
    table = pd.DataFrame({"event_type": counts.index.astype(str), "events": counts.to_numpy(np.int64)})
    return table.sort_values(["events", "event_type"], ascending=[False, True], ignore_index=True)


def events_over_time(events: pd.DataFrame, freq: str | None = None) -> pd.DataFrame:
    """Events per period and type.

    Parameters
    ----------
    events : pandas.DataFrame
        Cleaned events with ``timestamp`` and ``event_type``.
    freq : str, optional
        A pandas period alias (``"D"``, ``"W"``, ``"M"``). Default: days when the data spans at most
        120 days, weeks otherwise, so the chart has a readable number of points.

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (start of the period, Timestamp), ``event_type``, ``events``; every
        (period, type) combination present, zeros included, sorted by period then type.
    """
    if events.empty:
        return pd.DataFrame({"period": pd.Series([], dtype="datetime64[ns]"), "event_type": [], "events": []})
    times = pd.to_datetime(events["timestamp"])
    if times.dt.tz is not None:
        times = times.dt.tz_convert(None)
    if freq is None:
        freq = "D" if (times.max() - times.min()) <= pd.Timedelta(days=120) else "W"
    if freq == "D":  # the common cases without pandas' slow Period conversion
        period = times.dt.floor("D")
    elif freq == "W":
        period = times.dt.floor("D") - pd.to_timedelta(times.dt.day_of_week, unit="D")
    else:
        period = times.dt.to_period(freq).dt.start_time
    counts = (
        pd.DataFrame({"period": period, "event_type": _as_str(events["event_type"])})
        .value_counts()
        .unstack(fill_value=0)
        .stack()
    )
    table = counts.rename("events").reset_index()
    table["events"] = table["events"].astype(np.int64)
    return table.sort_values(["period", "event_type"], ignore_index=True)


def _as_str(column: pd.Series) -> np.ndarray:
    """Values as strings; a categorical column is converted through its few categories (fast)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        names = np.asarray(column.cat.categories.astype(str), dtype=object)
        return names[column.cat.codes.to_numpy()]
    return column.astype(str).to_numpy()


def user_activity(events: pd.DataFrame, users: pd.DataFrame | None = None) -> pd.DataFrame:
    """Events per user, most active first, with the rank (the long tail of activity).

    Parameters
    ----------
    events : pandas.DataFrame
        Cleaned events with ``user_id``.
    users : pandas.DataFrame, optional
        The users table (``user_id``); users without events then count with 0.

    Returns
    -------
    pandas.DataFrame
        Columns ``user_id``, ``events``, ``rank`` (1 = most active; ties by id).
    """
    counts = events["user_id"].value_counts()
    if users is not None:
        counts = counts.reindex(pd.Index(users["user_id"].unique()).union(counts.index), fill_value=0)
    return _ranked(counts, "user_id", "events")


def track_popularity(events: pd.DataFrame, tracks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Events per track, most played first, with the rank; catalogue tracks never played count 0.

    Parameters
    ----------
    events : pandas.DataFrame
        Cleaned events with ``track_id``.
    tracks : pandas.DataFrame, optional
        The catalogue (``id``).

    Returns
    -------
    pandas.DataFrame
        Columns ``track_id``, ``events``, ``rank`` (1 = most played; ties by id).
    """
    counts = events["track_id"].value_counts()
    if tracks is not None:
        counts = counts.reindex(pd.Index(tracks["id"].unique()).union(counts.index), fill_value=0)
    return _ranked(counts, "track_id", "events")


def _ranked(counts: pd.Series, id_name: str, count_name: str) -> pd.DataFrame:
    table = pd.DataFrame({id_name: counts.index.to_numpy(), count_name: counts.to_numpy(np.int64)})
    table = table.sort_values([count_name, id_name], ascending=[False, True], ignore_index=True)
    table["rank"] = np.arange(1, len(table) + 1, dtype=np.int64)
    return table


def genre_counts(events: pd.DataFrame, tracks: pd.DataFrame, top: int | None = 20) -> pd.DataFrame:
    """Events and catalogue tracks per genre (a track counts once for each of its artist's genres).

    Parameters
    ----------
    events : pandas.DataFrame
        Cleaned events with ``track_id``.
    tracks : pandas.DataFrame
        Catalogue with ``id`` and ``genres`` (a list per track; empty or missing = no genre).
    top : int, optional
        Keep the ``top`` genres by events (all when ``None``).

    Returns
    -------
    pandas.DataFrame
        Columns ``genre``, ``events``, ``tracks``, ``event_share`` (of all events) and
        ``catalogue_share`` (of all catalogue tracks), most played first (ties by name).
    """
    genres = tracks[["id", "genres"]].explode("genres").dropna(subset=["genres"])
    genres = genres.rename(columns={"id": "track_id", "genres": "genre"})
    per_track = events["track_id"].value_counts().rename("events")
    genres = genres.join(per_track, on="track_id")
    genres["events"] = genres["events"].fillna(0).astype(np.int64)
    table = (
        genres.groupby("genre").agg(events=("events", "sum"), tracks=("track_id", "nunique")).reset_index()
    )
    table["events"] = table["events"].astype(np.int64)
    table["tracks"] = table["tracks"].astype(np.int64)
    table["event_share"] = table["events"] / max(len(events), 1)
    table["catalogue_share"] = table["tracks"] / max(len(tracks), 1)
    table = table.sort_values(["events", "genre"], ascending=[False, True], ignore_index=True)
    return table.head(top) if top is not None else table
