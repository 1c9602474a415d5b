"""The Data page's bundle of tables about one prepared dataset, computed together so the dashboard
caches them once per data version."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from recsys.app.exploration.cleaning import rejected_by_reason
from recsys.app.exploration.summary import (
    DatasetSummary,
    dataset_summary,
    events_by_type,
    events_over_time,
    genre_counts,
    track_popularity,
    user_activity,
)
from recsys.data.prepared import Prepared

__all__ = ["Overview", "overview"]


@dataclass(frozen=True)
class Overview:
    """Everything the Data page draws about the cleaned events.

    Attributes
    ----------
    summary : DatasetSummary
    by_type, over_time, activity, popularity, genres, rejected : pandas.DataFrame
        From the functions of the same names in :mod:`.summary` (``rejected`` =
        :func:`~recsys.app.exploration.cleaning.rejected_by_reason`).
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


def overview(prepared: Prepared) -> Overview:
    """The Data page's tables for a :class:`~recsys.data.prepared.Prepared` dataset."""
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

