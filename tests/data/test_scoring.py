"""Score aggregation per (user, track), as the notebook's aggregate_interactions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.data.scoring import aggregate_codes, aggregate_event_codes, aggregate_interactions
from recsys.errors import ConfigError


def events(rows):
    return pd.DataFrame(rows, columns=["user_id", "track_id", "event_type"])


def test_default_weights_play_and_like_one_skip_zero():
    frame = events(
        [
            (1, "a", "play"),
            (1, "a", "play"),
            (1, "a", "like"),
            (1, "b", "skip"),
            (2, "a", "skip"),
            (2, "a", "play"),
            (2, "c", "like"),
        ]
    )
    got = aggregate_interactions(frame)
    assert got.to_dict("records") == [
        {"user_id": 1, "track_id": "a", "score": 3.0},
        {"user_id": 1, "track_id": "b", "score": 0.0},  # skip-only pair kept with score 0
        {"user_id": 2, "track_id": "a", "score": 1.0},
        {"user_id": 2, "track_id": "c", "score": 1.0},
    ]


def test_custom_weights_and_unknown_events():
    frame = events([(1, "a", "play"), (1, "a", "like"), (1, "a", "skip"), (1, "a", "share")])
    got = aggregate_interactions(frame, {"play": 1.0, "like": 2.5, "skip": -0.5}, default_weight=0.25)
    assert got["score"].tolist() == [1.0 + 2.5 - 0.5 + 0.25]


def test_empty_split():
    got = aggregate_interactions(events([]))
    assert list(got.columns) == ["user_id", "track_id", "score"] and got.empty


def test_bad_weight():
    with pytest.raises(ConfigError, match="like"):
        aggregate_interactions(events([(1, "a", "play")]), {"like": float("inf")})


@pytest.mark.parametrize(
    "weights",
    [[1.0, 1.0, 0.0, 0.0], [2.0, -1.0, 0.0, 3.0], [-0.0, 0.0, 0.0, 0.0], [0.1, 0.7, 0.0, 1e-3]],
)
def test_aggregate_event_codes_matches_aggregate_codes(weights):
    # the counting fast path (whole weights) and the fallback give aggregate_codes' pairs and scores
    rng = np.random.default_rng(3)
    users = rng.integers(0, 40, 5000)
    tracks = rng.integers(0, 25, 5000)
    kinds = rng.integers(0, 4, 5000)
    weight_of = np.array(weights)
    got = aggregate_event_codes(users, tracks, kinds, weight_of, 25)
    want = aggregate_codes(users, tracks, weight_of[kinds], 25)
    for a, b in zip(got, want, strict=True):
        assert a.dtype.kind == b.dtype.kind
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.signbit(got[2]), np.signbit(want[2]))  # no -0.0 of our own
    empty = aggregate_event_codes(users[:0], tracks[:0], kinds[:0], weight_of, 25)
    assert all(len(part) == 0 for part in empty)
