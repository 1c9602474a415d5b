"""The settings of weighted matrix factorisation, and the one definition of their choice lists.

:data:`TRAINERS`, :data:`SOLVERS` and :data:`CONFIDENCES` are what the CLI flags, the Train page's widgets
and the config's own check all offer; they are defined here only, so a new choice needs one edit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import torch

from recsys.errors import ConfigError

__all__ = ["WMFConfig", "TRAINERS", "SOLVERS", "CONFIDENCES"]

TRAINERS: tuple[str, ...] = ("als", "adamw")
"""WMF trainers: alternating least squares (default) or AdamW on the same objective."""

SOLVERS: tuple[str, ...] = ("cholesky", "cg")
"""ALS row solvers: exact Cholesky, or warm-started conjugate gradient (default)."""

CONFIDENCES: tuple[str, ...] = ("linear", "log")
"""Confidence forms: ``1 + alpha * score`` (default) or the notebook's ``1 + alpha log(1 + score / eps)``."""

_INTEGERS = ("embedding_dim", "epochs", "batch_size", "cg_steps", "seed")
_OPTIONAL_INTEGERS = ("patience", "woodbury_below")
_REALS = ("learning_rate", "reg", "alpha", "eps", "threshold", "dropout_rate", "weight_decay", "init_scale")


