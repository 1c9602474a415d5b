"""Exact top-k of a factor model without scoring every track: tracks in decreasing norm, stopped by a bound.

A factor model scores ``s_ui = x_u . y_i (+ b_u + b_i)``. By Cauchy-Schwarz, ``x_u . y_i <= |x_u| |y_i|``,
so once the tracks are ordered by decreasing ``|y_i|``, every track from position ``L`` on scores at most

    bound_u(L) = |x_u| |y_(L)| + b_u + max_{j >= L} b_(j)

(the last term is a suffix maximum of the track biases in that order). For a block of users, the tracks
``P = order[:L]`` are scored (one matrix product of ``B x L``), each user's exact top-k among them is
taken with :func:`~recsys.evaluation.ranking.top_k` (``P`` is laid out in track-index order, so ties
still go to the lower track index), and a user is done when ``bound_u(L)`` is *strictly* below its k-th
best score: no track outside ``P`` can enter or tie its list. Users not done are retried with ``2L``
tracks; past half the catalogue the whole catalogue is scored. The answer is the full ranking's, up to
the float32 rounding of the products (the bound carries a margin for it).

Why: the popular tracks have the large factors, and a user's 10th best score is far above what a
long-tail track can reach. On the 50,000 x 100,000 generated set (64 factors) a user's top-10 needs on
average 0.9% of the tracks (at most 2.5%), its top-30 1.7% (at most 4.3%), so the first pass over 1/32
of the catalogue settles nearly everyone: validation and evaluation cost a few percent of the dense
product (1/16 took a fifth longer for the validation's 2,000 users, 1/64 left too many for a second
pass). On a small catalogue (1,000 x 22,000) a user needs about 28% and the saving is smaller; the
doubling bounds the extra work at about twice what the user needs, and never above the dense product
plus the first pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from recsys.errors import ConfigError
from recsys.evaluation.ranking import top_k

__all__ = ["FactorIndex", "factor_index"]

# Relative margin on the bound for float32 rounding: a 64-term float32 dot product is within about
# 64 * 6e-8 = 4e-6 of the exact one relative to |x| |y|, the norms (taken in float32: a float64 copy of
# 100,000 x 64 factors cost more than the rest of the index) within about 2e-6 each, biases add their own.
_MARGIN = 2e-5


@dataclass
class FactorIndex:
    """Tracks ordered by decreasing factor norm, and the bounds :meth:`top_k` stops on.

    Build it with :func:`factor_index` (or :meth:`build`) from the factors as they are now; it reads
    the tensors at every call, so it must be rebuilt when they change (every epoch, for validation).

    Attributes
    ----------
    x, y : torch.Tensor
        ``(U, k)`` user and ``(I, k)`` track factors.
    bu, bi : torch.Tensor or None
        Biases, both or neither.
    order : numpy.ndarray
        Track indices by decreasing norm (ties by index).
    norm_at : numpy.ndarray
        ``(I + 1,)`` float64: ``|y_(order[L])|``, 0 at ``L = I``.
    bias_at : numpy.ndarray
        ``(I + 1,)`` float64: ``max_{j >= L} b_(order[j])`` (0 without biases, ``-inf`` at ``L = I``).
    first : int
        Tracks of the first pass.
    bias_scale : float
        The largest ``|b_i|`` (scales the rounding margin).
    """

    x: torch.Tensor
    y: torch.Tensor
    bu: torch.Tensor | None
    bi: torch.Tensor | None
    order: np.ndarray
    norm_at: np.ndarray
    bias_at: np.ndarray
    first: int
    bias_scale: float = 0.0
    _dense: bool = field(default=False, repr=False)
    _buffer: torch.Tensor = field(default_factory=lambda: torch.empty(0), repr=False)
    _prefixes: dict[int, tuple[np.ndarray, torch.Tensor, torch.Tensor | None, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def build(
        cls,
        x: torch.Tensor,
        y: torch.Tensor,
        bu: torch.Tensor | None = None,
        bi: torch.Tensor | None = None,
        *,
        first: int | None = None,
    ) -> FactorIndex:
        """Order the tracks and compute the bounds.

        Parameters
        ----------
        x, y : torch.Tensor
            User and track factors (CPU; other devices are copied to the CPU).
        bu, bi : torch.Tensor, optional
            Biases, both or neither.
        first : int, optional
            Tracks of the first pass (default ``max(256, I // 32)``).

        Returns
        -------
        FactorIndex
        """
        x, y = x.detach().float().cpu(), y.detach().float().cpu()
        if (bu is None) != (bi is None):
            raise ConfigError("give both biases or neither")
        if bu is not None and bi is not None:
            bu, bi = bu.detach().float().cpu(), bi.detach().float().cpu()
        n = y.shape[0]
        norms = torch.linalg.vector_norm(y, dim=1).double().numpy()
        order = np.argsort(-norms, kind="stable").astype(np.int64)  # ties by index
        norm_at = np.append(norms[order], 0.0)
        if bi is None:
            bias_at = np.zeros(n + 1)
        else:
            b = bi.double().numpy()[order]
            bias_at = np.append(np.maximum.accumulate(b[::-1])[::-1], -np.inf)
        start = max(256, n // 32) if first is None else int(first)
        if start < 1:
            raise ConfigError(f"first must be a positive number of tracks, got {first!r}")
        scale = float(np.abs(bias_at[:-1]).max()) if n and bi is not None else 0.0
        return cls(x, y, bu, bi, order, norm_at, bias_at, start, scale)

    @property
    def n_items(self) -> int:
        """Number of tracks."""
        return int(self.y.shape[0])

    @property
    def went_dense(self) -> bool:
        """Whether a first pass left most of its users unsettled, so later blocks scored every track (a
        small catalogue: the index saves nothing there, and a caller asking again may skip it)."""
        return self._dense

    def top_k(self, rows: np.ndarray, k: int, exclude: sp.spmatrix | sp.sparray | None = None) -> np.ndarray:
        """Each user's ``k`` best tracks, exactly as :func:`~recsys.evaluation.ranking.top_k` of the full
        scores would list them.

        Parameters
        ----------
        rows : numpy.ndarray
            User rows.
        k : int
            List length.
        exclude : scipy.sparse matrix, optional
            ``(len(rows), I)``: tracks never listed for that user.

        Returns
        -------
        numpy.ndarray
            ``int64`` ``(len(rows), k)``, ``-1`` in slots with no track left.
        """
        rows = np.asarray(rows, dtype=np.int64)
        if k < 1:
            raise ConfigError(f"k must be at least 1, got {k}")
        n, n_rows = self.n_items, len(rows)
        ex = None if exclude is None else sp.csr_matrix(exclude)
        if ex is not None and ex.shape != (n_rows, n):
            raise ConfigError(f"exclude has shape {ex.shape}, expected {(n_rows, n)}")
        out = np.full((n_rows, k), -1, dtype=np.int64)
        if n_rows == 0 or n == 0:
            return out
        idx = torch.from_numpy(rows)
        xr = self.x.index_select(0, idx)
        x_norm = torch.linalg.vector_norm(xr, dim=1).double().numpy()
        b_row = self.bu.index_select(0, idx) if self.bu is not None else None
        b_user = b_row.double().numpy() if b_row is not None else np.zeros(n_rows)
        # once a block has shown that most users are not settled by the first pass (a small catalogue:
        # the top-k needs a large share of it), later blocks score the whole catalogue at once
        size = n if self._dense else min(n, max(self.first, 2 * (k + 1)))
        passes = [(np.arange(n_rows), size)]
        first_pass = True
        while passes:
            pending, size = passes.pop(0)
            if 2 * size > n:
                size = n  # past half the catalogue, scoring it all is cheaper than a prefix
            cols, y_p, b_p, pos = self._prefix(size)
            scores = self._block(pending.size, size)
            sel = torch.from_numpy(pending)
            torch.mm(xr.index_select(0, sel), y_p.T, out=scores)
            if b_row is not None and b_p is not None:
                scores += b_row.index_select(0, sel).unsqueeze(1)
                scores += b_p.unsqueeze(0)
            block = scores.numpy()
            top = top_k(block, k, _restrict(ex, pending, pos, size), in_place=True)
            first_pass, was_first = False, first_pass
            if size == n:
                out[pending] = np.where(top >= 0, cols[np.maximum(top, 0)], -1)
                continue
            last = top[:, k - 1]
            kth = np.where(last >= 0, block[np.arange(pending.size), np.maximum(last, 0)], -np.inf)
            done = self._bound(x_norm[pending], b_user[pending], size) < kth
            out[pending[done]] = cols[top[done]]  # done: all k slots hold a track
            pending, kth = pending[~done], kth[~done]
            if was_first and 2 * pending.size > len(rows):
                self._dense = True
                passes.append((pending, n))
            elif pending.size:
                # each user's k-th score so far can only rise, so the first prefix whose bound falls
                # below it is enough: one more pass per user, at that size rounded up to a power-of-two
                # multiple of the first pass (so blocks share the prefixes' factors)
                need = self._needed(x_norm[pending], b_user[pending], kth, size)
                level = np.where(need >= n, n, self.first * 2 ** np.ceil(np.log2(need / self.first)))
                level = np.minimum(level, n).astype(np.int64)
                for value in np.unique(level):
                    passes.append((pending[level == value], int(value)))
        return out

    def _bound(self, x_norm: np.ndarray, b_user: np.ndarray, size: int | np.ndarray) -> np.ndarray:
        """The most any track from position ``size`` on can score (with the rounding margin); it never
        grows with ``size``."""
        reach = x_norm * self.norm_at[size]
        slack = _MARGIN * (reach + np.abs(b_user) + self.bias_scale) + 1e-30
        return reach + b_user + self.bias_at[size] + slack

    def _needed(self, x_norm: np.ndarray, b_user: np.ndarray, kth: np.ndarray, size: int) -> np.ndarray:
        """Per user, the smallest prefix whose bound is below ``kth`` (``I`` when none): a vectorised
        binary search over the non-increasing bound."""
        n = self.n_items
        lo = np.full(len(kth), size, dtype=np.int64)  # bound(lo) >= kth
        hi = np.full(len(kth), n, dtype=np.int64)  # treated as enough
        while np.any(hi - lo > 1):
            mid = (lo + hi) // 2
            ok = self._bound(x_norm, b_user, mid) < kth
            hi = np.where(ok, mid, hi)
            lo = np.where(ok, lo, mid)
        return hi

    def _block(self, n_rows: int, size: int) -> torch.Tensor:
        """A ``(n_rows, size)`` float32 view of one reused buffer: a fresh block per pass would be
        page-faulted in every time (as slow as the product itself on the 2-core machine)."""
        need = n_rows * size
        if self._buffer.numel() < need:
            self._buffer = torch.empty(need, dtype=torch.float32)
        return self._buffer[:need].view(n_rows, size)

    def _prefix(self, size: int) -> tuple[np.ndarray, torch.Tensor, torch.Tensor | None, np.ndarray]:
        """The first ``size`` tracks in index order, their factors and biases, and each track's position
        among them (-1 outside); kept per size, since every block of users asks for the same few."""
        if size not in self._prefixes:
            cols = np.sort(self.order[:size])
            sel = torch.from_numpy(cols)
            pos = np.full(self.n_items, -1, dtype=np.int64)
            pos[cols] = np.arange(size)
            b_p = self.bi.index_select(0, sel) if self.bi is not None else None
            self._prefixes[size] = (cols, self.y.index_select(0, sel), b_p, pos)
        return self._prefixes[size]


def _restrict(
    ex: sp.csr_matrix | None, pending: np.ndarray, pos: np.ndarray, size: int
) -> sp.csr_matrix | None:
    """The exclusions of the ``pending`` users laid on the prefix's columns."""
    if ex is None or ex.nnz == 0:
        return None
    sub = ex[pending] if pending.size != ex.shape[0] else ex
    if size == ex.shape[1]:
        return sub  # the whole catalogue, in index order: nothing to lay out
    cols = pos[sub.indices]
    keep = cols >= 0
    row = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))
    return sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=bool), (row[keep], cols[keep])), shape=(sub.shape[0], size)
    )


def factor_index(source: Any) -> FactorIndex | None:
    """A :class:`FactorIndex` of a model's or a scorer's current factors, or None for a model without.

    Parameters
    ----------
    source : object
        Anything with a ``factors()`` method returning ``(x, y, bu, bi)`` tensors, or None
        (:meth:`recsys.models.base.Recommender.factors`, the training scorer of WMF).

    Returns
    -------
    FactorIndex or None
    """
    get: Callable[[], Any] | None = getattr(source, "factors", None)
    if not callable(get):
        return None
    factors = get()
    if factors is None:
        return None
    x, y, bu, bi = factors
    return FactorIndex.build(x, y, bu, bi)
