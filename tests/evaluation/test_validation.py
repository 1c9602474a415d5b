"""The per-epoch validation metric (recsys/evaluation/validation.py): one NDCG with the Evaluate page's."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.evaluation import evaluate_model
from recsys.evaluation.validation import ndcg_validator, validation_users
from recsys.models import create_model
from tests.evaluation.conftest import FixedModel, frame


def _table_scorer(table: np.ndarray, calls: list | None = None):
    table = np.asarray(table, dtype=np.float32)

    def scorer(rows: np.ndarray) -> np.ndarray:
        if calls is not None:
            calls.append(np.asarray(rows).copy())
        return table[np.asarray(rows)]

    return scorer


def test_hand_computed_ndcg():
    """4 users x 5 tracks, k = 2.

    user 0: heard {0}; relevant {1, 3}; ranks 1, 2, 3, 4 -> top [1, 2]: DCG 1, IDCG 1 + 1/log2(3)
    user 1: heard {4}; relevant {0, 4}, 4 heard so only {0}; ranks 3, 2, 1, 0 -> top [3, 2]: 0
    user 2: only a pair below the threshold -> not measured
    user 3: its one relevant track was heard in training (discovery) -> not measured
    """
    users, items = np.arange(4), np.arange(5)
    train = Interactions.from_frame(
        frame({0: {0: 1.0}, 1: {4: 2.0}, 2: {2: 1.0}, 3: {1: 1.0}}), user_ids=users, item_ids=items
    )
    val = train.align(frame({0: {1: 1.0, 3: 2.0}, 1: {0: 1.0, 4: 1.0}, 2: {3: 0.5}, 3: {1: 1.0}}))
    table = [[9, 8, 7, 6, 5], [1, 2, 3, 4, 5], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
    calls: list = []
    out = ndcg_validator(2)(_table_scorer(table, calls), train, val)
    assert set(out) == {"val_ndcg@2", "val_users"}
    assert out["val_users"] == 2.0
    assert out["val_ndcg@2"] == pytest.approx((1 / (1 + 1 / math.log2(3)) + 0.0) / 2)
    assert [c.tolist() for c in calls] == [[0, 1]]  # only the measured users are scored
    assert validation_users(train, val).tolist() == [0, 1]


def _random_split(seed: int, n_users: int = 60, n_items: int = 80) -> tuple[Interactions, Interactions]:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        for t in rng.choice(n_items, size=12, replace=False):
            rows.append((u, t, float(rng.integers(0, 4))))
    pairs = pd.DataFrame(rows, columns=["user_id", "track_id", "score"])
    held = rng.random(len(pairs)) < 0.3
    train = Interactions.from_frame(pairs[~held], item_ids=np.arange(n_items))
    # validation as its own matrix (other row order, a user unknown to training): realigned by id
    val_frame = pd.concat([pairs[held], pd.DataFrame({"user_id": [999], "track_id": [3], "score": [2.0]})])
    val = Interactions.from_frame(val_frame, item_ids=np.arange(n_items))
    return train, val


@pytest.mark.parametrize("kind", ["fixed", "basic", "popularity"])
def test_same_value_as_the_evaluation_in_the_discovery_regime(kind):
    train, val = _random_split(0)
    if kind == "fixed":
        table = np.random.default_rng(1).random((train.n_users, train.n_items))
        model = FixedModel(table).fit(train)
    else:
        model = create_model(kind).fit(train)
    ev = evaluate_model(model, val, k=(10,), exclude_seen=True, n_boot=10)
    for block in (512, 7):
        out = ndcg_validator(sample_users=None, block=block)(model.score_users, train, val)
        assert out["val_users"] == ev.users > 0
        assert out["val_ndcg@10"] == pytest.approx(ev.metrics()["ndcg@10"], rel=1e-12)
    # the rows measured are the evaluation's users
    rows = validation_users(train, val, sample_users=None)
    assert train.user_ids[rows].tolist() == ev.per_user["user_id"].tolist()


def test_sample_is_fixed_and_of_the_asked_size():
    train, val = _random_split(2)
    eligible = validation_users(train, val, sample_users=None)
    assert len(eligible) > 20
    table = np.random.default_rng(3).random((train.n_users, train.n_items))
    calls: list = []
    validate = ndcg_validator(sample_users=20, seed=5, block=8)
    first = validate(_table_scorer(table, calls), train, val)
    second = validate(_table_scorer(table, calls), train, val)
    assert first == second and first["val_users"] == 20.0
    chosen = np.concatenate(calls[: len(calls) // 2])
    assert np.array_equal(chosen, np.concatenate(calls[len(calls) // 2 :]))  # every epoch, the same users
    assert len(chosen) == 20 and len(set(chosen.tolist())) == 20 and set(chosen) <= set(eligible)
    # drawn from the seed, not from the call: a new validator (a new fit) sees the same users
    assert np.array_equal(validation_users(train, val, sample_users=20, seed=5), chosen)
    calls.clear()
    ndcg_validator(sample_users=20, seed=5)(_table_scorer(table, calls), train, val)
    assert np.array_equal(np.concatenate(calls), chosen)
    assert not np.array_equal(validation_users(train, val, sample_users=20, seed=6), chosen)
    # a sample at least as large as the eligible users is all of them
    assert np.array_equal(validation_users(train, val, sample_users=len(eligible)), eligible)


def test_another_split_is_prepared_afresh():
    validate = ndcg_validator(sample_users=None)
    a_train, a_val = _random_split(4)
    b_train, b_val = _random_split(5, n_users=30)
    scorer = _table_scorer(np.zeros((60, 80)))
    a_users = len(validation_users(a_train, a_val, sample_users=None))
    b_users = len(validation_users(b_train, b_val, sample_users=None))
    assert a_users != b_users
    assert validate(scorer, a_train, a_val)["val_users"] == a_users
    assert validate(scorer, b_train, b_val)["val_users"] == b_users
    assert validate(scorer, a_train, a_val)["val_users"] == a_users


def test_no_user_to_measure_gives_nan():
    train = Interactions.from_frame(frame({0: {0: 1.0}}), user_ids=np.arange(1), item_ids=np.arange(3))
    val = train.align(frame({0: {0: 1.0, 1: 0.5}}))
    out = ndcg_validator()(_table_scorer([[1, 2, 3]]), train, val)
    assert math.isnan(out["val_ndcg@10"]) and out["val_users"] == 0.0


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"k": 0}, "k must be"),
        ({"k": 2.5}, "k must be"),
        ({"sample_users": 0}, "sample_users"),
        ({"block": 0}, "block"),
    ],
)
def test_bad_settings(settings, match):
    with pytest.raises(ConfigError, match=match):
        ndcg_validator(**settings)


def test_a_factor_scorer_on_a_small_catalogue_goes_dense_once_and_stays_the_same(monkeypatch):
    """60 users x 2,000 tracks and random factors: the factor index's first pass (256 tracks) settles few
    users, so after the first epoch the validator scores the catalogue directly, with the same value."""
    from recsys.evaluation import validation
    from recsys.models.factor_scoring import FactorScorer

    train, val = _random_split(6, n_items=2000)
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(train.n_users, 8, generator=gen), torch.randn(train.n_items, 8, generator=gen)
    built: list = []
    real = validation.factor_index

    def counted(source):
        index = real(source)
        built.append(index)
        return index

    monkeypatch.setattr(validation, "factor_index", counted)
    validate = ndcg_validator(sample_users=None)
    scorer = FactorScorer(x, y)
    first = validate(scorer, train, val)
    assert len(built) == 1 and built[0].went_dense
    second = validate(scorer, train, val)
    assert len(built) == 1  # no second index: the catalogue is scored directly
    assert second == first
    table = (x @ y.T).numpy()
    plain = ndcg_validator(sample_users=None)(_table_scorer(table), train, val)
    assert plain["val_ndcg@10"] == pytest.approx(first["val_ndcg@10"], rel=1e-12)


def test_auto_sample_is_the_whole_small_split_and_the_default():
    train, val = _random_split(2, n_users=40)
    eligible = validation_users(train, val, sample_users=None)
    assert 0 < len(eligible) < 50
    assert np.array_equal(validation_users(train, val), eligible)  # under 50 users: everyone
    assert np.array_equal(validation_users(train, val, sample_users="auto"), eligible)
    with pytest.raises(ConfigError, match="'auto' or None"):
        ndcg_validator(sample_users="some")
