"""Scores of a factor model's users over every track, written into a caller's buffer.

One rule, ``X[rows] @ Y^T (+ b_u + b_i)``, serves :meth:`recsys.models.wmf.WMF.score_users`, the
evaluation's blocks (:meth:`~recsys.models.base.Recommender.score_users_into`) and the per-epoch
validation's scorer, so all three round the same way. Writing into a reused buffer matters at scale: a
fresh 512 x 100,000 block is page-faulted in every time, which doubled the time of the matrix product on
the 2-core machine (measured: 0.79 s against 1.6 s per 8,192 users x 100,000 tracks).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["FactorScorer", "scores_into"]


def scores_into(
    x: torch.Tensor,
    y: torch.Tensor,
    bu: torch.Tensor | None,
    bi: torch.Tensor | None,
    rows: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """``X[rows] @ Y^T (+ b_u + b_i)`` written into ``out``.

    Parameters
    ----------
    x, y : torch.Tensor
        ``(U, k)`` user and ``(I, k)`` track factors (any device).
    bu, bi : torch.Tensor or None
        ``(U,)`` and ``(I,)`` biases, both or neither.
    rows : numpy.ndarray
        ``int64`` user rows.
    out : numpy.ndarray
        ``float32`` ``(len(rows), I)``, C-contiguous.

    Returns
    -------
    numpy.ndarray
        ``out``.
    """
    idx = torch.as_tensor(np.asarray(rows, dtype=np.int64), device=x.device)
    target = torch.from_numpy(out)
    with torch.no_grad():
        if x.device == target.device and x.dtype == target.dtype:
            torch.mm(x[idx], y.T, out=target)  # straight into the caller's buffer: no temporary block
        else:
            target.copy_(x[idx] @ y.T)
        if bu is not None and bi is not None:
            # two in-place adds rather than one (B, I) temporary of b_u + b_i
            target += bu[idx].unsqueeze(1).to(target)
            target += bi.unsqueeze(0).to(target)
    return out


class FactorScorer:
    """A :data:`~recsys.models.base.RowScorer` of factors as they are now (a fit updates them in place).

    ``scorer(rows)`` returns a fresh ``float32`` array; ``scorer(rows, out=buffer)`` writes into a reused
    buffer instead (``accepts_out``), which the per-epoch validator does.

    Parameters
    ----------
    x, y, bu, bi : torch.Tensor
        As for :func:`scores_into`.
    """

    accepts_out = True

    def __init__(
        self, x: torch.Tensor, y: torch.Tensor, bu: torch.Tensor | None = None, bi: torch.Tensor | None = None
    ) -> None:
        self._factors = (x, y, bu, bi)

    def factors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """The factors scored, as they are now (the validator's exact pruned top-k reads them)."""
        return self._factors

    def __call__(self, rows: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Scores of training ``rows`` over every track, into ``out`` when given."""
        if out is None:
            out = np.empty((len(rows), self._factors[1].shape[0]), dtype=np.float32)
        return scores_into(*self._factors, rows, out)
