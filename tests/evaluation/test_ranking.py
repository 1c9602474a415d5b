"""top_k: best first, ties to the lower index, exclusions, short rows."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.errors import ConfigError
from recsys.evaluation.ranking import top_k


def test_ties_go_to_the_lower_index() -> None:
    scores = np.array([[0.1, 0.5, 0.5, 0.3, 0.5]])
    assert top_k(scores, 2).tolist() == [[1, 2]]
    assert top_k(scores, 4).tolist() == [[1, 2, 4, 3]]
    assert top_k(scores, 5).tolist() == [[1, 2, 4, 3, 0]]


def test_exclude_masks_per_row_and_leaves_scores_alone() -> None:
    scores = np.array([[0.1, 0.5, 0.5, 0.3, 0.5], [5.0, 4.0, 3.0, 2.0, 1.0]])
    before = scores.copy()
    exclude = sp.csr_matrix(np.array([[0, 1, 0, 0, 0], [1, 0, 1, 0, 0]]))
    assert top_k(scores, 2, exclude).tolist() == [[2, 4], [1, 3]]
    np.testing.assert_array_equal(scores, before)


def test_short_rows_are_padded_with_minus_one() -> None:
    scores = np.array([[1.0, 2.0, 3.0], [np.nan, 1.0, -np.inf]])
    exclude = sp.csr_matrix(np.array([[0, 1, 1], [0, 0, 0]]))
    assert top_k(scores, 2, exclude).tolist() == [[0, -1], [1, -1]]
    assert top_k(scores[:1], 5).tolist() == [[2, 1, 0, -1, -1]]


def test_matches_a_full_sort_on_heavily_tied_scores() -> None:
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 4, size=(30, 50)).astype(np.float32)
    mask = rng.random((30, 50)) < 0.3
    got = top_k(scores, 8, sp.csr_matrix(mask))
    for b in range(30):
        order = [i for i in np.lexsort((np.arange(50), -scores[b])) if not mask[b, i]]
        assert got[b].tolist() == order[:8]
    assert got.dtype == np.int64 and got.shape == (30, 8)


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="k must be at least 1"):
        top_k(np.zeros((2, 3)), 0)
    with pytest.raises(ConfigError, match="shape"):
        top_k(np.zeros(3), 1)
    with pytest.raises(ConfigError, match="exclude has shape"):
        top_k(np.zeros((2, 3)), 1, sp.csr_matrix((1, 3)))
