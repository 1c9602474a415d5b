"""Group aggregation on hand-made score tables (values worked out by hand in the comments)."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.errors import ConfigError
from recsys.models.group import (
    STRATEGIES,
    STRATEGY_HELP,
    WEIGHTED_STRATEGIES,
    aggregate,
    group_list,
    member_ranks,
    normalise,
    top_n,
)

# Member 0 normalised: [1, 1/3, 2/3, 0]; member 1: [0, 1, 1, 1/2].
TABLE = np.array([[3.0, 1.0, 2.0, 0.0], [0.0, 2.0, 2.0, 1.0]])


def test_normalise_min_max_per_member() -> None:
    np.testing.assert_allclose(normalise(TABLE), [[1, 1 / 3, 2 / 3, 0], [0, 1, 1, 0.5]])


def test_constant_member_is_indifferent() -> None:
    out = normalise(np.array([[1.0, 1.0, 1.0], [0.0, 2.0, 1.0]]))
    np.testing.assert_allclose(out[0], [1, 1, 1])
    res = aggregate(np.array([[1.0, 1.0, 1.0], [0.0, 2.0, 1.0]]), n=3)
    assert res.items.tolist() == [1, 2, 0]


@pytest.mark.parametrize(
    ("strategy", "items", "group"),
    [
        # averages [1/2, 2/3, 5/6, 1/4]
        ("average", [2, 1, 0, 3], [5 / 6, 2 / 3, 1 / 2, 1 / 4]),
        # minima [0, 1/3, 2/3, 0]: tracks 0 and 3 tie, lower index first
        ("least_misery", [2, 1, 0, 3], [2 / 3, 1 / 3, 0, 0]),
        # maxima [1, 1, 1, 1/2]: three-way tie resolved by index
        ("most_pleasure", [0, 1, 2, 3], [1, 1, 1, 0.5]),
        # products [0, 1/3, 2/3, 0]
        ("multiplicative", [2, 1, 0, 3], [2 / 3, 1 / 3, 0, 0]),
        # points = tracks scored strictly lower: member 0 [3, 1, 2, 0], member 1 [0, 2, 2, 1]
        ("borda", [2, 0, 1, 3], [4, 3, 3, 1]),
    ],
)
def test_each_strategy_exact_output(strategy: str, items: list[int], group: list[float]) -> None:
    res = aggregate(TABLE, strategy=strategy, n=4)
    assert res.items.tolist() == items
    np.testing.assert_allclose(res.group_scores, group)
    assert res.items.dtype == np.int64
    assert res.strategy == strategy


def test_member_scores_and_ranks_explain_the_list() -> None:
    res = aggregate(TABLE, n=4)  # items [2, 1, 0, 3]
    np.testing.assert_allclose(res.member_scores, [[2 / 3, 1 / 3, 1, 0], [1, 1, 0, 0.5]])
    # member 0 ranks tracks 0, 2, 1, 3; member 1 ranks 1, 2 (tie -> lower index first), 3, 0
    assert res.member_ranks.tolist() == [[2, 3, 1, 4], [2, 1, 4, 3]]


def test_n_shorter_than_catalogue() -> None:
    res = aggregate(TABLE, n=2)
    assert res.items.tolist() == [2, 1]
    assert res.member_ranks.shape == (2, 2)


def test_exclude_renormalises_over_candidates() -> None:
    exclude = np.array([False, False, True, False])
    res = aggregate(TABLE, n=10, exclude=exclude)
    # member 0 over {0, 1, 3}: [1, 1/3, 0]; member 1: [0, 1, 1/2] -> averages [1/2, 2/3, 1/4]
    assert res.items.tolist() == [1, 0, 3]
    np.testing.assert_allclose(res.group_scores, [2 / 3, 1 / 2, 1 / 4])
    assert res.member_ranks.tolist() == [[2, 1, 3], [1, 3, 2]]


def test_veto_pushes_vetoed_tracks_after_admissible_ones() -> None:
    # normalised: two members [1, .6, 0], one member [0, .6, 1]; averages [2/3, .6, 1/3]
    scores = np.array([[10.0, 6.0, 0.0], [10.0, 6.0, 0.0], [0.0, 6.0, 10.0]])
    assert aggregate(scores, n=3).items.tolist() == [0, 1, 2]
    res = aggregate(scores, strategy="average_without_misery", n=3, threshold=0.3)
    assert res.items.tolist() == [1, 0, 2]
    assert res.details["vetoed"].tolist() == [False, True, True]
    np.testing.assert_allclose(res.group_scores, [0.6, 2 / 3, 1 / 3])
    # a threshold nobody falls below is plain averaging
    res = aggregate(scores, strategy="average_without_misery", n=3, threshold=0.0)
    assert res.items.tolist() == [0, 1, 2]


def test_fairness_serves_the_least_served_member_next() -> None:
    res = aggregate(TABLE, strategy="fairness", n=4)
    # 1: nobody served -> member 0 takes its favourite, track 0 (served 1, 0)
    # 2: member 1 picks; tracks 1 and 2 tie at 1, the group average prefers 2 (served 5/3, 1)
    # 3: member 1 again takes track 1 (served 2, 2); 4: tie -> member 0, only track 3 left
    assert res.items.tolist() == [0, 2, 1, 3]
    assert res.details["for_member"].tolist() == [0, 1, 1, 0]
    np.testing.assert_allclose(res.group_scores, [1 / 2, 5 / 6, 2 / 3, 1 / 4])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_one_member_follows_its_own_ranking(strategy: str) -> None:
    res = aggregate(np.array([[5.0, 7.0, 7.0, 1.0]]), strategy=strategy, n=4)
    assert res.items.tolist() == [1, 2, 0, 3]
    assert res.member_ranks.tolist() == [[1, 2, 3, 4]]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_all_ties_resolve_to_lower_index(strategy: str) -> None:
    res = aggregate(np.zeros((3, 6)), strategy=strategy, n=3)
    assert res.items.tolist() == [0, 1, 2]


def test_top_n_matches_a_full_sort_with_ties() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        v = rng.integers(0, 5, size=40).astype(float)
        cand = rng.random(40) > 0.2
        expected = [i for i in np.lexsort((np.arange(40), -v)) if cand[i]][:7]
        assert top_n(v, 7, cand).tolist() == expected


def test_borda_and_ranks_match_brute_force() -> None:
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 6, size=(4, 30)).astype(np.float32)
    exclude = rng.random(30) < 0.2
    cand = np.flatnonzero(~exclude)
    points = np.array([[(scores[m, cand] < scores[m, i]).sum() for i in range(30)] for m in range(4)]).sum(
        axis=0
    )
    expected = [i for i in np.lexsort((np.arange(30), -points)) if not exclude[i]][:10]
    res = aggregate(scores, strategy="borda", n=10, exclude=exclude)
    assert res.items.tolist() == expected
    np.testing.assert_allclose(res.group_scores, points[expected])
    ranks = member_ranks(scores, res.items, ~exclude)
    for m in range(4):
        own = [i for i in np.lexsort((np.arange(30), -scores[m])) if not exclude[i]]
        assert ranks[m].tolist() == [own.index(i) + 1 for i in res.items]


def test_truncated_borda_gives_points_only_to_each_members_top_tracks() -> None:
    # TABLE with depth=2: member 0's best two are tracks 0 (3 points) and 2 (2 points);
    # member 1's best are tracks 1 and 2, tied at 2 points each -> totals [3, 2, 4, 0].
    res = aggregate(TABLE, strategy="borda", n=4, depth=2)
    assert res.items.tolist() == [2, 0, 1, 3]
    np.testing.assert_allclose(res.group_scores, [4, 3, 2, 0])
    # depth=1: a tie with the cut-off still counts (member 1's tracks 1 and 2 both score 2)
    res = aggregate(TABLE, strategy="borda", n=4, depth=1)
    assert res.items.tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(res.group_scores, [3, 2, 2, 0])


def test_truncated_borda_matches_brute_force() -> None:
    rng = np.random.default_rng(2)
    scores = rng.integers(0, 40, size=(5, 300)).astype(np.float32)
    exclude = rng.random(300) < 0.2
    cand = np.flatnonzero(~exclude)
    depth = 25
    points = np.zeros(300)
    for m in range(5):
        cut = np.sort(scores[m, cand])[::-1][depth - 1]
        for i in cand:
            if scores[m, i] >= cut:
                points[i] += (scores[m, cand] < scores[m, i]).sum()
    expected = [i for i in np.lexsort((np.arange(300), -points)) if not exclude[i]][:10]
    res = aggregate(scores, strategy="borda", n=10, exclude=exclude, depth=depth)
    assert res.items.tolist() == expected
    np.testing.assert_allclose(res.group_scores, points[expected])
    # depth at least the candidates: the full count
    full = aggregate(scores, strategy="borda", n=10, exclude=exclude, depth=300)
    assert (
        full.items.tolist()
        == aggregate(scores, strategy="borda", n=10, exclude=exclude, depth=10**6).items.tolist()
    )


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="unknown aggregation strategy 'median'"):
        aggregate(TABLE, strategy="median")
    with pytest.raises(ConfigError, match="threshold"):
        aggregate(TABLE, strategy="average", threshold=0.5)
    with pytest.raises(ConfigError, match="borda depth must be a positive integer, got 0"):
        aggregate(TABLE, strategy="borda", depth=0)
    with pytest.raises(ConfigError, match="n must be at least 1"):
        aggregate(TABLE, n=0)
    with pytest.raises(ConfigError, match="NaN"):
        aggregate(np.array([[1.0, np.nan]]))
    with pytest.raises(ConfigError, match="every track is excluded"):
        aggregate(TABLE, exclude=np.ones(4, dtype=bool))
    with pytest.raises(ConfigError, match="at least one member"):
        aggregate(np.zeros((0, 4)))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_group_list_is_aggregate_without_ranks(strategy: str) -> None:
    scores = np.random.default_rng(4).integers(0, 5, size=(3, 40)).astype(float)
    exclude = np.arange(40) % 7 == 0
    expected = aggregate(scores, strategy=strategy, n=8, exclude=exclude).items
    assert group_list(scores, strategy=strategy, n=8, exclude=exclude).tolist() == expected.tolist()


# -- GFAR, EP-FuzzDA and member weights --------------------------------------------------------------------
# Two members who agree and one who does not (already on the [0, 1] scale, so normalising changes nothing).
AGREE = np.array([[1.0, 0.9, 0.8, 0.0], [1.0, 0.9, 0.8, 0.0], [0.0, 0.0, 0.1, 1.0]])


def test_gfar_by_hand() -> None:
    # depth 2: member 0's top is tracks 0 (2 points) and 2 (1 point) -> p = [2/3, 0, 1/3, 0];
    # member 1's tracks 1 and 2 tie (2 points each) -> p = [0, 1/2, 1/2, 0].
    # 1: gains p0 + p1 = [2/3, 1/2, 5/6, 0] -> track 2; nobody-served-yet becomes [2/3, 1/2]
    # 2: gains [2/3 * 2/3, 1/2 * 1/2, -, 0] = [4/9, 1/4, -, 0] -> track 0; [2/9, 1/2]
    # 3: track 1 (1/4) beats track 3 (0)
    res = aggregate(TABLE, strategy="gfar", n=4, depth=2)
    assert res.items.tolist() == [2, 0, 1, 3]
    np.testing.assert_allclose(res.details["gain"], [5 / 6, 4 / 9, 1 / 4, 0])
    np.testing.assert_allclose(res.group_scores, [5 / 6, 1 / 2, 2 / 3, 1 / 4])  # the members' average
    # the outlier's favourite comes second: members 0 and 1 each have p = [2/3, 1/3, 0, 0], member 2
    # p = [0, 0, 1/3, 2/3]; after track 0 (gain 4/3) they are 1/3 unserved, so track 3 gains 2/3, track 1
    # 2/9; then track 1 (2/9) beats track 2 (1/3 * 1/3 = 1/9)
    res = aggregate(AGREE, strategy="gfar", n=4, depth=2)
    assert res.items.tolist() == [0, 3, 1, 2]
    np.testing.assert_allclose(res.details["gain"], [4 / 3, 2 / 3, 2 / 9, 1 / 9])
    assert aggregate(AGREE, strategy="average", n=4).items.tolist() == [0, 1, 2, 3]


def test_gfar_fills_the_list_by_average_once_nobody_gains() -> None:
    # depth 1: every member's top is used up after two picks; the rest follow the group average
    res = aggregate(AGREE, strategy="gfar", n=4, depth=1)
    assert res.items.tolist() == [0, 3, 1, 2]
    np.testing.assert_allclose(res.details["gain"], [2, 1, 0, 0])


def test_epfuzzda_by_hand() -> None:
    # shares 1/3 each; sums of relevance per track S = [2, 1.8, 1.7, 1]
    # 1: owed S/3 each; gains [4/3, 1.2, 2 * (1.7/3) + 0.1 = 37/30, 1/3] -> track 0; awarded [1, 1, 0]
    # 2: track 3: total 3, owed 1 each: members 0 and 1 owed nothing more, member 2 gets 1 -> gain 1,
    #    beating track 1 (2 * (3.8/3 - 1) = 8/15) and track 2 (2 * 7/30 + 0.1 = 17/30)
    # 3: track 2 (2 * 0.5667 + 0.1 = 37/30) beats track 1 (2 * 0.6 = 1.2); 4: track 1 (2 * 11/30 = 11/15)
    res = aggregate(AGREE, strategy="epfuzzda", n=4)
    assert res.items.tolist() == [0, 3, 2, 1]
    np.testing.assert_allclose(res.details["gain"], [4 / 3, 1, 37 / 30, 11 / 15])
    # on TABLE with weights 3:1 member 0 is owed three quarters: [2, 0, 1, 3] (unweighted [2, 1, 0, 3])
    assert aggregate(TABLE, strategy="epfuzzda", n=4).items.tolist() == [2, 1, 0, 3]
    res = aggregate(TABLE, strategy="epfuzzda", n=4, weights=[3, 1])
    assert res.items.tolist() == [2, 0, 1, 3]
    np.testing.assert_allclose(res.details["gain"], [13 / 12, 1, 1 / 3, 0])


@pytest.mark.parametrize(
    ("strategy", "weights", "items", "group"),
    [
        # weights [3, 1] -> [1.5, 0.5]: (1.5 s0 + 0.5 s1) / 2 = [3/4, 1/2, 3/4, 1/8]; 0 and 2 tie
        ("average", [3, 1], [0, 2, 1, 3], [3 / 4, 3 / 4, 1 / 2, 1 / 8]),
        # weights [1, 3] -> [0.5, 1.5]: prod s^w = [0, (1/3)^0.5, (2/3)^0.5, 0]
        ("multiplicative", [1, 3], [2, 1, 0, 3], [(2 / 3) ** 0.5, (1 / 3) ** 0.5, 0, 0]),
        # points [3, 1, 2, 0] x 0.5 + [0, 2, 2, 1] x 1.5 = [1.5, 3.5, 4, 1.5]
        ("borda", [1, 3], [2, 1, 0, 3], [4, 3.5, 1.5, 1.5]),
    ],
)
def test_weighted_strategies_by_hand(strategy: str, weights: list, items: list, group: list) -> None:
    res = aggregate(TABLE, strategy=strategy, n=4, weights=weights)
    assert res.items.tolist() == items
    np.testing.assert_allclose(res.group_scores, group)
    np.testing.assert_allclose(res.weights, np.array(weights) * 2 / sum(weights))


def test_weighted_fairness_serves_members_in_proportion() -> None:
    # weights [1, 3] -> [0.5, 1.5]; "served" is divided by the weight. Member 0 picks track 0 (served
    # [1, 0] -> [2, 0] per weight); member 1 picks 1 or 2 (tied at 1; the weighted average prefers 2):
    # served [5/3, 1] -> [10/3, 2/3]; member 1 again takes track 1 ([2, 2] -> [4, 4/3]) and then track 3
    res = aggregate(TABLE, strategy="fairness", n=4, weights=[1, 3])
    assert res.items.tolist() == [0, 2, 1, 3]
    assert res.details["for_member"].tolist() == [0, 1, 1, 1]


def test_weight_zero_member_has_no_veto() -> None:
    scores = np.array([[10.0, 6.0, 0.0], [10.0, 6.0, 0.0], [0.0, 6.0, 10.0]])
    res = aggregate(scores, strategy="average_without_misery", n=3, weights=[1, 1, 0])
    # member 2 counts for nothing: averages of the first two [1, 0.6, 0]; only track 2 is vetoed
    assert res.items.tolist() == [0, 1, 2]
    assert res.details["vetoed"].tolist() == [False, False, True]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_equal_weights_are_no_weights(strategy: str) -> None:
    scores = np.random.default_rng(5).integers(0, 9, size=(3, 50)).astype(float)
    plain = aggregate(scores, strategy=strategy, n=10)
    equal = aggregate(scores, strategy=strategy, n=10, weights=[2, 2, 2])
    assert equal.items.tolist() == plain.items.tolist() and equal.weights is None


def test_bad_weights_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match=r"one weight per member \(2\), got 3"):
        aggregate(TABLE, weights=[1, 2, 3])
    with pytest.raises(ConfigError, match=r"non-negative, got -1\.0"):
        aggregate(TABLE, weights=[1, -1])
    with pytest.raises(ConfigError, match="not all be 0"):
        aggregate(TABLE, weights=[0, 0])
    with pytest.raises(ConfigError, match="'least_misery' takes no member weights"):
        aggregate(TABLE, strategy="least_misery", weights=[1, 2])
    with pytest.raises(ConfigError, match="gfar depth must be a positive integer"):
        aggregate(TABLE, strategy="gfar", depth=0)
    assert set(WEIGHTED_STRATEGIES) == set(STRATEGIES) - {"least_misery", "most_pleasure"}


def test_every_strategy_is_described_in_plain_words() -> None:
    assert set(STRATEGY_HELP) == set(STRATEGIES)
    assert all(text and "_" not in text for text in STRATEGY_HELP.values())


def _epfuzzda_reference(norm: np.ndarray, n: int, exclude: np.ndarray, weights: np.ndarray) -> list[int]:
    """EP-FuzzDA written out directly: every candidate's gain at every step (ties: average, index)."""
    rel = np.clip(norm, 0, None)
    share = weights / weights.sum()
    avg = (weights @ norm) / weights.size
    awarded, total, picked = np.zeros(norm.shape[0]), 0.0, []
    for _ in range(n):
        best = None
        for i in np.flatnonzero(~exclude):
            if i in picked:
                continue
            owed = np.maximum(share * (rel[:, i].sum() + total) - awarded, 0)
            key = (np.minimum(owed, rel[:, i]).sum(), avg[i], -i)
            best = key if best is None or key > best else best
        picked.append(-best[2])
        awarded += rel[:, picked[-1]]
        total += rel[:, picked[-1]].sum()
    return picked


@pytest.mark.parametrize(("seed", "shortlist"), [(0, 256), (1, 256), (2, 4), (3, 1)])
def test_epfuzzda_matches_a_direct_implementation(seed: int, shortlist: int, monkeypatch) -> None:
    # a short first shortlist forces the widening step to run (and stay exact)
    monkeypatch.setattr("recsys.models.group_greedy._SHORTLIST", shortlist)
    rng = np.random.default_rng(seed)
    # many tracks (the shortlist must widen and stay exact), a few tied scores, some excluded
    scores = rng.integers(0, 50, size=(4, 700)).astype(float)
    exclude = rng.random(700) < 0.1
    weights = rng.uniform(0.2, 3, 4)
    res = aggregate(scores, strategy="epfuzzda", n=12, exclude=exclude, weights=weights)
    norm = normalise(scores, ~exclude)
    assert res.items.tolist() == _epfuzzda_reference(norm, 12, exclude, weights * 4 / weights.sum())
