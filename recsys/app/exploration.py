"""Exploratory summaries of a prepared dataset, as plain tables for the Data page's charts.

Pure pandas / numpy, no plotting: :mod:`recsys.app.charts` draws what these functions compute, and each
function is tested on hand-made inputs. The functions taking a ``prepared`` argument are thin wrappers
over the table-level ones, so the dashboard can cache them per dataset version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recsys.errors import ConfigError

__all__ = [
    "DatasetSummary",
    "SparsityMatrix",
    "PairOverlap",
    "Overview",
    "dataset_summary",
    "events_by_type",
    "events_over_time",
    "user_activity",
    "track_popularity",
    "genre_counts",
    "rejected_by_reason",
    "rejected_csv",
    "cleaning_table",
    "sparsity_matrix",
    "pair_overlap",
    "user_overlap",
    "overlap_vs_metric",
    "overview",
    "prepared_sparsity",
    "prepared_overlap",
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


def rejected_by_reason(rejected: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows per cleaning rule, most frequent first.

    Returns
    -------
    pandas.DataFrame
        Columns ``reason``, ``rows``.
    """
    if rejected is None or rejected.empty or "reason" not in rejected:
        return pd.DataFrame({"reason": pd.Series([], dtype=str), "rows": pd.Series([], dtype=np.int64)})
    counts = rejected["reason"].astype(str).value_counts()
    table = pd.DataFrame({"reason": counts.index.astype(str), "rows": counts.to_numpy(np.int64)})
    return table.sort_values(["rows", "reason"], ascending=[False, True], ignore_index=True)


def cleaning_table(report: dict) -> pd.DataFrame:
    """The prepare report's cleaning rules as a table.

    Parameters
    ----------
    report : dict
        The pipeline's report, with ``rejected`` and ``repaired`` (rule -> rows) objects.

    Returns
    -------
    pandas.DataFrame
        Columns ``rule``, ``action`` (``"removed"`` / ``"repaired"``), ``rows``; rules that touched no
        row are kept (a zero is information), removed before repaired, then by rows descending.
    """
    parts = (("removed", report.get("rejected") or {}), ("repaired", report.get("repaired") or {}))
    rows = [(str(rule), action, int(n)) for action, part in parts for rule, n in part.items()]
    table = pd.DataFrame(rows, columns=["rule", "action", "rows"]).astype({"rows": np.int64})
    table["_order"] = (table["action"] == "repaired").astype(int)
    table = table.sort_values(["_order", "rows", "rule"], ascending=[True, False, True], ignore_index=True)
    return table.drop(columns="_order")


def rejected_csv(rejected: pd.DataFrame) -> bytes:
    """The rejected rows as UTF-8 CSV bytes (for a download button)."""
    return rejected.to_csv(index=False).encode("utf-8")


# -- sparsity ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SparsityMatrix:
    """The user x track matrix binned into blocks: users by activity, tracks by popularity.

    Attributes
    ----------
    counts : numpy.ndarray
        ``(user_bins, track_bins)`` int64: non-zero (user, track) pairs in each block.
    cells : numpy.ndarray
        ``(user_bins, track_bins)`` int64: user x track cells in each block.
    user_edges, track_edges : numpy.ndarray
        0-based rank boundaries: bin ``b`` holds ranks ``edges[b]`` to ``edges[b + 1] - 1``.
    user_order, track_order : numpy.ndarray
        The ids in rank order (most active user / most popular track first).
    n_users, n_tracks, n_pairs : int
        Size of the full matrix and its number of non-zero pairs.
    """

    counts: np.ndarray
    cells: np.ndarray
    user_edges: np.ndarray
    track_edges: np.ndarray
    user_order: np.ndarray
    track_order: np.ndarray
    n_users: int
    n_tracks: int
    n_pairs: int

    @property
    def density(self) -> np.ndarray:
        """Share of filled cells per block."""
        return self.counts / np.maximum(self.cells, 1)

    @property
    def overall_density(self) -> float:
        """Share of filled cells in the whole matrix."""
        return self.n_pairs / max(self.n_users * self.n_tracks, 1)

    def user_labels(self) -> list[str]:
        """``"users 1–5"`` (1-based ranks) per user bin."""
        return _range_labels("users", self.user_edges)

    def track_labels(self) -> list[str]:
        """``"tracks 1–55"`` (1-based ranks) per track bin."""
        return _range_labels("tracks", self.track_edges)


def _range_labels(noun: str, edges: np.ndarray) -> list[str]:
    labels = []
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        labels.append(f"{noun} {lo + 1}" if hi - lo == 1 else f"{noun} {lo + 1}–{hi}")
    return labels


