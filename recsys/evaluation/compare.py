"""Comparing two models on the same users and the same groups, with the random baseline alongside.

For each metric, the per-unit (user or group) values of model A and model B are paired and compared
by :func:`~recsys.evaluation.stats.paired_comparison`: the mean difference, its 95% bootstrap interval
and a two-sided sign-flip permutation p-value (plus Wilcoxon's). Each model is also compared with a
random recommender's *analytic* expected value for the same unit (same relevant items, same
candidates), so "better than random" gets an interval too, with no random model run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.evaluation.evaluate import Evaluation, evaluate_model, prepare_truth
from recsys.evaluation.groups import GroupEvaluation, evaluate_groups, make_groups
from recsys.evaluation.stats import PairedResult, paired_comparison, random_expectations
from recsys.models.base import Recommender

__all__ = ["Comparison", "compare_models", "compare_groups", "random_per_user"]


@dataclass(frozen=True)
class Comparison:
    """Model A against model B (and each against random) on the same units.

    Attributes
    ----------
    names : tuple of str
        The two models' names.
    units : int
        Users (or groups) compared.
    paired : dict
        Metric -> :class:`PairedResult` of A minus B.
    random : dict
        Metric -> a random recommender's expected mean over the same units (NaN where no closed form).
    vs_random : dict
        Model name -> metric -> :class:`PairedResult` of the model minus its per-unit random expectation.
    """

    names: tuple[str, str]
    units: int
    paired: dict[str, PairedResult]
    random: dict[str, float]
    vs_random: dict[str, dict[str, PairedResult]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for ``--json``: per metric both means, the difference, its CI and p-values."""
        a, b = self.names
        metrics = {}
        for name, res in self.paired.items():
            metrics[name] = {
                a: res.mean_a,
                b: res.mean_b,
                "diff": res.diff,
                "ci": [res.ci_low, res.ci_high],
                "p_value": res.p_value,
                "p_wilcoxon": res.p_wilcoxon,
                "expected_random": self.random.get(name, float("nan")),
            }
        vs = {
            model: {
                name: {"diff": r.diff, "ci": [r.ci_low, r.ci_high], "p_value": r.p_value}
                for name, r in per_metric.items()
            }
            for model, per_metric in self.vs_random.items()
        }
        return {"units": self.units, "metrics": metrics, "vs_random": vs}


def random_per_user(per_user: pd.DataFrame, ks: Sequence[int]) -> pd.DataFrame:
    """Per-user expected metrics of a random list (from ``n_relevant`` and ``n_candidates``)."""
    out = pd.DataFrame(index=per_user.index)
    for k in ks:
        for name, values in random_expectations(
            per_user["n_relevant"].to_numpy(), per_user["n_candidates"].to_numpy(), int(k)
        ).items():
            out[name] = values
    return out


def _compare_frames(
    fa: pd.DataFrame,
    fb: pd.DataFrame,
    ra: pd.DataFrame,
    rb: pd.DataFrame,
    columns: Sequence[str],
    names: tuple[str, str],
    *,
    n_boot: int,
    n_perm: int,
    seed: int,
) -> Comparison:
    paired = {
        c: paired_comparison(fa[c].to_numpy(), fb[c].to_numpy(), n_boot=n_boot, n_perm=n_perm, seed=seed)
        for c in columns
    }
    random = {
        c: float(np.nanmean(ra[c])) if c in ra and ra[c].notna().any() else float("nan") for c in columns
    }
    vs_random: dict[str, dict[str, PairedResult]] = {}
    for name, frame, rnd in ((names[0], fa, ra), (names[1], fb, rb)):
        vs_random[name] = {
            c: paired_comparison(
                frame[c].to_numpy(), rnd[c].to_numpy(), n_boot=n_boot, n_perm=n_perm, seed=seed
            )
            for c in columns
            if c in rnd and rnd[c].notna().any()
        }
    return Comparison(names=names, units=len(fa), paired=paired, random=random, vs_random=vs_random)


