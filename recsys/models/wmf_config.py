"""The settings of weighted matrix factorisation, and the one definition of their choice lists.

:data:`TRAINERS`, :data:`SOLVERS`, :data:`CONFIDENCES`, :data:`REG_SCALINGS` and :data:`ENGINES` are what
the CLI flags, the Train page's widgets and the config's own check all offer; they are defined here only
(``ENGINES`` in :mod:`recsys.data.spark_session`), so a new choice needs one edit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import torch

from recsys.data.spark_session import ENGINES, SparkSettings, parse_conf
from recsys.errors import ConfigError

__all__ = [
    "WMFConfig", "TRAINERS", "SOLVERS", "CONFIDENCES", "ENGINES", "REG_SCALINGS", "MAX_BATCH_SIZE",
    "MAX_CG_STEPS", "MAX_EMBEDDING_DIM", "MAX_EPOCHS",
]

TRAINERS: tuple[str, ...] = ("als", "adamw")
"""WMF trainers: alternating least squares (default) or AdamW on the same objective."""

SOLVERS: tuple[str, ...] = ("cholesky", "cg")
"""ALS row solvers: exact Cholesky, or warm-started conjugate gradient (default)."""

CONFIDENCES: tuple[str, ...] = ("linear", "log")
"""Confidence forms: ``1 + alpha * score`` (default) or the notebook's ``1 + alpha log(1 + score / eps)``."""

REG_SCALINGS: tuple[str, ...] = ("none", "count")
"""Ridge forms: ``reg`` on every factor (default), or ALS-WR's ``reg * n`` per user and track (Spark's)."""

#: Largest ``embedding_dim``: 22,000 tracks x 1,024 factors is already 90 MB of float32 per side.
MAX_EMBEDDING_DIM = 1024
#: Most training epochs (ALS converges in tens; more is a typo, and would run for days).
MAX_EPOCHS = 10_000
#: Largest AdamW batch (users per step).
MAX_BATCH_SIZE = 1_000_000
#: Most conjugate-gradient steps per ALS row solve.
MAX_CG_STEPS = 1_000