def _edges(n: int, bins: int) -> np.ndarray:
    """Boundaries of ``min(n, bins)`` near-equal bins over ``n`` ranks."""
    k = max(min(n, bins), 1)
    return np.floor(np.arange(k + 1) * n / k).astype(np.int64)


def sparsity_matrix(
    pairs: pd.DataFrame,
    *,
    users: Any = None,
    tracks: Any = None,
    user_bins: int = 200,
    track_bins: int = 400,
) -> SparsityMatrix:
    """Bin the user x track matrix so a 1,000 x 22,000 release draws as a 200 x 400 heatmap.

    Users are ranked by their number of distinct tracks (most active first), tracks by their number of
    distinct listeners (most popular first), ties by id; the ranks are cut into near-equal bins and each
    block counts its non-zero pairs.

    Parameters
    ----------
    pairs : pandas.DataFrame
        ``user_id, track_id`` (e.g. a prepared split); duplicated pairs count once.
    users, tracks : array-like, optional
        Every user / track id to include, so users and catalogue tracks with no pair appear (as empty
        rows and columns at the end). Ids of ``pairs`` missing from them are added.
    user_bins, track_bins : int
        Maximum number of bins on each axis.

    Returns
    -------
    SparsityMatrix
    """
    if user_bins < 1 or track_bins < 1:
        raise ConfigError(f"bins must be positive, got user_bins={user_bins}, track_bins={track_bins}")
    unique = pairs[["user_id", "track_id"]].drop_duplicates()
    user_order = _order(unique["user_id"], users)
    track_order = _order(unique["track_id"], tracks)
    user_rank = pd.Series(np.arange(len(user_order)), index=user_order)
    track_rank = pd.Series(np.arange(len(track_order)), index=track_order)
    u_edges = _edges(len(user_order), user_bins)
    t_edges = _edges(len(track_order), track_bins)
    ub, tb = len(u_edges) - 1, len(t_edges) - 1
    u_bin = np.searchsorted(u_edges, user_rank.loc[unique["user_id"]].to_numpy(), side="right") - 1
    t_bin = np.searchsorted(t_edges, track_rank.loc[unique["track_id"]].to_numpy(), side="right") - 1
    counts = np.bincount(u_bin * tb + t_bin, minlength=ub * tb).reshape(ub, tb).astype(np.int64)
    cells = np.outer(np.diff(u_edges), np.diff(t_edges)).astype(np.int64)
    return SparsityMatrix(
        counts=counts,
        cells=cells,
        user_edges=u_edges,
        track_edges=t_edges,
        user_order=user_order,
        track_order=track_order,
        n_users=len(user_order),
        n_tracks=len(track_order),
        n_pairs=len(unique),
    )


def _order(ids: pd.Series, everyone: Any) -> np.ndarray:
    """Ids by decreasing number of occurrences, ties by id; ``everyone`` adds zero-count ids."""
    counts = ids.value_counts()
    if everyone is not None:
        counts = counts.reindex(pd.Index(pd.unique(np.asarray(everyone))).union(counts.index), fill_value=0)
    frame = pd.DataFrame({"id": counts.index.to_numpy(), "n": counts.to_numpy()})
    return frame.sort_values(["n", "id"], ascending=[False, True])["id"].to_numpy()


# -- train / validation overlap ----------------------------------------------------------------
@dataclass(frozen=True)
class PairOverlap:
    """How many (user, track) pairs are in training only, validation only, or both (the notebook's count).

    Attributes
    ----------
    train_only, val_only, both : int
    """

    train_only: int
    val_only: int
    both: int

    @property
    def val_total(self) -> int:
        """Distinct validation pairs."""
        return self.val_only + self.both

    @property
    def val_share_seen(self) -> float:
        """Share of validation pairs already in training."""
        return self.both / self.val_total if self.val_total else 0.0


def _pair_index(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[["user_id", "track_id"]]).unique()


def pair_overlap(train: pd.DataFrame, val: pd.DataFrame) -> PairOverlap:
    """Count distinct (user, track) pairs in training only, validation only and both.

    Parameters
    ----------
    train, val : pandas.DataFrame
        Splits with ``user_id, track_id`` (score ignored: every listed pair counts).

    Returns
    -------
    PairOverlap
    """
    a, b = _pair_index(train), _pair_index(val)
    both = len(a.intersection(b))
    return PairOverlap(train_only=len(a) - both, val_only=len(b) - both, both=both)


