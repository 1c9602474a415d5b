"""prepare / load_prepared / ensure_prepared and the prepare and info commands on a tiny folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.cli import main
from recsys.data import prepare as pipeline
from recsys.data.prepare import ensure_prepared, prepare
from recsys.data.prepared import load_prepared
from recsys.data.process import PrepareSettings
from recsys.errors import ConfigError, DataError, UnknownUserError


def _write(path: Path, rows: list) -> None:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


def _ev(session, user, track, kind, minute):
    return {
        "session_id": session,
        "timestamp": f"2023-01-01T00:{minute:02d}:00",
        "user_id": user,
        "track_id": track,
        "event_type": kind,
    }


# User 1: 10 listening events (minutes 0-9); user 2: 10 events; plus dirt.
EVENTS = [
    *[_ev(1, 1, "a" if m < 5 else "b", "play", m) for m in range(8)],
    _ev(1, 1, "c", "skip", 8),
    _ev(1, 1, "c", "like", 9),
    *[_ev(2, 2, "b", "play", m) for m in range(9)],
    _ev(2, None, "d", "skip", 9),  # repaired -> user 2; in test (latest)
    _ev(2, 2, None, "advertisment", 10),  # non_listening
    _ev(3, None, "a", "play", 11),  # null_user
    _ev(1, 1, "zzz", "play", 12),  # unknown_track
    _ev(1, 1, "a", "play", 0),  # duplicate of the first row
]


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    _write(folder / "sessions.jsonl", EVENTS)
    _write(
        folder / "tracks.jsonl",
        [
            {"id": t, "name": t.upper(), "popularity": i, "id_artist": "x" if t != "e" else "nobody"}
            for i, t in enumerate("abcde")
        ],
    )
    _write(folder / "users.jsonl", [{"user_id": u, "name": f"U{u}"} for u in (1, 2, 3)])
    _write(
        folder / "artists.jsonl",
        [{"id": "x", "name": "Artist X", "genres": ["pop", "rock"]}, {"id": -1, "name": "?", "genres": []}],
    )
    return folder


def test_prepare_report_and_tables(raw, tmp_path):
    out = tmp_path / "out"
    report = prepare(raw, out)
    assert report["input_rows"] == len(EVENTS) == 24
    assert report["rejected"] == {
        "malformed": 0,
        "non_listening": 1,
        "null_event_type": 0,
        "null_track": 0,
        "unknown_track": 1,
        "null_user": 1,
        "duplicate": 1,
    }
    assert report["repaired"] == {"user_from_session": 1}
    assert report["kept_rows"] == 20
    assert report["input_rows"] == report["kept_rows"] + sum(report["rejected"].values())
    # 10 events per user -> 8 train, 1 val, 1 test each.
    assert report["splits"]["train"] == {"events": 16, "pairs": 3, "users": 2}
    assert report["splits"]["val"] == {"events": 2, "pairs": 2, "users": 2}
    assert report["splits"]["test"] == {"events": 2, "pairs": 2, "users": 2}
    assert (report["tracks"], report["users"], report["cached"]) == (5, 3, False)
    assert set(os.listdir(out)) == {*pipeline.OUTPUT_FILES, "manifest.json"}

    train = pd.read_parquet(out / "train.parquet")
    assert train.to_dict("records") == [
        {"user_id": 1, "track_id": "a", "score": 5.0},
        {"user_id": 1, "track_id": "b", "score": 3.0},
        {"user_id": 2, "track_id": "b", "score": 8.0},
    ]
    val = pd.read_parquet(out / "val.parquet")
    assert val.to_dict("records") == [
        {"user_id": 1, "track_id": "c", "score": 0.0},  # skip only: kept with score 0
        {"user_id": 2, "track_id": "b", "score": 1.0},
    ]
    test = pd.read_parquet(out / "test.parquet")
    assert test.to_dict("records") == [
        {"user_id": 1, "track_id": "c", "score": 1.0},
        {"user_id": 2, "track_id": "d", "score": 0.0},
    ]
    events = pd.read_parquet(out / "events.parquet")
    assert list(events.columns) == [
        "session_id",
        "timestamp",
        "user_id",
        "track_id",
        "event_type",
        "split",
        "line",
    ]
    assert len(events) == 20 and events["user_id"].dtype == np.int64
    assert events.loc[events["line"] == 20, "user_id"].item() == 2  # the repaired row
    rejected = pd.read_parquet(out / "rejected.parquet")
    assert dict(zip(rejected["line"], rejected["reason"], strict=True)) == {
        21: "non_listening",
        22: "null_user",
        23: "unknown_track",
        24: "duplicate",
    }
    tracks = pd.read_parquet(out / "tracks.parquet").set_index("id")
    assert tracks.loc["a", "artist_name"] == "Artist X" and list(tracks.loc["a", "genres"]) == ["pop", "rock"]
    assert pd.isna(tracks.loc["e", "artist_name"]) and list(tracks.loc["e", "genres"]) == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["sessions.jsonl"]["size"] == (raw / "sessions.jsonl").stat().st_size
    assert len(manifest["inputs"]["sessions.jsonl"]["sha256"]) == 64
    assert manifest["settings"]["split"] == "chrono" and manifest["report"]["kept_rows"] == 20


def test_unchanged_input_is_not_reprocessed(raw, tmp_path):
    out = tmp_path / "out"
    first = prepare(raw, out)
    again = prepare(raw, out)
    assert again["cached"] is True and again["kept_rows"] == first["kept_rows"]
    assert prepare(raw, out, force=True)["cached"] is False
    # other settings -> reprocessed
    other = prepare(raw, out, settings=PrepareSettings(split="time"))
    assert other["cached"] is False and other["settings"]["split"] == "time"
    # changed input -> reprocessed
    with open(raw / "sessions.jsonl", "a") as fh:
        fh.write(json.dumps(_ev(2, 2, "e", "play", 30)) + "\n")
    changed = prepare(raw, out, settings=PrepareSettings(split="time"))
    assert changed["cached"] is False and changed["input_rows"] == 25


def test_failed_write_leaves_previous_output_intact(raw, tmp_path, monkeypatch):
    out = tmp_path / "out"
    prepare(raw, out)
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    calls = []

    def broken(table, where, **kw):
        calls.append(where)
        if len(calls) == 3:
            raise OSError("disk full")
        Path(where).write_bytes(b"partial")

    monkeypatch.setattr(pipeline.pq, "write_table", broken)
    with pytest.raises(DataError, match="disk full"):
        prepare(raw, out, force=True)
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == before  # no temp files left


def test_load_prepared_matrices_history_and_users(raw, tmp_path):
    prepare(raw, tmp_path / "out")
    data = load_prepared(tmp_path / "out")
    assert data.fingerprint == data.manifest["fingerprint"] and data.report["kept_rows"] == 20
    assert data.events["split"].astype(str).value_counts().to_dict() == {"train": 16, "val": 2, "test": 2}
    assert set(data.rejected["reason"]) == {"non_listening", "null_user", "unknown_track", "duplicate"}
    train = data.matrix("train")
    assert train.item_ids.tolist() == ["a", "b", "c", "d", "e"]  # the whole catalogue, sorted
    assert train.user_ids.tolist() == [1, 2]
    assert train.matrix.toarray().tolist() == [[5, 3, 0, 0, 0], [0, 8, 0, 0, 0]]
    val = data.matrix("val", like=train)
    assert val.matrix.toarray().tolist() == [[0, 0, 0, 0, 0], [0, 1, 0, 0, 0]]  # the zero pair is left out
    assert data.matrix("val", like=train, keep_zeros=True).nnz == 2
    history = data.history()
    assert history.user_ids.tolist() == [1, 2, 3]  # user 3 is in users.jsonl
    assert history.matrix.toarray().tolist() == [[5, 3, 1, 0, 0], [0, 9, 0, 0, 0], [0, 0, 0, 0, 0]]
    assert data.resolve_users(["2", " 1", 3]) == [2, 1, 3]
    with pytest.raises(UnknownUserError, match="'99'"):
        data.resolve_users(["1", "99"])
    with pytest.raises(UnknownUserError, match="'abc'"):
        data.resolve_users(["abc"])
    with pytest.raises(ConfigError):
        data.matrix("holdout")


def test_ensure_prepared_accepts_raw_and_prepared(raw, tmp_path):
    out = tmp_path / "p"
    first = ensure_prepared(raw, out)
    assert first.folder == out
    second = ensure_prepared(out)
    assert second.fingerprint == first.fingerprint


def test_load_prepared_rejects_a_raw_folder(raw):
    with pytest.raises(DataError, match="not a prepared data folder"):
        load_prepared(raw)


def test_missing_input_file(raw, tmp_path):
    (raw / "artists.jsonl").unlink()
    with pytest.raises(DataError, match=r"artists\.jsonl"):
        prepare(raw, tmp_path / "out")


def test_bad_settings(raw, tmp_path):
    with pytest.raises(ConfigError, match="val_frac"):
        prepare(raw, tmp_path / "out", settings=PrepareSettings(val_frac=1.5))
    with pytest.raises(ConfigError, match="play"):
        prepare(raw, tmp_path / "out", settings=PrepareSettings(weights={"play": "x"}))


# -- CLI ------------------------------------------------------------------------------------------
def _cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_prepare_json(raw, tmp_path, capsys):
    code, out, _ = _cli(capsys, "prepare", "--data", str(raw), "--out", str(tmp_path / "o"), "--json")
    assert code == 0
    report = json.loads(out)
    for key in ("input_rows", "kept_rows", "rejected", "repaired", "splits", "tracks", "users", "seconds"):
        assert key in report
    assert report["input_rows"] == sum(
        1 for line in (raw / "sessions.jsonl").read_text().splitlines() if line.strip()
    )
    assert report["input_rows"] == report["kept_rows"] + sum(report["rejected"].values())
    code, out, _ = _cli(
        capsys,
        "prepare",
        "--data",
        str(raw),
        "--out",
        str(tmp_path / "o"),
        "--split",
        "random",
        "--seed",
        "3",
        "--val-frac",
        "0.2",
        "--test-frac",
        "0.1",
        "--json",
    )
    assert code == 0 and json.loads(out)["settings"] == {
        "split": "random",
        "val_frac": 0.2,
        "test_frac": 0.1,
        "seed": 3,
        "weights": {"play": 1.0, "like": 1.0, "skip": 0.0},
        "default_weight": 0.0,
    }


def test_cli_missing_folder_exits_2(tmp_path, capsys):
    code, _, err = _cli(
        capsys, "prepare", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--json"
    )
    assert code == 2 and "nope" in err and "Traceback" not in err


def test_cli_malformed_line_exits_2_naming_file_line_field(raw, tmp_path, capsys):
    with open(raw / "sessions.jsonl", "a") as fh:
        fh.write(json.dumps({**_ev(1, 1, "a", "play", 0), "timestamp": "the day after"}) + "\n")
    code, _, err = _cli(capsys, "prepare", "--data", str(raw), "--out", str(tmp_path / "o"), "--json")
    assert code == 2
    assert "sessions.jsonl, line 25, field 'timestamp'" in err and "the day after" in err
    assert not (tmp_path / "o" / "manifest.json").exists()
    code, out, _ = _cli(
        capsys, "prepare", "--data", str(raw), "--out", str(tmp_path / "o"), "--skip-malformed", "--json"
    )
    report = json.loads(out)
    assert code == 0 and report["rejected"]["malformed"] == 1 and report["input_rows"] == 25
    rejected = pd.read_parquet(tmp_path / "o" / "rejected.parquet")
    row = rejected[rejected["reason"] == "malformed"].iloc[0]
    assert row["line"] == 25 and row["field"] == "timestamp" and "the day after" in row["text"]


def test_cli_bad_fraction_exits_2(raw, tmp_path, capsys):
    code, _, err = _cli(
        capsys, "prepare", "--data", str(raw), "--out", str(tmp_path / "o"), "--test-frac", "0.9"
    )
    assert code == 2 and "below 1" in err


def test_cli_info_on_prepared_and_raw(raw, tmp_path, capsys):
    _cli(capsys, "prepare", "--data", str(raw), "--out", str(tmp_path / "o"), "--json")
    code, out, _ = _cli(capsys, "info", "--data", str(tmp_path / "o"), "--json")
    prepared = json.loads(out)
    assert code == 0 and prepared["kind"] == "prepared"
    assert prepared["users"] == 3 and prepared["tracks"] == 5
    assert prepared["events_by_type"] == {"play": 17, "skip": 2, "like": 1}
    assert prepared["date_range"] == ["2023-01-01T00:00:00", "2023-01-01T00:09:00"]
    code, out, _ = _cli(capsys, "info", "--data", str(raw), "--json")
    unprepared = json.loads(out)
    assert code == 0 and unprepared["kind"] == "raw"
    assert (
        unprepared["rejected"] == prepared["rejected"]
        and unprepared["fingerprint"] == prepared["fingerprint"]
    )
    code, out, err = _cli(capsys, "info", "--data", str(tmp_path / "missing"))
    assert code == 2 and "Traceback" not in err


def test_cli_weights_change_the_scores(raw, tmp_path, capsys):
    code, out, _ = _cli(capsys, "prepare", "--data", str(raw), "--out", str(tmp_path / "w"),
                        "--weight", "like=2", "--weight", "SKIP=-1", "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["settings"]["weights"] == {"play": 1.0, "like": 2.0, "skip": -1.0}
    events = pd.read_parquet(tmp_path / "w" / "events.parquet")
    scores = pd.concat(pd.read_parquet(tmp_path / "w" / f"{s}.parquet") for s in ("train", "val", "test"))
    weight = events["event_type"].astype(str).map({"play": 1.0, "like": 2.0, "skip": -1.0}).fillna(0.0)
    expected = weight.groupby([events["user_id"], events["track_id"].astype(str)]).sum()
    got = scores.groupby([scores["user_id"], scores["track_id"].astype(str)])["score"].sum()
    assert got.sort_index().to_numpy() == pytest.approx(expected.sort_index().to_numpy())
    code, _, err = _cli(capsys, "prepare", "--data", str(raw), "--out", str(tmp_path / "x"),
                        "--weight", "like")  # fmt: skip
    assert code == 2 and "--weight expects EVENT=NUMBER" in err
