"""Bootstrap intervals, the paired tests and a random recommender's expectations."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.evaluation.metrics import all_metrics
from recsys.evaluation.stats import (
    bootstrap_ci,
    bootstrap_cis,
    paired_comparison,
    random_expectations,
    sign_flip_p_value,
)


def test_bootstrap_ci_is_reproducible_with_a_seed() -> None:
    values = np.random.default_rng(0).random(200)
    a = bootstrap_ci(values, seed=5)
    assert a == bootstrap_ci(values, seed=5)
    assert a != bootstrap_ci(values, seed=6)
    assert a[0] < values.mean() < a[1]
    # the interval of a mean of 200 uniforms is about +-1.96 * 0.289 / sqrt(200) = +-0.04
    assert a[1] - a[0] == pytest.approx(2 * 1.96 * values.std() / np.sqrt(200), rel=0.15)


def test_bootstrap_of_a_constant_and_of_nothing() -> None:
    assert bootstrap_ci(np.full(10, 0.25)) == (0.25, 0.25)
    assert all(np.isnan(bootstrap_ci(np.array([np.nan]))))
    assert bootstrap_cis(np.ones((5, 3))).shape == (3, 2)


def test_sign_flip_p_value_on_a_known_case() -> None:
    # 5 positive differences of 1: of the 32 sign patterns only all-plus and all-minus reach |mean| 1,
    # so the exact two-sided p-value is 2/32; the Monte-Carlo estimate (with +1 smoothing) is close.
    p = sign_flip_p_value(np.ones(5), n_perm=20000, seed=0)
    assert p == pytest.approx(2 / 32, abs=0.006)
    assert sign_flip_p_value(np.zeros(7)) == 1.0
    d = np.array([0.3, -0.1, 0.2, 0.4])
    assert sign_flip_p_value(d, n_perm=1000, seed=3) == sign_flip_p_value(d, n_perm=1000, seed=3)


def test_paired_comparison_detects_a_real_shift_and_not_noise() -> None:
    rng = np.random.default_rng(1)
    base = rng.random(300)
    better = base + 0.05 + rng.normal(0, 0.05, 300)
    res = paired_comparison(better, base, seed=0)
    assert res.n == 300 and res.diff == pytest.approx(np.mean(better - base))
    assert res.ci_low > 0 and res.p_value < 0.001 and res.p_wilcoxon < 0.001
    noise = paired_comparison(base + rng.normal(0, 0.05, 300), base, seed=0)
    assert noise.ci_low < 0 < noise.ci_high and noise.p_value > 0.05
    with_nan = paired_comparison(np.array([1.0, np.nan, 3.0]), np.array([0.0, 1.0, 1.0]))
    assert with_nan.n == 2 and with_nan.diff == 1.5


@pytest.mark.parametrize(
    ("n_cand", "n_rel", "k"), [(20, 1, 10), (20, 5, 10), (50, 3, 10), (8, 8, 10), (30, 12, 5)]
)
def test_random_expectations_match_monte_carlo(n_cand: int, n_rel: int, k: int) -> None:
    rng = np.random.default_rng(2)
    trials = 20000
    top = np.argsort(rng.random((trials, n_cand)), axis=1)[:, :k]
    if top.shape[1] < k:
        top = np.hstack([top, -np.ones((trials, k - top.shape[1]), dtype=np.int64)])
    rel = np.zeros((trials, n_cand))
    rel[:, :n_rel] = 1
    simulated = all_metrics(top, sp.csr_matrix(rel), [k])
    expected = random_expectations(np.array([n_rel]), np.array([n_cand]), k)
    for name, values in simulated.items():
        se = values.std() / np.sqrt(trials)
        assert abs(values.mean() - expected[name][0]) < 4 * se + 1e-9, name


def test_random_expectations_closed_forms() -> None:
    out = random_expectations(np.array([2, 0]), np.array([100, 100]), 10)
    assert out["precision@10"][0] == pytest.approx(0.02)
    assert out["recall@10"][0] == pytest.approx(0.1)
    assert out["hit_rate@10"][0] == pytest.approx(1 - (98 * 97 * 96 * 95 * 94 * 93 * 92 * 91 * 90 * 89)
                                                    / (100 * 99 * 98 * 97 * 96 * 95 * 94 * 93 * 92 * 91))
    assert np.isnan(out["ndcg@10"][1])