def compare_models(
    model_a: Recommender,
    model_b: Recommender,
    truth: Interactions,
    *,
    names: tuple[str, str] = ("A", "B"),
    k: Sequence[int] | int = (10,),
    threshold: float = 1.0,
    exclude_seen: bool = False,
    seed: int = 0,
    n_boot: int = 1000,
    n_perm: int = 5000,
    progress: bool = False,
) -> tuple[Comparison, Evaluation, Evaluation]:
    """Compare two models user by user.

    Parameters
    ----------
    model_a, model_b : Recommender
        Trained on the same training data (same users and tracks).
    truth : Interactions
        The validation or test split.
    names : tuple of str
        Labels of the two models in the output.
    k, threshold, exclude_seen, seed, n_boot, progress
        As in :func:`~recsys.evaluation.evaluate.evaluate_model`.
    n_perm : int
        Sign flips of the permutation test.

    Returns
    -------
    tuple
        The :class:`Comparison` and both models' :class:`Evaluation`.
    """
    if names[0] == names[1]:
        raise ConfigError(f"the two models need different names, got {names[0]!r} twice")
    opts = dict(
        k=k, threshold=threshold, exclude_seen=exclude_seen, seed=seed, n_boot=n_boot, progress=progress
    )
    ea = evaluate_model(model_a, truth, **opts)
    eb = evaluate_model(model_b, truth, **opts)
    keys = ["user_id", "n_relevant", "n_candidates"]
    merged = ea.per_user.merge(eb.per_user, on=keys, suffixes=("_a", "_b"))
    if merged.empty:
        raise ConfigError("the two models share no evaluated user: were they trained on the same data?")
    columns = [c for c in ea.per_user.columns if c not in keys]
    fa = merged[keys + [f"{c}_a" for c in columns]].set_axis(keys + columns, axis=1)
    fb = merged[keys + [f"{c}_b" for c in columns]].set_axis(keys + columns, axis=1)
    rnd = random_per_user(fa, ea.k)
    comp = _compare_frames(fa, fb, rnd, rnd, columns, names, n_boot=n_boot, n_perm=n_perm, seed=seed)
    return comp, ea, eb


def compare_groups(
    model_a: Recommender,
    model_b: Recommender,
    truth: Interactions,
    *,
    names: tuple[str, str] = ("A", "B"),
    n_groups: int = 1000,
    size: int = 5,
    kind: str = "random",
    k: Sequence[int] | int = (10,),
    strategy: str = "average",
    threshold: float = 1.0,
    exclude_seen: bool = False,
    seed: int = 0,
    n_boot: int = 1000,
    n_perm: int = 5000,
    progress: bool = False,
    protocol: str = "coupled",
) -> tuple[Comparison, GroupEvaluation, GroupEvaluation]:
    """Compare two models on the same groups (drawn once, from model A's training users).

    Random expectations are per group for group precision, the members' mean NDCG and recall, the
    zero-recall share and the discounted first hit (the minima and the ratios have no closed form and
    are compared between the models only). ``protocol`` is that of
    :func:`~recsys.evaluation.groups.evaluate_groups`: ``decoupled`` judges each model's list by that
    model's own ranking of each member, so the comparison is of what aggregating costs under each model.

    Returns
    -------
    tuple
        The :class:`Comparison` and both models' :class:`GroupEvaluation`.
    """
    train = model_a._fitted()
    other = model_b._fitted()
    if not (
        np.array_equal(train.user_ids, other.user_ids) and np.array_equal(train.item_ids, other.item_ids)
    ):
        raise ConfigError("group comparison needs two models trained on the same users and tracks")
    data = prepare_truth(train, truth, threshold=threshold, exclude_seen=exclude_seen)
    groups = make_groups(data.rows, n_groups, size, kind=kind, seed=seed, matrix=train.matrix)
    opts = dict(
        k=k,
        strategy=strategy,
        threshold=threshold,
        exclude_seen=exclude_seen,
        seed=seed,
        n_boot=n_boot,
        groups=groups,
        progress=progress,
        protocol=protocol,
    )
    ga = evaluate_groups(model_a, truth, kind=kind, **opts)
    gb = evaluate_groups(model_b, truth, kind=kind, **opts)
    columns = list(ga.summary.index)
    ra = ga.random_per_group  # same groups, same candidates: the same expectations for B
    comp = _compare_frames(
        ga.per_group, gb.per_group, ra, ra, columns, names, n_boot=n_boot, n_perm=n_perm, seed=seed
    )
    return comp, ga, gb
