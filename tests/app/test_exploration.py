"""Exploration tables on hand-made inputs, with values counted by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.app import exploration as ex
from recsys.errors import ConfigError


@pytest.fixture
def events() -> pd.DataFrame:
    # user 1: 3 events (2 sessions), user 2: 2 events, user 3: 1 event; tracks 10 x3, 11 x2, 12 x1
    return pd.DataFrame(
        {
            "session_id": [1, 1, 2, 3, 3, 4],
            "timestamp": pd.to_datetime(
                ["2024-01-01 10:00", "2024-01-01 10:03", "2024-01-03 09:00",
                 "2024-01-02 12:00", "2024-01-02 12:04", "2024-01-03 18:00"]
            ),
            "user_id": [1, 1, 1, 2, 2, 3],
            "track_id": [10, 11, 10, 10, 12, 11],
            "event_type": ["play", "play", "like", "play", "skip", "play"],
        }
    )


@pytest.fixture
def tracks() -> pd.DataFrame:
    return pd.DataFrame({"id": [10, 11, 12, 13], "genres": [["rock", "pop"], ["pop"], [], ["jazz"]]})


def test_dataset_summary_counts(events: pd.DataFrame, tracks: pd.DataFrame) -> None:
    users = pd.DataFrame({"user_id": [1, 2, 3, 4]})
    s = ex.dataset_summary(events, tracks, users, pd.DataFrame({"id": [1, 2]}))
    assert (s.users, s.tracks, s.artists) == (4, 4, 2)
    assert (s.active_users, s.played_tracks, s.events, s.sessions) == (3, 3, 6, 4)
    assert s.events_by_type == {"play": 4, "like": 1, "skip": 1}
    assert list(s.events_by_type) == ["play", "like", "skip"]
    assert s.start == pd.Timestamp("2024-01-01 10:00")
    assert s.end == pd.Timestamp("2024-01-03 18:00")


def test_events_by_type_orders_ties_by_name(events: pd.DataFrame) -> None:
    table = ex.events_by_type(events)
    assert table["event_type"].tolist() == ["play", "like", "skip"]
    assert table["events"].tolist() == [4, 1, 1]


def test_events_over_time_daily_with_zeros(events: pd.DataFrame) -> None:
    table = ex.events_over_time(events)
    got = {(str(p.date()), t): n for p, t, n in table.itertuples(index=False)}
    assert got == {
        ("2024-01-01", "like"): 0, ("2024-01-01", "play"): 2, ("2024-01-01", "skip"): 0,
        ("2024-01-02", "like"): 0, ("2024-01-02", "play"): 1, ("2024-01-02", "skip"): 1,
        ("2024-01-03", "like"): 1, ("2024-01-03", "play"): 1, ("2024-01-03", "skip"): 0,
    }
    assert table["events"].sum() == len(events)


def test_events_over_time_weekly_for_long_spans() -> None:
    ev = pd.DataFrame(
        {"timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-06-01"]), "event_type": ["play"] * 3}
    )
    table = ex.events_over_time(ev)
    # Monday-start weeks: Jan 1-2 fall in the week starting 2024-01-01, 2024-06-01 in the week of May 27
    assert table["period"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-05-27"]
    assert table["events"].tolist() == [2, 1]


def test_user_activity_includes_silent_users(events: pd.DataFrame) -> None:
    table = ex.user_activity(events, pd.DataFrame({"user_id": [1, 2, 3, 4]}))
    assert table["user_id"].tolist() == [1, 2, 3, 4]
    assert table["events"].tolist() == [3, 2, 1, 0]
    assert table["rank"].tolist() == [1, 2, 3, 4]


def test_track_popularity_includes_unplayed_catalogue(events: pd.DataFrame, tracks: pd.DataFrame) -> None:
    table = ex.track_popularity(events, tracks)
    assert table["track_id"].tolist() == [10, 11, 12, 13]
    assert table["events"].tolist() == [3, 2, 1, 0]


def test_genre_counts(events: pd.DataFrame, tracks: pd.DataFrame) -> None:
    table = ex.genre_counts(events, tracks)
    # pop: tracks 10 (3 events) + 11 (2) = 5; rock: track 10 = 3; jazz: track 13 = 0
    assert table["genre"].tolist() == ["pop", "rock", "jazz"]
    assert table["events"].tolist() == [5, 3, 0]
    assert table["tracks"].tolist() == [2, 1, 1]
    assert table["event_share"].tolist() == pytest.approx([5 / 6, 3 / 6, 0.0])
    assert table["catalogue_share"].tolist() == pytest.approx([0.5, 0.25, 0.25])
    assert ex.genre_counts(events, tracks, top=1)["genre"].tolist() == ["pop"]


def test_rejected_by_reason_and_csv() -> None:
    rejected = pd.DataFrame(
        {"line": [3, 7, 9], "reason": ["advertisement", "unknown_track", "advertisement"]}
    )
    table = ex.rejected_by_reason(rejected)
    assert table.to_dict("list") == {"reason": ["advertisement", "unknown_track"], "rows": [2, 1]}
    assert ex.rejected_csv(rejected).decode().splitlines() == [
        "line,reason", "3,advertisement", "7,unknown_track", "9,advertisement"
    ]
    assert ex.rejected_by_reason(pd.DataFrame()).empty


def test_cleaning_table_totals_and_removed_rules() -> None:
    report = {"rejected": {"advertisement": 5, "unknown_track": 0, "bad_time": 2},
              "repaired": {"user_from_session": 3}}
    table = ex.cleaning_table(report)
    assert table.to_dict("list") == {
        "rule": ["advertisement", "bad_time", "unknown_track", "user_from_session"],
        "action": ["removed", "removed", "removed", "repaired"],
        "rows": [5, 2, 0, 3],
    }
    assert ex.action_totals(table) == {"removed": 7, "repaired": 3}
    assert ex.removed_by_rule(table).to_dict("list") == {
        "reason": ["advertisement", "bad_time", "unknown_track"], "rows": [5, 2, 0]
    }
    empty = ex.cleaning_table({})
    assert empty.empty and ex.action_totals(empty) == {"removed": 0, "repaired": 0}


def test_sparsity_matrix_bins_and_order() -> None:
    # user 1 has 3 tracks, user 2 two, user 3 one; track 10 three listeners, 11 two, 12 one, 13 none
    pairs = pd.DataFrame(
        {"user_id": [1, 1, 1, 2, 2, 3, 3], "track_id": [10, 11, 12, 10, 11, 10, 10], "score": [1.0] * 7}
    )
    m = ex.sparsity_matrix(pairs, tracks=[10, 11, 12, 13], user_bins=2, track_bins=3)
    assert m.user_order.tolist() == [1, 2, 3]
    assert m.track_order.tolist() == [10, 11, 12, 13]
    assert m.user_edges.tolist() == [0, 1, 3]
    assert m.track_edges.tolist() == [0, 1, 2, 4]
    # rows: {user 1}, {users 2, 3}; columns: {10}, {11}, {12, 13}
    assert m.counts.tolist() == [[1, 1, 1], [2, 1, 0]]
    assert m.cells.tolist() == [[1, 1, 2], [2, 2, 4]]
    assert (m.n_users, m.n_tracks, m.n_pairs) == (3, 4, 6)
    assert m.overall_density == pytest.approx(6 / 12)
    assert m.density.tolist() == [[1.0, 1.0, 0.5], [1.0, 0.5, 0.0]]
    assert m.user_labels() == ["users 1", "users 2–3"]
    assert m.track_labels() == ["tracks 1", "tracks 2", "tracks 3–4"]


def test_sparsity_matrix_real_size_shape() -> None:
    rng = np.random.default_rng(0)
    pairs = pd.DataFrame(
        {"user_id": rng.integers(0, 1000, 50_000), "track_id": rng.integers(0, 22_000, 50_000)}
    )
    m = ex.sparsity_matrix(pairs, users=np.arange(1000), tracks=np.arange(22_000))
    assert m.counts.shape == (200, 400)
    assert m.counts.sum() == m.n_pairs == len(pairs.drop_duplicates())
    assert m.cells.sum() == 1000 * 22_000
    # rows are sorted by activity: the first bin holds the most active users
    per_user = pairs.drop_duplicates().groupby("user_id").size().sort_values(ascending=False)
    assert m.counts[0].sum() == per_user.iloc[:5].sum()


def test_sparsity_matrix_rejects_bad_bins() -> None:
    with pytest.raises(ConfigError, match="bins"):
        ex.sparsity_matrix(pd.DataFrame({"user_id": [1], "track_id": [1]}), user_bins=0)


def test_pair_overlap_counts() -> None:
    train = pd.DataFrame({"user_id": [1, 1, 2, 2], "track_id": [10, 11, 10, 10]})
    val = pd.DataFrame({"user_id": [1, 2, 2, 3], "track_id": [10, 11, 10, 10]})
    o = ex.pair_overlap(train, val)
    # train pairs {(1,10),(1,11),(2,10)}; val {(1,10),(2,11),(2,10),(3,10)}; both {(1,10),(2,10)}
    assert (o.train_only, o.val_only, o.both) == (1, 2, 2)
    assert o.val_total == 4
    assert o.val_share_seen == pytest.approx(0.5)


def test_user_overlap_share_and_threshold() -> None:
    train = pd.DataFrame({"user_id": [1, 1, 2], "track_id": [10, 11, 10], "score": [1.0, 1.0, 1.0]})
    val = pd.DataFrame(
        {"user_id": [1, 1, 1, 2, 3], "track_id": [10, 12, 11, 11, 10], "score": [1.0, 2.0, 0.0, 1.0, 1.0]}
    )
    table = ex.user_overlap(train, val)
    assert table.to_dict("list") == {
        "user_id": [1, 2, 3], "val_tracks": [3, 1, 1], "seen_in_train": [2, 0, 0],
        "share": pytest.approx([2 / 3, 0.0, 0.0]),
    }
    relevant = ex.user_overlap(train, val, threshold=1.0)
    assert relevant["val_tracks"].tolist() == [2, 1, 1]
    assert relevant["share"].tolist() == pytest.approx([0.5, 0.0, 0.0])


def test_overlap_vs_metric_joins_on_user() -> None:
    overlap = pd.DataFrame({"user_id": [1, 2, 3], "val_tracks": [3, 1, 1], "share": [0.5, 0.0, 1.0]})
    per_user = pd.DataFrame({"user_id": [3, 1, 9], "ndcg@10": [0.9, 0.4, 0.1]})
    joined = ex.overlap_vs_metric(overlap, per_user)
    assert joined["user_id"].tolist() == [1, 3]
    assert joined["share"].tolist() == [0.5, 1.0]
    assert joined["ndcg@10"].tolist() == [0.4, 0.9]
    with pytest.raises(ConfigError, match="recall@5"):
        ex.overlap_vs_metric(overlap, per_user, metric="recall@5")


def test_events_by_type_ignores_unused_categories(events: pd.DataFrame) -> None:
    events = events.assign(
        event_type=pd.Categorical(events["event_type"], categories=["advertisement", "like", "play", "skip"])
    )
    assert ex.events_by_type(events)["event_type"].tolist() == ["play", "like", "skip"]
    assert set(ex.events_over_time(events)["event_type"]) == {"like", "play", "skip"}
