"""evaluate_model on a tiny model with known scores: exact per-user values in both regimes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.evaluation.evaluate import evaluate_model
from tests.evaluation.conftest import frame

L3 = 1 / math.log2(3)


def test_all_tracks_regime(tiny) -> None:
    model, val = tiny
    ev = evaluate_model(model, val, k=(1, 2), n_boot=200)
    assert ev.regime == "all" and ev.users == 2 and ev.no_relevant_users == 1
    pu = ev.per_user.set_index("user_id")
    # user 0: relevant {0, 3}, list [0, 1, ...]; user 1: relevant {0, 2}, list [4, 3, ...]
    assert pu.loc[0, "n_relevant"] == 2 and pu.loc[1, "n_relevant"] == 2
    expected0 = {
        "precision@1": 1, "recall@1": 0.5, "ndcg@1": 1, "map@1": 1, "mrr@1": 1, "hit_rate@1": 1,
        "precision@2": 0.5, "recall@2": 0.5, "ndcg@2": 1 / (1 + L3), "map@2": 0.5, "mrr@2": 1,
        "hit_rate@2": 1,
    }
    for name, value in expected0.items():
        assert pu.loc[0, name] == pytest.approx(value), name
        assert pu.loc[1, name] == 0.0, name
    assert ev.metrics()["ndcg@2"] == pytest.approx((1 / (1 + L3)) / 2)
    assert ev.top.tolist() == [[0, 1], [4, 3]]


def test_discovery_regime_excludes_heard_tracks_from_ranking_and_truth(tiny) -> None:
    model, val = tiny
    ev = evaluate_model(model, val, k=(1, 2), exclude_seen=True, n_boot=200)
    assert ev.regime == "discovery" and ev.users == 2
    pu = ev.per_user.set_index("user_id")
    # user 0: heard {0, 1} -> relevant {3}, list [2, 3]; user 1: heard {2} -> relevant {0}, list [4, 3]
    assert pu.loc[0, "n_relevant"] == 1 and pu.loc[0, "n_candidates"] == 3
    assert pu.loc[1, "n_candidates"] == 4
    assert ev.top.tolist() == [[2, 3], [4, 3]]
    assert pu.loc[0, "precision@2"] == 0.5
    assert pu.loc[0, "recall@2"] == 1.0
    assert pu.loc[0, "ndcg@2"] == pytest.approx(L3)
    assert pu.loc[0, "map@2"] == 0.5 and pu.loc[0, "mrr@2"] == 0.5
    assert pu.loc[0, "precision@1"] == 0.0
    # a random list of 1 among 3 candidates (1 relevant) hits with probability 1/3; user 1: 1/4
    assert ev.summary.loc["precision@1", "random"] == pytest.approx((1 / 3 + 1 / 4) / 2)


def test_batches_do_not_change_results(tiny) -> None:
    model, val = tiny
    a = evaluate_model(model, val, k=2, batch_size=1, n_boot=100)
    b = evaluate_model(model, val, k=2, batch_size=512, n_boot=100)
    np.testing.assert_array_equal(a.per_user.to_numpy(), b.per_user.to_numpy())
    assert a.cis() == b.cis()


def test_threshold_two_and_unknown_users_are_skipped_and_counted(tiny) -> None:
    model, _ = tiny
    truth = Interactions.from_frame(frame({0: {0: 2.0}, 1: {0: 1.0}, 99: {1: 5.0}}))
    ev = evaluate_model(model, truth, k=1, threshold=2.0, n_boot=100)
    assert ev.users == 1 and ev.skipped_users == 1
    assert ev.per_user["user_id"].tolist() == [0]


def test_summary_has_ci_around_mean(tiny) -> None:
    model, val = tiny
    ev = evaluate_model(model, val, k=2, n_boot=300, seed=1)
    row = ev.summary.loc["ndcg@2"]
    assert row["ci_low"] <= row["mean"] <= row["ci_high"]
    assert set(ev.cis()) == set(ev.metrics()) == set(ev.random())


def test_bad_cut_off(tiny) -> None:
    model, val = tiny
    with pytest.raises(ConfigError, match="cut-offs"):
        evaluate_model(model, val, k=(0,))
