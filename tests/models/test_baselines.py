"""Basic, popularity and random models on a hand-made matrix with hand-computed rankings.

Training scores (tracks a-e; e never played)::

    user 1: a=3, b=1          popularity p: a=1, b=2, c=2, d=1, e=0
    user 2: b=3, c=1
    user 3: c=1, d=1

Basic model, group list by S(i) = sum over members of r_u(i) / (member's top score), then popularity,
then the lower index (see BasicModel's docstring).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.models import BasicModel, PopularityModel, RandomModel, create_model


@pytest.fixture(scope="module")
def tiny() -> Interactions:
    frame = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 2, 3, 3],
            "track_id": ["a", "b", "b", "c", "c", "d"],
            "score": [3.0, 1.0, 3.0, 1.0, 1.0, 1.0],
        }
    )
    return Interactions.from_frame(frame, item_ids=np.array(list("abcde"), dtype=object))


def _tracks(model, group, n=5, **kw) -> list[str]:
    return model.recommend(group, n, **kw).track_ids.tolist()


@pytest.mark.parametrize(
    "group, expected",
    [
        # One member: own scores, then popularity (c and b have p=2; a before d on equal p by index).
        ([1], ["a", "b", "c", "d", "e"]),
        ([2], ["b", "c", "a", "d", "e"]),
        # User 3's top tracks c and d tie at score 1: the more popular c first.
        ([3], ["c", "d", "b", "a", "e"]),
        # S: a=1, b=1/3+1=4/3, c=1/3, d=0 (p=1), e=0 (p=0).
        ([1, 2], ["b", "a", "c", "d", "e"]),
        # S: a=0, b=1, c=1/3+1=4/3, d=1, e=0: c, then b (p=2) before d (p=1) on S=1, then a (p=1), e.
        ([2, 3], ["c", "b", "d", "a", "e"]),
    ],
)
def test_basic_hand_computed(tiny, group, expected):
    assert _tracks(BasicModel().fit(tiny), group) == expected


def test_basic_popularity_breaks_a_three_way_tie(tiny):
    # Members 1 and 3: S(a) = S(c) = S(d) = 1; c has p=2, a and d p=1 -> c first.
    assert _tracks(BasicModel().fit(tiny), [1, 3], n=1) == ["c"]


def test_basic_exclude_seen_fills_with_popularity(tiny):
    # Members 1 and 2 have heard a, b, c: what is left is d (p=1), then e (p=0).
    assert _tracks(BasicModel().fit(tiny), [1, 2], exclude_seen=True) == ["d", "e"]


def test_basic_member_scores_follow_the_rule(tiny):
    model = BasicModel().fit(tiny)
    w = model.config.popularity_weight
    p = np.array([1, 2, 2, 1, 0], dtype=np.float64)
    # user 2: R = 3, top track b with p = 2 -> s = r + w * 3 * p / 2
    expected = np.array([0, 3, 1, 0, 0]) + w * 3 * p / 2
    np.testing.assert_allclose(model.score_users(np.array([1]))[0], expected, rtol=1e-6)


def test_basic_fold_in_equals_trained_rule(tiny):
    model = BasicModel().fit(tiny)
    items, scores = tiny.user_items(0)
    np.testing.assert_array_equal(model.fold_in(items, scores), model.score_users(np.array([0]))[0])


def test_basic_folded_in_member_with_unpopular_top(tiny):
    # A new user whose only track e nobody played: its top gets the w*R bonus, then popularity.
    history = Interactions.from_frame(
        pd.DataFrame({"user_id": [9], "track_id": ["e"], "score": [2.0]}),
        item_ids=tiny.item_ids,
    )
    model = BasicModel().fit(tiny)
    rec = model.recommend([9], 5, history=history)
    assert rec.track_ids.tolist() == ["e", "b", "c", "a", "d"]
    assert rec.statuses == {9: "folded_in"}


def test_popularity_model(tiny):
    model = PopularityModel().fit(tiny)
    np.testing.assert_array_equal(model.popularity(), [1, 2, 2, 1, 0])
    # Same list for everyone: b, c (p=2, by index), a, d (p=1), e.
    assert _tracks(model, [1]) == _tracks(model, [2, 3]) == ["b", "c", "a", "d", "e"]


def test_random_model_is_seeded(tiny):
    a = RandomModel(create_model("random", seed=5).config).fit(tiny)
    b = create_model("random", seed=5).fit(tiny)
    c = create_model("random", seed=6).fit(tiny)
    rows = np.array([0, 1, 2])
    np.testing.assert_array_equal(a.score_users(rows), b.score_users(rows))
    assert not np.array_equal(a.score_users(rows), c.score_users(rows))
    # A user's scores depend on (seed, row) only, not on which other rows are asked for.
    np.testing.assert_array_equal(a.score_users(np.array([2]))[0], a.score_users(rows)[2])
    assert not np.array_equal(a.score_users(np.array([0]))[0], a.score_users(np.array([1]))[0])
    expected = np.random.default_rng([5, 0, 1]).random(5, dtype=np.float32)
    np.testing.assert_array_equal(a.score_users(np.array([1]))[0], expected)


@pytest.mark.parametrize("kind", ["basic", "popularity", "random"])
def test_one_callback_with_seconds(tiny, kind):
    calls = []
    model = create_model(kind).fit(tiny, callback=lambda e, m: calls.append((e, m)))
    assert len(calls) == 1 and calls[0][0] == 1
    assert set(calls[0][1]) == {"seconds"} and calls[0][1]["seconds"] >= 0
    assert model.history == [calls[0][1]]


@pytest.mark.parametrize(
    "kind, settings, match",
    [
        ("basic", {"popularity_weight": 1.5}, "popularity_weight"),
        ("random", {"seed": -1}, "seed"),
        ("basic", {"epochs": 3}, "no setting 'epochs'"),
        ("popularity", {"seed": 1}, "no setting 'seed'"),
        ("svd", {}, "unknown model kind 'svd'"),
    ],
)
def test_bad_settings(tiny, kind, settings, match):
    with pytest.raises(ConfigError, match=match):
        create_model(kind, **settings).fit(tiny)


@pytest.mark.parametrize("kind", ["basic", "popularity", "random"])
def test_fit_accepts_a_validator_and_reports_no_validation_metric(tiny, kind):
    # one-pass models have no epoch to validate: the validator is accepted for the contract, not called
    def validate(scorer, train, val):
        raise AssertionError("a baseline must not call validate")

    calls = []
    create_model(kind).fit(tiny, val=tiny, validate=validate, callback=lambda e, m: calls.append(m))
    assert [set(m) for m in calls] == [{"seconds"}]
