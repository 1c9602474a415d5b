"""The models without learned factors: the notebook's basic model, popularity and random.

They learn nothing iteratively, yet :meth:`fit` calls ``callback(1, {"seconds": ...})`` exactly once,
so the dashboard, the CLI progress bar and the history stored in the model file treat every model
alike (one "epoch" whose only metric is its wall time; no ``train_loss`` since there is no loss).

Scores every model gives, per member ``u`` and track ``i`` (``pop(i)`` = number of training users
with a positive score for ``i``, ``P = max pop + 1``, so ``pop(i) / P`` lies in ``[0, 1)``):

* ``basic``: ``s_u(i) = r_u(i) + w * pop(i) / P`` where ``r_u(i)`` is the user's training score
  (0 when absent) and ``w = popularity_weight`` (default ``1e-3``). A member not trained on is scored
  the same way from its history. See :class:`BasicModel` for the group rule this gives.
* ``popularity``: ``s_u(i) = pop(i)`` for everyone.
* ``random``: ``s_u(i)`` uniform in ``[0, 1)``, drawn from a generator seeded with ``(seed, row)``.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import Self

import numpy as np
import torch

from recsys.errors import ConfigError, TrainingError
from recsys.interactions import Interactions
from recsys.models.base import Recommender, TrainCallback

__all__ = [
    "BasicConfig",
    "BasicModel",
    "PopularityConfig",
    "PopularityModel",
    "RandomConfig",
    "RandomModel",
]


@dataclass
class BasicConfig:
    """Settings of :class:`BasicModel`.

    Attributes
    ----------
    popularity_weight : float
        Weight ``w`` of the normalised popularity added to every score: small, so that popularity
        only breaks ties and fills the list after the tracks the members scored.
    """

    popularity_weight: float = 1e-3


@dataclass
class PopularityConfig:
    """Settings of :class:`PopularityModel` (it has none)."""


@dataclass
class RandomConfig:
    """Settings of :class:`RandomModel`.

    Attributes
    ----------
    seed : int
        Seed of the random scores: the same seed gives the same scores.
    """

    seed: int = 0


class _Baseline(Recommender):
    """Shared fit: check the matrix, keep it, report one epoch."""

    def fit(
        self,
        train: Interactions,
        *,
        val: Interactions | None = None,
        callback: TrainCallback | None = None,
    ) -> Self:
        """Keep the training matrix; call ``callback(1, {"seconds": ...})`` once.

        Parameters
        ----------
        train : Interactions
            Training scores.
        val : Interactions, optional
            Unused (nothing to tune); accepted for the common contract.
        callback : callable, optional
            ``callback(epoch, metrics)``; called once with epoch 1 and the fit's ``seconds``.

        Returns
        -------
        Self
        """
        start = time.perf_counter()
        if train.n_items == 0:
            raise TrainingError(f"cannot train the {self.kind} model: the training matrix has no tracks")
        self._validate()
        self.train = train
        self._pop_cache = None
        self.popularity()  # computed once here, so the reported seconds include it
        metrics = {"seconds": time.perf_counter() - start}
        self.history = [metrics]
        if callback is not None:
            callback(1, dict(metrics))
        return self

    def popularity(self) -> np.ndarray:
        """Per-track popularity in training (number of users with a positive score), cached."""
        train = self._fitted()
        cache = getattr(self, "_pop_cache", None)
        if cache is None or cache[0] is not train:
            cache = (train, super().popularity())
            self._pop_cache = cache
        return cache[1]

    def _validate(self) -> None:
        """Check the config (subclasses override)."""

    def _state(self) -> dict[str, torch.Tensor]:
        # Everything these models use is derived from the training matrix, which the file stores.
        return {}

    def _set_state(self, tensors: dict[str, torch.Tensor]) -> None:
        self._pop_cache = None


class BasicModel(_Baseline):
    """The notebook's basic group model: the members' own training scores, then global popularity.

    Each member scores track ``i`` with ``r_u(i) + w * pop(i) / P`` (module docstring). The default
    ``average`` aggregation of :func:`recsys.group.aggregate` therefore ranks a group's tracks by the sum
    of the members' training scores, ties broken and the rest of the list filled by global popularity,
    which is the notebook's ``get_recommendations``. The rule is exact while sums of scores that differ
    do so by more than ``w`` (scores are counts of plays and likes, so by at least 1 - far more than
    ``w = 1e-3``); ties left after popularity go to the lower track index.
    """

    kind = "basic"
    config_class = BasicConfig

    def _validate(self) -> None:
        w = self.config.popularity_weight
        if not (isinstance(w, (int, float)) and 0 <= w < 1):
            raise ConfigError(f"popularity_weight must be in [0, 1), got {w!r}")

    def _popularity_term(self) -> np.ndarray:
        pop = self.popularity()
        scale = float(self.config.popularity_weight) / (float(pop.max(initial=0.0)) + 1.0)
        return (pop * scale).astype(np.float32)

    def score_users(self, rows: np.ndarray) -> np.ndarray:
        """Each user's training scores plus the small popularity term, ``float32 (len(rows), n_items)``."""
        train = self._fitted()
        rows = np.asarray(rows, dtype=np.int64)
        out = np.tile(self._popularity_term(), (len(rows), 1))
        sub = train.matrix[rows]
        out += sub.toarray().astype(np.float32)
        return out

    def fold_in(self, items: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Score a user not trained on from its history, by the same rule as a trained user."""
        out = self._popularity_term().copy()
        np.add.at(out, np.asarray(items, dtype=np.int64), np.asarray(scores, dtype=np.float32))
        return out


class PopularityModel(_Baseline):
    """Recommends the most popular training tracks to everyone (popularity = users who scored it)."""

    kind = "popularity"
    config_class = PopularityConfig

    def score_users(self, rows: np.ndarray) -> np.ndarray:
        """The popularity vector for every row, ``float32 (len(rows), n_items)``."""
        return np.tile(self.popularity(), (len(np.asarray(rows)), 1))

    def fold_in(self, items: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Popularity: the model ignores who listens."""
        return self.popularity().copy()


class RandomModel(_Baseline):
    """Uniform random scores, reproducible: the same seed gives the same scores.

    A trained user's scores depend only on ``(seed, row index)``; a member folded in from its history
    gets scores that depend only on ``(seed, its history's track indices)``.
    """

    kind = "random"
    config_class = RandomConfig

    def _validate(self) -> None:
        seed = self.config.seed
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")

    def score_users(self, rows: np.ndarray) -> np.ndarray:
        """Random scores in ``[0, 1)``, one generator per ``(seed, row)``."""
        n_items = self._fitted().n_items
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), n_items), dtype=np.float32)
        for k, row in enumerate(rows.tolist()):
            out[k] = np.random.default_rng([int(self.config.seed), 0, row]).random(n_items, dtype=np.float32)
        return out

    def fold_in(self, items: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Random scores seeded by ``(seed, history)``; the scores themselves are not used."""
        key = zlib.crc32(np.sort(np.asarray(items, dtype=np.int64)).tobytes())
        rng = np.random.default_rng([int(self.config.seed), 1, key])
        return rng.random(self._fitted().n_items, dtype=np.float32)
