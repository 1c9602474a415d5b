"""Blocked passes over a group's score table: the whole-table formulas' answers, in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.models import member_blocks
from recsys.models.group import _apply_scale, aggregate, normalise


def _ranks_by_hand(s: np.ndarray, items, candidates=None) -> np.ndarray:
    """The definition: candidates scored higher, plus tied candidates at a lower index, plus one."""
    s = s if candidates is None else np.where(candidates, s, -np.inf)
    out = np.empty((s.shape[0], len(items)), dtype=np.int64)
    for j, item in enumerate(items):
        col = s[:, item][:, None]
        out[:, j] = (s > col).sum(axis=1) + (s[:, :item] == col).sum(axis=1) + 1
    return out


@pytest.mark.parametrize("with_candidates", [False, True])
def test_ranks_on_ties_both_ways(monkeypatch, with_candidates) -> None:
    """Listed tracks at the top (few candidates kept) and anywhere (whole-row counts), with ties."""
    rng = np.random.default_rng(2)
    s = rng.integers(0, 5, size=(37, 400)).astype(np.float32)
    candidates = rng.random(400) < 0.8 if with_candidates else None
    top_items = np.argsort(-s.sum(axis=0), kind="stable")[:6]
    anywhere = rng.choice(400, size=6, replace=False)
    s_high = s.copy()
    s_high[:, top_items] += 10  # the listed tracks lead every member's ranking: the extraction path
    for table, items in ((s_high, top_items), (s, anywhere)):
        for cells in (1 << 20, 400):  # one block, and a block per member on the thread pool
            monkeypatch.setattr(member_blocks, "RANK_CELLS", cells)
            got = member_blocks.ranks(table, items, candidates)
            assert got.tolist() == _ranks_by_hand(table, items, candidates).tolist()


@pytest.mark.parametrize("with_candidates", [False, True])
def test_ranks_near_the_top_near_the_bottom_and_between_on_a_large_catalogue(
    monkeypatch, with_candidates
) -> None:
    """20,000 tracks (the sampled estimate runs): per member, listed tracks pushed to the very top, to the
    very bottom and left in the middle, tied with other tracks at both ends and across the edges of the
    estimate, so every counting path (from the top, from the bottom, whole rows) meets ties."""
    rng = np.random.default_rng(11)
    m, n = 17, 20_000
    s = rng.integers(0, 2_000, size=(m, n)).astype(np.float32)  # many ties everywhere
    items = np.array([5, 19_990, 7_000, 12_345, 3, 10_000])
    for member in range(m):
        kind = member % 3
        if kind == 0:  # the listed tracks lead, tied with a few others
            s[member, items[:3]] = 5_000
            s[member, [0, 1, 19_999]] = 5_000
        elif kind == 1:  # the listed tracks trail, tied with a few others
            s[member, items[:3]] = -5
            s[member, [2, 19_998]] = -5
        s[member, items[3]] = s[member, items[3] + 1]  # a tie at the neighbouring index
    candidates = rng.random(n) < 0.7 if with_candidates else None
    if candidates is not None:
        candidates[items] = True
        candidates[items[-1]] = False  # a listed non-candidate counts as -inf, tied with the others
    want = _ranks_by_hand(s, items, candidates)
    calls: list[bool] = []
    real = member_blocks._count_near

    def spy(*args, **kwargs):
        calls.append(kwargs["from_top"])
        return real(*args, **kwargs)

    monkeypatch.setattr(member_blocks, "_count_near", spy)
    for cells in (1 << 22, 3 * n):  # one block, and blocks of three members
        monkeypatch.setattr(member_blocks, "RANK_CELLS", cells)
        assert member_blocks.ranks(s, items, candidates).tolist() == want.tolist()
    assert True in calls and False in calls  # both ends were counted from their side


def test_row_extremes_are_each_members_min_and_max(monkeypatch) -> None:
    rng = np.random.default_rng(3)
    raw = rng.normal(size=(9, 1000)).astype(np.float32)
    for cells in (1 << 17, 1000, 2500):
        monkeypatch.setattr(member_blocks, "SCALE_CELLS", cells)
        lo, hi = member_blocks.row_extremes(raw)
        assert lo.tolist() == raw.min(axis=1).astype(np.float64).tolist()
        assert hi.tolist() == raw.max(axis=1).astype(np.float64).tolist()
    raw[4, 17] = np.nan
    lo, hi = member_blocks.row_extremes(raw)
    assert np.isnan(lo[4]) and np.isfinite(np.delete(lo, 4)).all()


@pytest.mark.parametrize(
    "strategy", ["average", "least_misery", "most_pleasure", "multiplicative", "average_without_misery"]
)
@pytest.mark.parametrize("weighted", [False, True])
def test_linear_values_equal_the_whole_table_formulas(monkeypatch, strategy, weighted) -> None:
    rng = np.random.default_rng(5)
    raw = rng.normal(size=(23, 300))
    candidates = rng.random(300) < 0.9
    weights = None
    if weighted:
        weights = rng.random(23) + 0.5
        weights = weights * (23 / weights.sum())
    norm = normalise(raw, candidates)
    w = np.ones(23) if weights is None else weights
    want = {
        "average": (w @ norm) / 23,
        "least_misery": norm.min(axis=0),
        "most_pleasure": norm.max(axis=0),
        "multiplicative": (np.clip(norm, 0, None) ** w[:, None]).prod(axis=0),
        "average_without_misery": (w @ norm) / 23,
    }[strategy]
    for cells in (1 << 22, 600):  # the whole table at once, two members per block
        monkeypatch.setattr(member_blocks, "BLOCK_CELLS", cells)
        monkeypatch.setattr(member_blocks, "SCALE_CELLS", cells)
        values, ok = member_blocks.linear_values(raw, strategy, candidates, weights, _apply_scale, 0.3)
        np.testing.assert_allclose(values, want, rtol=1e-12, atol=1e-15)
        if strategy == "average_without_misery":
            voters = norm if weights is None else norm[weights > 0]
            assert ok is not None and ok.tolist() == (voters >= 0.3).all(axis=0).tolist()
        else:
            assert ok is None
    if strategy in ("least_misery", "most_pleasure") and weighted:
        return  # these strategies take no weights
    result = aggregate(raw, strategy=strategy, n=7, exclude=~candidates, weights=weights)
    assert result.member_ranks.tolist() == _ranks_by_hand(raw, result.items, candidates).tolist()
    np.testing.assert_allclose(result.member_scores, norm[:, result.items], rtol=1e-12)


@pytest.mark.parametrize("width", [0, 7, 2040, 2041, 5000])
def test_row_counts_is_count_nonzero_on_every_width(width) -> None:
    """Below, at and past the 255-word chunk (2,040 bytes), with rows of all True (lanes at 255)."""
    rng = np.random.default_rng(width)
    mask = rng.random((5, width)) < 0.4
    mask[0] = True
    mask[1] = False
    got = member_blocks.row_counts(mask)
    assert got.tolist() == np.count_nonzero(mask, axis=1).tolist()
    assert got[0] == width and got[1] == 0


def test_ranks_on_a_row_wider_than_a_chunk_with_ties_across_it() -> None:
    """Ties left and right of the listed track, in the word-counted part and in the tail."""
    s = np.zeros((3, 4500), dtype=np.float32)
    s[:, 100] = 2.0  # one higher track, left
    s[:, 4400] = 2.0  # one higher track, in the tail
    # the listed track 3000 scores 1: tied with 2999 (left, counts) and 3001 (right, does not)
    s[:, [2999, 3000, 3001]] = 1.0
    assert member_blocks.ranks(s, np.array([3000])).ravel().tolist() == [4, 4, 4]


def test_average_of_a_flat_member_counts_them_as_one() -> None:
    """A member who scores every candidate alike contributes 1 (as the whole-table normalisation)."""
    raw = np.array([[0.0, 2.0, 4.0], [3.0, 3.0, 3.0]])
    values, _ = member_blocks.linear_values(raw, "average", None, None, _apply_scale)
    np.testing.assert_allclose(values, [(0 + 1) / 2, (0.5 + 1) / 2, (1 + 1) / 2])
    weighted, _ = member_blocks.linear_values(raw, "average", None, np.array([1.5, 0.5]), _apply_scale)
    np.testing.assert_allclose(weighted, [(0 + 0.5) / 2, (0.75 + 0.5) / 2, (1.5 + 0.5) / 2])


def test_ranks_fall_back_to_whole_rows_when_an_end_would_keep_too_many_cells(monkeypatch) -> None:
    """With every listed track taken as near an end (an edge of the whole row), counting from that end
    would keep most cells: those pairs go to the whole-row count, with the same ranks."""
    rng = np.random.default_rng(13)
    s = rng.integers(0, 500, size=(6, 10_000)).astype(np.float32)
    items = np.array([1, 5_000, 9_999, 42])
    want = _ranks_by_hand(s, items)
    monkeypatch.setattr(member_blocks, "_RANK_EDGE", 1)
    kept: list[bool] = []
    real = member_blocks._count_near

    def spy(*args, **kwargs):
        kept.append(real(*args, **kwargs))
        return kept[-1]

    monkeypatch.setattr(member_blocks, "_count_near", spy)
    assert member_blocks.ranks(s, items).tolist() == want.tolist()
    assert kept == [False]  # the top refused; nothing was left for the bottom
