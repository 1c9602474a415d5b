"""Beyond-accuracy figures against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recsys.evaluation.beyond import (
    average_popularity,
    beyond_accuracy,
    catalog_coverage,
    genre_matrix,
    intra_list_diversity,
    novelty,
)

TOP = np.array([[0, 1, 2], [2, 3, -1]])
POP = np.array([3.0, 1.0, 0.0, 7.0, 0.0])  # users per track, 7 users


def test_coverage_counts_distinct_listed_tracks() -> None:
    assert catalog_coverage(TOP, 5) == pytest.approx(4 / 5)
    assert catalog_coverage(np.full((2, 2), -1), 5) == 0.0


def test_novelty_is_mean_self_information() -> None:
    # p = (pop + 1) / 8: track 0 -> 1/2 (1 bit), 1 -> 1/4 (2), 2 -> 1/8 (3), 3 -> 1 (0)
    np.testing.assert_allclose(novelty(TOP, POP, 7), [(1 + 2 + 3) / 3, (3 + 0) / 2])


def test_average_popularity_skips_empty_slots() -> None:
    np.testing.assert_allclose(average_popularity(TOP, POP), [4 / 3, 3.5])
    assert math.isnan(average_popularity(np.full((1, 2), -1), POP)[0])


def test_intra_list_diversity_by_hand() -> None:
    genres = genre_matrix([["rock"], ["rock", "pop"], ["jazz"], [], ["pop"]])
    # list 1: cos(0,1) = 1/sqrt2, cos(0,2) = cos(1,2) = 0 -> 1 - (1/sqrt2)/3
    # list 2: tracks 2 and 3, but 3 has no genre -> fewer than two -> NaN
    out = intra_list_diversity(np.array([[0, 1, 2], [2, 3, -1], [0, 0, 4]]), genres)
    assert out[0] == pytest.approx(1 - (2**-0.5) / 3)
    assert math.isnan(out[1])
    # identical tracks have distance 0; rock vs pop 1 -> pairs (0,0)=0, (0,4)=1, (0,4)=1
    assert out[2] == pytest.approx(2 / 3)


def test_genre_matrix_from_a_mapping() -> None:
    m = genre_matrix({0: ["a"], 2: ["b", "a"]}, n_items=4)
    assert m.shape == (4, 2)
    assert m.toarray().tolist() == [[1, 0], [0, 0], [1, 1], [0, 0]]


def test_beyond_accuracy_bundle() -> None:
    genres = genre_matrix([["rock"], ["rock"], ["jazz"], ["pop"], ["pop"]])
    out = beyond_accuracy(TOP, n_items=5, popularity=POP, n_users=7, genres=genres)
    assert out["coverage"] == pytest.approx(0.8)
    assert out["novelty"] == pytest.approx((2 + 1.5) / 2)
    # list 1: rock, rock, jazz -> 1 - (1 + 0 + 0)/3 = 2/3; list 2: jazz, pop -> 1
    assert out["diversity"] == pytest.approx((2 / 3 + 1) / 2)


def test_genre_list_reads_every_cell_form() -> None:
    import numpy as np

    from recsys.evaluation.beyond import genre_list

    assert genre_list(np.array(["pop", "rock"])) == ["pop", "rock"]
    assert genre_list('["pop", "rock"]') == ["pop", "rock"]
    assert genre_list("pop, rock") == ["pop", "rock"]
    assert genre_list(None) == [] and genre_list(float("nan")) == []


def test_track_genre_matrix_follows_the_column_order() -> None:
    import pandas as pd

    from recsys.evaluation.beyond import track_genre_matrix

    tracks = pd.DataFrame({"id": ["a", "b"], "genres": [["pop"], ["rock", "pop"]]})
    m = track_genre_matrix(tracks, ["b", "x", "a"])
    assert m.shape[0] == 3
    assert m.sum(axis=1).A1.tolist() == [2, 0, 1]
    assert track_genre_matrix(tracks.drop(columns="genres"), ["a"]) is None


def test_track_genre_matrix_parses_each_distinct_value_once_with_the_same_answer() -> None:
    """Mixed cells (arrays with a repeat, JSON and comma text, None, NaN), a repeated id (the last row
    wins), ids without a row: the matrix of one genre list per item, columns the items' sorted genres."""
    import pandas as pd

    from recsys.evaluation.beyond import track_genre_matrix

    tracks = pd.DataFrame({
        "id": ["a", "b", "c", "d", "a", "e", "f"],
        "genres": [np.array(["x", "y", "x"]), '["z", "x"]', None, float("nan"), ["q"], "p, x",
                   np.array(["q"])],
    })  # fmt: skip
    m = track_genre_matrix(tracks, ["a", "b", "c", "d", "e", "zz", "f"])
    # columns: p, q, x, z (y belonged to the first "a" row, which the second replaced)
    assert m.toarray().tolist() == [
        [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 0]
    ]
    assert track_genre_matrix(tracks, ["d", "c"]).toarray().tolist() == [[0], [0]]
