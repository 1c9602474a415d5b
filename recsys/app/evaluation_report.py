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
    "evaluate_saved",
    "group_protocol",
    "beyond_table",
    "beyond_table_of",
    "metric_names",
    "lift_text",
    "comparison_sentence",
    "filter_columns",
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
    prepared : recsys.data.prepare.Prepared
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


# -- what the page caches ------------------------------------------------------------------------------
def evaluate_saved(
    prepared: Any,
    paths: tuple[str, ...],
    versions: tuple[int, ...],
    split: str = "val",
    k: tuple[int, ...] = (5, 10, 30),
    threshold: float = 1.0,
    exclude_seen: bool = False,
) -> dict[str, Any]:
    """:func:`evaluate_models` of saved model files (named by file stem).

    ``versions`` (the files' modification times) only key the dashboard's cache: a rewritten file is
    evaluated again.
    """
    from pathlib import Path

    from recsys.models import load_model

    models = {Path(p).stem: load_model(p) for p in paths}
    return evaluate_models(models, prepared, split=split, k=k, threshold=threshold, exclude_seen=exclude_seen)


def group_protocol(
    prepared: Any,
    paths: tuple[str, ...],
    versions: tuple[int, ...],
    split: str = "val",
    kind: str = "random",
    size: int = 5,
    n_groups: int = 200,
    k: int = 10,
    strategy: str = "average",
    threshold: float = 1.0,
    exclude_seen: bool = False,
) -> pd.DataFrame:
    """The notebook's group protocol for saved models, on the same groups where the models allow.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model, groups, precision@k`` (group precision: relevant = union of the
        members'), ``ndcg_mean@k``, ``ndcg_min@k`` (fairness: the worst-served member), each with
        ``<col> ci_low`` / ``<col> ci_high``, and ``random precision@k``.
    """
    from pathlib import Path

    from recsys.evaluation.groups import evaluate_groups
    from recsys.models import load_model

    rows = []
    shared = None
    first_users = None
    for path in paths:
        model = load_model(path)
        train = model._fitted()
        same = first_users is not None and np.array_equal(train.user_ids, first_users)
        ge = evaluate_groups(
            model, prepared.matrix(split, like=train), n_groups=n_groups, size=size, kind=kind, k=(k,),
            strategy=strategy, threshold=threshold, exclude_seen=exclude_seen,
            groups=shared if same else None, n_boot=300,
        )
        if first_users is None:
            first_users, shared = train.user_ids, ge.groups
        row: dict[str, Any] = {"model": Path(path).stem, "groups": len(ge.per_group)}
        for col in (f"precision@{k}", f"ndcg_mean@{k}", f"ndcg_min@{k}"):
            s = ge.summary.loc[col]
            row[col] = float(s["mean"])
            row[f"{col} ci_low"] = float(s["ci_low"])
            row[f"{col} ci_high"] = float(s["ci_high"])
        row[f"random precision@{k}"] = float(ge.summary.loc[f"precision@{k}", "random"])
        rows.append(row)
    return pd.DataFrame(rows)


def beyond_table(prepared: Any, evaluations: Mapping[str, Any]) -> pd.DataFrame:
    """Beyond-accuracy figures of each model's evaluated top lists.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model, coverage, novelty, avg_popularity, diversity`` (genre intra-list
        diversity), from :func:`recsys.evaluation.beyond.beyond_accuracy`.
    """
    from recsys.evaluation.beyond import beyond_accuracy, track_genre_matrix

    train = prepared.matrix("train")
    popularity = train.item_popularity()
    genres = track_genre_matrix(prepared.tracks, train.item_ids)
    rows = []
    for name, ev in evaluations.items():
        figures = beyond_accuracy(ev.top, n_items=train.n_items, popularity=popularity, n_users=train.n_users,
                                  genres=genres)
        rows.append({"model": name, **figures})
    return pd.DataFrame(rows)


def beyond_table_of(
    prepared: Any,
    paths: tuple[str, ...],
    versions: tuple[int, ...],
    split: str = "val",
    k: tuple[int, ...] = (5, 10, 30),
    threshold: float = 1.0,
    exclude_seen: bool = False,
) -> pd.DataFrame:
    """:func:`beyond_table` of saved models' evaluated lists (see :func:`evaluate_saved`)."""
    evaluations = evaluate_saved(prepared, paths, versions, split, k, threshold, exclude_seen)
    return beyond_table(prepared, evaluations)


def metric_names(evaluations: Mapping[str, Any]) -> list[str]:
    """The ``<metric>@<k>`` columns of the first evaluation's per-user table."""
    first = next(iter(evaluations.values()))
    return [c for c in first.per_user.columns if "@" in c]


def lift_text(card: MetricCard) -> str | None:
    """``"x3.2 random"`` for a card, or ``None`` when the random expectation is unknown or zero."""
    return f"x{card.lift:.1f} random" if np.isfinite(card.lift) else None


def comparison_sentence(result: Any, a: str, b: str, metric: str, *, alpha: float = 0.05) -> str:
    """A plain-language reading of ``paired(b, a)``: which model is better, by how much, how sure."""
    if result.n == 0:
        return f"No user was evaluated by both {a} and {b}."
    better, worse = (b, a) if result.diff > 0 else (a, b)
    if result.ci_low > 0 or result.ci_high < 0:
        return (
            f"**{better}** beats **{worse}** on {metric} by {abs(result.diff):.4f} on average over "
            f"{result.n:,} users (95% CI of {b} − {a}: [{result.ci_low:+.4f}, {result.ci_high:+.4f}], "
            f"p = {result.p_value:.2g}): a real difference."
        )
    return (
        f"No clear difference on {metric}: {b} − {a} = {result.diff:+.4f}, 95% CI "
        f"[{result.ci_low:+.4f}, {result.ci_high:+.4f}] includes 0 (p = {result.p_value:.2g}, "
        f"{result.n:,} users)."
    )


def filter_columns(table: pd.DataFrame, *, prefer: str = "ndcg@10") -> tuple[list[str], int]:
    """The per-user table's filterable columns (metrics and ``overlap_share``) and the index of the first
    one ending with ``prefer`` (0 when none does)."""
    cols = [c for c in table.columns if "@" in c or c == "overlap_share"]
    return cols, next((i for i, c in enumerate(cols) if c.endswith(prefer)), 0)
