"""The exact pruned top-k of factor models: the same lists as scoring every track."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.evaluation import evaluate_model
from recsys.evaluation.factor_topk import FactorIndex, factor_index
from recsys.evaluation.ranking import top_k
from recsys.models import create_model
from tests.evaluation.conftest import FixedModel


def _factors(seed: int, n_users: int, n_items: int, *, ties: bool, bias: bool):
    """Skewed track norms (popular tracks have large factors), optionally integer-valued (exact ties)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_users, 8))
    y = rng.normal(size=(n_items, 8)) * rng.pareto(2.0, size=(n_items, 1))
    if ties:
        x, y = np.round(x * 2), np.round(y * 2)
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    if not bias:
        return t(x), t(y), None, None
    return t(x), t(y), t(rng.normal(size=n_users)), t(np.round(rng.normal(size=n_items)))


def _dense(x, y, bu, bi, rows, k, exclude):
    scores = (x[rows] @ y.T).numpy()
    if bu is not None:
        scores = scores + bu[rows].numpy()[:, None] + bi.numpy()[None, :]
    return top_k(scores, k, exclude)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("k", [1, 10, 30])
def test_same_lists_as_scoring_every_track(ties, bias, k) -> None:
    x, y, bu, bi = _factors(k + 3 * ties + 7 * bias, 120, 3000, ties=ties, bias=bias)
    rng = np.random.default_rng(1)
    rows = np.sort(rng.choice(120, 90, replace=False))
    exclude = sp.csr_matrix(rng.random((90, 3000)) < 0.05)
    for first in (16, 200, None):  # doublings from 16 tracks up, one pass of 1/16, the default
        index = FactorIndex.build(x, y, bu, bi, first=first)
        assert index.top_k(rows, k, exclude).tolist() == _dense(x, y, bu, bi, rows, k, exclude).tolist()
        assert index.top_k(rows, k).tolist() == _dense(x, y, bu, bi, rows, k, None).tolist()


def test_users_with_few_candidates_and_a_list_longer_than_the_catalogue() -> None:
    x, y, _, _ = _factors(0, 4, 40, ties=False, bias=False)
    exclude = np.zeros((4, 40), dtype=bool)
    exclude[1, 3:] = True  # three tracks left
    exclude[2] = True  # none left
    index = FactorIndex.build(x, y, first=8)
    rows = np.arange(4)
    for k in (5, 45):
        got = index.top_k(rows, k, sp.csr_matrix(exclude))
        assert got.tolist() == _dense(x, y, None, None, rows, k, sp.csr_matrix(exclude)).tolist()
        assert (got[1, 3:] == -1).all() and (got[2] == -1).all()


def test_bad_arguments() -> None:
    x, y, _, _ = _factors(0, 3, 20, ties=False, bias=False)
    index = FactorIndex.build(x, y)
    with pytest.raises(ConfigError, match="k must be at least 1"):
        index.top_k(np.arange(2), 0)
    with pytest.raises(ConfigError, match="exclude has shape"):
        index.top_k(np.arange(2), 3, sp.csr_matrix((3, 20)))
    with pytest.raises(ConfigError, match="both biases"):
        FactorIndex.build(x, y, torch.zeros(3), None)
    with pytest.raises(ConfigError, match="first"):
        FactorIndex.build(x, y, first=0)


def test_only_factor_models_have_an_index() -> None:
    assert factor_index(FixedModel(np.zeros((2, 3)))) is None
    assert factor_index(object()) is None


@pytest.mark.parametrize("exclude_seen", [False, True])
def test_wmf_evaluation_pruned_equals_scoring_every_track(exclude_seen) -> None:
    """A trained WMF on a 2,000-track catalogue: the pruned lists and metrics are the dense ones."""
    rng = np.random.default_rng(4)
    n_users, n_items = 150, 2000
    pop = rng.pareto(1.2, size=n_items) + 0.01
    rows, cols = [], []
    for u in range(n_users):
        picked = rng.choice(n_items, size=25, replace=False, p=pop / pop.sum())
        rows += [u] * 25
        cols += picked.tolist()
    scores = rng.integers(1, 4, size=len(rows)).astype(np.float32)
    rows, cols = np.array(rows), np.array(cols)
    out = rng.random(len(rows)) < 0.3
    shape = (n_users, n_items)
    train_m = sp.csr_matrix((scores[~out], (rows[~out], cols[~out])), shape=shape)
    held = sp.csr_matrix((scores[out], (rows[out], cols[out])), shape=shape)
    ids = np.arange(n_users), np.arange(n_items)
    train = Interactions(matrix=train_m, user_ids=ids[0], item_ids=ids[1])
    truth = Interactions(matrix=held, user_ids=ids[0], item_ids=ids[1])
    for bias in (False, True):
        model = create_model("wmf", epochs=4, bias=bias).fit(train)
        fast = evaluate_model(model, truth, k=(10, 30), exclude_seen=exclude_seen, n_boot=10)
        dense = evaluate_model(model, truth, k=(10, 30), exclude_seen=exclude_seen, n_boot=10, prune=False)
        assert np.array_equal(fast.top, dense.top)
        assert fast.metrics() == dense.metrics() and fast.users == dense.users > 100
