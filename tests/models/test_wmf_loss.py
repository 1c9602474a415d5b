"""The Gram-trick WMF objective and the ALS row solver against brute force on tiny dense problems."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from recsys.errors import ConfigError, DataError
from recsys.models.als import build_plan, solve_side
from recsys.models.wmf_loss import confidence, weighted_cells, wmf_loss, wmf_objective

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _scores(seed: int = 0, shape: tuple[int, int] = (7, 9)) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = rng.choice([0.0, 0.0, 0.0, 0.5, 1.0, 2.0, 3.0], size=shape)
    dense[0, :3] = 0.0
    m = sp.csr_matrix(dense)
    # one explicitly stored zero (a pair with only skips): must count exactly like an unobserved cell
    m = sp.csr_matrix(
        (np.append(m.data, 0.0), (np.append(m.nonzero()[0], 0), np.append(m.nonzero()[1], 0))), shape=shape
    )
    return m


def _dense_loss(m, x, y, bu, bi, *, reg, alpha, eps, kind, threshold) -> float:
    s = m.toarray().astype(np.float64)
    c = 1 + alpha * np.log1p(s / eps) if kind == "log" else 1 + alpha * s
    p = (s >= threshold).astype(np.float64)
    pred = x @ y.T
    penalty = (x**2).sum() + (y**2).sum()
    if bu is not None:
        pred = pred + bu[:, None] + bi[None, :]
        penalty += (bu**2).sum() + (bi**2).sum()
    return float((c * (p - pred) ** 2).sum() + reg * penalty)


def test_confidence_matches_the_notebook_formula():
    c = confidence(np.array([0.0, 1.0, 2.0]), alpha=40.0, eps=1e-8)
    assert c[0] == 1.0
    assert c[1] == pytest.approx(1 + 40 * math.log(1 + 1e8))
    assert c[2] == pytest.approx(1 + 40 * math.log(1 + 2e8))
    np.testing.assert_allclose(
        confidence(np.array([0.0, 2.5]), alpha=4.0, eps=1e-8, kind="linear"), [1.0, 11.0]
    )
    with pytest.raises(ConfigError, match="confidence"):
        confidence(np.array([1.0]), alpha=1.0, eps=1.0, kind="square")


def test_weighted_cells_drop_zero_scores_and_set_preferences():
    # (1, 2) is an explicitly stored zero
    m = sp.csr_matrix(([0.5, 2.0, 1.0, 0.0], ([0, 0, 1, 1], [1, 2, 0, 2])), shape=(2, 3))
    assert m.nnz == 4
    cells = weighted_cells(m, alpha=1.0, eps=1.0, kind="linear", threshold=1.0, dtype=torch.float64)
    assert cells.rows.tolist() == [0, 0, 1]
    assert cells.cols.tolist() == [1, 2, 0]
    assert cells.pref.tolist() == [0.0, 1.0, 1.0]
    assert cells.conf.tolist() == [1.5, 3.0, 2.0]


def test_weighted_cells_reject_bad_scores_and_settings():
    with pytest.raises(DataError, match=r"-1\.0"):
        weighted_cells(sp.csr_matrix(np.array([[1.0, -1.0]])), alpha=1.0, eps=1.0)
    with pytest.raises(ConfigError, match="threshold"):
        weighted_cells(sp.csr_matrix(np.array([[1.0]])), alpha=1.0, eps=1.0, threshold=0.0)


@pytest.mark.parametrize("kind", ["log", "linear"])
@pytest.mark.parametrize("bias", [False, True])
def test_gram_trick_loss_equals_the_dense_loss(kind, bias):
    m = _scores()
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(9, 3))
    bu, bi = (rng.normal(size=7), rng.normal(size=9)) if bias else (None, None)
    settings = dict(alpha=40.0 if kind == "log" else 3.0, eps=1e-8, kind=kind, threshold=1.0)
    cells = weighted_cells(m, **settings, dtype=torch.float64)
    t = lambda a: None if a is None else torch.tensor(a)  # noqa: E731
    got = wmf_objective(t(x), t(y), cells, reg=0.3, user_bias=t(bu), item_bias=t(bi))
    want = _dense_loss(m, x, y, bu, bi, reg=0.3, **settings)
    assert float(got) == pytest.approx(want, rel=1e-10, abs=1e-5)
    per_cell = wmf_loss(t(x).float(), t(y).float(), cells, reg=0.3, user_bias=t(bu), item_bias=t(bi))
    assert per_cell == pytest.approx(want / (7 * 9), rel=1e-5)


def _dense_row_solutions(m, g, offset, reg, **settings):
    s = m.toarray().astype(np.float64)
    c = 1 + settings["alpha"] * np.log1p(s / settings["eps"])
    p = (s >= 1.0).astype(np.float64)
    o = np.zeros(g.shape[0]) if offset is None else offset
    f = g.shape[1]
    return np.stack(
        [
            np.linalg.solve(g.T @ (c[u][:, None] * g) + reg * np.eye(f), g.T @ (c[u] * (p[u] - o)))
            for u in range(len(s))
        ]
    )


@pytest.mark.parametrize("with_offset", [False, True])
@pytest.mark.parametrize("solver", ["cholesky", "cg"])
def test_als_rows_solve_the_normal_equations_exactly(with_offset, solver):
    # rows with 0 .. 12 observed cells against 4 unknowns: empty, push-through (d < 4) and direct rows
    rng = np.random.default_rng(2)
    n_rows, n_fixed, f = 13, 15, 4
    dense = np.zeros((n_rows, n_fixed))
    for r in range(n_rows):
        dense[r, rng.choice(n_fixed, size=r, replace=False)] = rng.choice([0.5, 1.0, 2.0], size=r)
    m = sp.csr_matrix(dense)
    settings = dict(alpha=2.0, eps=1.0)
    cells = weighted_cells(m, **settings, kind="log", dtype=torch.float64)
    plan = build_plan(
        m.indptr,
        cells.cols.numpy(),
        cells.conf.numpy(),
        cells.pref.numpy(),
        n_free=f,
        n_cols=n_fixed,
        direct=solver == "cholesky",
        dtype=torch.float64,
        batch_elements=40,
    )
    # the exact solver batches every row; the CG keeps batches for the push-through rows only
    assert {b.woodbury for b in plan.batches} == ({True, False} if solver == "cholesky" else {True})
    assert plan.empty.tolist() == [0]
    g = rng.normal(size=(n_fixed, f))
    offset = rng.normal(size=n_fixed) if with_offset else None
    want = _dense_row_solutions(m, g, offset, 0.7, **settings)
    out = torch.zeros(n_rows, f, dtype=torch.float64)
    # CG with as many steps as unknowns is exact in exact arithmetic; the push-through rows always are
    solve_side(
        torch.tensor(g),
        None if offset is None else torch.tensor(offset),
        plan,
        0.7,
        out,
        solver=solver,
        cg_steps=f,
    )
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-7, atol=1e-9)
