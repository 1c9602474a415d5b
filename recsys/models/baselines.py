"""The models without learned factors: the notebook's basic model, popularity and random.

They learn nothing iteratively, yet :meth:`fit` calls ``callback(1, {"seconds": ...})`` exactly once,
so the dashboard, the CLI progress bar and the history stored in the model file treat every model
alike (one "epoch" whose only metric is its wall time; no ``train_loss`` since there is no loss).

Scores every model gives, per member ``u`` and track ``i`` (``pop(i)`` = number of training users
with a positive score for ``i``):

* ``basic``: the user's training score plus a small popularity term, shaped so that the group
  aggregation ranks by the members' scores, then popularity (see :class:`BasicModel`).
* ``popularity``: ``s_u(i) = pop(i)`` for everyone.
* ``random``: ``s_u(i)`` uniform in ``[0, 1)``, drawn from a generator seeded with ``(seed, row)``.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from numbers import Real
from typing import Self

import numpy as np
import scipy.sparse as sp
import torch

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError, TrainingError
from recsys.models.base import Recommender, TrainCallback, Validator
from recsys.models.training import StopFlag

__all__ = [
    "BasicConfig",
    "BasicModel",
    "PopularityConfig",
    "PopularityModel",
    "RandomConfig",
    "RandomModel",
]


@dataclass(frozen=True)
class BasicConfig:
    """Settings of :class:`BasicModel` (frozen, checked on creation).

    Attributes
    ----------
    popularity_weight : float
        Weight ``w`` of the popularity term (relative to the member's top score): small, so that
        popularity only breaks ties and fills the list after the tracks the members scored.
    """

    popularity_weight: float = 1e-4

    def __post_init__(self) -> None:
        """Raise :class:`ConfigError` unless ``0 <= popularity_weight < 1``."""
        w = self.popularity_weight
        if not (isinstance(w, Real) and not isinstance(w, bool) and 0 <= w < 1):
            raise ConfigError(f"popularity_weight must be in [0, 1), got {w!r}")


@dataclass(frozen=True)
class PopularityConfig:
    """Settings of :class:`PopularityModel` (it has none)."""


@dataclass(frozen=True)
class RandomConfig:
    """Settings of :class:`RandomModel` (frozen, checked on creation).

    Attributes
    ----------
    seed : int
        Seed of the random scores: the same seed gives the same scores.
    """

    seed: int = 0

    def __post_init__(self) -> None:
        """Raise :class:`ConfigError` unless ``seed`` is a non-negative integer."""
        seed = self.seed
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")


class _Baseline(Recommender):
    """Shared fit: check the matrix, keep it, report one epoch."""

    def fit(
        self,
        train: Interactions,
        *,
        val: Interactions | None = None,
        callback: TrainCallback | None = None,
        stop: StopFlag | None = None,
        validate: Validator | None = None,
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
        stop : StopFlag, optional
            Accepted for the common contract; a one-pass fit has no epoch to stop after.
        validate : Validator, optional
            Accepted for the common contract and unused: these models report no validation metric
            (their one "epoch" reports only its wall time); evaluate them after fitting instead.

        Returns
        -------
        Self
        """
        start = time.perf_counter()
        if train.n_items == 0:
            raise TrainingError(f"cannot train the {self.kind} model: the training matrix has no tracks")
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

    def _state(self) -> dict[str, torch.Tensor]:
        # Everything these models use is derived from the training matrix, which the file stores.
        return {}

    def _set_state(self, tensors: dict[str, torch.Tensor]) -> None:
        self._pop_cache = None


class BasicModel(_Baseline):
    """The notebook's basic group model: the members' own training scores, then global popularity.

    Member ``u`` scores track ``i`` as::

        s_u(i) = r_u(i) + w * R_u * p(i) / P_u

    with ``r_u(i)`` its training score (0 when absent), ``R_u`` its top score, ``p(i)`` the track's
    popularity (training users with a positive score), ``P_u`` the largest popularity among the
    member's top-scored tracks (those get ``+ w * R_u`` instead when ``P_u`` is 0, an unknown member's
    history) and ``w = popularity_weight``. A member not trained on is scored by the same rule from its
    history.

    Why this shape. :func:`recsys.models.group.aggregate` min-max scales every member (favourite 1, least
    liked 0). With the popularity term relative to the member's own top, every member's maximum is
    exactly ``R_u (1 + w)`` and its minimum 0 (any track nobody played; or, with seen tracks
    excluded, every candidate has ``r = 0``), so member ``u``'s scaled value is
    ``(r_u(i) / R_u + w * p(i) / P_u) / (1 + w)`` and the default ``average`` strategy ranks by::

        S(i) + w * p(i) * sum_u 1 / P_u,      S(i) = sum_u r_u(i) / R_u

    That is the notebook's ``get_recommendations`` put on one scale: the sum of the members' training
    scores (each member's divided by its top score), ties broken and the list filled with global
    popularity, then the lower track index. A group of one gets exactly the notebook's order (score,
    then popularity). Exact while (a) different sums ``S`` differ by more than the popularity term
    (``w * p / P_u`` per member, at most ``w`` times the number of users) and (b) each member's
    second-best score is below ``R_u (1 - w * p / P_u)``; both hold for play counts with the default
    ``w = 1e-4``, which is also large enough to survive ``float32`` rounding of the scores.
    """

    kind = "basic"
    config_class = BasicConfig

    def _scores(self, items: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """The rule above for one member, from its tracks and scores (float64 maths, float32 out)."""
        pop = self.popularity().astype(np.float64)
        r = np.zeros(pop.size, dtype=np.float64)
        np.add.at(r, np.asarray(items, dtype=np.int64), np.asarray(scores, dtype=np.float64))
        top_score = float(r.max(initial=0.0))
        bonus = np.zeros_like(r)
        if top_score > 0:
            top = r == top_score
            top_pop = float(pop[top].max())
            if top_pop <= 0:
                bonus[top] = 1.0  # keeps the member's maximum at R (1 + w) as for everyone
                top_pop = 1.0
        else:  # no positive score: popularity alone
            top_score, top_pop = 1.0, 1.0
        w = float(self.config.popularity_weight)
        return (r + w * top_score * (pop + bonus) / top_pop).astype(np.float32)

    def score_users(self, rows: np.ndarray) -> np.ndarray:
        """Each user's score by the rule above, ``float32 (len(rows), n_items)``.

        The rule of :meth:`_scores` for a block of users at once: the popularity term of every user as one
        float32 outer product, each user's own tracks by the float64 rule from the CSR rows. One user at a
        time in float64 took 0.45 s per 300 users at 100,000 tracks, most of the Evaluate page's wait at
        that size. Off a user's tracks a value may differ from :meth:`_scores` in the last float32 bit;
        the order (popularity's) is the same.
        """
        train = self._fitted()
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), train.n_items), dtype=np.float32)
        pop = self.popularity().astype(np.float64)
        w = float(self.config.popularity_weight)
        step = max(1, (1 << 22) // max(train.n_items, 1))  # 4 M cells a block
        for lo in range(0, len(rows), step):
            block = train.matrix[rows[lo : lo + step]]
            out[lo : lo + step] = self._block_scores(block, pop, w)
        return out

    @staticmethod
    def _block_scores(block: sp.csr_matrix, pop: np.ndarray, w: float) -> np.ndarray:
        """:meth:`_scores` of every row of a CSR block (float32 out)."""
        n = block.shape[0]
        counts = np.diff(block.indptr)
        owner = np.repeat(np.arange(n), counts)
        values = block.data.astype(np.float64)
        top_score = np.zeros(n)
        np.maximum.at(top_score, owner, values)
        on_top = (values == top_score[owner]) & (top_score[owner] > 0)
        top_pop = np.full(n, -np.inf)
        np.maximum.at(top_pop, owner[on_top], pop[block.indices[on_top]])
        has_top = top_score > 0
        bonus_rows = has_top & (top_pop <= 0)
        top_pop = np.where(has_top & ~bonus_rows, top_pop, 1.0)
        top_score = np.where(has_top, top_score, 1.0)
        wt = w * top_score
        # Off the user's own tracks the score is a positive multiple of popularity, so it is formed in
        # float32 directly (one product per cell instead of four float64 passes and a cast; the order
        # is popularity's either way); the user's own cells get the float64 rule.
        out = (wt / top_pop).astype(np.float32)[:, None] * pop.astype(np.float32)[None, :]
        cells_bonus = on_top & bonus_rows[owner]
        cols = block.indices
        # cells: r + w R (p + bonus) / P, the bonus 1 on a user's top cells when P was 0
        at_cells = (wt[owner] * (pop[cols] + cells_bonus)) / top_pop[owner]
        out[owner, cols] = values + at_cells
        return out

    def fold_in(self, items: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Score a user not trained on from its history, by the same rule as a trained user."""
        return self._scores(items, scores)


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