def user_overlap(train: pd.DataFrame, val: pd.DataFrame, *, threshold: float | None = None) -> pd.DataFrame:
    """Per user, the share of validation tracks already heard in training.

    Parameters
    ----------
    train, val : pandas.DataFrame
        Splits with ``user_id, track_id, score``.
    threshold : float, optional
        Count only validation pairs with ``score >= threshold`` (the relevant ones); all when ``None``.

    Returns
    -------
    pandas.DataFrame
        Columns ``user_id``, ``val_tracks`` (distinct validation tracks), ``seen_in_train`` (of those,
        heard in training) and ``share`` (``seen_in_train / val_tracks``); one row per validation user
        with at least one counted track, sorted by user id.
    """
    if threshold is not None:
        val = val[val["score"] >= threshold]
    v = val[["user_id", "track_id"]].drop_duplicates()
    seen = pd.MultiIndex.from_frame(v).isin(_pair_index(train))
    table = (
        v.assign(seen_in_train=seen.astype(np.int64))
        .groupby("user_id", sort=True)
        .agg(val_tracks=("track_id", "size"), seen_in_train=("seen_in_train", "sum"))
        .reset_index()
    )
    table["val_tracks"] = table["val_tracks"].astype(np.int64)
    table["seen_in_train"] = table["seen_in_train"].astype(np.int64)
    table["share"] = table["seen_in_train"] / table["val_tracks"]
    return table


def overlap_vs_metric(overlap: pd.DataFrame, per_user: pd.DataFrame, metric: str = "ndcg@10") -> pd.DataFrame:
    """Join each user's overlap share with a per-user metric (the "overlap vs NDCG" chart).

    Parameters
    ----------
    overlap : pandas.DataFrame
        From :func:`user_overlap`.
    per_user : pandas.DataFrame
        A per-user metric table from :mod:`recsys.evaluation`: ``user_id`` and a ``metric`` column.
    metric : str
        The metric column to take.

    Returns
    -------
    pandas.DataFrame
        Columns ``user_id``, ``share``, ``val_tracks`` and ``metric``, for users in both tables,
        sorted by user id.

    Raises
    ------
    ConfigError
        ``metric`` is not a column of ``per_user``.
    """
    if metric not in per_user.columns:
        raise ConfigError(
            f"metric {metric!r} is not in the per-user table (columns: {list(per_user.columns)})"
        )
    joined = overlap[["user_id", "share", "val_tracks"]].merge(
        per_user[["user_id", metric]], on="user_id", how="inner"
    )
    return joined.sort_values("user_id", ignore_index=True)


# -- per-dataset bundles (cached by the dashboard) ---------------------------------------------
@dataclass(frozen=True)
class Overview:
    """Everything the Data page draws about the cleaned events.

    Attributes
    ----------
    summary : DatasetSummary
    by_type, over_time, activity, popularity, genres, rejected : pandas.DataFrame
        From the functions of the same names (``rejected`` = :func:`rejected_by_reason`).
    report : dict
        The pipeline's prepare report.
    """

    summary: DatasetSummary
    by_type: pd.DataFrame
    over_time: pd.DataFrame
    activity: pd.DataFrame
    popularity: pd.DataFrame
    genres: pd.DataFrame
    rejected: pd.DataFrame
    report: dict = field(default_factory=dict)


def overview(prepared: Any) -> Overview:
    """The Data page's tables for a :class:`~recsys.data.prepare.Prepared` dataset."""
    events = prepared.events
    return Overview(
        summary=dataset_summary(events, prepared.tracks, prepared.users, prepared.artists),
        by_type=events_by_type(events),
        over_time=events_over_time(events),
        activity=user_activity(events, prepared.users),
        popularity=track_popularity(events, prepared.tracks),
        genres=genre_counts(events, prepared.tracks, top=25),
        rejected=rejected_by_reason(prepared.rejected),
        report=dict(prepared.report or {}),
    )


def prepared_sparsity(
    prepared: Any, split: str = "train", user_bins: int = 200, track_bins: int = 400
) -> SparsityMatrix:
    """:func:`sparsity_matrix` of one split over every user and catalogue track of a prepared dataset."""
    frame = getattr(prepared, split)
    return sparsity_matrix(
        frame,
        users=prepared.users["user_id"].to_numpy(),
        tracks=prepared.tracks["id"].to_numpy(),
        user_bins=user_bins,
        track_bins=track_bins,
    )


def prepared_overlap(prepared: Any, threshold: float | None = None) -> tuple[PairOverlap, pd.DataFrame]:
    """:func:`pair_overlap` and :func:`user_overlap` of a prepared dataset's train and validation splits."""
    return pair_overlap(prepared.train, prepared.val), user_overlap(
        prepared.train, prepared.val, threshold=threshold
    )
