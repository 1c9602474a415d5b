"""Seeded synthetic listening matrices with planted low-rank taste and popularity, for the benchmarks.

Each user samples tracks without replacement with probability proportional to
``popularity_i * exp(taste_u . style_i)`` (Gumbel top-k), so a factor model can recover who likes what
and NDCG on held-out pairs is meaningful. Scores are play counts: ``1 + Poisson(0.7)``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["popularity_matrix", "synthetic_split"]


def synthetic_split(
    n_users: int,
    n_items: int,
    n_train_pairs: int,
    *,
    holdout: float = 0.1,
    rank: int = 16,
    taste: float = 2.5,
    seed: int = 0,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """A ``(train, test)`` pair of ``n_users x n_items`` float32 CSR score matrices.

    Parameters
    ----------
    n_users, n_items : int
        Matrix size.
    n_train_pairs : int
        Stored pairs in ``train`` (approximately: user degrees are rounded and capped).
    holdout : float
        Share of each user's pairs moved to ``test``.
    rank : int
        Rank of the planted taste.
    taste : float
        Strength of taste against popularity.
    seed : int
        Seed; the same seed gives the same matrices.
    """
    rng = np.random.default_rng(seed)
    users = rng.normal(size=(n_users, rank)) / np.sqrt(rank)
    items = rng.normal(size=(n_items, rank))
    log_pop = rng.normal(scale=1.0, size=n_items)
    total = n_train_pairs / (1.0 - holdout)
    activity = rng.lognormal(sigma=0.8, size=n_users)
    degree = np.clip(np.round(activity / activity.sum() * total), 2, n_items // 2).astype(np.int64)
    rows, cols = [], []
    chunk = max(1, (1 << 23) // n_items)
    for start in range(0, n_users, chunk):
        block = slice(start, min(n_users, start + chunk))
        logits = taste * users[block] @ items.T + log_pop[None, :]
        keys = logits + rng.gumbel(size=logits.shape)
        for r, key in enumerate(keys):
            d = degree[start + r]
            picked = np.argpartition(-key, d - 1)[:d]
            rows.append(np.full(d, start + r, dtype=np.int64))
            cols.append(picked)
    row = np.concatenate(rows)
    col = np.concatenate(cols)
    score = (1.0 + rng.poisson(0.7, size=row.size)).astype(np.float32)
    test_mask = rng.random(row.size) < holdout
    shape = (n_users, n_items)
    train = sp.csr_matrix((score[~test_mask], (row[~test_mask], col[~test_mask])), shape=shape)
    test = sp.csr_matrix((score[test_mask], (row[test_mask], col[test_mask])), shape=shape)
    return train, test


def popularity_matrix(n_users: int, n_items: int, n_pairs: int, *, seed: int = 0) -> sp.csr_matrix:
    """A large ``n_users x n_items`` float32 CSR of about ``n_pairs`` play counts, drawn fast.

    For fit-time measurements at sizes where :func:`synthetic_split`'s dense logits would be 10^11
    numbers: user degrees are log-normal, tracks are drawn from a Zipf-like popularity (exponent 0.8)
    with replacement and duplicates merged, scores are ``1 + Poisson(0.7)``. ALS's cost depends on the
    stored pairs and the factors, not on planted taste, so this is enough for time per iteration.
    """
    rng = np.random.default_rng(seed)
    activity = rng.lognormal(sigma=0.8, size=n_users)
    degree = np.maximum(1, np.round(activity / activity.sum() * n_pairs)).astype(np.int64)
    pop = 1.0 / np.arange(1, n_items + 1) ** 0.8
    rows = np.repeat(np.arange(n_users, dtype=np.int64), degree)
    cols = rng.permutation(n_items)[rng.choice(n_items, size=rows.size, p=pop / pop.sum())]
    keys = np.unique(rows * n_items + cols)
    score = (1.0 + rng.poisson(0.7, size=keys.size)).astype(np.float32)
    return sp.csr_matrix((score, (keys // n_items, keys % n_items)), shape=(n_users, n_items))
