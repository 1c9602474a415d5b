"""A tiny model with known scores for the evaluation tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import torch

from recsys.data.interactions import Interactions
from recsys.models.base import Recommender


@dataclass
class FixedConfig:
    """No settings: the scores are given."""


class FixedModel(Recommender):
    """Scores every trained user with a given table (row = training row)."""

    kind = "fixed"
    config_class = FixedConfig

    def __init__(self, table: np.ndarray) -> None:
        super().__init__()
        self.table = np.asarray(table, dtype=np.float32)

    def fit(
        self, train: Interactions, *, val: Interactions | None = None, callback: object = None
    ) -> FixedModel:
        self.train = train
        return self

    def score_users(self, rows: np.ndarray) -> np.ndarray:
        return self.table[np.asarray(rows)]

    def _state(self) -> dict[str, torch.Tensor]:
        return {"table": torch.from_numpy(self.table)}

    def _set_state(self, tensors: dict[str, torch.Tensor]) -> None:
        self.table = tensors["table"].numpy()


def frame(pairs: dict[int, dict[int, float]]) -> pd.DataFrame:
    """``{user: {item: score}}`` -> a ``user_id, track_id, score`` table."""
    rows = [(u, i, s) for u, items in pairs.items() for i, s in items.items()]
    return pd.DataFrame(rows, columns=["user_id", "track_id", "score"])


@pytest.fixture
def tiny() -> tuple[FixedModel, Interactions]:
    """3 users x 5 tracks. Heard in training: user 0 {0, 1}, user 1 {2}, user 2 {3 (score 0)}.

    Scores: user 0 prefers low indices, user 1 high ones, user 2 ties everything.
    Validation: user 0 {0: 2, 3: 1, 4: 0.5}, user 1 {2: 1, 0: 1}, user 2 {4: 0.5}.
    """
    users, items = np.array([0, 1, 2]), np.array([0, 1, 2, 3, 4])
    train = Interactions.from_frame(
        frame({0: {0: 1.0, 1: 3.0}, 1: {2: 1.0}, 2: {3: 0.0}}), user_ids=users, item_ids=items
    )
    table = [[5, 4, 3, 2, 1], [1, 2, 3, 4, 5], [1, 1, 1, 1, 1]]
    model = FixedModel(np.array(table)).fit(train)
    val = train.align(frame({0: {0: 2.0, 3: 1.0, 4: 0.5}, 1: {2: 1.0, 0: 1.0}, 2: {4: 0.5}}))
    return model, val
