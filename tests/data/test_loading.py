"""Loading sessions.jsonl and the catalogue files: every accepted format and every bad input."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from recsys.data.jsonl import file_fingerprint
from recsys.data.loading import read_records, read_sessions
from recsys.errors import DataError


def write(path: Path, lines: list[str | dict]) -> Path:
    path.write_text("".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines))
    return path


def event(**over) -> dict:
    row = {
        "session_id": 1,
        "timestamp": "2023-06-08T15:17:11",
        "user_id": 101,
        "track_id": "t1",
        "event_type": "play",
    }
    row.update(over)
    return row


def rows(loaded) -> list[dict]:
    return loaded.table.to_pylist()


def test_iso_timestamps_with_and_without_fraction_and_zone(tmp_path):
    path = write(
        tmp_path / "sessions.jsonl",
        [
            event(timestamp="2023-06-08T15:17:11"),
            event(timestamp="2023-06-08T15:17:11.547000"),
            event(timestamp="2023-06-08T17:17:11+02:00"),
        ],
    )
    got = [r["timestamp"] for r in rows(read_sessions(path))]
    assert got == [
        datetime(2023, 6, 8, 15, 17, 11),
        datetime(2023, 6, 8, 15, 17, 11, 547000),
        datetime(2023, 6, 8, 15, 17, 11),
    ]


def test_epoch_millisecond_timestamps(tmp_path):
    path = write(tmp_path / "sessions.jsonl", [event(timestamp=1686237431547), event(timestamp=0)])
    got = [r["timestamp"] for r in rows(read_sessions(path))]
    assert got == [datetime(2023, 6, 8, 15, 17, 11, 547000), datetime(1970, 1, 1)]


def test_event_names_in_any_case_and_both_advertisement_spellings(tmp_path):
    names = ["PLAY", "Skip", "like", "advertisment", "ADVERTISEMENT", "BUY_PREMIUM"]
    path = write(tmp_path / "sessions.jsonl", [event(event_type=n) for n in names])
    got = [r["event_type"] for r in rows(read_sessions(path))]
    assert got == ["play", "skip", "like", "advertisement", "advertisement", "buy_premium"]


def test_advertisement_track_null_or_empty_string(tmp_path):
    path = write(
        tmp_path / "sessions.jsonl",
        [
            event(event_type="advertisment", track_id=None),
            event(event_type="ADVERTISEMENT", track_id=""),
            event(),
        ],
    )
    assert [r["track_id"] for r in rows(read_sessions(path))] == [None, None, "t1"]


def test_extra_unknown_columns_are_ignored(tmp_path):
    path = write(tmp_path / "sessions.jsonl", [event(device="phone", extra={"a": 1}), event(device=3)])
    loaded = read_sessions(path)
    assert loaded.table.column_names == [
        "line",
        "session_id",
        "timestamp",
        "user_id",
        "track_id",
        "event_type",
    ]
    assert loaded.table.num_rows == 2 and loaded.malformed.empty


def test_blank_lines_are_not_rows_and_line_numbers_stay_true(tmp_path):
    path = tmp_path / "sessions.jsonl"
    path.write_text(json.dumps(event(session_id=1)) + "\n\n   \n" + json.dumps(event(session_id=2)) + "\n")
    loaded = read_sessions(path)
    assert loaded.input_rows == 2
    assert loaded.table["line"].to_pylist() == [1, 4]


def test_null_user_and_null_typed_columns(tmp_path):
    path = write(tmp_path / "sessions.jsonl", [event(user_id=None, track_id=None, event_type=None)] * 2)
    got = rows(read_sessions(path))
    assert got[0]["user_id"] is None and got[0]["track_id"] is None and got[0]["event_type"] is None


def test_fingerprint_matches_file(tmp_path):
    path = write(tmp_path / "sessions.jsonl", [event()])
    loaded = read_sessions(path)
    assert loaded.fingerprint == file_fingerprint(path)
    assert loaded.fingerprint["size"] == path.stat().st_size


# -- bad input: each error names the file, the line and the field -------------------------------
def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found") as err:
        read_sessions(tmp_path / "sessions.jsonl")
    assert err.value.file == str(tmp_path / "sessions.jsonl")


@pytest.mark.parametrize("content", ["", "\n  \n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "sessions.jsonl"
    path.write_text(content)
    with pytest.raises(DataError, match="empty") as err:
        read_sessions(path)
    assert err.value.file == str(path) and err.value.line == 1


def test_missing_required_column(tmp_path):
    row = event()
    del row["event_type"]
    path = write(tmp_path / "sessions.jsonl", [row, row])
    with pytest.raises(DataError) as err:
        read_sessions(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 1, "event_type")
    assert "sessions.jsonl, line 1, field 'event_type'" in str(err.value)


def test_timestamp_that_is_not_a_time(tmp_path):
    path = write(tmp_path / "sessions.jsonl", [event(), event(), event(timestamp="yesterday"), event()])
    with pytest.raises(DataError, match=r'"yesterday" is not a time') as err:
        read_sessions(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 3, "timestamp")
    assert "line 3" in str(err.value) and "field 'timestamp'" in str(err.value)


def test_timestamp_of_the_wrong_json_type(tmp_path):
    path = write(tmp_path / "sessions.jsonl", [event(), event(timestamp=True)])
    with pytest.raises(DataError, match="not a time") as err:
        read_sessions(path)
    assert (err.value.line, err.value.field) == (2, "timestamp")


def test_user_id_of_the_wrong_type(tmp_path):
    path = write(tmp_path / "sessions.jsonl", [event(), event(), event(user_id=[101])])
    with pytest.raises(DataError, match="array") as err:
        read_sessions(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 3, "user_id")


def test_track_id_of_the_wrong_type(tmp_path):
    path = write(tmp_path / "sessions.jsonl", [event(track_id=5)])
    with pytest.raises(DataError) as err:
        read_sessions(path)
    assert (err.value.line, err.value.field) == (1, "track_id")


def test_line_that_is_not_json(tmp_path):
    path = write(tmp_path / "sessions.jsonl", [event(), event(), '{"session_id": 1, "timestamp": '])
    with pytest.raises(DataError, match="not valid JSON") as err:
        read_sessions(path)
    assert (err.value.file, err.value.line) == (str(path), 3)


def test_line_that_is_json_but_not_an_object(tmp_path):
    path = write(tmp_path / "sessions.jsonl", [event(), "[1, 2]"])
    with pytest.raises(DataError, match="not a JSON object") as err:
        read_sessions(path)
    assert err.value.line == 2


def test_null_timestamp_is_malformed(tmp_path):
    path = write(tmp_path / "sessions.jsonl", [event(), event(timestamp=None)])
    with pytest.raises(DataError, match="timestamp is null") as err:
        read_sessions(path)
    assert (err.value.line, err.value.field) == (2, "timestamp")


def test_skip_malformed_keeps_bad_lines_aside_with_numbers_and_reasons(tmp_path):
    path = write(
        tmp_path / "sessions.jsonl",
        [event(session_id=1), "not json", event(session_id=2, timestamp="soon"), event(session_id=3), "[]"],
    )
    loaded = read_sessions(path, skip_malformed=True)
    assert loaded.table["session_id"].to_pylist() == [1, 3]
    assert loaded.table["line"].to_pylist() == [1, 4]
    bad = loaded.malformed
    assert bad["line"].tolist() == [2, 3, 5]
    assert bad["field"].tolist()[1] == "timestamp"
    assert "not valid JSON" in bad["reason"].iloc[0] and "not a time" in bad["reason"].iloc[1]
    assert bad["text"].iloc[0] == "not json"
    assert loaded.input_rows == 5


def test_skip_malformed_in_the_fast_path_too(tmp_path):
    # Every line is valid JSON of one type, so pyarrow reads it; the bad timestamp is found after.
    path = write(tmp_path / "sessions.jsonl", [event(), event(timestamp="never"), event()])
    loaded = read_sessions(path, skip_malformed=True)
    assert loaded.table["line"].to_pylist() == [1, 3]
    assert loaded.malformed["line"].tolist() == [2]
    assert json.loads(loaded.malformed["text"].iloc[0])["timestamp"] == "never"


def test_mixed_int_and_string_user_ids_are_read_as_strings(tmp_path):
    path = write(tmp_path / "sessions.jsonl", [event(user_id=101), event(user_id="u7")])
    assert [r["user_id"] for r in rows(read_sessions(path))] == ["101", "u7"]


# -- catalogue files --------------------------------------------------------------------------------
def test_records_mixed_id_types_become_strings(tmp_path):
    path = write(
        tmp_path / "artists.jsonl",
        [{"id": "a1", "name": "A", "genres": ["pop"]}, {"id": -1, "name": "B", "genres": []}],
    )
    frame, bad = read_records(path, required=["id", "name"], id_field="id")
    assert frame["id"].tolist() == ["a1", "-1"] and bad.empty


def test_records_missing_column_and_bad_line(tmp_path):
    path = write(tmp_path / "tracks.jsonl", [{"name": "x"}])
    with pytest.raises(DataError) as err:
        read_records(path, required=["id"], id_field="id")
    assert (err.value.line, err.value.field) == (1, "id")
    path = write(tmp_path / "tracks2.jsonl", [{"id": "a"}, "oops"])
    with pytest.raises(DataError, match="not valid JSON") as err:
        read_records(path, required=["id"], id_field="id")
    assert (err.value.file, err.value.line) == (str(path), 2)
    frame, bad = read_records(path, required=["id"], id_field="id", skip_malformed=True)
    assert frame["id"].tolist() == ["a"] and bad["line"].tolist() == [2]


def test_records_null_id(tmp_path):
    path = write(tmp_path / "users.jsonl", [{"user_id": 1}, {"user_id": None}])
    with pytest.raises(DataError, match="null") as err:
        read_records(path, required=["user_id"], id_field="user_id")
    assert (err.value.line, err.value.field) == (2, "user_id")
