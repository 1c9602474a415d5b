"""The group protocol on a hand-made example, and group kinds by taste similarity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.errors import ConfigError
from recsys.evaluation.groups import evaluate_groups, group_similarity, make_groups

L3 = 1 / math.log2(3)


def test_group_protocol_all_tracks(tiny) -> None:
    model, val = tiny
    # normalised scores: user 0 [1, .75, .5, .25, 0], user 1 [0, .25, .5, .75, 1];
    # least misery [0, .25, .5, .25, 0] -> list [2, 1]; group relevant {0, 3} | {0, 2} = {0, 2, 3}
    ev = evaluate_groups(model, val, groups=np.array([[0, 1]]), k=2, strategy="least_misery", n_boot=50)
    assert ev.top.tolist() == [[2, 1]]
    row = ev.per_group.iloc[0]
    assert row["members"] == [0, 1] and row["n_relevant"] == 3
    assert row["precision@2"] == 0.5
    # user 0 (relevant {0, 3}) gets no hit; user 1 (relevant {0, 2}) a hit at position 1
    np.testing.assert_allclose(ev.member_ndcg[2], [[0.0, 1 / (1 + L3)]])
    assert row["ndcg_mean@2"] == pytest.approx(1 / (2 * (1 + L3)))
    assert row["ndcg_min@2"] == 0.0
    # a random 2-track list from 5 tracks, 3 of them relevant: expected precision 3/5
    assert ev.summary.loc["precision@2", "random"] == pytest.approx(0.6)


def test_group_protocol_discovery(tiny) -> None:
    model, val = tiny
    # heard by someone: {0, 1, 2}; candidates {3, 4}; least misery ties at 0 -> [3, 4]
    ev = evaluate_groups(
        model, val, groups=np.array([[0, 1]]), k=2, strategy="least_misery", exclude_seen=True, n_boot=50
    )
    assert ev.regime == "discovery"
    assert ev.top.tolist() == [[3, 4]]
    row = ev.per_group.iloc[0]
    # user 0 now has relevant {3}, user 1 {0}: group relevant {0, 3}, only 3 is reachable
    assert row["n_relevant"] == 2 and row["n_candidates"] == 2
    assert row["precision@2"] == 0.5
    np.testing.assert_allclose(ev.member_ndcg[2], [[1.0, 0.0]])
    assert ev.summary.loc["precision@2", "random"] == pytest.approx(0.5)


def test_random_groups_are_distinct_and_seeded() -> None:
    cand = np.arange(100, 140)
    a = make_groups(cand, 50, 5, seed=3)
    assert a.shape == (50, 5)
    assert all(len(set(g)) == 5 for g in a.tolist())
    assert set(a.ravel()) <= set(cand)
    np.testing.assert_array_equal(a, make_groups(cand, 50, 5, seed=3))
    assert not np.array_equal(a, make_groups(cand, 50, 5, seed=4))


def _two_tastes(seed: int = 0) -> sp.csr_matrix:
    # users 0-19 play mostly tracks 0-29, users 20-39 mostly tracks 30-59
    rng = np.random.default_rng(seed)
    dense = np.zeros((40, 60))
    for u in range(40):
        own = np.arange(30) + (30 if u >= 20 else 0)
        dense[u, rng.choice(own, 8, replace=False)] = 1
        dense[u, rng.integers(0, 60)] = 1
    return sp.csr_matrix(dense)


def test_similar_groups_are_more_alike_than_random_and_divergent_less() -> None:
    m = _two_tastes()
    cand = np.arange(40)
    sims = {kind: group_similarity(make_groups(cand, 200, 4, kind=kind, seed=1, matrix=m), m).mean()
            for kind in ("similar", "random", "divergent")}
    assert sims["similar"] > sims["random"] > sims["divergent"]
    similar = make_groups(cand, 200, 4, kind="similar", seed=1, matrix=m)
    # a similar group stays within one taste cluster
    assert ((similar < 20).all(axis=1) | (similar >= 20).all(axis=1)).mean() > 0.95
    assert all(len(set(g)) == 4 for g in similar.tolist())


def test_group_similarity_by_hand() -> None:
    m = sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]))
    # cos(0,1) = 1/sqrt2, cos(0,2) = 0, cos(1,2) = 1/sqrt2
    np.testing.assert_allclose(group_similarity(np.array([[0, 1], [0, 2], [0, 1]]), m)[:2], [2**-0.5, 0.0])
    np.testing.assert_allclose(group_similarity(np.array([[0, 1, 2]]), m), [2 * 2**-0.5 / 3])


def test_bad_group_settings() -> None:
    with pytest.raises(ConfigError, match="unknown group kind 'odd'"):
        make_groups(np.arange(5), 1, 2, kind="odd")
    with pytest.raises(ConfigError, match="at least 6 users"):
        make_groups(np.arange(5), 1, 6)
    with pytest.raises(ConfigError, match="training matrix"):
        make_groups(np.arange(5), 1, 2, kind="similar")
