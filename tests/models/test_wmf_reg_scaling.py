"""ALS-WR (``reg_scaling="count"``): the count-scaled penalty Spark MLlib minimises, in our ALS; and the
settings of the Spark engine."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import torch

from recsys.data.interactions import Interactions
from recsys.data.spark_session import SparkSettings
from recsys.errors import ConfigError
from recsys.models.wmf import WMF, WMFConfig
from recsys.models.wmf_config import REG_SCALINGS
from recsys.models.wmf_loss import count_reg, penalty, weighted_cells, wmf_objective

SETTINGS = {"embedding_dim": 4, "reg": 0.1, "alpha": 2.0, "reg_scaling": "count", "device": "cpu"}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def data() -> Interactions:
    """25 users x 30 tracks with planted taste; user 24 only has scores below the threshold (no p = 1)."""
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(24, 3)) @ rng.normal(size=(30, 3)).T + rng.gumbel(size=(24, 30))
    rows, cols = np.nonzero(logits > np.quantile(logits, 0.75))
    scores = rng.integers(1, 4, size=rows.size) * 1.0
    frame = pd.DataFrame({"user_id": rows, "track_id": cols, "score": scores})
    weak = pd.DataFrame({"user_id": [24, 24], "track_id": [0, 1], "score": [0.5, 0.5]})
    return Interactions.from_frame(pd.concat([frame, weak]), user_ids=np.arange(25), item_ids=np.arange(30))


def _exact_user(model: WMF, train: Interactions, row: int) -> np.ndarray:
    """(Y^T C_u Y + reg n_u I) x_u = Y^T C_u p_u, solved densely in float64."""
    cfg = model.config
    y = model.item_factors.double().numpy()
    scores = train.matrix[row].toarray().ravel()
    conf = 1.0 + cfg.alpha * scores
    pref = (scores >= cfg.threshold).astype(float)
    a = y.T @ (conf[:, None] * y) + cfg.reg * pref.sum() * np.eye(y.shape[1])
    return np.linalg.solve(a, y.T @ (conf * pref))


def test_count_reg_counts_each_rows_positive_cells(data):
    cells = weighted_cells(data.matrix, alpha=1.0, eps=1e-8, kind="linear", threshold=1.0)
    user, item = count_reg(cells, 0.5)
    positive = (data.matrix >= 1.0).astype(float)
    np.testing.assert_array_equal(user.numpy(), 0.5 * np.asarray(positive.sum(axis=1)).ravel())
    np.testing.assert_array_equal(item.numpy(), 0.5 * np.asarray(positive.sum(axis=0)).ravel())
    assert user[24] == 0  # only 0.5 scores: no positive cell
    assert penalty(cells, 0.0, "count")["user_reg"] is None  # reg 0: both forms are the same objective
    assert penalty(cells, 0.5, "none") == {"reg": 0.5, "user_reg": None, "item_reg": None}


def test_objective_with_row_weights_is_the_dense_formula(data):
    cells = weighted_cells(data.matrix, alpha=2.0, eps=1e-8, kind="linear", dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(25, 3, generator=gen, dtype=torch.float64)
    y = torch.rand(30, 3, generator=gen, dtype=torch.float64)
    user, item = count_reg(cells, 0.3)
    got = float(wmf_objective(x, y, cells, reg=0.3, user_reg=user, item_reg=item))
    dense = data.matrix.toarray()
    conf, pref = 1.0 + 2.0 * dense, (dense >= 1.0).astype(float)
    fit = (conf * (pref - x.numpy() @ y.numpy().T) ** 2).sum()
    ridge = 0.3 * (pref.sum(1) @ (x.numpy() ** 2).sum(1) + pref.sum(0) @ (y.numpy() ** 2).sum(1))
    assert got == pytest.approx(fit + ridge, rel=1e-12)


def test_exact_als_gives_the_alternating_solution_and_lowers_the_objective_every_sweep(data):
    model = WMF(WMFConfig(**SETTINGS, epochs=6, solver="cholesky")).fit(data)
    losses = [row["train_loss"] for row in model.history]
    assert all(b <= a * (1 + 1e-6) for a, b in itertools.pairwise(losses))
    for row in (0, 5, 17):
        exact = _exact_user(model, data, row)
        np.testing.assert_allclose(model.user_factors[row].numpy(), exact, rtol=1e-4, atol=1e-5)
        # fold-in (a user not trained on) is the same count-scaled solve
        folded = model.fold_in_factors(*data.user_items(row)).numpy()
        np.testing.assert_allclose(folded, exact, rtol=1e-6, atol=1e-7)
    # no positive cell: nothing to fit and no penalty, so 0 is the minimiser (Spark leaves such a row at 0)
    assert not model.user_factors[24].any()


def test_warm_started_cg_reaches_the_exact_objective(data):
    exact = WMF(WMFConfig(**SETTINGS, epochs=30, solver="cholesky")).fit(data).history[-1]["train_loss"]
    cg = WMF(WMFConfig(**SETTINGS, epochs=30, solver="cg")).fit(data).history[-1]["train_loss"]
    assert cg == pytest.approx(exact, rel=5e-3)


def test_scaling_changes_the_solution_and_reg_zero_does_not_scale(data):
    common = {**SETTINGS, "epochs": 3, "solver": "cholesky"}
    scaled = WMF(WMFConfig(**common)).fit(data).user_factors
    plain = WMF(WMFConfig(**{**common, "reg_scaling": "none"})).fit(data).user_factors
    assert not torch.allclose(scaled, plain, atol=1e-3)
    zero_count = WMF(WMFConfig(**{**common, "reg": 0.0})).fit(data).user_factors
    zero_plain = WMF(WMFConfig(**{**common, "reg": 0.0, "reg_scaling": "none"})).fit(data).user_factors
    torch.testing.assert_close(zero_count, zero_plain)


def test_defaults_are_unchanged():
    cfg = WMFConfig()
    assert (cfg.reg_scaling, cfg.engine, cfg.spark_master, cfg.spark_conf) == ("none", "local", None, ())
    assert REG_SCALINGS == ("none", "count") and cfg.spark_settings() is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"engine": "spark"}, "engine='spark' needs reg_scaling='count'"),
        ({"engine": "spark", "reg_scaling": "count", "trainer": "adamw"}, "reg_scaling='count'.*ALS trainer"),
        ({"engine": "spark", "reg_scaling": "count", "patience": 2}, "needs patience=None"),
        ({"reg_scaling": "count", "bias": True}, "without biases"),
        ({"reg_scaling": "scaled"}, "reg_scaling must be one of"),
        ({"engine": "ray"}, "engine must be one of"),
        ({"spark_master": "sparky://x"}, "unknown Spark master"),
        ({"spark_conf": ("no-equals",)}, "KEY=VALUE"),
        ({"spark_blocks": 0}, "spark_blocks must be at least 1"),
    ],
)
def test_engine_settings_are_checked(settings, message):
    with pytest.raises(ConfigError, match=message):
        WMFConfig(**settings)


def test_spark_settings_are_plain_values():
    cfg = WMFConfig(engine="spark", reg_scaling="count", spark_master="yarn",
                    spark_conf="spark.executor.memory=8g\nspark.executor.cores=4")  # a text box's lines
    assert cfg.spark_conf == ("spark.executor.memory=8g", "spark.executor.cores=4")
    assert WMFConfig(spark_conf=["a=1"]).spark_conf == ("a=1",)  # a model file's list
    assert cfg.spark_settings() == SparkSettings("yarn", cfg.spark_conf)
    assert hash(cfg)  # frozen and hashable, as every config
