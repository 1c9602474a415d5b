"""Evaluations of saved models: the computations the Evaluate page runs and caches per data version.

Each function takes the prepared data first and only hashable arguments after it (model file paths, their
versions, the split and settings), so the dashboard can cache it with ``ui.cached``; the file versions
only key that cache, so a rewritten model file is evaluated again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.app.workspace import load_model
from recsys.data.prepared import Prepared
from recsys.errors import ConfigError
from recsys.evaluation.beyond import beyond_accuracy, track_genre_matrix
from recsys.evaluation.evaluate import Evaluation, evaluate_model
from recsys.evaluation.group_metrics import MEMBER_METRICS
from recsys.evaluation.groups import evaluate_groups
from recsys.models import Recommender

__all__ = [
    "GROUP_COLUMNS",
    "REGIMES",
    "SPLITS",
    "beyond_table",
    "beyond_table_of",
    "evaluable_models",
    "evaluate_models",
    "evaluate_saved",
    "group_protocol",
]

GROUP_COLUMNS = MEMBER_METRICS
"""The per-member group metrics :func:`group_protocol` reports after group precision."""
SPLITS = ("val", "test")
"""The splits a model can be evaluated on (training is what it learned from)."""
REGIMES = {"all tracks": False, "discovery": True}
"""Regime label -> ``exclude_seen``."""


def evaluate_models(
    models: Mapping[str, Recommender],
    prepared: Prepared,
    *,
    split: str = "val",
    k: Sequence[int] = (5, 10, 30),
    threshold: float = 1.0,
    exclude_seen: bool = False,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Evaluation]:
    """Evaluate each model on a split of the prepared data.

    Parameters
    ----------
    models : mapping
        Name -> trained model.
    prepared : recsys.data.prepared.Prepared
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



def evaluate_saved(
    prepared: Prepared,
    paths: tuple[str, ...],
    versions: tuple[int, ...],
    split: str = "val",
    k: tuple[int, ...] = (5, 10, 30),
    threshold: float = 1.0,
    exclude_seen: bool = False,
) -> dict[str, Evaluation]:
    """:func:`evaluate_models` of saved model files (named by file stem).

    ``versions`` (the files' modification times) only key the dashboard's cache: a rewritten file is
    evaluated again.
    """
    models = {Path(p).stem: load_model(p) for p in paths}
    return evaluate_models(models, prepared, split=split, k=k, threshold=threshold, exclude_seen=exclude_seen)


def group_protocol(
    prepared: Prepared,
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
    protocol: str = "coupled",
) -> pd.DataFrame:
    """The notebook's group protocol for saved models, on the same groups where the models allow.

    ``protocol`` is :func:`recsys.evaluation.groups.evaluate_groups`'s: ``coupled`` judges the lists by
    held-out plays, ``decoupled`` by each member's own ranking.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model, groups, precision@k`` (group precision: relevant = union of the
        members'), then the members' view of the list (:data:`GROUP_COLUMNS`: ``ndcg_mean@k``,
        ``ndcg_min@k`` (the worst-served member), ``ndcg_minmax@k``, ``ndcg_jain@k``, ``recall_mean@k``,
        ``recall_min@k``, ``zero_recall@k``, ``dfh@k``), each with ``<col> ci_low`` / ``<col> ci_high``,
        and ``random precision@k``.
    """
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
            groups=shared if same else None, n_boot=300, protocol=protocol,
        )
        if first_users is None:
            first_users, shared = train.user_ids, ge.groups
        row: dict[str, str | int | float] = {"model": Path(path).stem, "groups": len(ge.per_group)}
        for col in (f"{name}@{k}" for name in ("precision", *GROUP_COLUMNS)):
            s = ge.summary.loc[col]
            row[col] = float(s["mean"])
            row[f"{col} ci_low"] = float(s["ci_low"])
            row[f"{col} ci_high"] = float(s["ci_high"])
        row[f"random precision@{k}"] = float(ge.summary.loc[f"precision@{k}", "random"])
        rows.append(row)
    return pd.DataFrame(rows)


def beyond_table(prepared: Prepared, evaluations: Mapping[str, Evaluation]) -> pd.DataFrame:
    """Beyond-accuracy figures of each model's evaluated top lists.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model, coverage, novelty, avg_popularity, diversity`` (genre intra-list
        diversity), from :func:`recsys.evaluation.beyond.beyond_accuracy`.
    """
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
    prepared: Prepared,
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


def evaluable_models(table: pd.DataFrame, *, matching_only: bool = False) -> list[str]:
    """Names of the saved models that can be evaluated: readable files, optionally only those trained on
    the data in use.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`recsys.app.model_catalog.catalog_table` (``name``, ``error``, ``matches_data``).
    matching_only : bool
        Keep only models whose fingerprint matches the data (``matches_data``).

    Returns
    -------
    list of str
        In the table's order.
    """
    if table.empty:
        return []
    keep = table["error"].isna()
    if matching_only:
        keep &= table["matches_data"].fillna(False).astype(bool)
    return table.loc[keep, "name"].tolist()
