"""The fast paths of prepare give what the plain steps give: encoding, time parsing, one sort for
duplicates and split, user codes from that sort, tables handed to the writer as they are made."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from recsys.data import loading
from recsys.data.cleaning import clean_events
from recsys.data.loading import read_sessions
from recsys.data.process import PrepareSettings, _factorize, input_paths, process_inputs
from recsys.data.splitting import assign_splits, user_time_key, user_time_order
from recsys.errors import DataError


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _random_events(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    kinds = ["play", "skip", "like", "Advertisment", None]
    rows = []
    for _ in range(n):
        rows.append(
            {
                "session_id": int(rng.integers(0, n // 4 + 1)),
                # few distinct times per user: many (user, time) ties, some exact duplicates
                "timestamp": f"2023-01-0{1 + int(rng.integers(0, 3))}T00:00:0{int(rng.integers(0, 3))}.5",
                "user_id": None if rng.random() < 0.05 else int(rng.integers(-3, 6)),
                "track_id": [None, "", "a", "b", "c", "zzz"][int(rng.integers(0, 6))],
                "event_type": kinds[int(rng.integers(0, len(kinds)))],
            }
        )
    return rows + rows[: n // 10]  # repeated lines: duplicates


def test_chunked_dictionary_encoding_equals_the_combined_one():
    column = pa.chunked_array(
        [pa.array(["b", None, "a"]), pa.array([], pa.string()), pa.array(["c", "a", None, "b", "d"])]
    )
    got = loading._dictionary(column)
    want = column.combine_chunks().dictionary_encode()
    assert got.equals(want)
    assert loading._dictionary(pa.chunked_array([], pa.string())).equals(
        pa.array([], pa.string()).dictionary_encode()
    )
    assert loading._dictionary(pa.chunked_array([pa.nulls(2)])).to_pylist() == [None, None]


@pytest.mark.parametrize(
    "stamp",
    [
        "2023-03-14T08:29:11.917999",
        "2023-03-14 08:29:11",
        "2023-03-14",
        "2023-03-14T08:29:11Z",
        "2023-03-14T08:29:11+01:00",
        "1969-12-31T23:59:59.9995Z",
        "1969-12-31T23:59:59.9995",
    ],
)
def test_times_read_by_the_reader_equal_the_text_path(tmp_path, stamp):
    rows = [{"session_id": 1, "timestamp": stamp, "user_id": 1, "track_id": "a", "event_type": "play"}]
    path = _write(tmp_path / "sessions.jsonl", rows * 3)
    got = read_sessions(path).table
    # what the text's cast (or, for a zone, pandas' parser) gives, as before the reader parsed the times
    parsed = pd.to_datetime(pd.Series([stamp] * 3), format="ISO8601", utc=True).dt.tz_localize(None)
    want = pa.array(parsed.astype("datetime64[ms]"), type=pa.timestamp("ms"))
    if "Z" not in stamp and "+" not in stamp:
        want = pc.cast(pc.cast(pa.array([stamp] * 3), pa.timestamp("us")), pa.timestamp("ms"), safe=False)
    assert got["timestamp"].combine_chunks().equals(want)


def test_pre_1970_times_are_read_as_text(tmp_path, monkeypatch):
    row = {"session_id": 1, "timestamp": "1969-05-01", "user_id": 1, "track_id": "a", "event_type": "play"}
    path = _write(tmp_path / "sessions.jsonl", [row])
    schemas = []
    real = loading.pj.read_json

    def spy(source, **kwargs):
        schemas.append(kwargs["parse_options"].explicit_schema.field("timestamp").type)
        return real(source, **kwargs)

    monkeypatch.setattr(loading.pj, "read_json", spy)
    read_sessions(path)
    assert schemas == [pa.timestamp("us"), pa.string()]


def test_split_order_and_user_codes_from_the_cleaning(tmp_path):
    path = _write(tmp_path / "sessions.jsonl", _random_events(400))
    cleaned = clean_events(read_sessions(path).table, pa.array(["a", "b", "c"]))
    events = cleaned.events
    assert cleaned.order is not None and len(cleaned.order) == events.num_rows
    users = events["user_id"].to_numpy()
    stamps = events["timestamp"].cast(pa.int64()).to_numpy()
    np.testing.assert_array_equal(cleaned.order, user_time_order(users, stamps))
    np.testing.assert_array_equal(
        cleaned.order, np.lexsort((np.arange(len(users)), stamps, users))
    )
    codes, uniques = _factorize(events["user_id"], cleaned.order)
    want_codes, want_uniques = _factorize(events["user_id"])
    np.testing.assert_array_equal(codes, want_codes)
    assert uniques.equals(want_uniques)
    for method_order in (None, cleaned.order):
        np.testing.assert_array_equal(
            assign_splits(codes, stamps, order=method_order), assign_splits(want_codes, stamps)
        )


def test_duplicates_found_through_the_sort(tmp_path):
    path = _write(tmp_path / "sessions.jsonl", _random_events(600, seed=5))
    table = read_sessions(path).table
    cleaned = clean_events(table, pa.array(["a", "b", "c"]))
    # the rule checked the plain way: the first line of each identical (session, time, user, track,
    # type) is kept, among the rows the earlier rules kept (repaired users included)
    kept = cleaned.events.to_pandas()
    dups = cleaned.rejected.to_pandas()
    dups = dups[dups["reason"] == "duplicate"]
    fields = ["session_id", "timestamp", "user_id", "track_id", "event_type"]
    assert not kept.duplicated(fields).any()
    assert len(dups) == cleaned.rejected_counts["duplicate"] > 0
    first_lines = kept.set_index(fields)["line"]
    for _, row in dups.iterrows():
        key = tuple(row[f] for f in fields)
        if pd.isna(row["user_id"]):
            continue  # repaired in the events table: matched through its session below
        assert first_lines.loc[key] < row["line"]


def test_user_time_key_falls_back_when_it_cannot_pack():
    users = np.array([0, 2**62, 5])
    stamps = np.array([3, 1, 2])
    assert user_time_key(users, stamps) is None
    np.testing.assert_array_equal(user_time_order(users, stamps), [0, 2, 1])
    np.testing.assert_array_equal(user_time_order(np.array([-4, -4, -9]), np.array([2, 1, 7])), [2, 1, 0])


def _raw_release(tmp_path, *, events: int, seed: int):
    """A small raw release folder: random sessions over tracks a-c, users -3..5, one artist."""
    folder = tmp_path / "raw"
    folder.mkdir()
    _write(folder / "sessions.jsonl", _random_events(events, seed=seed))
    _write(folder / "tracks.jsonl", [{"id": t, "name": t} for t in "abc"])
    _write(folder / "users.jsonl", [{"user_id": u} for u in range(-3, 6)])
    _write(folder / "artists.jsonl", [{"id": "x", "name": "X"}])
    return folder


def test_the_sink_gets_the_final_tables(tmp_path):
    folder = _raw_release(tmp_path, events=300, seed=2)
    got: dict[str, pa.Table] = {}
    done = process_inputs(
        input_paths(folder), PrepareSettings(), skip_malformed=False, progress=None,
        sink=lambda name, table: got.setdefault(name, table),
    )
    assert sorted(got) == [f"{n}.parquet" for n in ("events", "rejected", "test", "train", "val")]
    assert got["rejected.parquet"].equals(done.rejected)
    for name in ("train", "val", "test"):
        assert got[f"{name}.parquet"].equals(done.splits[name])
    assert got["events.parquet"].equals(done.events.select(got["events.parquet"].column_names))
    assert got["events.parquet"].column_names[-2:] == ["split", "line"]


@pytest.mark.parametrize("skip", [True, False])
def test_rows_renumbered_after_the_scanner_counts_blank_lines(tmp_path, skip):
    # the rows are numbered 1..n while the scanner runs; blank lines found by it renumber the table and
    # the malformed lines (bad time on line 5), with or without a finished (encoded) table
    good = {"session_id": 1, "timestamp": "2023-01-01", "user_id": 1, "track_id": "a", "event_type": "play"}
    bad = {**good, "timestamp": "yesterday"}
    fifth = json.dumps(bad if skip else good)
    lines = [json.dumps(good), "", "   ", json.dumps(good), fifth, "", json.dumps(good)]
    path = tmp_path / "sessions.jsonl"
    path.write_text("\n".join(lines) + "\n")
    loaded = read_sessions(path, skip_malformed=skip)
    assert loaded.table["line"].to_pylist() == ([1, 4, 7] if skip else [1, 4, 5, 7])
    assert loaded.malformed["line"].tolist() == ([5] if skip else [])
    assert loaded.input_rows == 4
    if not skip:
        path.write_text("\n".join([*lines[:4], json.dumps(bad), *lines[5:]]) + "\n")
        with pytest.raises(DataError) as caught:
            read_sessions(path)
        assert caught.value.line == 5


def test_a_failure_after_the_first_writes_leaves_no_staging_folder(tmp_path, monkeypatch):
    from recsys.data import process
    from recsys.data.prepare import prepare

    folder = _raw_release(tmp_path, events=200, seed=4)

    def broken(**kwargs):
        raise DataError("late failure")

    monkeypatch.setattr(process, "assemble", broken)  # after the events, rejected and splits were handed over
    out = tmp_path / "out"
    with pytest.raises(DataError, match="late failure"):
        prepare(folder, out)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["raw"]
