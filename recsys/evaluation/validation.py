"""The per-epoch validation metric a model reports while it trains, computed by the evaluation itself.

Models may not import the evaluation (it sits above them), so the caller hands one in:
``model.fit(train, val=val, validate=ndcg_validator())``. The validator ranks every track for each
validation user with the model's current scores and measures NDCG@k exactly as the Evaluate page does in
the discovery regime (:func:`recsys.evaluation.evaluate_model` with ``exclude_seen=True``): tracks heard in
training are removed from the ranking and from the relevant set, and only users left with a relevant
track count. There is therefore one NDCG in the project, whether read on a training curve or in a report.

An epoch must stay cheap, so by default (``sample_users="auto"``) the metric is taken on a fixed,
seeded sample of those users: a twentieth of them, at least 50 and at most 2,000 (:func:`auto_sample_size`;
a number sets the size, None measures all). Every epoch (and every fit on the same matrices) sees the
same users, so the curve moves only because the model does. Why a share and a cap: ranking every track
for a user costs ``tracks x factors`` multiply-adds, against an ALS update that grows with the users and
the stored pairs; on the 1,000-user release (22,000 tracks) measuring every user cost as much as the
update itself, and 2,000 users at 50,000 x 100,000 cost about a tenth of it.

A factor model's lists come from the exact pruned top-k of :mod:`recsys.evaluation.factor_topk` (at
50,000 x 100,000 a user's top-10 needs about 1% of the tracks); once an epoch shows the index scoring the
whole catalogue anyway (a small one), later epochs score it directly. Other models' blocks are scored
into one buffer kept for the fit. Memory is bounded by ``block x n_items`` floats either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.evaluation.evaluate import EvalData, prepare_truth
from recsys.evaluation.factor_topk import factor_index
from recsys.evaluation.metrics import ndcg_at_k
from recsys.evaluation.ranking import top_k

if TYPE_CHECKING:
    # Type names only (as in evaluate.py): the validator runs no model code, it is handed a scorer.
    from recsys.models.base import RowScorer, Validator

__all__ = ["AUTO", "auto_sample_size", "ndcg_validator", "validation_users"]


AUTO = "auto"
"""The default sample setting: :func:`auto_sample_size` of the users that qualify."""

_SHARE, _FLOOR, _CAP = 20, 50, 2000


def auto_sample_size(eligible: int) -> int:
    """The ``"auto"`` sample: a twentieth of the ``eligible`` users, at least 50 and at most 2,000.

    Parameters
    ----------
    eligible : int
        Users with a relevant validation track not heard in training.

    Returns
    -------
    int
        The sample size (at least ``eligible`` below 50 users: everyone is measured).
    """
    return min(_CAP, max(_FLOOR, -(-int(eligible) // _SHARE)))


@dataclass(frozen=True)
class _Prepared:
    """What one (train, val) pair needs at every epoch: the discovery-regime truth and the users."""

    train: Interactions
    val: Interactions
    data: EvalData
    rows: np.ndarray
    size: int | None  # the sample setting resolved for these users (None: all)
    buffer: list[np.ndarray]  # the block buffer, allocated at the first epoch and reused by the others
    dense: list[bool]  # set once the factor index scored the whole catalogue: later epochs skip it


def _resolved(sample_users: int | str | None, eligible: int) -> int | None:
    """The sample size a setting means for ``eligible`` users (``"auto"``: :func:`auto_sample_size`)."""
    if sample_users == AUTO:
        return auto_sample_size(eligible)
    return None if sample_users is None else int(sample_users)


def _sample(rows: np.ndarray, size: int | None, seed: int) -> np.ndarray:
    """``size`` of ``rows`` (all when fewer or None), seeded, in ascending order."""
    if size is None or len(rows) <= size:
        return rows
    chosen = np.random.default_rng(seed).choice(len(rows), size=size, replace=False)
    return rows[np.sort(chosen)]


def _prepare(
    train: Interactions, val: Interactions, *, threshold: float, sample_users: int | str | None, seed: int
) -> _Prepared:
    data = prepare_truth(train, val, threshold=threshold, exclude_seen=True)
    size = _resolved(sample_users, len(data.rows))
    return _Prepared(train, val, data, _sample(data.rows, size, seed), size, [], [False])


def _check(k: int, sample_users: int | str | None, block: int) -> None:
    def positive(value: object) -> bool:
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1

    if not positive(k):
        raise ConfigError(f"k must be a positive integer, got {k!r}")
    if sample_users is not None and sample_users != AUTO and not positive(sample_users):
        raise ConfigError(f"sample_users must be a positive integer, 'auto' or None, got {sample_users!r}")
    if not positive(block):
        raise ConfigError(f"block must be a positive integer, got {block!r}")


def _score(scorer: RowScorer, rows: np.ndarray, prepared: _Prepared, block: int, n_items: int) -> np.ndarray:
    """One block of scores, written into the fit's reused buffer when the scorer can (``accepts_out``):
    a fresh ``block x n_items`` array per block and epoch would be page-faulted in every time."""
    if not getattr(scorer, "accepts_out", False):
        return scorer(rows)
    if not prepared.buffer:
        prepared.buffer.append(np.empty((min(block, len(prepared.rows)), n_items), dtype=np.float32))
    return scorer(rows, out=prepared.buffer[0][: len(rows)])  # type: ignore[call-arg]


def validation_users(
    train: Interactions,
    val: Interactions,
    *,
    threshold: float = 1.0,
    sample_users: int | str | None = AUTO,
    seed: int = 0,
) -> np.ndarray:
    """The training rows :func:`ndcg_validator` measures on, for the same settings.

    Parameters
    ----------
    train : Interactions
        The training matrix (its rows are the model's).
    val : Interactions
        The validation split, on ``train``'s indices or realigned by id.
    threshold : float
        A validation pair is relevant when its score is ``>= threshold``.
    sample_users : int, "auto" or None
        At most this many users, drawn once with ``seed``; ``"auto"``: :func:`auto_sample_size` of the
        eligible users; None: every eligible user.
    seed : int
        Seed of the sample.

    Returns
    -------
    numpy.ndarray
        Ascending training rows of users with a relevant validation track not heard in training.
    """
    _check(1, sample_users, 1)
    return _prepare(train, val, threshold=threshold, sample_users=sample_users, seed=seed).rows


def ndcg_validator(
    k: int = 10,
    *,
    sample_users: int | str | None = AUTO,
    seed: int = 0,
    threshold: float = 1.0,
    block: int = 512,
) -> Validator:
    """A :data:`~recsys.models.base.Validator` giving mean NDCG@k on validation, discovery regime.

    Parameters
    ----------
    k : int
        List length.
    sample_users : int, "auto" or None
        When more users qualify, measure a fixed sample of this many (drawn with ``seed``);
        ``"auto"``: :func:`auto_sample_size` of those users; None: all.
    seed : int
        Seed of the sample.
    threshold : float
        A validation pair is relevant when its score is ``>= threshold`` (as in the evaluation).
    block : int
        Users scored at once (memory: ``block x n_items`` floats).

    Returns
    -------
    Validator
        ``validate(scorer, train, val) -> {f"val_ndcg@{k}": mean, "val_users": n}``: the mean over the
        users measured (NaN when none qualifies) and their number. The users and the truth are worked
        out once per ``(train, val)`` pair and reused at every later epoch.

    Raises
    ------
    ConfigError
        ``k`` or ``block`` is not a positive integer, or ``sample_users`` is neither that, ``"auto"``
        nor None.

    Examples
    --------
    >>> model.fit(train, val=val, validate=ndcg_validator())  # doctest: +SKIP
    """
    _check(k, sample_users, block)
    return _NdcgValidate(k, sample_users, seed, threshold, block)


class _NdcgValidate:
    """The validator :func:`ndcg_validator` returns; ``sample_size`` is the sample it settled on (the
    number for ``"auto"``, None for all), known once it has seen its ``(train, val)`` pair."""

    def __init__(
        self, k: int, sample_users: int | str | None, seed: int, threshold: float, block: int
    ) -> None:
        self.k, self.seed, self.threshold, self.block = k, seed, threshold, block
        self.sample_users = sample_users
        self.name = f"val_ndcg@{k}"
        # One entry: a fit validates on one (train, val) pair; identity, not equality, is the cheap
        # check, and keeping the objects themselves (not their ids) means a freed id can never be
        # mistaken for them.
        self._cache: list[_Prepared] = []

    def _prepared(self, train: Interactions, val: Interactions) -> _Prepared:
        cache = self._cache
        if not cache or cache[0].train is not train or cache[0].val is not val:
            cache[:] = [_prepare(train, val, threshold=self.threshold, sample_users=self.sample_users,
                                 seed=self.seed)]  # fmt: skip
        return cache[0]

    @property
    def sample_size(self) -> int | None:
        """The sample setting as a number (what ``"auto"`` settled on once a pair was seen); None: all
        users, or ``"auto"`` before any validation."""
        if self._cache:
            return self._cache[0].size
        return self.sample_users if isinstance(self.sample_users, int) else None

    def __call__(self, scorer: RowScorer, train: Interactions, val: Interactions) -> dict[str, float]:
        prepared = self._prepared(train, val)
        rows, data, k, block = prepared.rows, prepared.data, self.k, self.block
        if len(rows) == 0:
            return {self.name: float("nan"), "val_users": 0.0}
        total = 0.0
        # the factors changed since the last epoch: a fresh index (sorting the track norms is cheap),
        # unless an earlier epoch's index found it had to score every track anyway
        index = None if prepared.dense[0] else factor_index(scorer)
        for start in range(0, len(rows), block):
            sel = rows[start : start + block]
            exclude = data.seen[sel] if data.seen is not None else None
            if index is not None:
                top = index.top_k(sel, k, exclude)
            else:
                top = top_k(_score(scorer, sel, prepared, block, train.n_items), k, exclude, in_place=True)
            total += float(np.sum(ndcg_at_k(top, data.relevant[sel], k)))
        if index is not None and index.went_dense:
            prepared.dense[0] = True
        return {self.name: total / len(rows), "val_users": float(len(rows))}
