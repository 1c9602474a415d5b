"""The typed group list: its fields, helpers and the display table built from it."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from recsys.errors import UnknownUserError
from recsys.models.recommendation import GroupRecommendation


def _rec(members: list, n: int = 3) -> GroupRecommendation:
    m = len(members)
    return GroupRecommendation(
        track_ids=np.array([f"t{j}" for j in range(n)], dtype=object),
        scores=np.linspace(1.0, 0.5, n),
        member_ids=list(members),
        member_scores=np.arange(m * n, dtype=np.float64).reshape(m, n) / (m * n),
        member_ranks=np.arange(1, m * n + 1, dtype=np.int64).reshape(m, n),
        statuses={u: "trained" if i % 2 == 0 else "folded_in" for i, u in enumerate(members)},
        strategy="least_misery",
    )


def test_fields_and_helpers() -> None:
    rec = _rec([7, "x"])
    assert len(rec) == 3 and rec.ranks.tolist() == [1, 2, 3]
    assert rec.status_of(7) == "trained" and rec.status_of("x") == "folded_in"
    assert rec.member_index("x") == 1
    np.testing.assert_array_equal(rec.scores_of("x"), rec.member_scores[1])
    np.testing.assert_array_equal(rec.ranks_of(7), [1, 2, 3])
    with pytest.raises(UnknownUserError, match="99"):
        rec.status_of(99)
    with pytest.raises(UnknownUserError, match="99"):
        rec.scores_of(99)


def test_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match="member_scores"):
        GroupRecommendation(
            track_ids=np.array(["a", "b"]),
            scores=np.zeros(2),
            member_ids=[1],
            member_scores=np.zeros((1, 3)),
            member_ranks=np.ones((1, 2), dtype=np.int64),
            statuses={1: "trained"},
        )


def test_to_frame_is_the_display_table() -> None:
    rec = _rec([7, "x"])
    frame = rec.to_frame()
    assert frame.columns.tolist() == [
        "rank", "track_id", "score", "score[7]", "rank[7]", "score[x]", "rank[x]"
    ]
    assert frame["rank"].tolist() == [1, 2, 3] and frame["track_id"].tolist() == ["t0", "t1", "t2"]
    assert frame["rank[x]"].dtype == np.int64 and frame["score[7]"].dtype == np.float64
    np.testing.assert_array_equal(frame["score[x]"], rec.member_scores[1])
    assert frame.attrs == {"members": {7: "trained", "x": "folded_in"}, "strategy": "least_misery"}
    frame.attrs["members"][7] = "changed"  # the table's attrs are a copy: the result stays as it was
    assert rec.status_of(7) == "trained"


def test_big_group_frame_is_built_in_one_go() -> None:
    # one column at a time fragments the frame (pandas warns, and each insert copies it)
    members = list(range(400))
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        frame = _rec(members, n=10).to_frame()
    assert frame.shape == (10, 3 + 2 * 400)
