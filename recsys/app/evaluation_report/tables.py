"""The Evaluate page's tables: headline cards, the per-user table and its filters, long-form metrics.

Built on the :class:`~recsys.evaluation.evaluate.Evaluation` results of
:func:`recsys.evaluation.evaluate.evaluate_model`; this module only joins, filters and lays them out,
and is tested on hand-made tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.errors import ConfigError
from recsys.evaluation.evaluate import Evaluation

__all__ = [
    "PAGE_ROWS",
    "MetricCard",
    "filter_columns",
    "filter_per_user",
    "metric_cards",
    "metric_long",
    "metric_names",
    "page_of",
    "per_user_csv",
    "per_user_table",
]

PAGE_ROWS = 500
"""Rows of the per-user table sent to the browser at once (50,000 users would be one 5 MB grid)."""


@dataclass(frozen=True)
class MetricCard:
    """One headline number with its interval and the random baseline.

    Attributes
    ----------
    model, metric : str
        Which model and which ``<metric>@<k>``.
    mean, ci_low, ci_high : float
        Mean over users and its 95% bootstrap interval.
    random : float
        A random recommender's expected mean (analytic).
    users : int
        Users evaluated.
    """

    model: str
    metric: str
    mean: float
    ci_low: float
    ci_high: float
    random: float
    users: int

    @property
    def lift(self) -> float:
        """``mean / random`` (NaN when the random expectation is 0 or unknown)."""
        return self.mean / self.random if self.random and np.isfinite(self.random) else float("nan")


def metric_cards(evaluations: Mapping[str, Evaluation], metrics: Sequence[str]) -> list[MetricCard]:
    """Headline cards: for each model and each of ``metrics`` present in its summary."""
    cards = []
    for name, ev in evaluations.items():
        s = ev.summary
        for metric in metrics:
            if metric not in s.index:
                continue
            row = s.loc[metric]
            cards.append(
                MetricCard(
                    model=name,
                    metric=metric,
                    mean=float(row["mean"]),
                    ci_low=float(row["ci_low"]),
                    ci_high=float(row["ci_high"]),
                    random=float(row["random"]) if "random" in s.columns else float("nan"),
                    users=len(ev.per_user),
                )
            )
    return cards


def per_user_table(
    evaluations: Mapping[str, Evaluation],
    overlap: pd.DataFrame | None = None,
    metrics: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per user: each model's metrics side by side, with the user's train/validation overlap.

    Parameters
    ----------
    evaluations : mapping of str to Evaluation
        Model name -> its evaluation.
    overlap : pandas.DataFrame, optional
        :func:`recsys.app.exploration.user_overlap` (``user_id, val_tracks, seen_in_train, share``).
    metrics : sequence of str, optional
        Metric columns to keep (default: all of them).

    Returns
    -------
    pandas.DataFrame
        ``user_id``, ``n_relevant`` (of the first model), then ``<model> <metric>`` columns (just
        ``<metric>`` with one model); with ``overlap``, ``overlap_share, val_tracks, seen_in_train`` come
        right after ``n_relevant``. Users evaluated by any model, sorted by id.
    """
    if not evaluations:
        raise ConfigError("no evaluations to tabulate")
    single = len(evaluations) == 1
    table: pd.DataFrame | None = None
    for name, ev in evaluations.items():
        pu = ev.per_user
        cols = [c for c in pu.columns if "@" in c and (metrics is None or c in metrics)]
        part = pu[["user_id", *cols]].rename(columns={c: c if single else f"{name} {c}" for c in cols})
        if table is None:
            table = pu[["user_id", "n_relevant"]].merge(part, on="user_id")
        else:
            table = table.merge(part, on="user_id", how="outer")
    assert table is not None
    if overlap is not None:
        ov = overlap[["user_id", "share", "val_tracks", "seen_in_train"]]
        ov = ov.rename(columns={"share": "overlap_share"})
        table = table[["user_id", "n_relevant"]].merge(ov, on="user_id", how="left").merge(
            table.drop(columns="n_relevant"), on="user_id"
        )
    return table.sort_values("user_id", kind="stable").reset_index(drop=True)


def filter_per_user(
    table: pd.DataFrame,
    *,
    query: str = "",
    column: str | None = None,
    low: float | None = None,
    high: float | None = None,
) -> pd.DataFrame:
    """Rows whose user id contains ``query`` and whose ``column`` lies in ``[low, high]``.

    Raises
    ------
    ConfigError
        ``column`` is not in the table.
    """
    keep = np.ones(len(table), dtype=bool)
    text = str(query or "").strip().lower()
    if text:
        keep &= table["user_id"].astype(str).str.lower().str.contains(text, regex=False).to_numpy()
    if column is not None and (low is not None or high is not None):
        if column not in table:
            raise ConfigError(f"no column {column!r} in the per-user table")
        values = table[column].to_numpy(dtype=float)
        if low is not None:
            keep &= values >= low
        if high is not None:
            keep &= values <= high
    return table[keep].reset_index(drop=True)


def metric_long(evaluations: Mapping[str, Evaluation], metric: str) -> pd.DataFrame:
    """``model, user_id, value`` of one metric for every model (for distribution charts)."""
    parts = [
        pd.DataFrame({"model": name, "user_id": ev.per_user["user_id"], "value": ev.per_user[metric]})
        for name, ev in evaluations.items()
        if metric in ev.per_user
    ]
    if not parts:
        return pd.DataFrame(columns=["model", "user_id", "value"])
    return pd.concat(parts, ignore_index=True)


def per_user_csv(table: pd.DataFrame) -> bytes:
    """The per-user table as UTF-8 CSV bytes."""
    return table.to_csv(index=False).encode("utf-8")


def metric_names(evaluations: Mapping[str, Evaluation]) -> list[str]:
    """The ``<metric>@<k>`` columns of the first evaluation's per-user table."""
    first = next(iter(evaluations.values()))
    return [c for c in first.per_user.columns if "@" in c]


def filter_columns(table: pd.DataFrame, *, prefer: str = "ndcg@10") -> tuple[list[str], int]:
    """The per-user table's filterable columns (metrics and ``overlap_share``) and the index of the first
    one ending with ``prefer`` (0 when none does)."""
    cols = [c for c in table.columns if "@" in c or c == "overlap_share"]
    return cols, next((i for i, c in enumerate(cols) if c.endswith(prefer)), 0)


def page_of(table: pd.DataFrame, page: int, rows: int = PAGE_ROWS) -> tuple[pd.DataFrame, int]:
    """One page of a table and the number of pages.

    Parameters
    ----------
    table : pandas.DataFrame
        The (filtered, sorted) table.
    page : int
        1-based page; clamped to the pages there are.
    rows : int
        Rows per page.

    Returns
    -------
    tuple
        ``(rows of that page, number of pages)`` (at least one page, empty for an empty table).

    Raises
    ------
    ConfigError
        ``rows`` is not positive.
    """
    if rows < 1:
        raise ConfigError(f"rows per page must be positive, got {rows}")
    pages = max(1, -(-len(table) // rows))
    page = min(max(int(page), 1), pages)
    return table.iloc[(page - 1) * rows : page * rows], pages
