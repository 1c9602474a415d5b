"""The shortcuts of the ALS update and the loss give the same answers as the plain computations.

Each shortcut skips work only when its precondition holds (cells already sorted, CG rows a prefix, a
cached pattern for the same cells), so each is checked on inputs that take it and on inputs that do not.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from recsys.models.als import build_plan, solve_side
from recsys.models.wmf_loss import count_reg, weighted_cells, wmf_loss

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _decreasing_degree(n_rows: int, n_cols: int, seed: int) -> sp.csr_matrix:
    """Row ``r`` has ``n_rows - r`` cells: the CG rows (the heaviest) come first."""
    rng = np.random.default_rng(seed)
    dense = np.zeros((n_rows, n_cols))
    for r in range(n_rows):
        d = n_rows - r
        dense[r, rng.choice(n_cols, size=d, replace=False)] = rng.choice([0.5, 1.0, 2.0, 4.0], size=d)
    return sp.csr_matrix(dense)


def _exact_rows(m: sp.csr_matrix, g: np.ndarray, reg: float, alpha: float) -> np.ndarray:
    s = m.toarray()
    c, p = 1 + alpha * s, (s >= 1.0).astype(np.float64)
    f = g.shape[1]
    a = [g.T @ (c[u][:, None] * g) + reg * np.eye(f) for u in range(len(s))]
    return np.stack([np.linalg.solve(a[u], g.T @ (c[u] * p[u])) for u in range(len(s))])


def test_cg_rows_leading_the_plan_solve_exactly_and_the_pattern_is_reused():
    m = _decreasing_degree(12, 16, seed=3)
    cells = weighted_cells(m, alpha=2.0, eps=1.0, kind="linear", dtype=torch.float64)
    f = 4
    plan = build_plan(
        m.indptr, cells.cols.numpy(), cells.conf.numpy(), cells.pref.numpy(), n_free=f, n_cols=16,
        direct=False, dtype=torch.float64,
    )  # fmt: skip
    assert plan.cg_prefix
    # the CSR tensor the CG products run on: 32-bit indices, the same pattern as the plan's own
    assert plan.pattern.crow_indices().dtype == torch.int32
    assert plan.pattern.crow_indices().tolist() == plan.crow.tolist()
    assert plan.pattern.col_indices().tolist() == plan.col.tolist()
    g = np.random.default_rng(4).normal(size=(16, f))
    want = _exact_rows(m, g, 0.7, 2.0)
    for _ in range(2):  # a second solve overwrites the values buffer the first one left behind
        out = torch.zeros(12, f, dtype=torch.float64)
        solve_side(torch.tensor(g), None, plan, 0.7, out, solver="cg", cg_steps=f)
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-7, atol=1e-9)


def test_weighted_cells_sort_cells_given_out_of_order():
    m = _decreasing_degree(9, 11, seed=5)
    coo = m.tocoo()
    shuffled = np.random.default_rng(6).permutation(coo.nnz)
    unsorted = sp.coo_matrix((coo.data[shuffled], (coo.row[shuffled], coo.col[shuffled])), shape=m.shape)
    want = weighted_cells(m, alpha=1.0, eps=1.0, kind="linear")
    got = weighted_cells(unsorted, alpha=1.0, eps=1.0, kind="linear")
    for name in ("rows", "cols", "conf", "pref"):
        assert torch.equal(getattr(got, name), getattr(want, name)), name


@pytest.mark.parametrize("per_row", [False, True])
def test_loss_is_exact_on_every_call_with_the_cells_cache(per_row):
    m = _decreasing_degree(10, 13, seed=7)
    cells = weighted_cells(m, alpha=3.0, eps=1.0, kind="linear")
    s = m.toarray()
    c, p = 1 + 3.0 * s, (s >= 1.0).astype(np.float64)
    user_reg, item_reg = count_reg(cells, 0.4) if per_row else (None, None)
    rng = np.random.default_rng(8)
    for _ in range(3):  # later calls read the pattern and weights the first one kept with the cells
        x, y = rng.normal(size=(10, 5)).astype(np.float32), rng.normal(size=(13, 5)).astype(np.float32)
        xd, yd = x.astype(np.float64), y.astype(np.float64)
        fit = (c * (p - xd @ yd.T) ** 2).sum()
        if per_row:
            ridge = user_reg.numpy() @ (xd**2).sum(1) + item_reg.numpy() @ (yd**2).sum(1)
        else:
            ridge = 0.4 * ((xd**2).sum() + (yd**2).sum())
        got = wmf_loss(torch.tensor(x), torch.tensor(y), cells, reg=0.4, user_reg=user_reg, item_reg=item_reg)
        assert got == pytest.approx((fit + ridge) / (10 * 13), rel=1e-6)
