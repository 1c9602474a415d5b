"""Short texts for the dashboard's metric cards and captions (no Streamlit: tested as plain functions)."""

from __future__ import annotations

import pandas as pd

__all__ = ["date_range_text", "days_text"]

MISSING = "—"
"""Shown in place of a value that does not exist (e.g. the dates of a dataset without events)."""


def date_range_text(start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
    """The first and last day of a period.

    Parameters
    ----------
    start, end : pandas.Timestamp or None
        First and last event time.

    Returns
    -------
    str
        ``"2024-01-03 – 2024-06-30"``, or ``"—"`` when either is absent.
    """
    if start is None or end is None:
        return MISSING
    return f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"


def days_text(start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
    """Whole calendar days from ``start`` to ``end``, both included, short enough for a metric card.

    Parameters
    ----------
    start, end : pandas.Timestamp or None
        First and last event time.

    Returns
    -------
    str
        ``"182 days"``, or ``"—"`` when either is absent.
    """
    if start is None or end is None:
        return MISSING
    return f"{(end.normalize() - start.normalize()).days + 1:,} days"
