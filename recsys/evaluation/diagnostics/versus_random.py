"""Rankings against random: the popularity list's and the best trained model's NDCG@k, with a CI.

Neither is a personal check (popularity needs no user; a model is a property of training, not of the
data), so both are reported beside the verdict. Random's NDCG@k is its exact expectation per user
(:func:`recsys.evaluation.stats.random_expectations`), and the CI is over users of the paired difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.errors import ConfigError
from recsys.evaluation.diagnostics.check import Check, _boot_weights, _check_boot, _ci
from recsys.evaluation.diagnostics.ids import positions
from recsys.evaluation.evaluate import evaluate_model
from recsys.evaluation.metrics import ndcg_at_k
from recsys.evaluation.stats import random_expectations

if TYPE_CHECKING:
    from recsys.data.prepared import Prepared
    from recsys.models.base import Recommender

__all__ = ["popularity_vs_random", "best_model_vs_random"]


def popularity_vs_random(
    train: pd.DataFrame,
    val: pd.DataFrame,
    catalogue: Sequence,
    *,
    k: int = 10,
    threshold: float = 1.0,
    seed: int = 0,
    n_boot: int = 300,
) -> Check:
    """NDCG@k of the most-played training tracks against a random ranking's expected NDCG@k.

    Parameters
    ----------
    train, val : DataFrame
        ``user_id``, ``track_id``, ``score`` pairs; relevant = validation ``score >= threshold``.
    catalogue : sequence
        Every track id that can be recommended.
    k : int
        List length.
    threshold : float
        Relevance threshold on the validation score.
    seed, n_boot : int
        Bootstrap over users of the paired difference.

    Returns
    -------
    Check
        ``figure`` = mean NDCG@k of popularity (all-tracks regime), ``baseline`` = random's expected
        NDCG@k (exact), ``effect`` their difference. Not a personal check: it shows what popularity
        alone is worth.
    """
    _check_boot(n_boot)
    rng = np.random.default_rng(seed)
    items = pd.Index(pd.unique(np.asarray(catalogue, dtype=object)))
    rel = val[val["score"] >= threshold]
    rel_pos = positions(items, rel["track_id"])
    rel, rel_pos = rel[rel_pos >= 0], rel_pos[rel_pos >= 0]
    users = pd.Index(pd.unique(rel["user_id"]))
    if len(users) < 2 or len(items) < k:
        return Check.unavailable(
            "popularity_vs_random", personal=False, meaning="too few users with relevant validation tracks"
        )
    heard = positions(items, train.loc[train["score"] > 0, "track_id"])
    pop = np.bincount(heard[heard >= 0], minlength=len(items)).astype(np.float64)
    top = np.argsort(-pop, kind="stable")[:k]
    top = np.broadcast_to(top, (len(users), k))
    R = sp.csr_matrix(
        (np.ones(len(rel)), (users.get_indexer(rel["user_id"]), rel_pos)),
        shape=(len(users), len(items)),
    )
    R.data[:] = 1.0
    nd = np.asarray(ndcg_at_k(top, R, k), dtype=np.float64)
    n_rel = np.asarray(R.sum(axis=1)).ravel().astype(np.int64)
    rnd = random_expectations(n_rel, np.full(len(n_rel), len(items)), k)[f"ndcg@{k}"]
    W = _boot_weights(rng, len(users), n_boot)
    fig_boot = W @ nd / len(users)
    eff_boot = W @ (nd - rnd) / len(users)
    fig, base = float(nd.mean()), float(rnd.mean())
    effect_ci = _ci(eff_boot)
    return Check.measured(
        "popularity_vs_random",
        figure=fig,
        ci=_ci(fig_boot),
        baseline=base,
        effect_ci=effect_ci,
        personal=False,
        meaning=f"the {k} most-played tracks reach NDCG@{k} {fig:.4f} against random's {base:.4f}",
        details={"users": len(users), "k": k, "threshold": threshold,
                 "sample": f"every user with a relevant validation track ({len(users):,})"},
        tables={"users": pd.DataFrame({"user_id": users.to_numpy(), "ndcg": nd, "random": rnd})},
    )


def best_model_vs_random(
    models: Mapping[str, Recommender],
    prepared: Prepared,
    *,
    k: int = 10,
    threshold: float = 1.0,
    seed: int = 0,
    n_boot: int = 300,
) -> Check:
    """The best of trained ``models`` on the validation split against a random ranking, with a CI.

    Each model is evaluated on every trained user with a relevant validation track (all-tracks regime,
    :func:`recsys.evaluation.evaluate_model`); the one with the highest mean NDCG@k is compared, user by
    user, with the exact expected NDCG@k of a random list over the same candidates.

    Parameters
    ----------
    models : mapping of str to Recommender
        Trained models by name.
    prepared : Prepared
        The data the models were trained on (``matrix("val", like=...)`` is used).
    k, threshold : int, float
        List length and relevance threshold on the validation score.
    seed, n_boot : int
        Bootstrap over users of the paired difference.

    Returns
    -------
    Check
        ``figure`` = the best model's mean NDCG@k, ``baseline`` = random's, ``details["model"]`` its name
        and ``details["ndcg"]`` every model's figure. Not a personal check.
    """
    _check_boot(n_boot)
    if not models:
        raise ConfigError("best_model_vs_random needs at least one model")
    col = f"ndcg@{k}"
    tables: dict[str, pd.DataFrame] = {}
    for name, model in models.items():
        truth = prepared.matrix("val", like=model.train)
        ev = evaluate_model(model, truth, k=(k,), threshold=threshold, n_boot=10, seed=seed)
        tables[name] = ev.per_user
    if all(t.empty for t in tables.values()):
        # No trained user of any model has a relevant validation track here (a model trained on other
        # data): nothing to compare, and a mean over no users is not a figure.
        return Check.unavailable(
            "model_vs_random",
            personal=False,
            meaning="no user of the models has a relevant validation track in this data "
            "(were they trained on another dataset?)",
        )
    tables = {name: t for name, t in tables.items() if not t.empty}
    figures = {name: float(t[col].mean()) for name, t in tables.items()}
    best = max(figures, key=lambda name: (figures[name], name))
    per_user = tables[best]
    nd = per_user[col].to_numpy(dtype=np.float64)
    rnd = random_expectations(per_user["n_relevant"].to_numpy(), per_user["n_candidates"].to_numpy(), k)[col]
    W = _boot_weights(np.random.default_rng(seed), len(nd), n_boot)
    fig, base = float(nd.mean()), float(rnd.mean())
    effect_ci = _ci(W @ (nd - rnd) / len(nd))
    return Check.measured(
        "model_vs_random",
        figure=fig,
        ci=_ci(W @ nd / len(nd)),
        baseline=base,
        effect_ci=effect_ci,
        personal=False,
        meaning=f"the best model, {best}, reaches NDCG@{k} {fig:.4f} against random's {base:.4f}",
        details={"model": best, "ndcg": figures, "users": len(nd), "k": k, "threshold": threshold,
                 "sample": f"every trained user with a relevant validation track ({len(nd):,})"},
        tables={
            "users": pd.DataFrame({"user_id": per_user["user_id"].to_numpy(), "ndcg": nd, "random": rnd})
        },
    )