@dataclass(frozen=True)
class WMFConfig:
    """Settings of :class:`~recsys.models.wmf.WMF` (plain values, saved with the weights).

    Frozen and checked once, on creation: a config that exists is valid. Derive a changed one with
    :func:`dataclasses.replace` (which checks it again).

    Attributes
    ----------
    embedding_dim : int
        Factors per user and per track.
    epochs : int
        Training epochs (ALS sweeps or AdamW passes over the users).
    learning_rate : float
        AdamW step size (the notebook's 0.005). ALS ignores it.
    reg : float
        L2 weight ``reg (|X|^2 + |Y|^2)`` of the objective, for both trainers. It must be read against
        the confidences (a positive cell weighs ``c``, an unheard one 1). The default 10 goes with the
        default linear confidence and ``alpha=1``; with the notebook's log confidence a positive cell
        weighs ``1 + 40 log(1 + 1e8)`` ~ 738 and a far larger ``reg`` (~1000) is needed.
    alpha, eps : float
        Confidence scale, and the log form's epsilon (the notebook used 1e-8).
    confidence : {"linear", "log"}
        ``"linear"`` (default) gives ``c = 1 + alpha * score``; ``"log"`` the notebook's
        ``c = 1 + alpha log(1 + score / eps)``. With eps=1e-8 the log form gives every positive cell
        the same ~738 whatever its play count, which throws the counts away and swamps the unheard
        cells: on the demo data the notebook's settings (log, alpha 40, even at its best reg 1000)
        reach discovery NDCG@10 0.081, below the basic model's 0.086, while linear with alpha 1 and
        reg 10 reaches 0.143 (all-tracks 0.178 vs 0.425); see ``benchmarks/results/quality.md``.
    threshold : float
        ``p = 1`` where the training score is at least this (positive).
    trainer : {"als", "adamw"}
        Which optimiser minimises the objective.
    dropout_rate : float
        AdamW only: dropout on user factors while fitting (the notebook's key).
    bias : bool
        Learn a bias per user and per track.
    sigmoid : bool
        The notebook's key; must be False (see the module notes).
    seed : int
        Seed of the initial factors, the AdamW batch order and dropout.
    patience : int or None
        Stop when the validation metric has not improved for this many epochs (needs ``val`` and
        ``validate`` in :meth:`~recsys.models.wmf.WMF.fit`; the metric watched is the first one
        ``validate`` returns, e.g. ``val_ndcg@10``); the best epoch's factors are kept. None: train
        every epoch.
    batch_size : int
        AdamW: users per step.
    weight_decay : float
        AdamW: extra decoupled weight decay (0 keeps the same objective as ALS).
    solver : {"cg", "cholesky"}
        ALS: ``"cg"`` (default) takes ``cg_steps`` conjugate-gradient steps per row and sweep,
        warm-started from the previous factors (as ``implicit`` does), for every row at once on sparse
        products; rows with fewer than ``woodbury_below`` observed cells are solved exactly. Not exact
        per sweep, but it converges over the epochs and matched or beat ``implicit``'s NDCG@10 on the
        benchmarks at about its speed. ``"cholesky"``: exact alternating least squares (push-through
        solve for rows with fewer cells than factors, Cholesky for the others), 3-5x slower.
    cg_steps : int
        ALS with ``solver="cg"``: steps per row and sweep.
    woodbury_below : int or None
        ALS: rows with fewer observed cells than this are solved exactly through the push-through
        identity. None: ``f`` with ``solver="cholesky"`` (where the ``d x d`` system stops being smaller
        than the ``f x f`` one; ``f`` = ``embedding_dim``, +1 with biases), ``f // 16`` with ``"cg"``.
    init_scale : float
        Initial factors are uniform on ``[0, init_scale)`` (as in ``implicit``).
    device : str
        ``"auto"`` (CUDA when present, else CPU), ``"cpu"``, ``"cuda"``...
    """

    embedding_dim: int = 64
    epochs: int = 15
    learning_rate: float = 0.005
    reg: float = 10.0
    alpha: float = 1.0
    eps: float = 1e-8
    confidence: str = "linear"
    threshold: float = 1.0
    trainer: str = "als"
    dropout_rate: float = 0.0
    bias: bool = False
    sigmoid: bool = False
    seed: int = 0
    patience: int | None = None
    batch_size: int = 256
    weight_decay: float = 0.0
    solver: str = "cg"
    cg_steps: int = 3
    woodbury_below: int | None = None
    init_scale: float = 0.01
    device: str = "auto"

    def __post_init__(self) -> None:
        """Raise :class:`ConfigError` naming the first bad or meaningless setting."""
        self._check_types()
        self._check_ranges()
        self._check_trainer_settings()

    def _check_types(self) -> None:
        # Plain values only: a config is saved with the model and shown in the dashboard as is.
        for name in _INTEGERS + _OPTIONAL_INTEGERS:
            value = getattr(self, name)
            if value is None and name in _OPTIONAL_INTEGERS:
                continue
            if not _is_integer(value):
                raise ConfigError(f"{name} must be an integer, got {value!r}")
        for name in _REALS:
            value = getattr(self, name)
            if not isinstance(value, Real) or isinstance(value, bool):
                raise ConfigError(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ConfigError(f"{name} must be finite, got {value!r}")
        for name, choices in (("trainer", TRAINERS), ("confidence", CONFIDENCES), ("solver", SOLVERS)):
            value = getattr(self, name)
            if value not in choices:
                raise ConfigError(f"{name} must be one of {choices}, got {value!r}")
        if not isinstance(self.device, str):
            raise ConfigError(f"device must be 'auto' or a torch device name, got {self.device!r}")
        try:
            torch.device("cpu" if self.device == "auto" else self.device)
        except RuntimeError as exc:
            raise ConfigError(f"device must be 'auto' or a torch device name, got {self.device!r}") from exc

    def _check_ranges(self) -> None:
        checks = [
            (self.embedding_dim >= 1, f"embedding_dim must be at least 1, got {self.embedding_dim}"),
            (self.epochs >= 1, f"epochs must be at least 1, got {self.epochs}"),
            (self.reg >= 0, f"reg must be non-negative, got {self.reg}"),
            (self.alpha >= 0, f"alpha must be non-negative, got {self.alpha}"),
            (self.eps > 0, f"eps must be positive, got {self.eps}"),
            (self.threshold > 0, f"threshold must be positive, got {self.threshold}"),
            (0 <= self.dropout_rate < 1, f"dropout_rate must be in [0, 1), got {self.dropout_rate}"),
            (self.learning_rate > 0, f"learning_rate must be positive, got {self.learning_rate}"),
            (self.batch_size >= 1, f"batch_size must be at least 1, got {self.batch_size}"),
            (self.weight_decay >= 0, f"weight_decay must be non-negative, got {self.weight_decay}"),
            (self.cg_steps >= 1, f"cg_steps must be at least 1, got {self.cg_steps}"),
            (
                self.woodbury_below is None or self.woodbury_below >= 0,
                f"woodbury_below must be non-negative or None, got {self.woodbury_below}",
            ),
            (self.init_scale > 0, f"init_scale must be positive, got {self.init_scale}"),
            (
                self.patience is None or self.patience >= 1,
                f"patience must be at least 1 or None, got {self.patience}",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    def _check_trainer_settings(self) -> None:
        if self.sigmoid:
            raise ConfigError(
                "sigmoid=True is not supported: the full objective's sum of sigmoid(x.y)^2 over every "
                "user x track has no Gram-matrix form, so it would need the dense grid (and a monotone "
                "squashing changes no ranking); use sigmoid=False"
            )
        if self.trainer == "als" and self.dropout_rate > 0:
            raise ConfigError(
                f"dropout_rate={self.dropout_rate} has no meaning for the ALS trainer (each solve is "
                "exact); use trainer='adamw' or dropout_rate=0"
            )
        if self.trainer == "als" and self.weight_decay > 0:
            raise ConfigError(
                f"weight_decay={self.weight_decay} is an AdamW setting; the ALS trainer regularises "
                "through reg"
            )


def _is_integer(value: object) -> bool:
    # An integral float (64.0, as a number widget may give) counts; a bool or a string does not.
    if isinstance(value, bool):
        return False
    if isinstance(value, Integral):
        return True
    return isinstance(value, float) and value.is_integer()
