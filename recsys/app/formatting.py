"""Short texts for the dashboard's metric cards and captions (no Streamlit: tested as plain functions)."""

from __future__ import annotations

import math
import re

import pandas as pd

__all__ = [
    "METRIC_NAMES",
    "MISSING",
    "date_range_text",
    "days_text",
    "escape_markdown",
    "file_slug",
    "format_duration",
    "interval_text",
    "metric_label",
    "number_text",
    "p_value_text",
    "time_left_text",
]

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


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|$~])")
_LINE_START = re.compile(r"^(\s*)([#+\-=]|\d+[.)])")


def escape_markdown(text: object) -> str:
    """``text`` with every character Streamlit's markdown would interpret escaped by a backslash.

    Track, artist and user names come from the data: ``"L$D — A$AP Rocky"`` would otherwise be typeset
    as LaTeX between the two ``$``, and a ``*`` or ``_`` would turn the rest of a line italic.

    Parameters
    ----------
    text : object
        Any value; it is shown as ``str(text)``.

    Returns
    -------
    str
        Safe to put inside ``st.markdown``, ``st.caption`` and the like; renders as the original text.
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
    # a leading "#", "-", "+" or "1." would make a heading or a list item
    return _LINE_START.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    """``#`` -> ``\\#``; ``1.`` -> ``1\\.`` (a backslash only escapes punctuation)."""
    lead, mark = match.group(1), match.group(2)
    if mark[0].isdigit():
        return f"{lead}{mark[:-1]}\\{mark[-1]}"
    return f"{lead}\\{mark}"


def file_slug(*parts: object) -> str:
    """A download's file name part: words joined by ``-``, nothing a file system or browser trips on.

    Parameters
    ----------
    *parts : object
        The words (``"per-user"``, ``"val"``, ``"all tracks"``); empty ones are left out.

    Returns
    -------
    str
        ``"per-user-val-all-tracks"``: letters, digits, ``.``, ``_`` and ``-`` only (never a space).
    """
    words = [re.sub(r"[^A-Za-z0-9._]+", "-", str(p)).strip("-.") for p in parts]
    return "-".join(w for w in words if w) or "download"


def number_text(value: float | None, digits: int = 3) -> str:
    """A number for people: ``digits`` significant figures, thousands separated, ``"—"`` when missing.

    Parameters
    ----------
    value : float or None
        The number (NaN and None are missing).
    digits : int
        Significant figures of numbers below 1,000 (larger ones are shown whole).

    Returns
    -------
    str
        ``"0.143"``, ``"12.5"``, ``"1,234"``, ``"—"``.
    """
    if value is None or not math.isfinite(float(value)):
        return MISSING
    value = float(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if value == 0:
        return "0"
    return f"{value:.{digits}g}" if abs(value) >= 1e-3 else f"{value:.1e}"


def interval_text(low: float, high: float, digits: int = 3, *, signed: bool = False) -> str:
    """A confidence interval for people: ``"0.412 to 0.451"`` (``"+0.045 to +0.061"`` when signed).

    Parameters
    ----------
    low, high : float
        The interval's ends.
    digits : int
        Decimals shown.
    signed : bool
        Show a ``+`` on positive ends (for differences).

    Returns
    -------
    str
        The two ends joined by "to", or ``"—"`` when either is missing.
    """
    if not (math.isfinite(float(low)) and math.isfinite(float(high))):
        return MISSING
    sign = "+" if signed else ""
    return f"{low:{sign}.{digits}f} to {high:{sign}.{digits}f}"


def p_value_text(p: float) -> str:
    """A p-value for people: ``"p < 0.001"``, ``"p = 0.03"``, ``"p = 0.4"``; ``"—"`` when missing."""
    if p is None or not math.isfinite(float(p)):
        return MISSING
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.2g}"


def time_left_text(seconds: float | None) -> str:
    """A time-left estimate rounded to what a person reads: ``"about 40 s"``, ``"about 4 min"``,
    ``"about 1 h 20 min"``; ``"estimating time left"`` before there is one.

    The estimate is rounded to 5 s under a minute, to the minute under an hour and to 10 minutes above,
    so a display refreshed every second does not flicker between neighbouring values.
    """
    if seconds is None or not math.isfinite(float(seconds)):
        return "estimating time left"
    seconds = max(float(seconds), 0.0)
    if seconds < 55:
        return f"about {max(5, 5 * round(seconds / 5))} s left"
    if seconds < 59.5 * 60:
        return f"about {max(1, round(seconds / 60))} min left"
    tens = round(seconds / 600)
    hours, minutes = divmod(tens * 10, 60)
    return f"about {hours} h left" if not minutes else f"about {hours} h {minutes:02d} min left"


def format_duration(seconds: float | None) -> str:
    """A duration: ``"1 h 02 min"``, ``"3 min 05 s"``, ``"12 s"``, ``"0.4 s"``; ``"?"`` for ``None``."""
    if seconds is None or not math.isfinite(float(seconds)):
        return "?"
    if seconds < 10:
        return f"{seconds:.1f} s"
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


METRIC_NAMES: dict[str, str] = {
    "ndcg": "NDCG",
    "precision": "Precision",
    "recall": "Recall",
    "map": "MAP",
    "mrr": "MRR",
    "hit_rate": "Hit rate",
    "ndcg_mean": "Members' mean NDCG",
    "ndcg_min": "Worst-served member's NDCG",
    "ndcg_minmax": "Worst over best member",
    "ndcg_jain": "Evenness (Jain)",
    "recall_mean": "Members' mean recall",
    "recall_min": "Worst-served member's recall",
    "zero_recall": "Members with nothing relevant",
    "dfh": "First relevant track (1 = first)",
    "coverage": "Catalogue coverage",
    "novelty": "Novelty",
    "avg_popularity": "Listeners per listed track",
    "diversity": "Genre diversity",
    "n_relevant": "Tracks played later",
    "val_tracks": "Validation tracks",
    "seen_in_train": "Already heard in training",
    "overlap_share": "Share already heard",
    "user_id": "User",
    "name": "Name",
    "city": "City",
    "favourite_genres": "Favourite genres",
    "tracks": "Tracks heard",
    "model": "Model",
    "groups": "Groups",
}
"""Plain labels of the metric and column names the evaluation uses (``ndcg_min`` -> "Worst-served
member's NDCG")."""


def metric_label(name: str) -> str:
    """A column or metric name in plain words: ``"ndcg@10"`` -> ``"NDCG@10"``, ``"basic ndcg@10"`` ->
    ``"basic · NDCG@10"``, ``"ndcg_min@10 ci_low"`` -> ``"Worst-served member's NDCG@10 (95% CI low)"``.

    Parameters
    ----------
    name : str
        A name from an evaluation table (an unknown one keeps its words, underscores as spaces).

    Returns
    -------
    str
    """
    text = str(name)
    suffix = ""
    for end, words in ((" ci_low", " (95% CI low)"), (" ci_high", " (95% CI high)")):
        if text.endswith(end):
            text, suffix = text[: -len(end)], words
    prefix = ""
    if text.startswith("random "):
        text, prefix = text[len("random "):], "Random list · "
    elif " " in text:
        model, text = text.rsplit(" ", 1)
        prefix = f"{model} · "
    base, at, k = text.partition("@")
    plain = METRIC_NAMES.get(base, base.replace("_", " "))
    return f"{prefix}{plain}{'@' + k if at else ''}{suffix}"
