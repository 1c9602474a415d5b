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
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp
import torch

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError, ModelError, TrainingError
from recsys.models.adamw import AdamWTrainer
from recsys.models.als import ALSTrainer, build_plan, shared_system, solve_side
from recsys.models.base import Recommender, RowScorer, TrainCallback, Validator
from recsys.models.factor_scoring import FactorScorer, scores_into
from recsys.models.training import EarlyStopping, StopFlag
from recsys.models.wmf_config import CONFIDENCES, SOLVERS, TRAINERS, WMFConfig
from recsys.models.wmf_loss import penalty, weighted_cells, wmf_losses

__all__ = ["WMFConfig", "WMF", "TRAINERS", "SOLVERS", "CONFIDENCES"]

_MAX_ABS = 1e6  # factors beyond this are treated as diverged


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
        validate: Validator | None = None,
    ) -> Self:
        """Learn the factors from ``train``.

        Parameters
        ----------
        train : Interactions
            Training scores.
        val : Interactions, optional
            Validation scores; laid on ``train``'s indices when they differ. With it, every epoch also
            reports ``val_loss`` (the objective on ``val``, the model's own measure).
        callback : callable, optional
            ``callback(epoch, metrics)`` after every epoch, ``metrics`` with ``train_loss`` (objective
            per cell), ``val_loss`` (with ``val``), whatever ``validate`` returns (with ``val`` and
            ``validate``), ``seconds`` (the epoch's wall time, metrics included) and ``fit_seconds``
            (the update alone).
        stop : StopFlag, optional
            When set (from any thread), training ends cleanly after the current epoch.
        validate : Validator, optional
            With ``val``: called as ``validate(scorer, train, val)`` after every epoch, ``scorer``
            scoring training rows with the current factors (biases included); its metrics join the
            epoch's (the evaluation's ``ndcg_validator()`` gives ``val_ndcg@10``). Early
            stopping (``patience``) watches its first metric, higher being better.

        Returns
        -------
        WMF
            ``self``.

        Raises
        ------
        TrainingError
            Factors became NaN, infinite or exploded.
        ConfigError
            ``patience`` is set but ``val`` or ``validate`` is missing.
        """
        cfg = self.config
        if cfg.engine == "spark":  # fitted by Spark MLlib; pyspark loads only when asked for
            from recsys.models.spark_als import fit_on_spark

            return fit_on_spark(self, train, val=val, callback=callback, stop=stop, validate=validate)
        if cfg.patience is not None and (val is None or validate is None):
            raise ConfigError(
                "patience (early stopping) needs a validation matrix and a validation metric: pass val=... "
                "and validate=... (e.g. the evaluation's ndcg_validator())"
            )
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
        val_cells = None
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

        ridge = penalty(cells, cfg.reg, cfg.reg_scaling)  # reg, and per-row weights with ALS-WR
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
                user_reg=ridge["user_reg"],
                item_reg=ridge["item_reg"],
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
                # one call for both: the losses share all but their cells' sum
                judged = [cells] if val is None or val_cells is None else [cells, val_cells]
                losses = wmf_losses(x, y, judged, user_bias=bu, item_bias=bi, **ridge)
                metrics = {"train_loss": losses[0]}
                watched = None
                if val is not None and val_cells is not None:
                    metrics["val_loss"] = losses[1]
                    if validate is not None:
                        reported = validate(_scorer(x, y, bu, bi), train, val)
                        extra = {str(n): float(v) for n, v in reported.items()}
                        metrics.update(extra)
                        watched = next(iter(extra.values()), None)
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
                    if watched is None:
                        raise ConfigError("patience (early stopping) needs validate= to return a metric")
                    if early.update(epoch, watched):
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
        rows = np.asarray(rows, dtype=np.int64)
        return self.score_users_into(rows, np.empty((len(rows), self._fitted().n_items), dtype=np.float32))

    def score_users_into(self, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
        """:meth:`score_users` written straight into ``out`` by the matrix product (no temporary)."""
        self._fitted()
        x, y = self._factors()
        return scores_into(x, y, self.user_bias, self.item_bias, np.asarray(rows, dtype=np.int64), out)

    def factors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """The trained factors and biases (see :meth:`Recommender.factors`)."""
        x, y = self._factors()
        return x, y, self.user_bias, self.item_bias

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
        row_reg = penalty(cells, cfg.reg, cfg.reg_scaling)["user_reg"]  # ALS-WR: reg * n for each new user
        plan = build_plan(
            indptr,
            cells.cols.numpy(),
            cells.conf.double().numpy(),
            cells.pref.double().numpy(),
            n_free=fixed.shape[1],
            n_cols=n_items,
            dtype=torch.float64,
            woodbury_below=None if row_reg is None else 0,
        )
        out = torch.zeros(len(histories), fixed.shape[1], dtype=torch.float64)
        solve_side(fixed, offset, plan, cfg.reg, out, shared=shared, row_reg=row_reg)
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

    def _check_state(self, tensors: dict[str, torch.Tensor], n_users: int, n_items: int) -> None:
        """Factors ``(n_users, k)`` and ``(n_items, k)`` with ``k = embedding_dim``; with ``bias=True``
        biases ``(n_users,)`` and ``(n_items,)``; nothing else."""
        k = self.config.embedding_dim
        expected = {"user_factors": (n_users, k), "item_factors": (n_items, k)}
        if self.config.bias:
            expected.update({"user_bias": (n_users,), "item_bias": (n_items,)})
        missing = sorted(set(expected) - set(tensors))
        if missing:
            raise ModelError(f"the wmf model's tensor {missing[0]!r} is missing")
        extra = sorted(set(tensors) - set(expected))
        if extra:
            raise ModelError(f"the wmf model has an unexpected tensor {extra[0]!r}")
        for name, shape in expected.items():
            got = tuple(tensors[name].shape)
            if got != shape:
                raise ModelError(
                    f"the wmf model's {name} have shape {got}, not {shape} "
                    f"({n_users} users, {n_items} tracks, embedding_dim {k})"
                )

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


def _scorer(x: torch.Tensor, y: torch.Tensor, bu: torch.Tensor | None, bi: torch.Tensor | None) -> RowScorer:
    """Scores of training rows with the factors as they are now (the tensors are updated in place)."""
    return FactorScorer(x, y, bu, bi)
