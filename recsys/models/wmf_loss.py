"""The weighted matrix factorisation objective, computed without the dense users x tracks grid.

Hu, Koren & Volinsky (2008) minimise, over ALL users ``u`` and ALL tracks ``i``::

    sum_ui c_ui (p_ui - s_ui)^2 + reg (|X|^2 + |Y|^2),     s_ui = x_u . y_i (+ b_u + b_i)

with ``p_ui = 1`` where the training score reaches the preference threshold (else 0) and confidence
``c_ui = 1 + alpha * log(1 + score / eps)`` (or ``1 + alpha * score``). An unobserved cell has ``c = 1``
and ``p = 0`` and contributes just ``s_ui^2``, so::

    sum_all c (p - s)^2 = sum_all s^2 + sum_observed [c (p - s)^2 - s^2]
    sum_all s^2         = trace((X^T X)(Y^T Y))

and the whole objective costs ``O(nnz k + (U + I) k^2)`` instead of ``O(U I k)``. Biases fold into the
same identity by augmenting the factors: ``[X, b_u, 1] . [Y, 1, b_i] = x.y + b_u + b_i``.

The loss reported to callbacks is that objective divided by ``U * I`` (a weighted loss per cell), the
same definition for both trainers and for the training and validation matrices.

With ``reg_scaling="count"`` the penalty is ALS-WR's (Zhou et al. 2008), the objective Spark MLlib's ALS
minimises: ``reg (sum_u n_u |x_u|^2 + sum_i n_i |y_i|^2)`` with ``n`` each row's number of positive cells
(:func:`count_reg`); see ``docs/SPARK.md`` for the whole mapping.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from recsys.errors import ConfigError, DataError
from recsys.models.wmf_config import CONFIDENCES

__all__ = [
    "CONFIDENCES", "WeightedCells", "confidence", "count_reg", "penalty", "weighted_cells", "wmf_objective",
    "wmf_loss", "wmf_losses",
]

_CHUNK = 1 << 18  # observed cells per chunk of gathered factors (keeps peak memory at ~chunk * k floats)


def confidence(scores: np.ndarray, *, alpha: float, eps: float, kind: str = "log") -> np.ndarray:
    """Confidence ``c`` of observed scores.

    Parameters
    ----------
    scores : numpy.ndarray
        Non-negative interaction scores.
    alpha : float
        Confidence scale.
    eps : float
        Scale of the log form, ``1 + alpha * log(1 + score / eps)``.
    kind : {"log", "linear"}
        ``"linear"`` gives ``1 + alpha * score``.

    Returns
    -------
    numpy.ndarray
        ``float64`` confidences, 1 where the score is 0.
    """
    s = np.asarray(scores, dtype=np.float64)
    if kind == "log":
        return 1.0 + alpha * np.log1p(s / eps)
    if kind == "linear":
        return 1.0 + alpha * s
    raise ConfigError(f"confidence must be one of {CONFIDENCES}, got {kind!r}")


@dataclass(frozen=True)
class WeightedCells:
    """The observed cells of a score matrix that differ from an unobserved one.

    Cells with ``c = 1`` and ``p = 0`` (a stored score of 0) are dropped: they are exactly like the
    unobserved cells the Gram term already counts.

    Attributes
    ----------
    rows, cols : torch.Tensor
        ``int64`` user and track indices, sorted by row then column.
    conf : torch.Tensor
        Confidence ``c`` of each cell.
    pref : torch.Tensor
        Preference ``p`` (0 or 1) of each cell.
    shape : tuple of int
        ``(n_users, n_items)`` of the whole matrix.

    Notes
    -----
    The tensors must not be changed once built: :func:`wmf_loss` keeps what it derives from them (the
    CSR pattern, the float64 constants of its cell sum) with the cells, for the next epoch.
    """

    rows: torch.Tensor
    cols: torch.Tensor
    conf: torch.Tensor
    pref: torch.Tensor
    shape: tuple[int, int]
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def nnz(self) -> int:
        """Number of cells kept."""
        return int(self.rows.numel())

    def to_csr(self, values: torch.Tensor) -> sp.csr_matrix:
        """A CSR matrix of ``values`` (one per cell) on these cells, for row-wise work."""
        return sp.csr_matrix(
            (values.cpu().numpy(), (self.rows.cpu().numpy(), self.cols.cpu().numpy())), shape=self.shape
        )


def weighted_cells(
    matrix: sp.csr_matrix,
    *,
    alpha: float,
    eps: float,
    kind: str = "log",
    threshold: float = 1.0,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> WeightedCells:
    """Confidence and preference of every observed cell of ``matrix``.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        Users x tracks scores.
    alpha, eps, kind
        See :func:`confidence`.
    threshold : float
        ``p = 1`` where ``score >= threshold`` (must be positive, so an unobserved cell is ``p = 0``).
    dtype, device
        Of the returned tensors.

    Raises
    ------
    DataError
        A score is negative or not finite.
    ConfigError
        ``threshold`` is not positive, ``alpha`` is negative or ``eps`` is not positive.
    """
    if not threshold > 0:
        raise ConfigError(f"threshold must be positive (an unobserved cell has score 0), got {threshold}")
    if alpha < 0:
        raise ConfigError(f"alpha must be non-negative, got {alpha}")
    if kind == "log" and not eps > 0:
        raise ConfigError(f"eps must be positive, got {eps}")
    coo = sp.coo_matrix(matrix)
    data = np.asarray(coo.data, dtype=np.float64)
    bad = ~np.isfinite(data) | (data < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"WMF needs non-negative finite scores, got {data[k]!r} "
            f"for row {coo.row[k]}, column {coo.col[k]}",
            field="score",
        )
    conf = confidence(data, alpha=alpha, eps=eps, kind=kind)
    pref = (data >= threshold).astype(np.float64)
    keep = (conf != 1.0) | (pref != 0.0)
    rows, cols = coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64)
    conf, pref = conf[keep], pref[keep]
    if not _row_major(rows, cols):
        # a CSR matrix with sorted indices (what Interactions holds) is already in this order: the
        # check costs 10 ms at 2.8 M cells, the sort it spares 0.5 s
        order = np.lexsort((cols, rows))
        rows, cols, conf, pref = rows[order], cols[order], conf[order], pref[order]
    return WeightedCells(
        rows=torch.as_tensor(rows, device=device),
        cols=torch.as_tensor(cols, device=device),
        conf=torch.as_tensor(conf, dtype=dtype, device=device),
        pref=torch.as_tensor(pref, dtype=dtype, device=device),
        shape=(int(matrix.shape[0]), int(matrix.shape[1])),
    )


def _row_major(rows: np.ndarray, cols: np.ndarray) -> bool:
    """Whether the cells are already sorted by row, then column (ties kept: the sort is stable)."""
    if len(rows) < 2:
        return True
    step = np.diff(rows)
    return bool(((step > 0) | ((step == 0) & (cols[1:] >= cols[:-1]))).all())


def count_reg(cells: WeightedCells, reg: float) -> tuple[torch.Tensor, torch.Tensor]:
    """ALS-WR's ridge weights: ``reg * n`` per user and per track, ``n`` its number of positive cells.

    Parameters
    ----------
    cells : WeightedCells
        The training cells (a cell is positive when ``p = 1``).
    reg : float
        The weight per positive cell.

    Returns
    -------
    (torch.Tensor, torch.Tensor)
        ``float64`` ``(U,)`` and ``(I,)`` on the cells' device; 0 for a row without a positive cell.
    """
    n_users, n_items = cells.shape
    positive = cells.pref > 0
    user = torch.bincount(cells.rows[positive], minlength=n_users).double()
    item = torch.bincount(cells.cols[positive], minlength=n_items).double()
    return reg * user, reg * item


def penalty(cells: WeightedCells, reg: float, scaling: str) -> dict[str, Any]:
    """The ridge arguments of :func:`wmf_objective`, :func:`wmf_loss` and the ALS trainer for a config.

    Parameters
    ----------
    cells : WeightedCells
        The training cells (their positive counts weight the ALS-WR penalty).
    reg : float
    scaling : {"none", "count"}
        :data:`recsys.models.wmf_config.REG_SCALINGS`.

    Returns
    -------
    dict
        ``reg``, ``user_reg``, ``item_reg`` (the last two ``None`` unless ALS-WR with ``reg > 0``: with
        ``reg = 0`` both forms are the same, unpenalised, objective).
    """
    if scaling == "count" and reg > 0:
        user_reg, item_reg = count_reg(cells, reg)
        return {"reg": reg, "user_reg": user_reg, "item_reg": item_reg}
    return {"reg": reg, "user_reg": None, "item_reg": None}


def _augment(
    x: torch.Tensor, y: torch.Tensor, bu: torch.Tensor | None, bi: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    if bu is None and bi is None:
        return x, y
    bu = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device) if bu is None else bu
    bi = torch.zeros(y.shape[0], dtype=y.dtype, device=y.device) if bi is None else bi
    ones_u = torch.ones_like(bu)
    ones_i = torch.ones_like(bi)
    return torch.column_stack([x, bu, ones_u]), torch.column_stack([y, ones_i, bi])


def wmf_objective(
    user_factors: torch.Tensor,
    item_factors: torch.Tensor,
    cells: WeightedCells,
    *,
    reg: float,
    user_bias: torch.Tensor | None = None,
    item_bias: torch.Tensor | None = None,
    user_reg: torch.Tensor | None = None,
    item_reg: torch.Tensor | None = None,
) -> torch.Tensor:
    """The full objective (a sum, not normalised); differentiable.

    Parameters
    ----------
    user_factors : torch.Tensor
        ``(U', k)`` factors of the users whose rows are counted (all users, or a batch).
    item_factors : torch.Tensor
        ``(I, k)`` factors of every track.
    cells : WeightedCells
        Observed cells; ``cells.rows`` index into ``user_factors`` (for a batch of users, the batch's
        cells re-indexed to the batch).
    reg : float
        L2 weight on every factor and bias counted.
    user_bias, item_bias : torch.Tensor, optional
        ``(U',)`` and ``(I,)`` biases.
    user_reg, item_reg : torch.Tensor, optional
        Per-row ridge weights replacing ``reg`` on the factors (ALS-WR, :func:`count_reg`); both or neither.

    Returns
    -------
    torch.Tensor
        Scalar: ``sum_all c (p - s)^2 + reg (|X|^2 + |Y|^2 + |b_u|^2 + |b_i|^2)``, or with per-row weights
        ``sum_u user_reg_u |x_u|^2 + sum_i item_reg_i |y_i|^2`` as the factors' penalty.
    """
    xa, ya = _augment(user_factors, item_factors, user_bias, item_bias)
    total = ((xa.T @ xa) * (ya.T @ ya)).sum()
    for start in range(0, cells.nnz, _CHUNK):
        r = cells.rows[start : start + _CHUNK]
        c = cells.cols[start : start + _CHUNK]
        s = (xa[r] * ya[c]).sum(dim=1)
        conf = cells.conf[start : start + _CHUNK].to(s.dtype)
        pref = cells.pref[start : start + _CHUNK].to(s.dtype)
        total = total + (conf * (pref - s) ** 2 - s**2).sum()
    own, other = user_factors.square().sum(dim=1), item_factors.square().sum(dim=1)
    if user_reg is not None and item_reg is not None:
        factors = user_reg.to(own.dtype) @ own + item_reg.to(other.dtype) @ other
    else:
        factors = reg * (own.sum() + other.sum())
    biases = sum(b.square().sum() for b in (user_bias, item_bias) if b is not None)
    return total + factors + reg * biases


def wmf_loss(
    user_factors: torch.Tensor,
    item_factors: torch.Tensor,
    cells: WeightedCells,
    *,
    reg: float,
    user_bias: torch.Tensor | None = None,
    item_bias: torch.Tensor | None = None,
    user_reg: torch.Tensor | None = None,
    item_reg: torch.Tensor | None = None,
) -> float:
    """The objective per cell, ``wmf_objective / (U * I)``, computed in float64 for reporting.

    Parameters
    ----------
    user_factors, item_factors, cells, reg, user_bias, item_bias, user_reg, item_reg
        See :func:`wmf_objective` (all users' factors here).

    Returns
    -------
    float
    """
    return wmf_losses(
        user_factors, item_factors, [cells], reg=reg, user_bias=user_bias, item_bias=item_bias,
        user_reg=user_reg, item_reg=item_reg,
    )[0]


def wmf_losses(
    user_factors: torch.Tensor,
    item_factors: torch.Tensor,
    cells: Sequence[WeightedCells],
    *,
    reg: float,
    user_bias: torch.Tensor | None = None,
    item_bias: torch.Tensor | None = None,
    user_reg: torch.Tensor | None = None,
    item_reg: torch.Tensor | None = None,
) -> list[float]:
    """:func:`wmf_loss` of the same factors on several matrices of one shape (the training and the
    validation cells of an epoch): everything but the observed cells' sum (the Gram term over the whole
    grid and the penalty) is the same for each, so it is computed once.

    Parameters
    ----------
    user_factors, item_factors, reg, user_bias, item_bias, user_reg, item_reg
        See :func:`wmf_objective` (all users' factors here).
    cells : sequence of WeightedCells
        The matrices, all of the factors' shape.

    Returns
    -------
    list of float
        One loss per matrix, in order.

    Raises
    ------
    ValueError
        The matrices differ in shape.
    """
    shapes = {c.shape for c in cells}
    if len(shapes) != 1:
        raise ValueError(f"the cells must share one shape, got {sorted(shapes)}")
    n_users, n_items = shapes.pop()
    with torch.no_grad():
        # The same sum as wmf_objective, but the predictions at the observed cells come from one sampled
        # product over the cells' CSR pattern in the factors' own precision (every sum stays float64):
        # gathering float64 copies of both factors per cell took 1.5 s per epoch at 50,000 x 100,000
        # (2.8 M cells), three times the ALS update itself; the sampled product costs about a CG step.
        xa, ya = _augment(user_factors, item_factors, user_bias, item_bias)
        # the k x k Gram matrices by the factors' own GEMM (a float64 copy of 150,000 x 64 factors and
        # its GEMM cost as much as the cells), their product summed in float64
        shared = ((xa.T @ xa).double() * (ya.T @ ya).double()).sum()
        # each row's squared norm in the factors' precision (64 terms), summed over rows in float64:
        # float64 copies of both factor tables cost 30 ms an epoch at 150,000 x 64
        own = torch.linalg.vecdot(user_factors, user_factors).double()
        other = torch.linalg.vecdot(item_factors, item_factors).double()
        if user_reg is not None and item_reg is not None:
            shared = shared + user_reg.double() @ own + item_reg.double() @ other
        else:
            shared = shared + reg * (own.sum() + other.sum())
        for bias in (user_bias, item_bias):
            if bias is not None:
                shared = shared + reg * bias.double().square().sum()
        losses = []
        for matrix in cells:
            total = shared
            if matrix.nnz:
                # c (p - s)^2 - s^2 = c p^2 - 2 (c p) s + (c - 1) s^2: the first sum and the float64
                # weights are kept with the cells, so an epoch pays for s and two float64 dot products
                # only (the per-cell float64 arithmetic was a third of this function at 2.8 M cells)
                cp2, target, conf_m1 = _cell_weights(matrix)
                s = _at_cells(xa, ya, matrix).double()
                total = total + cp2 - 2.0 * torch.dot(target, s) + torch.dot(conf_m1, s.square_())
            losses.append(float(total) / (n_users * n_items))
    return losses


def _cell_weights(cells: WeightedCells) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``sum c p^2`` and the float64 ``c p`` and ``c - 1`` of every cell, computed once per cells."""
    weights = cells._derived.get("weights")
    if weights is None:
        conf, pref = cells.conf.double(), cells.pref.double()
        target = conf * pref
        weights = ((target * pref).sum(), target, conf - 1.0)
        cells._derived["weights"] = weights
    return weights


def _at_cells(xa: torch.Tensor, ya: torch.Tensor, cells: WeightedCells) -> torch.Tensor:
    """``xa[r] . ya[c]`` at every cell, in the cells' order (by row, then column).

    The pattern's indices are built once per cells (32-bit where they fit, half the index bytes to
    read); each call wraps them with a fresh values buffer and has the sampled product write into that
    same tensor, so torch copies no pattern first and no buffer is shared between calls.
    """
    index = cells._derived.get("pattern")
    if index is None:
        counts = torch.bincount(cells.rows, minlength=cells.shape[0])
        crow = torch.cat([counts.new_zeros(1), counts.cumsum(0)])
        small = max(cells.nnz, *cells.shape) < torch.iinfo(torch.int32).max
        kind = torch.int32 if small else torch.int64
        index = (crow.to(kind), cells.cols.to(kind))
        cells._derived["pattern"] = index
    with warnings.catch_warnings():
        # torch flags CSR tensors as beta once per process; sampled_addmm is what ALS runs every sweep
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        pattern = torch.sparse_csr_tensor(
            *index, torch.empty(cells.nnz, dtype=xa.dtype, device=xa.device),
            size=cells.shape, check_invariants=False,
        )
        # beta=0 ignores the buffer's contents only when they are finite: 0 * NaN is NaN
        pattern.values().zero_()
        return torch.sparse.sampled_addmm(pattern, xa, ya.T, beta=0.0, out=pattern).values()
