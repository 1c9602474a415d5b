"""Weighted matrix factorisation (Hu, Koren & Volinsky 2008): the advanced group recommender.

Users and tracks get ``embedding_dim`` factors; a user's score of a track is ``x_u . y_i`` (plus
``b_u + b_i`` with ``bias=True``). The objective, over ALL users and ALL tracks, is in
:mod:`recsys.models.wmf_loss` and is never evaluated on the dense grid. Two trainers minimise it:

* ``trainer="als"`` (default): alternating least squares (:mod:`recsys.models.als`), by default with
  warm-started conjugate-gradient row solves (``solver="cg"``, like ``implicit``), exact with
  ``solver="cholesky"``;
* ``trainer="adamw"``: AdamW on the same objective, the customer notebook's optimiser
  (:mod:`recsys.models.adamw`), for comparison and for the loss-curve demo.

The notebook's config keys are kept. Which trainer honours which:

============== ===================== ============================================================
key            ALS                   AdamW
============== ===================== ============================================================
learning_rate  ignored               step size
batch_size     ignored               users per step
weight_decay   must be 0             decoupled decay on top of ``reg``
dropout_rate   must be 0             dropout on the batch's user factors in the fit term
bias           yes (exact)           yes
sigmoid        must be False         must be False
solver         cg / cholesky         ignored
============== ===================== ============================================================

``sigmoid=True`` is refused: ``sum_all sigmoid(x.y)^2`` has no Gram-matrix form, so it would need the
dense grid this model exists to avoid (and a monotone squashing changes no ranking).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp
import torch

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError, TrainingError
from recsys.models.adamw import AdamWTrainer
from recsys.models.als import ALSTrainer, build_plan, shared_system, solve_side
from recsys.models.base import Recommender, TrainCallback
from recsys.models.training import EarlyStopping, StopFlag
from recsys.models.wmf_loss import CONFIDENCES, weighted_cells, wmf_loss

__all__ = ["WMFConfig", "WMF", "TRAINERS", "SOLVERS"]

TRAINERS = ("als", "adamw")
SOLVERS = ("cholesky", "cg")

_MAX_ABS = 1e6  # factors beyond this are treated as diverged
_SCORE_ROWS = 512  # users scored per block when computing the validation NDCG


@dataclass
class WMFConfig:
    """Settings of :class:`WMF` (plain values, saved with the weights).

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
        Stop when the validation NDCG@10 has not improved for this many epochs (needs ``val``); the
        best epoch's factors are kept. None: train every epoch.
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
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first bad or meaningless setting."""
        if int(self.embedding_dim) < 1:
            raise ConfigError(f"embedding_dim must be at least 1, got {self.embedding_dim}")
        if int(self.epochs) < 1:
            raise ConfigError(f"epochs must be at least 1, got {self.epochs}")
        if self.trainer not in TRAINERS:
            raise ConfigError(f"trainer must be one of {TRAINERS}, got {self.trainer!r}")
        if self.confidence not in CONFIDENCES:
            raise ConfigError(f"confidence must be one of {CONFIDENCES}, got {self.confidence!r}")
        if self.solver not in SOLVERS:
            raise ConfigError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        checks = [
            (self.reg >= 0, f"reg must be non-negative, got {self.reg}"),
            (self.alpha >= 0, f"alpha must be non-negative, got {self.alpha}"),
            (self.eps > 0, f"eps must be positive, got {self.eps}"),
            (self.threshold > 0, f"threshold must be positive, got {self.threshold}"),
            (0 <= self.dropout_rate < 1, f"dropout_rate must be in [0, 1), got {self.dropout_rate}"),
            (self.learning_rate > 0, f"learning_rate must be positive, got {self.learning_rate}"),
            (int(self.batch_size) >= 1, f"batch_size must be at least 1, got {self.batch_size}"),
            (self.weight_decay >= 0, f"weight_decay must be non-negative, got {self.weight_decay}"),
            (int(self.cg_steps) >= 1, f"cg_steps must be at least 1, got {self.cg_steps}"),
            (
                self.woodbury_below is None or int(self.woodbury_below) >= 0,
                f"woodbury_below must be non-negative or None, got {self.woodbury_below}",
            ),
            (self.init_scale > 0, f"init_scale must be positive, got {self.init_scale}"),
            (
                self.patience is None or int(self.patience) >= 1,
                f"patience must be at least 1 or None, got {self.patience}",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
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
        try:
            torch.device("cpu" if self.device == "auto" else self.device)
        except RuntimeError as exc:
            raise ConfigError(f"device must be 'auto' or a torch device name, got {self.device!r}") from exc


class WMF(Recommender):
    """Weighted matrix factorisation with an ALS or AdamW trainer.

    Parameters
    ----------
    config : WMFConfig, optional
        Settings; defaults when omitted.

    Attributes
    ----------
    user_factors, item_factors : torch.Tensor
        ``(n_users, k)`` and ``(n_items, k)`` float32 on the CPU after :meth:`fit`.
    user_bias, item_bias : torch.Tensor or None
        With ``bias=True``.
    """

    kind: ClassVar[str] = "wmf"
    config_class: ClassVar[type] = WMFConfig

    def __init__(self, config: WMFConfig | None = None) -> None:
        super().__init__(config)
        self.config.validate()
        self.user_factors: torch.Tensor | None = None
        self.item_factors: torch.Tensor | None = None
        self.user_bias: torch.Tensor | None = None
        self.item_bias: torch.Tensor | None = None
        # (track factors, track bias, reg) -> fold-in's float64 features and shared system
        self._fold_in_cache: tuple[tuple[Any, Any, float], Any] | None = None

    # -- training -------------------------------------------------------------------------------
    def fit(
        self,
        train: Interactions,
        *,
        val: Interactions | None = None,
        callback: TrainCallback | None = None,
        stop: StopFlag | None = None,
    ) -> Self:
        """Learn the factors from ``train``.

        Parameters
        ----------
        train : Interactions
            Training scores.
        val : Interactions, optional
            Validation scores; laid on ``train``'s indices when they differ. With it, every epoch also
            reports ``val_loss`` and ``val_ndcg@10`` (ranking the tracks not in the user's training row).
        callback : callable, optional
            ``callback(epoch, metrics)`` after every epoch, ``metrics`` with ``train_loss`` (objective
            per cell), ``val_loss`` and ``val_ndcg@10`` (with ``val``), ``seconds`` (the epoch's wall
            time, metrics included) and ``fit_seconds`` (the update alone).
        stop : StopFlag, optional
            When set (from any thread), training ends cleanly after the current epoch.

        Returns
        -------
        WMF
            ``self``.

        Raises
        ------
        TrainingError
            Factors became NaN, infinite or exploded.
        ConfigError
            ``patience`` is set but no ``val`` was given.
        """
        cfg = self.config
        cfg.validate()
        if cfg.patience is not None and val is None:
            raise ConfigError("patience (early stopping) needs a validation matrix: pass val=...")
        if train.n_users == 0 or train.n_items == 0:
            raise TrainingError(f"cannot train on an empty matrix ({train.n_users} x {train.n_items})")
        device = _device(cfg.device)
        cells = weighted_cells(
            train.matrix,
            alpha=cfg.alpha,
            eps=cfg.eps,
            kind=cfg.confidence,
            threshold=cfg.threshold,
            device=device,
        )
        val_cells = val_truth = None
        if val is not None:
            if not (
                np.array_equal(val.user_ids, train.user_ids) and np.array_equal(val.item_ids, train.item_ids)
            ):
                val = Interactions.from_frame(
                    val.to_frame(), user_ids=train.user_ids, item_ids=train.item_ids
                )
            val_cells = weighted_cells(
                val.matrix,
                alpha=cfg.alpha,
                eps=cfg.eps,
                kind=cfg.confidence,
                threshold=cfg.threshold,
                device=device,
            )
            val_truth = _relevant(val.matrix, cfg.threshold)

        gen = torch.Generator().manual_seed(int(cfg.seed))
        k = int(cfg.embedding_dim)
        x = (torch.rand(train.n_users, k, generator=gen) * cfg.init_scale).to(device)
        y = (torch.rand(train.n_items, k, generator=gen) * cfg.init_scale).to(device)
        bu = torch.zeros(train.n_users, device=device) if cfg.bias else None
        bi = torch.zeros(train.n_items, device=device) if cfg.bias else None
        if cfg.trainer == "als":
            trainer: Any = ALSTrainer(
                x,
                y,
                cells,
                reg=cfg.reg,
                user_bias=bu,
                item_bias=bi,
                solver=cfg.solver,
                cg_steps=cfg.cg_steps,
                woodbury_below=cfg.woodbury_below,
            )
        else:
            trainer = AdamWTrainer(
                x,
                y,
                cells,
                reg=cfg.reg,
                learning_rate=cfg.learning_rate,
                weight_decay=cfg.weight_decay,
                batch_size=cfg.batch_size,
                dropout_rate=cfg.dropout_rate,
                generator=gen,
                user_bias=bu,
                item_bias=bi,
            )

        self.train = train
        self.history = []
        early = EarlyStopping(int(cfg.patience), mode="max") if cfg.patience is not None else None
        best: dict[str, torch.Tensor] | None = None
        try:
            for epoch in range(1, int(cfg.epochs) + 1):
                start = time.perf_counter()
                trainer.epoch()
                fit_seconds = time.perf_counter() - start
                _check_finite(epoch, x, y, bu, bi)
                metrics = {"train_loss": wmf_loss(x, y, cells, reg=cfg.reg, user_bias=bu, item_bias=bi)}
                if val_cells is not None:
                    metrics["val_loss"] = wmf_loss(x, y, val_cells, reg=cfg.reg, user_bias=bu, item_bias=bi)
                    metrics["val_ndcg@10"] = _ndcg10(x, y, bu, bi, train.matrix, val_truth)
                if not math.isfinite(metrics["train_loss"]):
                    raise TrainingError(
                        f"training diverged at epoch {epoch}: the loss is {metrics['train_loss']}"
                    )
                metrics["fit_seconds"] = fit_seconds
                metrics["seconds"] = time.perf_counter() - start
                self.history.append(metrics)
                if callback is not None:
                    callback(epoch, dict(metrics))
                if early is not None:
                    if early.update(epoch, metrics["val_ndcg@10"]):
                        best = {n: t.detach().clone() for n, t in _named(x, y, bu, bi).items()}
                    if early.should_stop:
                        break
                if stop is not None and stop.is_set():
                    break
        finally:
            if cfg.trainer == "adamw":
                trainer.release()
        if best is not None:
            with torch.no_grad():
                for n, t in _named(x, y, bu, bi).items():
                    t.copy_(best[n])
            self.metrics = {**self.metrics, "best_epoch": float(early.best_epoch)}  # type: ignore[union-attr]
        self._set_state(_named(x, y, bu, bi))
        return self

    # -- scoring --------------------------------------------------------------------------------
    def score_users(self, rows: np.ndarray) -> np.ndarray:
        """``X[rows] @ Y^T`` (+ biases), ``float32`` ``(len(rows), n_items)``."""
        self._fitted()
        x, y = self._factors()
        idx = torch.as_tensor(np.asarray(rows, dtype=np.int64))
        with torch.no_grad():
            scores = x[idx] @ y.T
            if self.user_bias is not None and self.item_bias is not None:
                scores += self.user_bias[idx].unsqueeze(1) + self.item_bias.unsqueeze(0)
        return scores.numpy().astype(np.float32, copy=False)

    def fold_in_factors(self, items: np.ndarray, scores: np.ndarray) -> torch.Tensor:
        """Factors of a user not trained on: one ALS user solve against the fixed track factors.

        Parameters
        ----------
        items : numpy.ndarray
            Track indices of the user's history.
        scores : numpy.ndarray
            Their scores.

        Returns
        -------
        torch.Tensor
            ``(k,)`` factors, or ``(k + 1,)`` (factors then the user's bias) with ``bias=True``.
        """
        return self.fold_in_factors_many([(items, scores)])[0]

    def fold_in_factors_many(self, histories: Sequence[tuple[np.ndarray, np.ndarray]]) -> torch.Tensor:
        """Factors of several users not trained on, in one batched exact solve.

        Each user's system is ``(Y^T C_u Y + reg I) x_u = Y^T C_u p_u`` against the fixed track
        factors; ``Y^T Y + reg I`` and its inverse are computed once per model and kept, and a user with
        ``d < k`` cells is solved through the push-through identity (a ``d x d`` system).

        Parameters
        ----------
        histories : sequence of (items, scores)
            Per user, the track indices of its history and their scores.

        Returns
        -------
        torch.Tensor
            ``(len(histories), k)`` factors, or ``(len(histories), k + 1)`` (factors then bias) with
            ``bias=True``; ``float32``.
        """
        self._fitted()
        cfg = self.config
        fixed, offset, shared = self._fold_in_system()
        n_items = fixed.shape[0]
        lens = [len(items) for items, _ in histories]
        row = sp.csr_matrix(
            (
                np.concatenate([np.asarray(sc, dtype=np.float64) for _, sc in histories] or [np.zeros(0)]),
                (
                    np.repeat(np.arange(len(histories)), lens),
                    np.concatenate([np.asarray(it, dtype=np.int64) for it, _ in histories] or [np.zeros(0)]),
                ),
            ),
            shape=(len(histories), n_items),
        )
        row.sum_duplicates()
        cells = weighted_cells(
            row, alpha=cfg.alpha, eps=cfg.eps, kind=cfg.confidence, threshold=cfg.threshold
        )
        rows = cells.rows.numpy()
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(histories)))])
        plan = build_plan(
            indptr,
            cells.cols.numpy(),
            cells.conf.double().numpy(),
            cells.pref.double().numpy(),
            n_free=fixed.shape[1],
            n_cols=n_items,
            dtype=torch.float64,
        )
        out = torch.zeros(len(histories), fixed.shape[1], dtype=torch.float64)
        solve_side(fixed, offset, plan, cfg.reg, out, shared=shared)
        return out.float()

    def _fold_in_system(self) -> tuple[torch.Tensor, torch.Tensor | None, tuple[torch.Tensor, torch.Tensor]]:
        """Float64 track features, bias offset and shared system, kept until the factors change."""
        _, y = self._factors()
        cached = self._fold_in_cache
        if cached is not None:
            (y0, bias0, reg0), value = cached
            if y0 is y and bias0 is self.item_bias and reg0 == float(self.config.reg):
                return value
        fixed = y.double()
        offset = None
        if self.item_bias is not None:
            fixed = torch.column_stack([fixed, torch.ones(fixed.shape[0], dtype=fixed.dtype)])
            offset = self.item_bias.double()
        value = (fixed, offset, shared_system(fixed, self.config.reg))
        self._fold_in_cache = ((y, self.item_bias, float(self.config.reg)), value)
        return value

    def fold_in(self, items: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Scores over every track for a user not trained on (see :meth:`fold_in_factors`)."""
        return self.fold_in_many([(items, scores)])[0]

    def fold_in_many(self, histories: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Scores over every track for several users not trained on: one solve, one matrix product.

        See :meth:`fold_in_factors_many`; returns ``float32`` ``(len(histories), n_items)``.
        """
        vecs = self.fold_in_factors_many(histories)
        _, y = self._factors()
        k = y.shape[1]
        with torch.no_grad():
            out = vecs[:, :k] @ y.T
            if self.item_bias is not None:
                out += vecs[:, k : k + 1] + self.item_bias.unsqueeze(0)
        return out.numpy().astype(np.float32, copy=False)

    # -- persistence ----------------------------------------------------------------------------
    def _state(self) -> dict[str, torch.Tensor]:
        x, y = self._factors()
        state = {"user_factors": x, "item_factors": y}
        if self.user_bias is not None and self.item_bias is not None:
            state["user_bias"] = self.user_bias
            state["item_bias"] = self.item_bias
        return state

    def _set_state(self, tensors: dict[str, torch.Tensor]) -> None:
        def cpu(t: torch.Tensor) -> torch.Tensor:
            return t.detach().to("cpu", torch.float32).contiguous()

        self.user_factors = cpu(tensors["user_factors"])
        self.item_factors = cpu(tensors["item_factors"])
        has_bias = "user_bias" in tensors and "item_bias" in tensors
        self.user_bias = cpu(tensors["user_bias"]) if has_bias else None
        self.item_bias = cpu(tensors["item_bias"]) if has_bias else None

    def _factors(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.user_factors is None or self.item_factors is None:
            from recsys.errors import ModelError

            raise ModelError("the wmf model has no factors: call fit() or load()")
        return self.user_factors, self.item_factors


# -- helpers ------------------------------------------------------------------------------------
def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _named(
    x: torch.Tensor, y: torch.Tensor, bu: torch.Tensor | None, bi: torch.Tensor | None
) -> dict[str, torch.Tensor]:
    out = {"user_factors": x, "item_factors": y}
    if bu is not None and bi is not None:
        out["user_bias"] = bu
        out["item_bias"] = bi
    return out


def _check_finite(
    epoch: int, x: torch.Tensor, y: torch.Tensor, bu: torch.Tensor | None, bi: torch.Tensor | None
) -> None:
    for name, t in _named(x, y, bu, bi).items():
        t = t.detach()
        if not bool(torch.isfinite(t).all()):
            raise TrainingError(
                f"training diverged at epoch {epoch}: {name} contain NaN or infinite values "
                "(lower learning_rate or raise reg)"
            )
        peak = float(t.abs().max()) if t.numel() else 0.0
        if peak > _MAX_ABS:
            raise TrainingError(
                f"training diverged at epoch {epoch}: {name} reached {peak:.3g} in absolute value "
                "(lower learning_rate or raise reg)"
            )


def _relevant(matrix: sp.csr_matrix, threshold: float) -> sp.csr_matrix:
    rel = sp.csr_matrix(matrix >= threshold, dtype=np.float32)
    rel.eliminate_zeros()
    return rel


def _ndcg10(
    x: torch.Tensor,
    y: torch.Tensor,
    bu: torch.Tensor | None,
    bi: torch.Tensor | None,
    seen: sp.csr_matrix,
    relevant: sp.csr_matrix,
) -> float:
    """Mean NDCG@10 over users with a relevant validation track, training tracks excluded."""
    from recsys.evaluation.metrics import ndcg_at_k
    from recsys.evaluation.ranking import top_k

    users = np.flatnonzero(np.diff(relevant.indptr) > 0)
    if users.size == 0:
        return float("nan")
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(users), _SCORE_ROWS):
            rows = users[start : start + _SCORE_ROWS]
            idx = torch.as_tensor(rows, device=x.device)
            scores = x[idx] @ y.T
            if bu is not None and bi is not None:
                scores += bu[idx].unsqueeze(1) + bi.unsqueeze(0)
            top = top_k(scores.float().cpu().numpy(), 10, exclude=seen[rows])
            total += float(np.sum(ndcg_at_k(top, relevant[rows])))
    return total / len(users)
