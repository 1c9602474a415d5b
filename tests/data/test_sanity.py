"""Data sanity: duplicate users, events of unknown users and implausible times are counted, flagged row by
row in flagged.parquet, and said on the CLI; nothing odd is accepted silently."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from recsys.cli import main
from recsys.data.prepared import load_prepared
from recsys.data.sanity import FLAG_COLUMNS, PLAUSIBLE_START, dedupe, event_flags, timestamp_window
from tests.data.malformed_cases import append_line, build_base, set_field

pytestmark = pytest.mark.realdata

WINDOW = (datetime(2000, 1, 1), datetime(2024, 1, 2))


def test_dedupe_keeps_the_first_line_and_says_how_the_others_differ() -> None:
    frame = pd.DataFrame({"user_id": [7, 8, 7, 7], "city": ["A", "B", "A", "C"]})
    kept, flags = dedupe(frame, np.array([1, 2, 5, 9]), "user_id", file="users.jsonl", flag="duplicate_user")
    assert kept.to_dict("list") == {"user_id": [7, 8], "city": ["A", "B"]}
    assert list(flags.columns) == list(FLAG_COLUMNS)
    assert flags["line"].tolist() == [5, 9] and not flags["kept"].any()
    assert flags["detail"].tolist() == [
        "user_id 7 already on line 1; this line (identical) is dropped",
        "user_id 7 already on line 1; this line (with different values) is dropped",
    ]


def test_event_flags_by_hand() -> None:
    stamps = [datetime(2023, 5, 1), datetime(1, 1, 1), datetime(2023, 5, 2), datetime(9999, 12, 31)]
    events = pa.table(
        {
            "line": pa.array([3, 4, 8, 9], pa.int64()),
            "user_id": pa.array([101, 101, 555, 555], pa.int64()),
            "timestamp": pa.array(stamps, pa.timestamp("ms")),
        }
    )
    flags, unknown = event_flags(events, [101, 102], WINDOW)
    assert unknown == [555]
    rows = flags[["line", "flag"]].to_records(index=False).tolist()
    assert rows == [(4, "implausible_timestamp"), (8, "unknown_user"), (9, "unknown_user"),
                    (9, "implausible_timestamp")]
    assert flags["kept"].all()
    assert "timestamp 0001-01-01T00:00:00 is outside 2000-01-01 to 2024-01-02" in flags["detail"].tolist()
    # ids typed differently in the two files are compared as text
    assert event_flags(events, ["101", "555"], WINDOW)[1] == []


def test_the_window_runs_from_2000_to_a_day_after_now() -> None:
    start, end = timestamp_window(datetime(2024, 3, 1, 12))
    assert start == PLAUSIBLE_START == datetime(2000, 1, 1) and end == datetime(2024, 3, 2, 12)


@pytest.fixture(scope="module")
def odd_release(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean cut with two repeated users, events of an unknown user and three implausible times."""
    folder = build_base(real_data / "clean", tmp_path_factory.mktemp("sanity") / "data")
    users = (folder / "users.jsonl").read_bytes().splitlines(keepends=True)
    append_line("users.jsonl", users[0].replace(b'"premium_user": false', b'"premium_user": true').rstrip())(
        folder
    )
    append_line("users.jsonl", users[1].rstrip())(folder)  # an identical repeat
    for line in (5, 6):
        set_field("sessions.jsonl", line, "user_id", b"999")(folder)
    set_field("sessions.jsonl", 10, "timestamp", b'"0001-01-01T00:00:00"')(folder)
    set_field("sessions.jsonl", 11, "timestamp", b'"9999-12-31T23:59:59"')(folder)
    set_field("sessions.jsonl", 12, "timestamp", b'"2023-06-01"')(folder)  # plausible: not flagged
    return folder


def _events_kept(folder: Path, lines: list[int]) -> list[bool]:
    """Whether each line survives cleaning (a listening event with a known track), computed by hand."""
    rows = (folder / "sessions.jsonl").read_text().splitlines()
    return [json.loads(rows[n - 1])["event_type"] in ("play", "skip", "like") for n in lines]


def test_prepare_counts_flags_and_warns(
    odd_release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    capsys.readouterr()
    assert main(["prepare", "--data", str(odd_release), "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    sanity = report["sanity"]
    unknown_kept = sum(_events_kept(odd_release, [5, 6]))
    odd_kept = sum(_events_kept(odd_release, [10, 11]))
    assert unknown_kept >= 1 and odd_kept >= 1  # the cut's lines 5, 6, 10, 11 include plays
    assert sanity["duplicate_users"] == 2 and sanity["examples"]["duplicate_users"] == [51, 52]
    assert sanity["events_of_unknown_users"] == unknown_kept and sanity["unknown_users"] == 1
    assert sanity["examples"]["unknown_users"] == ["999"]
    assert sanity["implausible_timestamps"] == odd_kept
    assert sanity["timestamp_window"][0] == "2000-01-01T00:00:00"
    assert len(sanity["warnings"]) == 3
    assert report["users"] == 50  # the repeats are not counted as users
    for warning in sanity["warnings"]:
        assert f"warning: {warning} (see flagged.parquet)" in captured.err
    prepared = load_prepared(out)
    assert prepared.users["user_id"].is_unique and len(prepared.users) == 50
    first = prepared.users.set_index("user_id").loc[101]
    assert not first["premium_user"]  # the first line of user 101 is the one kept
    flagged = prepared.flagged
    dup = flagged[flagged["flag"] == "duplicate_user"]
    assert dup["line"].tolist() == [51, 52] and not dup["kept"].any()
    assert "with different values" in dup["detail"].iloc[0] and "identical" in dup["detail"].iloc[1]
    unknown = flagged[flagged["flag"] == "unknown_user"]
    assert set(unknown["line"]) <= {5, 6} and len(unknown) == unknown_kept and unknown["kept"].all()
    odd = flagged[flagged["flag"] == "implausible_timestamp"]
    assert set(odd["line"]) <= {10, 11} and len(odd) == odd_kept
    # flagged events are kept: they are in the events table, with their user
    events = prepared.events
    assert set(unknown["line"]) <= set(events["line"]) and 999 in set(events["user_id"])
    assert prepared.sanity == sanity


def test_info_shows_the_sanity_section(odd_release: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["prepare", "--data", str(odd_release), "--out", str(out), "--json"]) == 0
    capsys.readouterr()
    assert main(["info", "--data", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sanity"]["duplicate_users"] == 2


def test_a_clean_release_has_nothing_to_flag(real_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "clean"
    shutil.copytree(real_data / "clean", folder)
    out = tmp_path / "out"
    assert main(["prepare", "--data", str(folder), "--out", str(out), "--json"]) == 0
    prepared = load_prepared(out)
    assert prepared.flagged.empty and list(prepared.flagged.columns) == list(FLAG_COLUMNS)
    assert prepared.sanity["warnings"] == [] and prepared.sanity["duplicate_users"] == 0