_INTEGERS = ("embedding_dim", "epochs", "batch_size", "cg_steps", "seed", "spark_blocks")
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
    reg_scaling : {"none", "count"}
        ``"none"`` (default): the penalty is ``reg (|X|^2 + |Y|^2)``. ``"count"``: ALS-WR, each user's and
        track's penalty weighted by its number of positive cells, ``reg (sum n_u |x_u|^2 + sum n_i
        |y_i|^2)``: the objective Spark MLlib's ALS minimises (ALS trainer, no biases). Its ``reg`` is per
        cell, so it is far smaller than the default's (Spark's usual 0.01-0.1).
    engine : {"local", "spark"}
        Where the model is fitted: here (default), or on Apache Spark with MLlib's ALS (``implicitPrefs``,
        ``rank`` = ``embedding_dim``, ``maxIter`` = ``epochs``, ``regParam`` = ``reg``, ``alpha``, ``seed``),
        which needs ``reg_scaling="count"``, the ALS trainer, no biases and no ``patience``; the result is
        an ordinary WMF model. See ``docs/SPARK.md``.
    spark_master : str or None
        With ``engine="spark"``: ``local[*]``, ``spark://host:7077``, ``yarn``, ``k8s://...``; None uses the
        running Spark session (or starts ``local[*]``). A trained model records the master it used.
    spark_conf : tuple of str
        With ``engine="spark"``: ``KEY=VALUE`` Spark settings (``spark.executor.memory=8g``...).
    spark_blocks : int
        With ``engine="spark"``: ALS blocks per side (``numUserBlocks`` = ``numItemBlocks``; Spark's default
        10). The seed gives the same factors only with the same number of blocks; a cluster wants about
        its number of cores.
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
    reg_scaling: str = "none"
    engine: str = "local"
    spark_master: str | None = None
    spark_conf: tuple[str, ...] = ()
    spark_blocks: int = 10

    def __post_init__(self) -> None:
        """Raise :class:`ConfigError` naming the first bad or meaningless setting."""
        self._check_types()
        self._check_ranges()
        self._check_trainer_settings()
        self._check_engine_settings()

    def spark_settings(self) -> SparkSettings | None:
        """The Spark master and settings to train with (``None``: the running session, or ``local[*]``)."""
        if self.spark_master is None and not self.spark_conf:
            return None
        return SparkSettings(self.spark_master or "local[*]", self.spark_conf)

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
        for name, choices in (
            ("trainer", TRAINERS), ("confidence", CONFIDENCES), ("solver", SOLVERS),
            ("reg_scaling", REG_SCALINGS), ("engine", ENGINES),
        ):
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
            (
                1 <= self.embedding_dim <= MAX_EMBEDDING_DIM,
                f"embedding_dim must be from 1 to {MAX_EMBEDDING_DIM}, got {self.embedding_dim}",
            ),
            (1 <= self.epochs <= MAX_EPOCHS, f"epochs must be from 1 to {MAX_EPOCHS}, got {self.epochs}"),
            (self.seed >= 0, f"seed must be non-negative, got {self.seed}"),
            (self.reg >= 0, f"reg must be non-negative, got {self.reg}"),
            (self.alpha >= 0, f"alpha must be non-negative, got {self.alpha}"),
            (self.eps > 0, f"eps must be positive, got {self.eps}"),
            (self.threshold > 0, f"threshold must be positive, got {self.threshold}"),
            (0 <= self.dropout_rate < 1, f"dropout_rate must be in [0, 1), got {self.dropout_rate}"),
            (self.learning_rate > 0, f"learning_rate must be positive, got {self.learning_rate}"),
            (
                1 <= self.batch_size <= MAX_BATCH_SIZE,
                f"batch_size must be from 1 to {MAX_BATCH_SIZE}, got {self.batch_size}",
            ),
            (self.weight_decay >= 0, f"weight_decay must be non-negative, got {self.weight_decay}"),
            (
                1 <= self.cg_steps <= MAX_CG_STEPS,
                f"cg_steps must be from 1 to {MAX_CG_STEPS}, got {self.cg_steps}",
            ),
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


    def _check_engine_settings(self) -> None:
        # A text box gives one string, a model file a list: both become the tuple of KEY=VALUE entries.
        conf = parse_conf(self.spark_conf)
        object.__setattr__(self, "spark_conf", tuple(f"{k}={v}" for k, v in conf.items()))
        if self.spark_master is not None:
            SparkSettings(self.spark_master)  # names a bad master
        if self.spark_blocks < 1:
            raise ConfigError(f"spark_blocks must be at least 1, got {self.spark_blocks}")
        if self.reg_scaling == "count" and (self.trainer != "als" or self.bias):
            raise ConfigError(
                "reg_scaling='count' (ALS-WR, Spark's objective) is for the ALS trainer without biases: "
                f"got trainer={self.trainer!r}, bias={self.bias}"
            )
        if self.engine != "spark":
            return
        wrong = {
            "reg_scaling": (self.reg_scaling, "count", "Spark's ALS always scales reg by each row's count"),
            "trainer": (self.trainer, "als", "Spark trains with ALS"),
            "bias": (self.bias, False, "Spark's ALS has no biases"),
            "patience": (self.patience, None, "Spark reports no factors between iterations to stop early on"),
        }
        for name, (value, needed, why) in wrong.items():
            if value != needed:
                raise ConfigError(f"engine='spark' needs {name}={needed!r} ({why}), got {name}={value!r}")


def _is_integer(value: object) -> bool:
    # An integral float (64.0, as a number widget may give) counts; a bool or a string does not.
    if isinstance(value, bool):
        return False
    if isinstance(value, Integral):
        return True
    return isinstance(value, float) and value.is_integer()
