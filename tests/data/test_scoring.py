"""Score aggregation per (user, track), as the notebook's aggregate_interactions."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys.data.scoring import aggregate_interactions
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
