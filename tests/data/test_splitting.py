"""Splitting: per-user chronological, global time cut, seeded random; settings validated."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.data.splitting import assign_splits, validate_split_settings
from recsys.errors import ConfigError


def test_chrono_each_user_earliest_to_train_latest_to_test():
    # User 1: 20 events given in shuffled time order; user 2: 10 events; user 3: 1 event.
    rng = np.random.default_rng(0)
    times1 = rng.permutation(20) * 1000
    users = np.r_[np.ones(20, int), np.full(10, 2), [3]]
    stamps = np.r_[times1, np.arange(10) * 5, [42]]
    codes = assign_splits(users, stamps)
    first = codes[:20]
    # 20 events: floor(20*0.15)=3 test, 3 val, the other 14 train, by time.
    by_time = first[np.argsort(times1)]
    assert by_time.tolist() == [0] * 14 + [1] * 3 + [2] * 3
    # 10 events: floor(1.5)=1 test, 1 val, 8 train.
    assert codes[20:30].tolist() == [0] * 8 + [1] + [2]
    assert codes[30] == 0  # a single event stays in train


def test_chrono_ties_follow_file_order():
    users = np.zeros(10, int)
    stamps = np.zeros(10, int)
    assert assign_splits(users, stamps).tolist() == [0] * 8 + [1] + [2]


def test_chrono_works_with_string_users_and_datetimes():
    users = np.array(["b", "a", "b", "a"] * 5)
    stamps = np.arange(20).astype("datetime64[s]")
    codes = assign_splits(users, stamps)
    assert codes[users == "a"].tolist() == [0] * 8 + [1] + [2]


def test_fractions_are_settings():
    users = np.zeros(10, int)
    codes = assign_splits(users, np.arange(10), val_frac=0.2, test_frac=0.3)
    assert codes.tolist() == [0] * 5 + [1] * 2 + [2] * 3
    codes = assign_splits(users, np.arange(10), val_frac=0.0, test_frac=0.5)
    assert codes.tolist() == [0] * 5 + [2] * 5


def test_time_cut_is_one_instant_for_everybody():
    users = np.array([1] * 10 + [2] * 10)
    stamps = np.r_[np.arange(10), np.arange(10, 20)]  # user 2 is entirely later
    codes = assign_splits(users, stamps, method="time")
    # cuts at the 14th and 17th timestamps of 20: 14 and 17
    assert codes.tolist() == [0] * 14 + [1] * 3 + [2] * 3
    assert (codes[:10] == 0).all()


def test_time_cut_keeps_equal_timestamps_together():
    stamps = np.array([1, 1, 1, 1, 1, 1, 1, 2, 2, 2])
    codes = assign_splits(np.zeros(10, int), stamps, method="time")
    assert codes.tolist() == [0] * 7 + [2] * 3  # the validation cut falls inside the 2s


def test_random_is_seeded_and_keeps_per_user_proportions():
    users = np.repeat(np.arange(5), 20)
    stamps = np.arange(100)
    a = assign_splits(users, stamps, method="random", seed=1)
    b = assign_splits(users, stamps, method="random", seed=1)
    c = assign_splits(users, stamps, method="random", seed=2)
    assert (a == b).all() and (a != c).any()
    for u in range(5):
        assert np.bincount(a[users == u], minlength=3).tolist() == [14, 3, 3]
    assert (a != assign_splits(users, stamps)).any()  # not the chronological order


@pytest.mark.parametrize(
    ("method", "val", "test", "seed", "match"),
    [
        ("cronological", 0.15, 0.15, 0, "unknown split method"),
        ("chrono", -0.1, 0.15, 0, "val_frac"),
        ("chrono", 0.15, 1.0, 0, "test_frac"),
        ("chrono", 0.5, 0.5, 0, "below 1"),
        ("chrono", float("nan"), 0.1, 0, "val_frac"),
        ("random", 0.1, 0.1, -3, "seed"),
    ],
)
def test_bad_settings_raise_config_error(method, val, test, seed, match):
    with pytest.raises(ConfigError, match=match):
        validate_split_settings(method, val, test, seed)
    with pytest.raises(ConfigError, match=match):
        assign_splits(np.zeros(3, int), np.arange(3), method=method, val_frac=val, test_frac=test, seed=seed)
