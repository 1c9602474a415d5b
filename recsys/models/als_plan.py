"""How ALS batches the rows of one side: sorted by number of observed cells, cut into padded batches.

Built once per fit (:class:`~recsys.models.als.ALSTrainer`) or per fold-in call, then read by
:func:`~recsys.models.als.solve_side` at every sweep. Rows are sorted by degree so each batch is a few
large batched matrix products with little padding; rows below the push-through cut and the others never
share a batch (they are solved differently), and the rows the sparse CG solves are also kept in CSR form.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["SidePlan", "build_plan", "csr_pattern"]

_BATCH_ELEMENTS = 1 << 20  # padded cells x factors per batch: fastest of 2^16..2^23 on the benchmark (CPU)


@dataclass(frozen=True)
class _Batch:
    rows: torch.Tensor  # (B,) rows of the side being solved
    cols: torch.Tensor  # (B, L) indices into the fixed side, padded with 0
    conf_m1: torch.Tensor  # (B, L) c - 1, 0 on padding
    target: torch.Tensor  # (B, L) c * p, 0 on padding
    woodbury: bool


@dataclass(frozen=True)
class SidePlan:
    """Degree-sorted padded batches of one side (users or tracks), built once per fit.

    Attributes
    ----------
    n_rows, n_cols : int
        Rows of the side being solved, and of the fixed side.
    empty : torch.Tensor
        Rows with no observed cell (solved by the shared system alone).
    batches : list
        Padded batches, each either all-Woodbury (``d < cut``) or all-direct (left out when the direct
        rows are solved by the sparse CG).
    cg_rows : torch.Tensor
        Rows with at least ``cut`` observed cells (those the sparse CG solves).
    cg_prefix : bool
        ``cg_rows`` is ``0 .. len(cg_rows) - 1`` (rows sorted by decreasing degree): the CG then works
        in place on a view of the output instead of a gathered copy.
    crow, col, conf_m1, target : torch.Tensor
        Those rows in CSR form (row pointers, column indices, ``c - 1``, ``c * p``) for the sparse CG.
    pattern : torch.Tensor
        The same rows as a sparse CSR tensor, built once: 32-bit indices where they fit (MKL's sparse
        product takes no others, so 64-bit ones were converted at every product) and a values buffer
        the sparse CG overwrites at every product (the plan is not safe to solve with from two threads).
    """

    n_rows: int
    n_cols: int
    empty: torch.Tensor
    batches: list[_Batch]
    cg_rows: torch.Tensor
    cg_prefix: bool
    crow: torch.Tensor
    col: torch.Tensor
    conf_m1: torch.Tensor
    target: torch.Tensor
    pattern: torch.Tensor


def build_plan(
    indptr: np.ndarray,
    indices: np.ndarray,
    conf: np.ndarray,
    pref: np.ndarray,
    *,
    n_free: int,
    n_cols: int | None = None,
    woodbury_below: int | None = None,
    direct: bool = True,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    batch_elements: int = _BATCH_ELEMENTS,
) -> SidePlan:
    """Cut the rows of a CSR structure into degree-sorted padded batches.

    Parameters
    ----------
    indptr, indices : numpy.ndarray
        CSR structure of the side being solved (rows) against the fixed side (columns).
    conf, pref : numpy.ndarray
        Confidence and preference of each stored cell, in CSR order.
    n_free : int
        Unknowns per row (factors, plus one with biases).
    n_cols : int, optional
        Rows of the fixed side (default: one past the largest column index).
    woodbury_below : int, optional
        Rows with fewer observed cells than this are solved through the push-through identity
        (default ``n_free``: wherever the ``d x d`` system is smaller than the ``k x k`` one).
    direct : bool
        Build padded batches for the other rows too (for the exact Cholesky solve; the sparse CG does
        not need them).
    device, dtype
        Of the batch tensors.
    batch_elements : int
        Cap on ``B * L * n_free`` per batch.

    Returns
    -------
    SidePlan
    """
    n_rows = len(indptr) - 1
    cut = n_free if woodbury_below is None else min(int(woodbury_below), n_free)
    degree = np.diff(indptr)
    order = np.argsort(degree, kind="stable")
    nonempty = order[degree[order] > 0]
    empty = order[degree[order] == 0]
    conf_m1 = (conf - 1.0).astype(np.float64)
    target = conf * pref
    batches: list[_Batch] = []
    start = 0
    if not direct:
        nonempty = nonempty[degree[nonempty] < cut]
    while start < len(nonempty):
        woodbury = degree[nonempty[start]] < cut
        end = start + 1
        # grow while the padded batch fits the budget and stays on one side of the Woodbury cut
        while end < len(nonempty):
            d = degree[nonempty[end]]
            if (d < cut) != woodbury or (end - start + 1) * d * n_free > batch_elements:
                break
            end += 1
        rows = nonempty[start:end]
        lens = degree[rows]
        width = int(lens.max())
        offs = np.arange(width)
        mask = offs[None, :] < lens[:, None]
        pos = np.where(mask, indptr[rows][:, None] + offs[None, :], 0)
        cols = np.where(mask, indices[pos], 0)
        batches.append(
            _Batch(
                rows=torch.as_tensor(rows.astype(np.int64), device=device),
                cols=torch.as_tensor(cols.astype(np.int64), device=device),
                conf_m1=torch.as_tensor(np.where(mask, conf_m1[pos], 0.0), dtype=dtype, device=device),
                target=torch.as_tensor(np.where(mask, target[pos], 0.0), dtype=dtype, device=device),
                woodbury=bool(woodbury),
            )
        )
        start = end
    n_cols = int(indices.max()) + 1 if n_cols is None and len(indices) else int(n_cols or 0)
    cg_rows = np.flatnonzero(degree >= max(cut, 1))
    lens = degree[cg_rows]
    crow = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    cg_prefix = bool(np.array_equal(cg_rows, np.arange(len(cg_rows))))
    if cg_prefix and indptr[0] == 0:
        # the CG rows lead (the trainer's degree order): their cells are a prefix, no gather needed
        pos: slice | np.ndarray = slice(0, int(crow[-1]))
    else:
        pos = np.repeat(indptr[cg_rows] - crow[:-1], lens) + np.arange(int(crow[-1]))
    col = np.array(np.asarray(indices, dtype=np.int64)[pos])  # a copy: the plan must not alias the caller's
    return SidePlan(
        n_rows=n_rows,
        n_cols=n_cols,
        empty=torch.as_tensor(empty.astype(np.int64), device=device),
        batches=batches,
        cg_rows=torch.as_tensor(cg_rows.astype(np.int64), device=device),
        cg_prefix=cg_prefix,
        crow=torch.as_tensor(crow, device=device),
        col=torch.as_tensor(col, device=device),
        conf_m1=torch.as_tensor(conf_m1[pos], dtype=dtype, device=device),
        target=torch.as_tensor(target[pos], dtype=dtype, device=device),
        pattern=csr_pattern(crow, col, (len(cg_rows), n_cols), device=device, dtype=dtype),
    )


def csr_pattern(
    crow: np.ndarray,
    col: np.ndarray,
    shape: tuple[int, int],
    *,
    device: torch.device | str,
    dtype: torch.dtype,
) -> torch.Tensor:
    """A sparse CSR tensor of ``shape`` on ``(crow, col)`` with a zeroed values buffer, built once.

    The indices are 32-bit when every index and the number of cells fit: MKL's sparse-dense product
    (the CPU path of ``CSR @ dense``) takes only those and converted 64-bit ones at every call, and the
    sampled product reads half the index bytes.
    """
    small = max(len(col), *shape) < np.iinfo(np.int32).max
    index = torch.int32 if small else torch.int64
    with warnings.catch_warnings():
        # torch flags CSR tensors as beta once per process; the operations used here are long stable
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(
            torch.as_tensor(crow, device=device).to(index),
            torch.as_tensor(col, device=device).to(index),
            torch.zeros(len(col), dtype=dtype, device=device),
            size=shape,
            check_invariants=False,
        )
