"""Group builder logic on hand-made users, tracks and listening."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recsys.app import group_builder as gb
from recsys.data.interactions import Interactions
from recsys.errors import ConfigError, UnknownUserError
from recsys.models import GroupRecommendation, create_model


@pytest.fixture
def users() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [101, 102, 110, 250],
            "name": ["Anna Nowak", "Jan Kowalski", "Ola Wrona", "Piotr Zięba"],
            "city": ["Kraków", "Gdańsk", "Kraków", "Poznań"],
            "street": ["a", "b", "c", "d"],
            "favourite_genres": [["rock", "jazz"], ["hip hop"], ["dance pop", "rock"], []],
            "premium_user": [True, False, False, True],
        }
    )


@pytest.fixture
def tracks() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["t1", "t2", "t3", "t4", "t5"],
            "name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"],
            "popularity": [50, 40, 30, 20, 10],
            "id_artist": ["A", "A", "B", "C", "C"],
            "artist_name": ["Artist A", "Artist A", "Artist B", "Artist C", "Artist C"],
            "genres": [["rock"], ["rock"], ["jazz", "rock"], ["hip hop"], ["hip hop"]],
        }
    )


@pytest.fixture
def history() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [101, 101, 101, 101, 102, 102, 110, 110],
            "track_id": ["t1", "t3", "t1", "t4", "t4", "t5", "t2", "t1"],
            "score": [2.0, 3.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0],
        }
    )


def test_user_directory(users, history) -> None:
    d = gb.user_directory(users, history)
    assert d.columns.tolist() == ["user_id", "name", "city", "favourite_genres", "tracks"]
    assert d["favourite_genres"].tolist() == ["rock, jazz", "hip hop", "dance pop, rock", ""]
    assert d["tracks"].tolist() == [3, 2, 2, 0]  # 101 heard t1 twice: three distinct tracks


@pytest.mark.parametrize(
    ("query", "field", "expected"),
    [
        ("110", "any", [110]),
        ("10", "id", [101, 102]),  # a prefix of the id: 110 does not start with "10"
        ("kraków", "city", [101, 110]),
        ("KOWAL", "name", [102]),
        ("rock", "genre", [101, 110]),
        ("hip", "any", [102]),
        ("", "any", [101, 102, 110, 250]),
        ("nobody", "any", []),
    ],
)
def test_search_users(users, query, field, expected) -> None:
    found = gb.search_users(gb.user_directory(users), query, field=field)
    assert found["user_id"].tolist() == expected


def test_search_exact_id_first_and_limit(users) -> None:
    d = gb.user_directory(users)
    assert gb.search_users(d, "102", field="any")["user_id"].tolist() == [102]
    assert gb.search_users(d, "", limit=2)["user_id"].tolist() == [101, 102]
    with pytest.raises(ConfigError, match="unknown search field 'town'"):
        gb.search_users(d, "x", field="town")


def test_member_card(users, history, tracks) -> None:
    card = gb.member_card(101, users, history, tracks, top=2)
    assert (card.name, card.city, card.favourite_genres) == ("Anna Nowak", "Kraków", ["rock", "jazz"])
    # t1: 2+1 = 3, t3: 3 (tie -> alphabetical: Alpha before Gamma), t4: 1
    assert card.top_tracks == [("Alpha", "Artist A", 3.0), ("Gamma", "Artist B", 3.0)]
    assert card.top_artists == [("Artist A", 3.0), ("Artist B", 3.0)]
    # genre score: rock = t1 3 + t3 3 = 6, jazz = 3, hip hop = 1; total score 7
    assert card.top_genres == [("rock", pytest.approx(6 / 7)), ("jazz", pytest.approx(3 / 7))]
    assert card.n_tracks == 3 and card.total_score == 7.0


def test_member_card_without_history_and_unknown(users, history, tracks) -> None:
    card = gb.member_card(250, users, history, tracks)
    assert card.top_tracks == [] and card.n_tracks == 0 and card.favourite_genres == []
    with pytest.raises(UnknownUserError, match="999"):
        gb.member_card(999, users, history, tracks)


@pytest.fixture
def train(history) -> Interactions:
    frame = history.groupby(["user_id", "track_id"], as_index=False)["score"].sum()
    return Interactions.from_frame(frame, item_ids=np.array(["t1", "t2", "t3", "t4", "t5"], dtype=object))


def test_compare_models_side_by_side(train, tracks, users) -> None:
    models = {
        "basic": create_model("basic").fit(train),
        "popularity": create_model("popularity").fit(train),
    }
    labels = {101: "Anna Nowak", 102: "Jan Kowalski"}
    cmp = gb.compare_models(models, [101, 102], tracks, n=3, labels=labels)
    assert [gl.model for gl in cmp.lists] == ["basic", "popularity"]
    basic, pop = (gl.table for gl in cmp.lists)
    # popularity: t1 (2 users: 101, 110), t4 (101, 102) -> tie to lower index t1, then t4; then t2/t3/t5
    assert pop["track_id"].tolist() == ["t1", "t4", "t2"]
    assert pop["name"].tolist() == ["Alpha", "Delta", "Beta"]
    assert pop.columns[:6].tolist() == ["rank", "track_id", "name", "artist", "genres", "score"]
    assert pop["artist"].tolist()[0] == "Artist A" and pop["genres"].tolist()[0] == "rock"
    common = set(basic["track_id"]) & set(pop["track_id"])
    assert set(cmp.overlap) == common and cmp.overlap == [t for t in basic["track_id"] if t in common]
    assert basic["in_both"].tolist() == [t in common for t in basic["track_id"]]
    assert cmp.overlap_share == pytest.approx(len(common) / 3)
    aff = cmp.lists[0].affinity
    assert aff.index.tolist() == ["Anna Nowak", "Jan Kowalski"] and aff.shape == (2, 3)
    assert aff.iloc[0].tolist() == basic["score[101]"].tolist()
    assert aff.columns[0] == f"1. {basic['name'].iloc[0]}"
    status = cmp.lists[0].members
    assert status["status"].tolist() == ["trained", "trained"]
    # the typed list the tables were built from
    rec = cmp.lists[0].recommendation
    assert rec.track_ids.tolist() == basic["track_id"].tolist() and rec.member_ids == [101, 102]
    np.testing.assert_array_equal(rec.scores_of(102), basic["score[102]"].to_numpy())


def test_compare_models_folds_in_members_from_history(train, tracks) -> None:
    model = create_model("basic").fit(train)
    # user 250 is in the full history but not in training; 260 has an empty history row
    full = pd.DataFrame({"user_id": [101, 250], "track_id": ["t2", "t5"], "score": [1.0, 2.0]})
    history = Interactions.from_frame(
        full, user_ids=np.array([101, 250, 260]), item_ids=np.array(train.item_ids, dtype=object)
    )
    cmp = gb.compare_models({"basic": model}, [101, 250, 260], tracks, n=2, history=history)
    statuses = cmp.lists[0].members.set_index("user_id")["status"].to_dict()
    assert statuses == {101: "trained", 250: "folded_in", 260: "fallback"}
    assert cmp.overlap == []  # a single list has no overlap to show
    with pytest.raises(UnknownUserError, match="empty"):
        gb.compare_models({"basic": model}, [], tracks)
    with pytest.raises(ConfigError):
        gb.compare_models({}, [101], tracks)


def _one_track_list() -> GroupRecommendation:
    return GroupRecommendation(
        track_ids=np.array(["zz"], dtype=object),
        scores=np.array([0.5]),
        member_ids=[1],
        member_scores=np.array([[0.5]]),
        member_ranks=np.array([[1]]),
        statuses={1: "trained"},
    )


def test_enrich_unknown_track_keeps_id() -> None:
    catalogue = pd.DataFrame({"id": ["t1"], "name": ["A"], "artist_name": ["X"], "genres": [[]]})
    out = gb.enrich_tracks(_one_track_list(), catalogue)
    assert out.columns.tolist() == [
        "rank", "track_id", "name", "artist", "genres", "score", "score[1]", "rank[1]"
    ]
    assert out[["name", "artist", "genres"]].iloc[0].tolist() == ["zz", "unknown artist", ""]
    assert out.attrs["members"] == {1: "trained"}


def test_affinity_and_status_tables_read_the_typed_list() -> None:
    rec = _one_track_list()
    aff = gb.affinity_matrix(rec, {1: "Anna"})
    assert aff.index.tolist() == ["Anna"] and aff.columns.tolist() == ["zz"] and aff.iloc[0, 0] == 0.5
    assert gb.affinity_matrix(rec, names=["Song"]).columns.tolist() == ["1. Song"]
    status = gb.member_status_table(rec)
    assert status.to_dict("records") == [
        {"user_id": 1, "member": "user 1", "status": "trained", "explanation": "learned in training"}
    ]


def test_one_list_of_kinds_and_fields(users) -> None:
    from recsys.evaluation.groups import GROUP_KINDS

    assert gb.GROUP_KINDS is GROUP_KINDS  # the evaluation's kinds, not a copy
    for field in gb.SEARCH_FIELDS:
        gb.search_users(gb.user_directory(users), "a", field=field)


def test_playlist_exports(train, tracks) -> None:
    model = create_model("basic").fit(train)
    table = gb.compare_models({"basic": model}, [101, 102], tracks, n=2).lists[0].table
    csv = gb.playlist_csv(table).decode("utf-8")
    header = csv.splitlines()[0]
    # column names in plain words (not "score[101]"), each member's score named after them
    assert header == "rank,track id,track,artist,genres,group score,score for user 101,score for user 102"
    assert len(csv.splitlines()) == 3
    named = gb.playlist_csv(table, labels={101: "Anna (101)", 102: "Jan (102)"}).decode("utf-8")
    assert named.splitlines()[0].endswith("group score,score for Anna (101),score for Jan (102)")
    twins = gb.member_score_columns(table, {101: "Anna", 102: "Anna"})
    assert twins == {"score[101]": "score for Anna [101]", "score[102]": "score for Anna [102]"}
    data = json.loads(gb.playlist_json(table, model="basic", labels={101: "Anna (101)"}))
    assert data["model"] == "basic" and data["strategy"] == "average"
    assert data["members"] == [{"user_id": 101, "label": "Anna (101)", "status": "trained"},
                               {"user_id": 102, "label": "user 102", "status": "trained"}]
    first = data["tracks"][0]
    assert first["rank"] == 1 and first["track_id"] == table["track_id"].iloc[0]
    assert first["genres"] == table["genres"].iloc[0].split(", ")
    assert first["member_scores"] == {"101": pytest.approx(table["score[101]"].iloc[0]),
                                      "102": pytest.approx(table["score[102]"].iloc[0])}


def test_suggest_group_kinds() -> None:
    # two taste clusters: users 1-3 play a/b, users 4-6 play c/d; user 7 has no listening
    frame = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
            "track_id": ["a", "b", "a", "b", "a", "b", "c", "d", "c", "d", "c", "d"],
            "score": [1.0] * 12,
        }
    )
    history = Interactions.from_frame(frame, user_ids=np.arange(1, 8))
    for seed in range(5):
        similar = gb.suggest_group(history, "similar", size=3, seed=seed)
        assert set(similar) in ({1, 2, 3}, {4, 5, 6})
        divergent = gb.suggest_group(history, "divergent", size=2, seed=seed)
        assert len({u <= 3 for u in divergent}) == 2  # one from each cluster
        group = gb.suggest_group(history, "random", size=4, seed=seed)
        assert len(set(group)) == 4 and 7 not in group and all(isinstance(u, int) for u in group)
    first = gb.suggest_group(history, "random", size=3, seed=1)
    assert gb.suggest_group(history, "random", size=3, seed=1) == first
    with pytest.raises(ConfigError, match="group kind"):
        gb.suggest_group(history, "odd")
    with pytest.raises(ConfigError, match="needs 7 users"):
        gb.suggest_group(history, "random", size=7)


def test_default_pair_and_helpers() -> None:
    assert gb.default_pair(["wmf", "pop", "basic"]) == (2, 0)
    assert gb.default_pair(["pop", "basic"]) == (1, 0)
    assert gb.default_pair(["basic"]) == (0, 0)
    with pytest.raises(ConfigError):
        gb.default_pair([])
    assert gb.add_members([3, 1], [1, 2, 2]) == [3, 1, 2]
    members = pd.DataFrame({"user_id": [1, 2, 3], "member": ["A", "B", "C"],
                            "status": ["trained", "fallback", "trained"], "explanation": ["", "", ""]})
    assert gb.status_text(members) == "trained on: A, C; fell back: B"


def test_search_with_a_prebuilt_index_finds_the_same_users(users) -> None:
    d = gb.user_directory(users)
    index = gb.search_index(d)
    for field in gb.SEARCH_FIELDS:
        for query in ("", "10", "102", "a", "ZZZ"):
            with_index = gb.search_users(d, query, field=field, index=index, limit=None)
            pd.testing.assert_frame_equal(with_index, gb.search_users(d, query, field=field, limit=None))
    with pytest.raises(ConfigError, match="search index has"):
        gb.search_users(d.head(1), "a", index=index)


def test_picker_options_list_everyone_only_on_a_small_release() -> None:
    everyone = list(range(10))
    assert gb.picker_options(everyone, [3], [5, 6], limit=10) == everyone
    # beyond the limit: the members first (the picker keeps them), then the search's hits, once each
    assert gb.picker_options(everyone, [3, 8], [5, 3, 6], limit=5) == [3, 8, 5, 6]
