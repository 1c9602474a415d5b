"""The view-model pieces that keep the pages fast at a real service's size: the Evaluate page's seeded
sample of users, the stored overview, member cards from a per-user index, the compact member table, the
group cap and the charts that send a sample or bins instead of one point per user."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.app import charts
from recsys.app import evaluation_report as er
from recsys.app import group_builder as gb
from recsys.app.exploration import overview, overview_cached
from recsys.data.demo import generate_dataset
from recsys.data.prepare import prepare
from recsys.data.prepared import Prepared, load_prepared
from recsys.errors import ConfigError
from recsys.evaluation.diagnostics import Check
from recsys.models import create_model


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """A prepared demo of 80 listeners x 150 tracks (seeded)."""
    base = tmp_path_factory.mktemp("scale-views")
    generate_dataset(base / "demo", users=80, tracks=150, events=6_000, seed=3)
    prepare(base / "demo", base / "processed" / "demo")
    return load_prepared(base / "processed" / "demo")


# -- the Evaluate page's sample ----------------------------------------------------------------------------
def test_sample_users_is_seeded_sorted_and_from_the_split(small: Prepared) -> None:
    in_split = set(small.val.loc[small.val["score"] != 0, "user_id"])
    assert er.split_users(small, "val") == len(in_split)
    first = er.sample_users(small, "val", 10)
    assert first is not None and len(first) == 10 and len(set(first)) == 10
    assert set(first) <= in_split
    assert list(first) == sorted(first)
    assert list(er.sample_users(small, "val", 10)) == list(first)  # same seed, same users
    assert list(er.sample_users(small, "val", 10, seed=1)) != list(first)
    assert er.sample_users(small, "val", len(in_split)) is None  # no more than the split: everyone
    with pytest.raises(ConfigError, match="at least one user, got 0"):
        er.sample_users(small, "val", 0)


def test_a_sampled_evaluation_is_the_full_one_restricted_to_the_sample(small: Prepared) -> None:
    model = create_model("popularity").fit(small.matrix("train"))
    full = er.evaluate_models({"pop": model}, small, k=(5,), n_boot=20)["pop"].per_user
    users = er.sample_users(small, "val", 12)
    part = er.evaluate_models({"pop": model}, small, k=(5,), n_boot=20, users=users)["pop"].per_user
    assert set(part["user_id"]) <= set(users)
    assert len(part) == len(full[full["user_id"].isin(users)])  # every sampled user with relevant tracks
    # each sampled user's figures are exactly those of the full evaluation
    joined = part.merge(full, on="user_id", suffixes=("", "_full"))
    assert np.allclose(joined["ndcg@5"], joined["ndcg@5_full"])
    assert np.array_equal(joined["n_relevant"], joined["n_relevant_full"])


# -- the stored overview -----------------------------------------------------------------------------------
def test_overview_is_stored_beside_the_tables_and_read_back(
    small: Prepared, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = overview_cached(small)
    stored = Path(small.folder) / "overview" / "overview.json"
    assert stored.is_file()
    expected = overview(small)
    assert first.summary == expected.summary

    import recsys.app.exploration.stored as stored_module

    def must_not_run(prepared: Prepared) -> None:
        raise AssertionError("the stored overview should have been read")

    monkeypatch.setattr(stored_module, "overview", must_not_run)
    again = overview_cached(load_prepared(small.folder))
    assert again.summary == expected.summary
    for name in ("by_type", "over_time", "activity", "popularity", "genres", "rejected"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(expected, name))
    assert again.report == expected.report


def test_a_stale_stored_overview_is_computed_again(small: Prepared) -> None:
    overview_cached(small)
    meta = Path(small.folder) / "overview" / "overview.json"
    meta.write_text(meta.read_text().replace(str(small.fingerprint), "another-release"))
    assert overview_cached(small).summary == overview(small).summary
    assert str(small.fingerprint) in meta.read_text()  # written again for this data


# -- member cards --------------------------------------------------------------------------------------------
USERS = pd.DataFrame(
    {
        "user_id": [1, 2, 3],
        "name": ["Ann", "Bob", "Cy"],
        "city": ["Oslo", "Rome", ""],
        "favourite_genres": [["rock"], [], None],
    }
)
TRACKS = pd.DataFrame(
    {
        "id": ["a", "b", "c"],
        "name": ["A", "B", "C"],
        "artist_name": ["X", "Y", "X"],
        "genres": [["rock"], ["pop"], ["rock", "pop"]],
    }
)
HISTORY = pd.DataFrame(
    {
        "user_id": [2, 1, 1, 2, 1, 3],
        "track_id": ["a", "a", "b", "c", "a", "zz"],
        "score": [1.0, 2.0, 3.0, 4.0, 1.0, 2.0],
    }
)


def test_member_history_groups_rows_by_user() -> None:
    index = gb.member_history(HISTORY, TRACKS)
    assert index.of(1)["track_id"].tolist() == ["a", "b", "a"]  # each user's rows in their first order
    assert index.of(2)["score"].tolist() == [1.0, 4.0]
    assert index.of(99).empty


def test_cards_from_the_index_equal_cards_from_the_frame() -> None:
    index = gb.member_history(HISTORY, TRACKS)
    for uid in (1, 2, 3):
        assert gb.member_card(uid, USERS, index, TRACKS) == gb.member_card(uid, USERS, HISTORY, TRACKS)
    card = gb.member_card(1, USERS, index, TRACKS)
    assert card.top_tracks == [("A", "X", 3.0), ("B", "Y", 3.0)]  # a tie goes to the name first
    assert card.top_genres == [("pop", 0.5), ("rock", 0.5)]  # a: 2 + 1 rock, b: 3 pop; a tie by name
    assert card.n_tracks == 2 and card.total_score == 6.0
    unknown = gb.member_card(3, USERS, index, TRACKS)
    assert unknown.top_tracks == [("zz", "unknown artist", 2.0)]  # a track not in the catalogue


def test_member_cards_say_why_a_member_has_none_and_the_table_has_a_row_each() -> None:
    index = gb.member_history(HISTORY, TRACKS)
    cards = gb.member_cards([2, 42, 1], USERS, index)
    assert isinstance(cards[1], str) and "unknown user id 42" in cards[1]
    assert gb.member_cards([2, 42, 1], USERS, HISTORY, TRACKS) == cards  # from the table: the same cards
    with pytest.raises(ValueError, match="needs the catalogue"):
        gb.member_cards([1], USERS, HISTORY)
    table = gb.member_table([c for c in cards if not isinstance(c, str)])
    assert table["user_id"].tolist() == ["2", "1"]
    assert table.loc[0, "top_genres"] == "rock 100%, pop 80%"  # Bob: a (rock) 1, c (rock, pop) 4 of 5
    assert table.loc[1, "top_tracks"] == "A — X; B — Y"
    assert table["tracks"].tolist() == [2, 2]


# -- the group cap -------------------------------------------------------------------------------------------
def test_a_group_has_2_to_50_members() -> None:
    assert gb.MAX_GROUP_SIZE == 50
    assert gb.check_group_size(50) == 50
    with pytest.raises(ConfigError, match="a group has 2 to 50 members; 51 is out of range"):
        gb.check_group_size(51)
    with pytest.raises(ConfigError, match="a group has 2 to 30 members; 31 is out of range"):
        gb.check_group_size(31, n_users=30)


# -- charts that stay small ----------------------------------------------------------------------------------
def _relistening(users: int) -> Check:
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "pairs": rng.integers(1, 20, users),
            "heard": rng.integers(0, 5, users),
            "expected": rng.random(users),
        }
    )
    return Check(
        name="relistening",
        figure=0.3,
        ci=(0.2, 0.4),
        baseline=0.1,
        effect=0.2,
        effect_ci=(0.1, 0.3),
        margin=0.05,
        status="clear",
        personal=True,
        meaning="",
        tables={"users": table},
    )


def test_relistening_chart_draws_a_stated_sample_of_a_large_release() -> None:
    fig = charts.relistening_chart(_relistening(charts.signal.MAX_POINTS + 500))
    assert len(fig.data[0].x) == charts.signal.MAX_POINTS
    assert fig.layout.title.text == "Re-listening (a seeded sample of 2,000 of 2,500 users)"
    again = charts.relistening_chart(_relistening(charts.signal.MAX_POINTS + 500))
    assert list(again.data[0].x) == list(fig.data[0].x)  # seeded
    small = charts.relistening_chart(_relistening(30))
    assert len(small.data[0].x) == 30 and small.layout.title.text == "Re-listening"


def test_a_stored_table_is_read_back_until_the_data_changes(small: Prepared) -> None:
    calls: list[int] = []

    def directory(prepared: Prepared) -> pd.DataFrame:
        calls.append(1)
        return gb.user_directory_of(prepared)

    from recsys.app.exploration import stored_table

    first = stored_table(small, "user-directory-test", directory)
    again = stored_table(load_prepared(small.folder), "user-directory-test", directory)
    assert len(calls) == 1  # the second call read the stored table
    pd.testing.assert_frame_equal(again, first)
    pd.testing.assert_frame_equal(again, gb.user_directory_of(small))
    meta = Path(small.folder) / "stored" / "user-directory-test" / "overview.json"
    meta.write_text(meta.read_text().replace(str(small.fingerprint), "another-release"))
    stored_table(small, "user-directory-test", directory)
    assert len(calls) == 2  # another release's table is not used


def test_the_history_matrix_is_stored_and_read_back_equal(small: Prepared) -> None:
    from recsys.app.exploration import stored_history

    built = stored_history(small)
    again = stored_history(load_prepared(small.folder))
    expected = small.history()
    for matrix in (built, again):
        assert (matrix.matrix != expected.matrix).nnz == 0
        assert matrix.matrix.dtype == expected.matrix.dtype
        assert np.array_equal(matrix.user_ids, expected.user_ids)
        assert np.array_equal(matrix.item_ids, expected.item_ids)
        assert matrix.item_ids.dtype == expected.item_ids.dtype
    assert (Path(small.folder) / "stored" / "history" / "matrix.npz").is_file()
    assert gb.history_matrix(small).matrix.nnz == expected.matrix.nnz  # the page's source reads it


@pytest.mark.parametrize("split", ["train", "val"])
def test_the_sparsity_bins_are_stored_and_read_back_equal(small: Prepared, split: str, monkeypatch) -> None:
    from recsys.app.exploration import prepared_sparsity, stored, stored_sparsity

    built = stored_sparsity(small, split)
    # read back without computing: the stored folder answers
    monkeypatch.setattr(stored, "prepared_sparsity", lambda *a: pytest.fail("computed again"))
    again = stored_sparsity(load_prepared(small.folder), split)
    expected = prepared_sparsity(small, split)
    for matrix in (built, again):
        for name in ("counts", "cells", "user_edges", "track_edges", "user_order", "track_order"):
            assert np.array_equal(getattr(matrix, name), getattr(expected, name)), name
        assert (matrix.n_users, matrix.n_tracks, matrix.n_pairs) == (
            expected.n_users, expected.n_tracks, expected.n_pairs
        )
    assert again.track_order.dtype == expected.track_order.dtype
    assert expected.n_pairs > 0
    assert (Path(small.folder) / "stored" / f"sparsity-{split}" / "bins.npz").is_file()


def test_the_overlap_is_stored_and_read_back_equal(small: Prepared, monkeypatch) -> None:
    from recsys.app.exploration import prepared_overlap, stored, stored_overlap

    pairs, per_user = stored_overlap(small)
    monkeypatch.setattr(stored, "prepared_overlap", lambda *a: pytest.fail("computed again"))
    again_pairs, again_users = stored_overlap(load_prepared(small.folder))
    want_pairs, want_users = prepared_overlap(small)
    assert pairs == again_pairs == want_pairs and want_pairs.both > 0
    pd.testing.assert_frame_equal(again_users, want_users)
    pd.testing.assert_frame_equal(per_user, want_users)
