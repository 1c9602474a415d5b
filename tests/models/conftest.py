"""Tiny synthetic interaction matrices for the model tests (fixed seeds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.data.interactions import Interactions

ITEMS = np.array([f"t{k:02d}" for k in range(30)], dtype=object)
"""Catalogue of 30 string track ids; the last five are never played (popularity 0)."""

# Small settings per kind so every model trains in well under a second.
SMALL: dict[str, dict] = {"wmf": {"embedding_dim": 8, "epochs": 3, "seed": 0}, "random": {"seed": 3}}


def _frame(seed: int, users: range) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in users:
        # Two taste groups over the first 25 tracks, so factor models have structure to learn.
        pool = np.arange(0, 13) if u % 2 else np.arange(12, 25)
        for t in rng.choice(pool, size=6, replace=False):
            rows.append((u, ITEMS[t], float(rng.integers(1, 4))))
    return pd.DataFrame(rows, columns=["user_id", "track_id", "score"])


@pytest.fixture(scope="session")
def train() -> Interactions:
    """12 users (ids 1-12) x 30 tracks."""
    return Interactions.from_frame(_frame(0, range(1, 13)), item_ids=ITEMS)


@pytest.fixture(scope="session")
def val(train: Interactions) -> Interactions:
    """Held-out pairs of the same users, on the training indices."""
    return train.align(_frame(1, range(1, 13)))


@pytest.fixture(scope="session")
def history(train: Interactions) -> Interactions:
    """All known listening: the training users plus user 100 (three tracks) and user 200 (none)."""
    extra = pd.DataFrame(
        {"user_id": [100, 100, 100], "track_id": ["t01", "t03", "t05"], "score": [2.0, 1.0, 1.0]}
    )
    frame = pd.concat([train.to_frame(), extra], ignore_index=True)
    users = np.concatenate([train.user_ids, [100, 200]])
    return Interactions.from_frame(frame, user_ids=users, item_ids=ITEMS)


@pytest.fixture
def one_torch_thread():
    """Torch on one thread for the test: on tiny problems a second thread only adds contention on a
    shared machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
