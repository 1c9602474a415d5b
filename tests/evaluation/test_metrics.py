"""Per-user metrics against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.errors import ConfigError
from recsys.evaluation.metrics import (
    all_metrics,
    average_precision_at_k,
    hit_rate_at_k,
    hits,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    reciprocal_rank_at_k,
)

L3, L5 = 1 / math.log2(3), 1 / math.log2(5)


def _rel(rows: list[list[int]], n_items: int = 10) -> sp.csr_matrix:
    m = np.zeros((len(rows), n_items))
    for b, items in enumerate(rows):
        m[b, items] = 1.0
    return sp.csr_matrix(m)


# Row 0: list [3, 1, 7, 2], relevant {1, 2, 9}: hits at positions 2 and 4.
# Row 1: fewer relevant items than k: list [5, 0, 1, 2], relevant {5}.
# Row 2: nothing relevant -> NaN.
# Row 3: empty slots only (-1), relevant {9} (the last item: -1 must not alias it) -> zeros.
TOP = np.array([[3, 1, 7, 2], [5, 0, 1, 2], [0, 1, 2, 3], [-1, -1, -1, -1]])
REL = _rel([[1, 2, 9], [5], [], [9]])


def test_hits() -> None:
    assert hits(TOP, REL).tolist() == [
        [False, True, False, True],
        [True, False, False, False],
        [False] * 4,
        [False] * 4,
    ]


@pytest.mark.parametrize(
    ("fn", "at4", "at2"),
    [
        (precision_at_k, [2 / 4, 1 / 4, 0.0], [1 / 2, 1 / 2, 0.0]),
        (recall_at_k, [2 / 3, 1.0, 0.0], [1 / 3, 1.0, 0.0]),
        # ideal DCG over min(k, n_rel) hits: 1 + L3 + 1/2 at k=4, 1 + L3 at k=2
        (ndcg_at_k, [(L3 + L5) / (1 + L3 + 0.5), 1.0, 0.0], [L3 / (1 + L3), 1.0, 0.0]),
        # precision at the hits (1/2 at 2, 2/4 at 4) over min(k, n_rel)
        (average_precision_at_k, [(1 / 2 + 2 / 4) / 3, 1.0, 0.0], [(1 / 2) / 2, 1.0, 0.0]),
        (reciprocal_rank_at_k, [1 / 2, 1.0, 0.0], [1 / 2, 1.0, 0.0]),
        (hit_rate_at_k, [1.0, 1.0, 0.0], [1.0, 1.0, 0.0]),
    ],
)
def test_hand_computed_values(fn, at4: list[float], at2: list[float]) -> None:
    for k, expected in ((None, at4), (4, at4), (2, at2)):
        got = fn(TOP, REL, k)
        np.testing.assert_allclose(got[[0, 1, 3]], expected)
        assert math.isnan(got[2])


def test_ties_in_relevance_positions_perfect_list() -> None:
    top = np.array([[4, 2, 0, 1, 3]])
    rel = _rel([[4, 2]])
    for fn in (ndcg_at_k, average_precision_at_k, recall_at_k, reciprocal_rank_at_k):
        assert fn(top, rel)[0] == pytest.approx(1.0)
    assert precision_at_k(top, rel)[0] == pytest.approx(2 / 5)


def test_all_metrics_agrees_with_the_single_functions() -> None:
    out = all_metrics(TOP, REL, ks=(2, 4))
    assert list(out)[:2] == ["precision@2", "recall@2"]
    np.testing.assert_allclose(out["ndcg@2"], ndcg_at_k(TOP, REL, 2))
    np.testing.assert_allclose(out["map@4"], average_precision_at_k(TOP, REL, 4))
    np.testing.assert_allclose(out["mrr@4"], reciprocal_rank_at_k(TOP, REL))
    assert set(all_metrics(TOP, REL, ks=[3], names=["ndcg"])) == {"ndcg@3"}


def test_explicit_zeros_are_not_relevant() -> None:
    rel = sp.csr_matrix((np.array([0.0, 1.0]), np.array([3, 1]), np.array([0, 2])), shape=(1, 10))
    assert hits(np.array([[3, 1]]), rel).tolist() == [[False, True]]


def test_bad_cut_offs() -> None:
    with pytest.raises(ConfigError, match="between 1 and the list length 4"):
        ndcg_at_k(TOP, REL, 5)
    with pytest.raises(ConfigError, match="unknown metric"):
        all_metrics(TOP, REL, ks=[2], names=["auc"])
    with pytest.raises(ConfigError, match="rows"):
        hits(TOP[:2], REL)
