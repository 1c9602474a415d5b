"""The one contract every recommender follows.

Modelled on ``implicit``'s ``RecommenderBase`` and LensKit's per-epoch training hook:

* ``fit(train, *, val=None, callback=None)`` learns from an :class:`~recsys.data.interactions.Interactions`
  matrix and calls ``callback(epoch, metrics)`` after every epoch (``metrics`` holds at least
  ``train_loss``, ``val_loss`` and ``seconds`` for iterative models), so the dashboard, the CLI progress
  bar and the tests share one hook;
* ``score_users(rows)`` gives dense scores over every track for trained users (what evaluation uses);
* ``member_scores(user_ids, history=...)`` gives per-member scores for a group, folding in members the
  model was not trained on, or falling back to popularity;
* ``recommend(user_ids, n, ...)`` aggregates members' scores into one ranked group list (a
  :class:`~recsys.models.recommendation.GroupRecommendation`);
* ``save(path)`` / ``load(path)`` write and read a ``.pt`` file of tensors and plain values only
  (the format is :mod:`recsys.models.io`'s; which class a file's kind names is the registry's,
  :mod:`recsys.models.registry`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import torch

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError, ModelError, UnknownUserError
from recsys.models.group import aggregate
from recsys.models.io import write_model_file
from recsys.models.recommendation import GroupRecommendation
from recsys.models.training import StopFlag

__all__ = [
    "MEMBER_STATUSES",
    "MemberScores",
    "Recommender",
    "RowScorer",
    "TrainCallback",
    "Validator",
]

TrainCallback = Callable[[int, dict[str, float]], None]
"""``callback(epoch, metrics)``: ``epoch`` counts from 1; ``metrics`` maps names to floats."""

RowScorer = Callable[[np.ndarray], np.ndarray]
"""``scorer(rows)``: scores over every track, ``float32`` ``(len(rows), n_items)``, for training rows; a
fresh array the caller may overwrite. A scorer with a true ``accepts_out`` attribute also takes
``scorer(rows, out=buffer)`` and writes into that ``float32`` buffer (the validator reuses one)."""

Validator = Callable[[RowScorer, Interactions, Interactions], dict[str, float]]
"""``validate(scorer, train, val) -> metrics``: what a model reports on ``val`` after each epoch besides its
own loss (e.g. ``{"val_ndcg@10": ..., "val_users": ...}``). It is passed in by the caller (the training
driver passes :func:`recsys.evaluation.validation.ndcg_validator`), so models never import the evaluation."""

MEMBER_STATUSES = ("trained", "folded_in", "fallback")


@dataclass(frozen=True)
class MemberScores:
    """Scores of each group member over every track.

    Attributes
    ----------
    user_ids : list
        The members, in the order asked.
    scores : numpy.ndarray
        ``float32`` array ``(len(user_ids), n_items)``; higher is better.
    status : list of str
        Per member: ``"trained"`` (the model learned this user), ``"folded_in"`` (not trained on, scored
        from its history) or ``"fallback"`` (no usable history: popularity scores).
    seen : list of numpy.ndarray
        Per member, the track indices in its known history (training row or ``history`` row).
    """

    user_ids: list
    scores: np.ndarray
    status: list[str]
    seen: list[np.ndarray]


class Recommender(ABC):
    """Base class of every model. Subclasses set ``kind`` and ``config_class``.

    Attributes set by :meth:`fit` (and restored by :meth:`load`): ``user_ids`` and ``item_ids`` (the
    encoders, as plain id arrays), ``train`` (the training :class:`Interactions`), ``history`` (one dict
    per epoch, as passed to the callback) and ``fingerprint`` (of the data trained on, when known).
    """

    kind: ClassVar[str]
    config_class: ClassVar[type]

    def __init__(self, config: Any | None = None) -> None:
        self.config = config if config is not None else self.config_class()
        if not isinstance(self.config, self.config_class):
            raise ConfigError(
                f"{type(self).__name__} needs a {self.config_class.__name__}, "
                f"got {type(self.config).__name__}"
            )
        self.train: Interactions | None = None
        self.history: list[dict[str, float]] = []
        self.fingerprint: str | None = None
        self.metrics: dict[str, float] = {}

    # -- learning ------------------------------------------------------------------------------
    @abstractmethod
    def fit(
        self,
        train: Interactions,
        *,
        val: Interactions | None = None,
        callback: TrainCallback | None = None,
        stop: StopFlag | None = None,
        validate: Validator | None = None,
    ) -> Self:
        """Learn from ``train`` (and report on ``val`` after every epoch, if given).

        ``stop`` (:class:`recsys.models.training.StopFlag`), when set, ends an iterative fit cleanly after the
        current epoch; every model accepts it, so callers never need to know which kind they train.
        ``validate`` (a :data:`Validator`), with ``val``, adds its metrics to each epoch's report.
        """

    @abstractmethod
    def score_users(self, rows: np.ndarray) -> np.ndarray:
        """Scores over every track for trained users.

        Parameters
        ----------
        rows : numpy.ndarray
            Row indices into ``self.train`` (``self.train.user_index(ids)``).

        Returns
        -------
        numpy.ndarray
            ``float32`` array ``(len(rows), n_items)``, a fresh array the caller may overwrite (the
            evaluation writes exclusions into it).
        """

    def score_users_into(self, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
        """:meth:`score_users` written into ``out``, which is returned.

        The evaluation scores every user in blocks of hundreds x the whole catalogue; writing each
        block into one reused buffer saves allocating (and page-faulting) hundreds of megabytes per
        block, about half the time of a factor model's block. The default copies :meth:`score_users`'
        answer; models that can write in place (WMF) override it.

        Parameters
        ----------
        rows : numpy.ndarray
            Row indices into ``self.train``.
        out : numpy.ndarray
            ``float32`` ``(len(rows), n_items)``, C-contiguous.

        Returns
        -------
        numpy.ndarray
            ``out``.
        """
        out[...] = self.score_users(rows)
        return out

    def factors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None] | None:
        """``(user_factors, item_factors, user_bias, item_bias)`` when the model scores by
        ``x_u . y_i (+ b_u + b_i)``, else None (the default).

        With them, the evaluation finds each user's exact top-k without scoring every track
        (:mod:`recsys.evaluation.factor_topk`).
        """
        return None

    # -- group recommendation -------------------------------------------------------------------
    @property
    def user_ids(self) -> np.ndarray:
        """Original ids of the trained users (row order)."""
        return self._fitted().user_ids

    @property
    def item_ids(self) -> np.ndarray:
        """Original ids of the tracks (column order)."""
        return self._fitted().item_ids

    def popularity(self) -> np.ndarray:
        """Per-track popularity in training: number of users with a positive score, ``float32``."""
        return self._fitted().item_popularity()

    def fold_in(self, items: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Scores over every track for a user the model was not trained on.

        The default scores the user's history directly (the basic model's rule): tracks the user
        scored get their score, ties broken by popularity. Factor models override this with a
        least-squares solve against their fixed track factors.
        """
        pop = self.popularity()
        out = pop / (pop.max() + 1.0) if pop.size else pop
        out = out.astype(np.float32)
        out[items] += scores.astype(np.float32) + 1.0
        return out

    def fold_in_many(self, histories: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """:meth:`fold_in` for several users, ``float32`` ``(len(histories), n_items)``.

        The default calls :meth:`fold_in` per user; factor models override it with one batched solve.
        """
        return np.stack([self.fold_in(items, scores) for items, scores in histories])

    def _aligned(self, history: Interactions, train: Interactions) -> Interactions:
        """``history`` on the model's track order; the last answer is kept, since the dashboard and the
        CLI pass the same prepared history for every group (comparing 100,000 ids took 11 ms a call)."""
        cached = getattr(self, "_history_alignment", None)
        if cached is not None and cached[0] is history and cached[1] is train:
            return cached[2]
        aligned = (
            history if np.array_equal(history.item_ids, train.item_ids) else _realign(history, train.item_ids)
        )
        self._history_alignment = (history, train, aligned)
        return aligned

    def member_scores(self, user_ids: Sequence, *, history: Interactions | None = None) -> MemberScores:
        """Per-member scores over every track.

        Parameters
        ----------
        user_ids : sequence
            Member ids (original ids).
        history : Interactions, optional
            Known listening of users the model may not have been trained on (for the dashboard and
            the CLI, the whole prepared dataset), on the same track ids as the model. A member not
            trained but in ``history`` with at least one track is folded in; with none, it falls back
            to popularity.

        Raises
        ------
        UnknownUserError
            A member is neither a trained user nor a row of ``history``.
        """
        train = self._fitted()
        if len(user_ids) == 0:
            raise UnknownUserError("the group is empty: give at least one user id")
        if history is not None:
            history = self._aligned(history, train)
        rows = np.empty((len(user_ids), train.n_items), dtype=np.float32)
        status: list[str] = []
        seen: list[np.ndarray] = []
        # trained members are scored in one call, folded-in members in one batched fold-in
        trained: list[tuple[int, int]] = []
        folded: list[tuple[int, np.ndarray, np.ndarray]] = []
        for k, uid in enumerate(user_ids):
            if train.has_user(uid):
                row = int(train.user_index([uid])[0])
                trained.append((k, row))
                items = train.user_items(row)[0]
                if history is not None and history.has_user(uid):
                    items = np.union1d(items, history.user_items(int(history.user_index([uid])[0]))[0])
                status.append("trained")
                seen.append(items)
            elif history is not None and history.has_user(uid):
                items, scores = history.user_items(int(history.user_index([uid])[0]))
                if len(items):
                    folded.append((k, items, scores))
                    status.append("folded_in")
                else:
                    rows[k] = self.popularity()
                    status.append("fallback")
                seen.append(items)
            else:
                raise UnknownUserError(f"unknown user id {uid!r}: not in the training data or history")
        if trained:
            at, train_rows = zip(*trained, strict=True)
            if list(at) == list(range(len(at))):
                # every member trained (the usual group): scored straight into the table, no copy
                self.score_users_into(np.array(train_rows), rows[: len(at)])
            else:
                rows[list(at)] = self.score_users(np.array(train_rows))
        if folded:
            rows[[k for k, _, _ in folded]] = self.fold_in_many([(it, sc) for _, it, sc in folded])
        return MemberScores(user_ids=list(user_ids), scores=rows, status=status, seen=seen)

    def recommend(
        self,
        user_ids: Sequence,
        n: int = 10,
        *,
        strategy: str = "average",
        history: Interactions | None = None,
        exclude_seen: bool = False,
        weights: Sequence[float] | None = None,
        **strategy_options: Any,
    ) -> GroupRecommendation:
        """Recommend ``n`` tracks to a group (a group of one is a single user).

        Parameters
        ----------
        user_ids : sequence
            The members' original ids.
        n : int
            Length of the list.
        strategy : str
            Aggregation strategy of :func:`recsys.models.group.aggregate` (``average`` by default).
        history : Interactions, optional
            See :meth:`member_scores`.
        exclude_seen : bool
            Leave out tracks any member already has in their history (discovery).
        weights : sequence of float, optional
            One non-negative weight per member, in the order of ``user_ids``, for the strategies that
            take them (:data:`recsys.models.group.WEIGHTED_STRATEGIES`); None: everyone counts the same.
        **strategy_options
            Passed to :func:`recsys.models.group.aggregate` (e.g. ``threshold`` for the veto strategy).

        Returns
        -------
        GroupRecommendation
            The tracks best first with the group's scores, each member's normalised score and own rank
            of each track, and each member's status (see :class:`MemberScores`);
            :meth:`GroupRecommendation.to_frame` gives it as a table.

        Raises
        ------
        ConfigError
            ``n < 1`` or beyond the catalogue, an unknown strategy or option, or bad weights.
        UnknownUserError
            The group is empty, or a member is unknown (see :meth:`member_scores`).
        """
        if n < 1:
            raise ConfigError(f"n must be at least 1, got {n}")
        if n > self._fitted().n_items:
            raise ConfigError(f"n={n} is larger than the catalogue ({self._fitted().n_items} tracks)")
        members = self.member_scores(user_ids, history=history)
        exclude = None
        if exclude_seen:
            exclude = np.zeros(self._fitted().n_items, dtype=bool)
            for items in members.seen:
                exclude[items] = True
        result = aggregate(
            members.scores, strategy=strategy, n=n, exclude=exclude, weights=weights, **strategy_options
        )
        return GroupRecommendation(
            track_ids=self.item_ids[result.items],
            scores=result.group_scores,
            member_ids=list(members.user_ids),
            member_scores=result.member_scores,
            member_ranks=result.member_ranks,
            statuses=dict(zip(members.user_ids, members.status, strict=True)),
            strategy=strategy,
            details=result.details,
            weights=result.weights,
        )

    # -- persistence ----------------------------------------------------------------------------
    @abstractmethod
    def _state(self) -> dict[str, torch.Tensor]:
        """The learned tensors (besides the training matrix, which the base class stores)."""

    @abstractmethod
    def _set_state(self, tensors: dict[str, torch.Tensor]) -> None:
        """Restore what :meth:`_state` returned."""

    def _check_state(self, tensors: dict[str, torch.Tensor], n_users: int, n_items: int) -> None:
        """Raise :class:`ModelError` unless ``tensors`` (read from a file, finite) are what this model
        stores for ``n_users`` x ``n_items``. The default: no tensors (the model derives everything from
        the training matrix); models with learned tensors check their names and shapes."""
        if tensors:
            raise ModelError(f"a {self.kind} model stores no tensors, but the file has {sorted(tensors)}")

    def config_dict(self) -> dict[str, Any]:
        """The config as plain values."""
        return asdict(self.config)

    def save(self, path: str | Path) -> Path:
        """Write the model atomically to ``path`` (tensors and plain values only).

        Raises
        ------
        ModelError
            The model is not trained, or the file cannot be written.
        """
        return write_model_file(self, path)

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """Read a model file written by :meth:`save` (never unpickles arbitrary objects).

        Called on a model class, the file must hold a model of that class (or a subclass).

        Raises
        ------
        ModelError
            Missing, corrupt or foreign file, or a model of another class, naming the path.
        """
        # why: the registry imports every model class, and each imports this module; the registry is
        # the one map of file kinds to classes, so it is reached at call time, not at import.
        from recsys.models.registry import load_model

        model = load_model(path)
        if not isinstance(model, cls):
            raise ModelError(f"{path} holds a '{model.kind}' model, not a {cls.__name__}")
        return model

    # -- helpers --------------------------------------------------------------------------------
    def _fitted(self) -> Interactions:
        if self.train is None:
            raise ModelError(f"the {self.kind} model is not trained yet: call fit() or load()")
        return self.train


def _realign(history: Interactions, item_ids: np.ndarray) -> Interactions:
    return Interactions.from_frame(history.to_frame(), user_ids=history.user_ids, item_ids=item_ids)
