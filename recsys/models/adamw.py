"""AdamW on the full WMF objective (the customer notebook's optimiser, without its dense grid).

Each step takes a batch of users and every track: the batch's part of the objective is its observed
cells plus the Gram term ``trace((X_B^T X_B)(Y^T Y))`` for all its unobserved cells, so a step costs
``O(nnz_B k + (B + I) k^2)``. The batch's terms are scaled by ``U / B`` so that the track factors'
gradient is an unbiased estimate of the full objective's; one epoch visits every user once.
"""

from __future__ import annotations

import numpy as np
import torch

from recsys.models.wmf_loss import WeightedCells, wmf_objective

__all__ = ["AdamWTrainer"]


class AdamWTrainer:
    """Mini-batch AdamW over users, full over tracks.

    Parameters
    ----------
    user_factors, item_factors : torch.Tensor
        ``(U, k)`` and ``(I, k)``, updated in place.
    cells : WeightedCells
        The training cells.
    reg : float
        L2 weight of the objective (in the gradient, as in ALS).
    learning_rate : float
        AdamW step size.
    weight_decay : float
        AdamW's decoupled weight decay, on top of ``reg`` (0 keeps the objective the same as ALS's).
    batch_size : int
        Users per step.
    dropout_rate : float
        Dropout on the batch's user factors in the fit term (one mask per user and step).
    generator : torch.Generator
        Seeded source of the batch order and dropout masks.
    user_bias, item_bias : torch.Tensor, optional
        ``(U,)`` and ``(I,)`` biases, learned too.
    """

    def __init__(
        self,
        user_factors: torch.Tensor,
        item_factors: torch.Tensor,
        cells: WeightedCells,
        *,
        reg: float,
        learning_rate: float,
        weight_decay: float,
        batch_size: int,
        dropout_rate: float,
        generator: torch.Generator,
        user_bias: torch.Tensor | None = None,
        item_bias: torch.Tensor | None = None,
    ) -> None:
        self.x, self.y, self.bu, self.bi = user_factors, item_factors, user_bias, item_bias
        self.cells = cells
        self.reg, self.batch_size, self.dropout_rate = reg, int(batch_size), float(dropout_rate)
        self.generator = generator
        params = [t for t in (self.x, self.y, self.bu, self.bi) if t is not None]
        for t in params:
            t.requires_grad_(True)
        self.optimizer = torch.optim.AdamW(params, lr=learning_rate, weight_decay=weight_decay)
        n_users = cells.shape[0]
        counts = torch.bincount(cells.rows, minlength=n_users).cpu().numpy()
        self._indptr = np.concatenate([[0], np.cumsum(counts)])

    def _batch_cells(self, users: np.ndarray) -> WeightedCells:
        starts, lens = self._indptr[users], np.diff(self._indptr)[users]
        total = int(lens.sum())
        local = np.repeat(np.arange(len(users)), lens)
        pos = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + np.arange(total)
        idx = torch.as_tensor(pos, device=self.cells.rows.device)
        return WeightedCells(
            rows=torch.as_tensor(local, device=self.cells.rows.device),
            cols=self.cells.cols[idx],
            conf=self.cells.conf[idx],
            pref=self.cells.pref[idx],
            shape=(len(users), self.cells.shape[1]),
        )

    def epoch(self) -> None:
        """One pass over every user in a seeded random order."""
        n_users, n_items = self.cells.shape
        order = torch.randperm(n_users, generator=self.generator).numpy()
        for start in range(0, n_users, self.batch_size):
            users = np.sort(order[start : start + self.batch_size])
            batch = self._batch_cells(users)
            rows = torch.as_tensor(users, device=self.x.device)
            xb = self.x[rows]
            bub = None if self.bu is None else self.bu[rows]
            xfit = xb
            if self.dropout_rate > 0:
                keep = torch.rand(xb.shape, generator=self.generator).to(xb.device) >= self.dropout_rate
                xfit = xb * keep / (1.0 - self.dropout_rate)
            scale = n_users / len(users)
            fit = wmf_objective(xfit, self.y, batch, reg=0.0, user_bias=bub, item_bias=self.bi)
            own = xb.square().sum() + (0.0 if bub is None else bub.square().sum())
            shared = self.y.square().sum() + (0.0 if self.bi is None else self.bi.square().sum())
            loss = (scale * (fit + self.reg * own) + self.reg * shared) / (n_users * n_items)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()

    def release(self) -> None:
        """Stop tracking gradients on the factors (after training)."""
        for t in (self.x, self.y, self.bu, self.bi):
            if t is not None:
                t.requires_grad_(False)
                t.grad = None
