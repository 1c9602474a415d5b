"""Cleaning rules: each counted, applied in the documented order, rejected rows kept with a reason."""

from __future__ import annotations

import json
from pathlib import Path

from recsys.data.cleaning import RULES, clean_events
from recsys.data.loading import read_sessions


def load(tmp_path: Path, events: list[dict]):
    path = tmp_path / "sessions.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return read_sessions(path).table


def ev(session, user, track, kind, ts="2023-01-01T00:00:00"):
    return {"session_id": session, "timestamp": ts, "user_id": user, "track_id": track, "event_type": kind}


CATALOGUE = ["a", "b", "c"]


def test_each_rule_on_hand_made_rows(tmp_path):
    table = load(
        tmp_path,
        [
            ev(1, 7, "a", "play", "2023-01-01T00:00:01"),  # 1 kept
            ev(1, 7, None, "advertisment"),  # 2 non_listening
            ev(1, 7, "", "ADVERTISEMENT"),  # 3 non_listening
            ev(1, 7, "a", "BUY_PREMIUM"),  # 4 non_listening
            ev(1, 7, "a", None),  # 5 null_event_type
            ev(1, 7, None, "play"),  # 6 null_track
            ev(1, 7, "zzz", "like"),  # 7 unknown_track
            ev(1, None, "b", "skip"),  # 8 repaired from session 1 -> user 7
            ev(2, None, "b", "play"),  # 9 null_user: session 2 has no user
            ev(1, 7, "a", "play", "2023-01-01T00:00:01"),  # 10 duplicate of line 1
            ev(1, None, "a", "play", "2023-01-01T00:00:01"),  # 11 repaired, then duplicate of line 1
            ev(3, 8, "c", "like"),  # 12 kept
        ],
    )
    result = clean_events(table, CATALOGUE)
    assert result.rejected_counts == {
        "non_listening": 3,
        "null_event_type": 1,
        "null_track": 1,
        "unknown_track": 1,
        "null_user": 1,
        "duplicate": 2,
    }
    assert list(result.rejected_counts) == list(RULES)
    assert result.repaired_counts == {"user_from_session": 2}
    assert result.events["line"].to_pylist() == [1, 8, 12]
    assert result.events["user_id"].to_pylist() == [7, 7, 8]
    assert result.events["event_type"].to_pylist() == ["play", "skip", "like"]
    rejected = dict(
        zip(result.rejected["line"].to_pylist(), result.rejected["reason"].to_pylist(), strict=True)
    )
    assert rejected == {
        2: "non_listening",
        3: "non_listening",
        4: "non_listening",
        5: "null_event_type",
        6: "null_track",
        7: "unknown_track",
        9: "null_user",
        10: "duplicate",
        11: "duplicate",
    }
    assert result.events.num_rows + sum(result.rejected_counts.values()) == table.num_rows


def test_repair_uses_advertisement_rows_of_the_session(tmp_path):
    table = load(tmp_path, [ev(5, 9, None, "advertisment"), ev(5, None, "a", "play")])
    result = clean_events(table, CATALOGUE)
    assert result.events["user_id"].to_pylist() == [9]
    assert result.repaired_counts["user_from_session"] == 1


def test_session_with_two_users_cannot_repair(tmp_path):
    table = load(tmp_path, [ev(5, 1, "a", "play"), ev(5, 2, "b", "play"), ev(5, None, "c", "play")])
    result = clean_events(table, CATALOGUE)
    assert result.rejected_counts["null_user"] == 1
    assert result.repaired_counts["user_from_session"] == 0
    assert result.rejected["reason"].to_pylist() == ["null_user"]


def test_rejected_rows_keep_their_values_as_loaded(tmp_path):
    table = load(tmp_path, [ev(1, None, "x", "play"), ev(1, 3, "a", "like")])
    result = clean_events(table, CATALOGUE)
    row = result.rejected.to_pylist()[0]
    assert row["line"] == 1 and row["reason"] == "unknown_track" and row["track_id"] == "x"
    assert row["user_id"] is None  # not repaired: the row as it was read


def test_string_user_ids_are_repaired_too(tmp_path):
    table = load(tmp_path, [ev("s1", "u1", "a", "play"), ev("s1", None, "b", "play")])
    result = clean_events(table, CATALOGUE)
    assert result.events["user_id"].to_pylist() == ["u1", "u1"]


def test_nothing_to_clean(tmp_path):
    table = load(tmp_path, [ev(1, 1, "a", "play"), ev(1, 1, "b", "skip")])
    result = clean_events(table, CATALOGUE)
    assert sum(result.rejected_counts.values()) == 0 and result.events.num_rows == 2
    assert result.rejected.num_rows == 0
