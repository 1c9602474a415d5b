"""Per-member group metrics, the decoupled protocol, the one-outlier kind and the group-kinds study, on
hand-made examples (values worked out in the comments)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.errors import ConfigError
from recsys.evaluation.group_metrics import (
    MEMBER_METRICS,
    discounted_first_hit,
    jain_index,
    member_metric_columns,
    min_max_ratio,
    random_member_expectations,
    zero_share,
)
from recsys.evaluation.group_study import group_kinds_study
from recsys.evaluation.groups import evaluate_groups, group_similarity, make_groups

from .conftest import FixedModel
from .test_groups import _two_tastes

L3 = 1 / math.log2(3)


def test_fairness_summaries_by_hand() -> None:
    values = np.array([[0.2, 0.4, 0.4], [0.0, 0.0, 0.0], [0.5, 0.0, 0.0], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(min_max_ratio(values), [0.5, 0.0, 0.0, 1.0])
    # Jain: (sum x)^2 / (m sum x^2): 1 / (3 * 0.36) = 0.9259...; one member with everything: 1/3
    np.testing.assert_allclose(jain_index(values), [1.0 / 1.08, 0.0, 1 / 3, 1.0])
    np.testing.assert_allclose(zero_share(values), [0.0, 1.0, 2 / 3, 0.0])
    with pytest.raises(ConfigError, match="groups, members"):
        min_max_ratio(np.zeros(3))


def test_discounted_first_hit_by_hand() -> None:
    top = np.array([[4, 2, 7], [1, 2, 3], [5, -1, -1]])
    rel = np.zeros((3, 8))
    rel[0, [2, 7]] = rel[2, 5] = 1
    rel = sp.csr_matrix(rel)
    # first hits at positions 2, none, 1
    np.testing.assert_allclose(discounted_first_hit(top, rel), [L3, 0.0, 1.0])
    np.testing.assert_allclose(discounted_first_hit(top, rel, k=1), [0.0, 0.0, 1.0])


def test_member_metric_columns_by_hand() -> None:
    # group 0: list [2, 1, 5]; member 0 relevant {1} (hit at 2), member 1 relevant {0, 5} (hit at 3)
    # group 1: list [3, 4, 6]; nothing relevant to either member
    top = np.array([[2, 1, 5], [3, 4, 6]])
    rel = np.zeros((4, 8))
    rel[0, 1] = rel[1, [0, 5]] = rel[2, 1] = rel[3, 0] = 1
    cols, per_member = member_metric_columns(top, sp.csr_matrix(rel), 2, 3)
    a, b = L3, 0.5 / (1 + L3)  # member NDCG@3: hit at 2 of 1 relevant; hit at 3 of 2 relevant
    assert list(cols) == [f"{m}@3" for m in MEMBER_METRICS]
    np.testing.assert_allclose(per_member["ndcg"], [[a, b], [0, 0]])
    np.testing.assert_allclose(cols["ndcg_mean@3"], [(a + b) / 2, 0])
    np.testing.assert_allclose(cols["ndcg_min@3"], [b, 0])
    np.testing.assert_allclose(cols["ndcg_minmax@3"], [b / a, 0])
    np.testing.assert_allclose(cols["ndcg_jain@3"], [(a + b) ** 2 / (2 * (a * a + b * b)), 0])
    np.testing.assert_allclose(cols["recall_mean@3"], [0.75, 0])
    np.testing.assert_allclose(cols["recall_min@3"], [0.5, 0])
    np.testing.assert_allclose(cols["zero_recall@3"], [0.0, 1.0])
    np.testing.assert_allclose(cols["dfh@3"], [(L3 + 0.5) / 2, 0])


def test_random_member_expectations_by_hand_and_by_enumeration() -> None:
    # 4 candidates, a list of 2. Member 0: one relevant track, reachable; member 1: two relevant, one of
    # them heard by someone in the group (unreachable).
    exp = random_member_expectations(np.array([[1, 2]]), np.array([[1, 1]]), np.array([4]), 2)
    # recall: 2 * 1 / (4 * 1) = 1/2 and 2 * 1 / (4 * 2) = 1/4; P(no hit) = 3/4 * 2/3 = 1/2 for both;
    # first hit at 1 with probability 1/4 (worth 1), at 2 with 3/4 * 1/3 = 1/4 (worth 1/log2 3)
    np.testing.assert_allclose(exp["recall_mean@2"], [0.375])
    np.testing.assert_allclose(exp["zero_recall@2"], [0.5])
    np.testing.assert_allclose(exp["dfh@2"], [0.25 + 0.25 * L3])
    # the same by enumerating every ordered list of 2 of the 4 candidates (track 0 relevant)
    lists = list(itertools.permutations(range(4), 2))
    dfh = np.mean([1.0 if lst[0] == 0 else (L3 if lst[1] == 0 else 0.0) for lst in lists])
    assert exp["dfh@2"][0] == pytest.approx(dfh)


def test_group_protocol_reports_every_member_metric(tiny) -> None:
    model, val = tiny
    # least misery list [2, 1] (see test_groups); user 0 (relevant {0, 3}) gets nothing, user 1 (relevant
    # {0, 2}) a hit at 1 of 2 relevant: NDCG 1 / (1 + 1/log2 3), recall 1/2, first hit 1
    ev = evaluate_groups(model, val, groups=np.array([[0, 1]]), k=2, strategy="least_misery", n_boot=50)
    row = ev.per_group.iloc[0]
    assert row["ndcg_minmax@2"] == 0.0 and row["ndcg_jain@2"] == pytest.approx(0.5)
    assert row["recall_mean@2"] == pytest.approx(0.25) and row["recall_min@2"] == 0.0
    assert row["zero_recall@2"] == 0.5 and row["dfh@2"] == pytest.approx(0.5)
    assert ev.protocol == "coupled"
    # random lists: recall 2 R' / (5 R) = 2/5 for both; P(no hit) = C(3, 2) / C(5, 2) = 3/10
    assert ev.summary.loc["recall_mean@2", "random"] == pytest.approx(0.4)
    assert ev.summary.loc["zero_recall@2", "random"] == pytest.approx(0.3)
    assert np.isnan(ev.summary.loc["ndcg_minmax@2", "random"])


def test_decoupled_protocol_judges_by_each_members_own_list(tiny) -> None:
    model, val = tiny
    # own top 2: user 0 [0, 1], user 1 [4, 3]; least misery list [2, 1]: user 0 hit at 2 of 2 ->
    # NDCG (1/log2 3) / (1 + 1/log2 3), recall 1/2; user 1 nothing
    ev = evaluate_groups(model, val, groups=np.array([[0, 1]]), k=2, strategy="least_misery", n_boot=50,
                         protocol="decoupled")
    assert ev.protocol == "decoupled"
    row = ev.per_group.iloc[0]
    np.testing.assert_allclose(ev.member_ndcg[2], [[L3 / (1 + L3), 0.0]])
    assert row["n_relevant"] == 4 and row["precision@2"] == 0.5
    assert row["recall_mean@2"] == pytest.approx(0.25) and row["zero_recall@2"] == 0.5
    # a group of one is served perfectly: its list is its own list
    solo = evaluate_groups(model, val, groups=np.array([[0], [1]]), k=(1, 2), n_boot=20, protocol="decoupled")
    assert solo.per_group["ndcg_min@2"].tolist() == [1.0, 1.0]
    assert solo.per_group["zero_recall@1"].tolist() == [0.0, 0.0]
    with pytest.raises(ConfigError, match="unknown group protocol 'both'"):
        evaluate_groups(model, val, groups=np.array([[0, 1]]), k=2, protocol="both")


def test_outlier_groups_are_similar_but_for_one_member() -> None:
    m = _two_tastes()
    cand = np.arange(40)
    groups = make_groups(cand, 200, 4, kind="outlier", seed=1, matrix=m)
    cluster = groups >= 20
    # the first three share a taste cluster, the last member comes from the other one
    same_three = (cluster[:, :3] == cluster[:, :1]).all(axis=1)
    assert (same_three & (cluster[:, 3] != cluster[:, 0])).mean() > 0.95
    assert all(len(set(g)) == 4 for g in groups.tolist())
    sims = {kind: group_similarity(make_groups(cand, 200, 4, kind=kind, seed=1, matrix=m), m).mean()
            for kind in ("similar", "outlier", "divergent")}
    assert sims["similar"] > sims["outlier"] > sims["divergent"]
    # of two members, the outlier is simply the farthest: a divergent pair
    np.testing.assert_array_equal(make_groups(cand, 30, 2, kind="outlier", seed=2, matrix=m),
                                  make_groups(cand, 30, 2, kind="divergent", seed=2, matrix=m))


def test_group_kinds_study_by_hand(tiny) -> None:
    model, val = tiny
    other = FixedModel(np.array([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [1, 1, 1, 1, 1]])).fit(model.train)
    study = group_kinds_study({"fixed": model, "flipped": other}, val, kinds=("random",), sizes=(2,),
                              strategies=("average", "least_misery"), n_groups=3, k=2, n_boot=50)
    assert len(study) == 2 * 2 * 2  # models x strategies x metrics; every group is {user 0, user 1}
    got = study.set_index(["model", "strategy", "metric"])
    # average of the two mirrored users is flat: list [0, 1]; each member's first track is relevant
    assert got.loc[("fixed", "average", "ndcg_min@2"), "mean"] == pytest.approx(1 / (1 + L3))
    assert got.loc[("fixed", "average", "zero_recall@2"), "mean"] == 0.0
    # least misery: list [2, 1] (see test_groups): user 0 gets nothing
    assert got.loc[("fixed", "least_misery", "ndcg_min@2"), "mean"] == 0.0
    assert got.loc[("fixed", "least_misery", "zero_recall@2"), "mean"] == 0.5
    # identical groups: the interval collapses on the mean
    row = got.loc[("fixed", "least_misery", "zero_recall@2")]
    assert row["ci_low"] == row["ci_high"] == 0.5 and row["groups"] == 3
    with pytest.raises(ConfigError, match="unknown group metric 'joy@2'"):
        group_kinds_study({"fixed": model}, val, kinds=("random",), sizes=(2,), strategies=("average",),
                          metrics=("joy",), n_groups=2, k=2)
    with pytest.raises(ConfigError, match="unknown group kind 'odd'"):
        group_kinds_study({"fixed": model}, val, kinds=("odd",))


def test_random_expectation_counts_a_track_heard_by_two_members_once() -> None:
    from recsys.data.interactions import Interactions

    from .conftest import frame

    # users 0 and 1 both heard track 4, which user 2 plays later: it can never be on a discovery list
    users, items = np.array([0, 1, 2]), np.arange(6)
    train = Interactions.from_frame(frame({0: {4: 1.0, 0: 1.0}, 1: {4: 1.0, 1: 1.0}, 2: {5: 1.0}}),
                                    user_ids=users, item_ids=items)
    val = train.align(frame({0: {2: 1.0}, 1: {3: 1.0}, 2: {4: 1.0, 3: 1.0}}))
    model = FixedModel(np.tile(np.arange(6, dtype=float), (3, 1))).fit(train)
    ev = evaluate_groups(model, val, groups=np.array([[0, 1, 2]]), k=2, exclude_seen=True, n_boot=20)
    # candidates {2, 3}; the group's relevant {2, 3, 4}, of which {2, 3} reachable: a random list of both
    # candidates is all relevant, precision 1 (counting track 4 as reachable would give 1.5)
    assert ev.per_group["n_candidates"].tolist() == [2]
    assert ev.summary.loc["precision@2", "random"] == pytest.approx(1.0)
    # member 2 can reach only track 3 of its two: random recall 2 * 1 / (2 * 2) = 1/2; the others 1
    assert ev.random_per_group["recall_mean@2"].iloc[0] == pytest.approx((1 + 1 + 0.5) / 3)
