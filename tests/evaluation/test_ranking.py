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


def _reference(scores: np.ndarray, k: int, mask: np.ndarray | None) -> list[list[int]]:
    """A full stable sort per row: (score descending, index ascending), NaN and -inf never listed."""
    out = []
    for b, row in enumerate(np.asarray(scores, dtype=np.float64)):
        row = np.where(np.isnan(row), -np.inf, row)
        order = [i for i in np.lexsort((np.arange(row.size), -row))
                 if row[i] > -np.inf and (mask is None or not mask[b, i])]
        out.append((order + [-1] * k)[:k])
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("k", [1, 3, 10, 40, 45])
def test_matches_a_full_sort_with_ties_nan_and_infinities(dtype, k) -> None:
    """The fast path (torch's topk) and its exact fall-back give a full sort's answer on every row."""
    rng = np.random.default_rng(k)
    n_rows, n_items = 60, 40
    scores = rng.integers(0, 6, size=(n_rows, n_items)).astype(np.float64)
    scores[:20] = rng.normal(size=(20, n_items))  # rows without ties
    if dtype is not np.int64:
        scores[20:25, :7] = np.nan
        scores[25:30, 3:9] = np.inf
        scores[30:35, ::2] = -np.inf
    scores = scores.astype(dtype)
    mask = rng.random((n_rows, n_items)) < 0.25
    mask[40] = True  # nothing left to recommend
    before = scores.copy()
    assert top_k(scores, k, sp.csr_matrix(mask)).tolist() == _reference(scores, k, mask)
    assert top_k(scores, k).tolist() == _reference(scores, k, None)
    np.testing.assert_array_equal(scores, before)


def test_in_place_writes_the_exclusions_into_the_block_only_when_allowed() -> None:
    scores = np.arange(12, dtype=np.float32).reshape(2, 6)
    exclude = sp.csr_matrix(np.eye(2, 6, 5, dtype=bool) | np.eye(2, 6, 4, dtype=bool))
    assert top_k(scores, 2, exclude, in_place=True).tolist() == [[3, 2], [4, 3]]
    assert scores[0, 4] == scores[0, 5] == scores[1, 5] == -np.inf and scores[1, 4] == 10.0
    read_only = np.arange(6, dtype=np.float32).reshape(1, 6)
    read_only.flags.writeable = False
    assert top_k(read_only, 2, sp.csr_matrix(np.eye(1, 6, 5)), in_place=True).tolist() == [[4, 3]]
    assert top_k(np.asfortranarray(np.arange(12.0).reshape(2, 6)), 1).tolist() == [[5], [5]]
