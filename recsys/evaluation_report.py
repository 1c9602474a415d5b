"""The Evaluate page's tables: models evaluated side by side, the per-user table, comparisons.

Built on :func:`recsys.evaluation.evaluate.evaluate_model` (per-user metrics, bootstrap intervals and
the analytic random baseline) and :func:`recsys.evaluation.stats.paired_comparison`; this module only
joins, filters and lays out their results for the dashboard, and is tested on hand-made tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recsys.errors import ConfigError

__all__ = [
    "SPLITS",
    "REGIMES",
    "MetricCard",
    "evaluate_models",
    "metric_cards",
    "per_user_table",
    "filter_per_user",
    "metric_long",
    "paired",
    "against_random",
    "per_user_csv",
]

SPLITS = ("val", "test")
REGIMES = {"all tracks": False, "discovery": True}
"""Regime label -> ``exclude_seen``."""


def evaluate_models(
    models: Mapping[str, Any],
    prepared: Any,
    *,
    split: str = "val",
    k: Sequence[int] = (5, 10, 30),
    threshold: float = 1.0,
    exclude_seen: bool = False,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Evaluate each model on a split of the prepared data.

    Parameters
    ----------
    models : mapping
        Name -> trained model.
    prepared : recsys.pipeline.Prepared
        The data; the truth is ``prepared.matrix(split, like=model.train)``.
    split : {"val", "test"}
        The split to evaluate on.
    k, threshold, exclude_seen, n_boot, seed
        As :func:`recsys.evaluation.evaluate.evaluate_model`.

    Returns
    -------
    dict
        Name -> :class:`~recsys.evaluation.evaluate.Evaluation`, in the order given.

    Raises
    ------
    ConfigError
        An unknown split, or no models.
    """
    from recsys.evaluation.evaluate import evaluate_model

    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; choose one of {list(SPLITS)}")
    if not models:
        raise ConfigError("choose at least one model to evaluate")
    out = {}
    for name, model in models.items():
        truth = prepared.matrix(split, like=model._fitted())
        out[name] = evaluate_model(
            model, truth, k=tuple(k), threshold=threshold, exclude_seen=exclude_seen, n_boot=n_boot, seed=seed
        )
    return out


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


def metric_cards(evaluations: Mapping[str, Any], metrics: Sequence[str]) -> list[MetricCard]:
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
    evaluations: Mapping[str, Any], overlap: pd.DataFrame | None = None, metrics: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per user: each model's metrics side by side, with the user's train/validation overlap.

    Parameters
    ----------
    evaluations : mapping
        Name -> Evaluation.
    overlap : pandas.DataFrame, optional
        :func:`recsys.exploration.user_overlap` (``user_id, val_tracks, seen_in_train, share``).
    metrics : sequence of str, optional
        Metric columns to keep (default: all of them).

    Returns
    -------
    pandas.DataFrame
        ``user_id``, ``n_relevant`` (of the first model), then ``<model> <metric>`` columns (just
        ``<metric>`` with one model), then ``val_tracks, seen_in_train, overlap_share``; users evaluated
        by any model, sorted by id.
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
        ov = overlap[["user_id", "val_tracks", "seen_in_train", "share"]]
        ov = ov.rename(columns={"share": "overlap_share"})
        table = table.merge(ov, on="user_id", how="left")
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


def metric_long(evaluations: Mapping[str, Any], metric: str) -> pd.DataFrame:
    """``model, user_id, value`` of one metric for every model (for distribution charts)."""
    parts = [
        pd.DataFrame({"model": name, "user_id": ev.per_user["user_id"], "value": ev.per_user[metric]})
        for name, ev in evaluations.items()
        if metric in ev.per_user
    ]
    if not parts:
        return pd.DataFrame(columns=["model", "user_id", "value"])
    return pd.concat(parts, ignore_index=True)


def paired(a: Any, b: Any, metric: str, *, seed: int = 0) -> Any:
    """Paired comparison of two evaluations on the users both evaluated.

    Returns
    -------
    recsys.evaluation.stats.PairedResult
        ``diff = mean(a - b)`` with its bootstrap interval and permutation / Wilcoxon p-values.
    """
    from recsys.evaluation.stats import paired_comparison

    joined = a.per_user[["user_id", metric]].merge(b.per_user[["user_id", metric]], on="user_id")
    return paired_comparison(
        joined[f"{metric}_x"].to_numpy(), joined[f"{metric}_y"].to_numpy(), seed=seed
    )


def against_random(evaluations: Mapping[str, Any], metric: str) -> pd.DataFrame:
    """Every model against a random recommender's analytic expectation on the same users.

    Returns
    -------
    pandas.DataFrame
        ``model, mean, ci_low, ci_high, random, lift, above_random`` (the interval's low end above the
        random expectation).
    """
    rows = []
    for card in metric_cards(evaluations, [metric]):
        rows.append(
            {
                "model": card.model,
                "mean": card.mean,
                "ci_low": card.ci_low,
                "ci_high": card.ci_high,
                "random": card.random,
                "lift": card.lift,
                "above_random": bool(card.ci_low > card.random),
            }
        )
    columns = ["model", "mean", "ci_low", "ci_high", "random", "lift", "above_random"]
    return pd.DataFrame(rows, columns=columns)


def per_user_csv(table: pd.DataFrame) -> bytes:
    """The per-user table as UTF-8 CSV bytes."""
    return table.to_csv(index=False).encode("utf-8")
