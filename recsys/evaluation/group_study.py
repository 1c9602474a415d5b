"""The group-kinds study: how each strategy and model serves random, similar, divergent and "one
outlier" groups of every size.

For each group kind and size, groups are drawn once (seeded) from the users with held-out relevant
tracks and shared by every model and strategy, so differences between cells are paired. Each model
scores each group's members once and every strategy builds its list from those scores
(:func:`~recsys.evaluation.group_lists.build_group_lists`); the lists are scored under one protocol
(coupled: held-out plays; decoupled: each member's own ranking). Per cell the result holds each
metric's mean over the groups and its 95% bootstrap interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.evaluation.evaluate import prepare_truth
from recsys.evaluation.group_lists import PROTOCOLS, build_group_lists, score_group_lists
from recsys.evaluation.groups import GROUP_KINDS, make_groups
from recsys.evaluation.stats import bootstrap_cis
from recsys.models.base import Recommender
from recsys.models.group import STRATEGIES

__all__ = ["STUDY_COLUMNS", "STUDY_SIZES", "group_kinds_study"]

STUDY_SIZES: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8)
"""Group sizes of the study by default."""

STUDY_COLUMNS: tuple[str, ...] = (
    "model", "strategy", "kind", "size", "metric", "mean", "ci_low", "ci_high", "groups",
)
"""Columns of :func:`group_kinds_study`'s table."""

Progress = Callable[[float, str], None]
"""``progress(done_share, what)``: ``done_share`` in ``[0, 1]``."""


def group_kinds_study(
    models: Mapping[str, Recommender],
    truth: Mapping[str, Interactions] | Interactions,
    *,
    kinds: Sequence[str] = GROUP_KINDS,
    sizes: Sequence[int] = STUDY_SIZES,
    strategies: Sequence[str] = STRATEGIES,
    metrics: Sequence[str] = ("ndcg_min", "zero_recall"),
    n_groups: int = 100,
    k: int = 10,
    threshold: float = 1.0,
    exclude_seen: bool = False,
    protocol: str = "coupled",
    seed: int = 0,
    n_boot: int = 500,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Every strategy of every model on every group kind and size, with 95% intervals.

    Parameters
    ----------
    models : mapping
        Name -> trained model; all trained on the same users and tracks (the groups are shared).
    truth : Interactions or mapping
        The held-out split (laid on the models' indices), or name -> each model's.
    kinds : sequence of str
        Group kinds (:data:`recsys.evaluation.groups.GROUP_KINDS`).
    sizes : sequence of int
        Group sizes.
    strategies : sequence of str
        Aggregation strategies (:data:`recsys.models.group.STRATEGIES`).
    metrics : sequence of str
        Per-group metrics without the cut-off (``"ndcg_min"``, ``"zero_recall"``, ``"precision"`` or
        any of :data:`recsys.evaluation.group_metrics.MEMBER_METRICS`).
    n_groups : int
        Groups per kind and size.
    k : int
        Cut-off (list length).
    threshold : float
        Relevance threshold of the held-out scores.
    exclude_seen : bool
        Discovery regime.
    protocol : {"coupled", "decoupled"}
        See :mod:`recsys.evaluation.group_lists`.
    seed : int
        Seed of the group draws (kind and size ``j`` use ``seed + j``) and of the bootstrap.
    n_boot : int
        Bootstrap resamples per interval.
    progress : callable, optional
        Called after each kind and size with the share done and what was done.

    Returns
    -------
    pandas.DataFrame
        :data:`STUDY_COLUMNS`: one row per model, strategy, kind, size and metric (``metric`` named
        with its cut-off, e.g. ``ndcg_min@10``).

    Raises
    ------
    ConfigError
        No models, models on different users or tracks, an unknown kind, strategy, metric or protocol,
        or a size below 1.
    """
    start = time.perf_counter()
    _check(models, kinds, sizes, strategies, protocol, n_groups, k)
    names = list(models)
    first = models[names[0]]._fitted()
    for name in names[1:]:
        other = models[name]._fitted()
        if not (np.array_equal(first.user_ids, other.user_ids)
                and np.array_equal(first.item_ids, other.item_ids)):
            raise ConfigError(f"model {name!r} was trained on other users or tracks than {names[0]!r}")
    truths = {n: truth[n] if isinstance(truth, Mapping) else truth for n in names}
    data = {n: prepare_truth(models[n]._fitted(), truths[n], threshold=threshold, exclude_seen=exclude_seen)
            for n in names}
    wanted = [f"{m}@{k}" for m in metrics]
    rows: list[dict] = []
    cells = [(kind, int(size)) for kind in kinds for size in sizes]
    for j, (kind, size) in enumerate(cells):
        candidates = data[names[0]].rows
        groups = make_groups(candidates, n_groups, size, kind=kind, seed=seed + j, matrix=first.matrix)
        for name in names:
            lists = build_group_lists(models[name], groups, list(strategies), k, exclude_seen=exclude_seen,
                                      own=protocol == "decoupled")
            for strategy in strategies:
                scored = score_group_lists(lists, strategy, (k,), protocol=protocol,
                                           relevant=data[name].relevant)
                missing = [w for w in wanted if w not in scored.columns]
                if missing:
                    known = [c.split("@")[0] for c in scored.columns]
                    raise ConfigError(f"unknown group metric {missing[0]!r}: choose from {known}")
                values = np.column_stack([scored.columns[w] for w in wanted])
                ci = bootstrap_cis(values, n_boot=n_boot, seed=seed)
                for col, metric in enumerate(wanted):
                    rows.append({
                        "model": name, "strategy": strategy, "kind": kind, "size": size, "metric": metric,
                        "mean": float(values[:, col].mean()), "ci_low": float(ci[col, 0]),
                        "ci_high": float(ci[col, 1]), "groups": len(groups),
                    })
        if progress is not None:
            progress((j + 1) / len(cells), f"{kind} groups of {size}")
    out = pd.DataFrame(rows, columns=list(STUDY_COLUMNS))
    out.attrs["seconds"] = time.perf_counter() - start
    out.attrs["protocol"] = protocol
    return out


def _check(
    models: Mapping[str, Recommender],
    kinds: Sequence[str],
    sizes: Sequence[int],
    strategies: Sequence[str],
    protocol: str,
    n_groups: int,
    k: int,
) -> None:
    if not models:
        raise ConfigError("choose at least one model for the group study")
    for kind in kinds:
        if kind not in GROUP_KINDS:
            raise ConfigError(f"unknown group kind {kind!r}: choose from {', '.join(GROUP_KINDS)}")
    for strategy in strategies:
        if strategy not in STRATEGIES:
            raise ConfigError(f"unknown strategy {strategy!r}: choose from {', '.join(STRATEGIES)}")
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown group protocol {protocol!r}: choose one of {', '.join(PROTOCOLS)}")
    if not kinds or not sizes or not strategies:
        raise ConfigError("the group study needs at least one kind, one size and one strategy")
    bad = [s for s in sizes if int(s) < 1]
    if bad:
        raise ConfigError(f"group sizes must be at least 1, got {bad[0]}")
    if n_groups < 1 or k < 1:
        raise ConfigError(f"need a group and a cut-off of at least 1, got {n_groups} groups, k={k}")
