"""Interactions: the users x tracks matrix and its encoders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.data.interactions import Interactions
from recsys.errors import UnknownUserError


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "track_id": ["a", "b", "a", "a", "c"],
                         "score": [1.0, 0.0, 2.0, 1.0, 1.0]})  # fmt: skip


def test_duplicates_are_summed_and_ids_encode_rows_and_columns() -> None:
    m = Interactions.from_frame(_frame(), item_ids=["a", "b", "c", "d"])
    assert m.matrix.shape == (3, 4)
    assert m.matrix[m.user_index([2])[0], 0] == 3.0
    assert m.item_index(["c", "zz"]).tolist() == [2, -1]
    with pytest.raises(UnknownUserError, match="99"):
        m.user_index([99])


def test_item_popularity_counts_users_with_a_positive_score() -> None:
    m = Interactions.from_frame(_frame(), item_ids=["a", "b", "c", "d"])
    # b only has a zero score; d nobody
    assert m.item_popularity().tolist() == [2.0, 0.0, 1.0, 0.0]
    assert m.item_popularity().dtype == np.float32


def test_align_drops_unknown_users_and_tracks() -> None:
    m = Interactions.from_frame(_frame())
    other = pd.DataFrame({"user_id": [1, 9], "track_id": ["c", "a"], "score": [1.0, 1.0]})
    aligned = m.align(other)
    assert aligned.nnz == 1 and np.array_equal(aligned.user_ids, m.user_ids)
