"""The template reader (recsys.data.template_read): the same table as the general reader, or no answer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import recsys.data.loading as loading
import recsys.data.template_read as template_read
import recsys.data.template_scan as template_scan
from recsys.data.jsonl import file_fingerprint
from recsys.data.loading import read_sessions
from recsys.data.template_read import read_template
from recsys.errors import DataError


def _line(session: object, stamp: object, user: object, track: object, event: object) -> str:
    # json.dumps with its default separators: the layout every release is written in.
    return json.dumps(
        {"session_id": session, "timestamp": stamp, "user_id": user, "track_id": track, "event_type": event}
    )


# Lines in the layout, with every variation the template accepts.
_VARIED = [
    _line(1, "2023-03-14T08:29:11.917000", 101, "CPW9ds8UPbEgJRah84IH6J", "play"),
    _line(1, "2023-03-14T08:34:09", 101, "CPW9ds8UPbEgJRah84IH6J", "like"),
    _line(2, "2023-01-19T23:41:24.9", 101, "qXFe7lG6ZJueGxJiOr67ab", "skip"),
    _line(2, "2023-01-19T23:41:24.91", 102, None, "advertisment"),
    _line(3, "2024-02-29T00:00:00.123456", 102, "", "PLAY"),
    _line(3, "2024-02-29T23:59:59.999999", None, "qXFe7lG6ZJueGxJiOr67ab", None),
    _line(-7, "1970-01-01T00:00:00", 0, "x", "Advertisement"),
    _line(123456789012345678, "9999-12-31T23:59:59.999999", -123456789012345678, "a b~!", "play"),
    _line(4, "2000-02-29T12:30:45.5", 103, None, None),
    _line(5, "2100-03-01T01:02:03.04", 103, "CPW9ds8UPbEgJRah84IH6J", "skip"),
]


def _write(path: Path, lines: list[str], *, final_break: bool = True) -> Path:
    path.write_bytes(("\n".join(lines) + ("\n" if final_break else "")).encode())
    return path


def _general(path: Path, monkeypatch: pytest.MonkeyPatch) -> loading.LoadedSessions:
    with monkeypatch.context() as patch:
        patch.setattr(loading, "read_template", lambda _path: None)
        return read_sessions(path)


def _random_lines(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    tracks = [f"t{n:05d}" for n in range(40)] + [None, ""]
    events = ["play", "skip", "like", "advertisment", "PLAY", None]
    lines = []
    for _ in range(count):
        millis = int(rng.integers(0, 2_000_000_000_000))
        stamp = np.datetime64(millis, "ms").astype("datetime64[us]") + np.timedelta64(
            int(rng.integers(1000)), "us"
        )
        text = str(stamp)
        if rng.random() < 0.2:
            text = text[:19]  # no fraction
        user = None if rng.random() < 0.05 else int(rng.integers(0, 500))
        lines.append(_line(int(rng.integers(0, 10_000)), text, user, tracks[rng.integers(len(tracks))],
                           events[rng.integers(len(events))]))  # fmt: skip
    return lines


@pytest.mark.parametrize("final_break", [True, False])
def test_reads_the_layout_as_the_general_reader_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, final_break: bool
) -> None:
    path = _write(tmp_path / "sessions.jsonl", _VARIED, final_break=final_break)
    read = read_template(path)
    assert read is not None  # the fast path was taken
    assert read.table.num_rows == len(_VARIED)
    assert read.fingerprint == file_fingerprint(path)
    fast, general = read_sessions(path), _general(path, monkeypatch)
    assert general.notes == fast.notes == []
    assert fast.table.equals(general.table)
    assert fast.table.schema == general.table.schema
    assert fast.input_rows == general.input_rows == len(_VARIED)
    assert fast.fingerprint == general.fingerprint
    # hand-checked values: times cut to the millisecond, "" and null tracks, nulls kept
    rows = fast.table.to_pylist()
    assert rows[2]["timestamp"].isoformat() == "2023-01-19T23:41:24.900000"
    assert rows[4]["timestamp"].isoformat() == "2024-02-29T00:00:00.123000"
    assert rows[7]["timestamp"].isoformat() == "9999-12-31T23:59:59.999000"
    assert rows[6]["session_id"] == -7 and rows[7]["user_id"] == -123456789012345678
    assert rows[4]["track_id"] is None and rows[3]["track_id"] is None and rows[5]["user_id"] is None
    assert [row["event_type"] for row in rows[:7]] == [
        "play", "like", "skip", "advertisement", "play", None, "advertisement",
    ]  # fmt: skip
    assert [row["line"] for row in rows] == list(range(1, len(_VARIED) + 1))


def test_many_blocks_give_the_same_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 1 KiB: lines carried across blocks, buffers reused, dictionaries unified."""
    path = _write(tmp_path / "sessions.jsonl", _random_lines(3000, seed=3))
    general = _general(path, monkeypatch)
    monkeypatch.setattr(template_read, "_BLOCK", 1024)
    monkeypatch.setattr(template_read, "_SPARE", 1024)
    read = read_template(path)
    assert read is not None
    assert read.table["track_id"].num_chunks > 200  # really many blocks
    assert read.fingerprint == file_fingerprint(path)
    fast = read_sessions(path)
    assert fast.table.equals(general.table)
    # codes in order of first appearance, as the general reader gives them
    first = list(dict.fromkeys(value for value in general.table["track_id"].to_pylist() if value is not None))
    names = fast.table["track_id"].chunk(0).dictionary.to_pylist()
    assert [name for name in names if name != ""] == first  # ("" is read as null)


_OFF_LAYOUT = {
    "compact separators": _line(1, "2023-01-01T00:00:00", 1, "a", "play")
    .replace(": ", ":")
    .replace(", ", ","),
    "keys reordered": '{"timestamp": "2023-01-01T00:00:00", "session_id": 1, "user_id": 1, "track_id": "a", '
    '"event_type": "play"}',
    "an extra field": _line(1, "2023-01-01T00:00:00", 1, "a", "play")[:-1] + ', "extra": 1}',
    "seven-digit fraction": _line(1, "2023-01-01T00:00:00.1234567", 1, "a", "play"),
    "empty fraction": _line(1, "2023-01-01T00:00:00.", 1, "a", "play"),
    "zone Z": _line(1, "2023-01-01T00:00:00Z", 1, "a", "play"),
    "zone offset": _line(1, "2023-01-01T00:00:00+01:00", 1, "a", "play"),
    "space separator": _line(1, "2023-01-01 00:00:00", 1, "a", "play"),
    "before 1970": _line(1, "1969-12-31T23:59:59", 1, "a", "play"),
    "no such day": _line(1, "2023-02-29T00:00:00", 1, "a", "play"),
    "day 31 of April": _line(1, "2023-04-31T00:00:00", 1, "a", "play"),
    "hour 24": _line(1, "2023-01-01T24:00:00", 1, "a", "play"),
    "second 60": _line(1, "2023-01-01T00:00:60", 1, "a", "play"),
    "month 13": _line(1, "2023-13-01T00:00:00", 1, "a", "play"),
    "epoch number": _line(1, 1672531200000, 1, "a", "play"),
    "null time": _line(1, None, 1, "a", "play"),
    "null session": _line(None, "2023-01-01T00:00:00", 1, "a", "play"),
    "text session": _line("s1", "2023-01-01T00:00:00", 1, "a", "play"),
    "float user": _line(1, "2023-01-01T00:00:00", 1.0, "a", "play"),
    "leading zero": _line(1, "2023-01-01T00:00:00", 1, "a", "play").replace('"user_id": 1', '"user_id": 01'),
    "minus zero": _line(1, "2023-01-01T00:00:00", 1, "a", "play").replace('"user_id": 1', '"user_id": -0'),
    "19 digits": _line(1234567890123456789, "2023-01-01T00:00:00", 1, "a", "play"),
    "number track": _line(1, "2023-01-01T00:00:00", 1, 5, "play"),
    "escaped quote": _line(1, "2023-01-01T00:00:00", 1, 'a"b', "play"),
    "non-ASCII": _line(1, "2023-01-01T00:00:00", 1, "a", "play").replace(
        '"a"', '"\u00e9"'.encode().decode("unicode_escape")
    ),
    "control character": _line(1, "2023-01-01T00:00:00", 1, "a", "play").replace('"a"', '"a\tb"'),
    "trailing space": _line(1, "2023-01-01T00:00:00", 1, "a", "play") + " ",
    "carriage return": _line(1, "2023-01-01T00:00:00", 1, "a", "play") + "\r",
    "blank line": "",
    "not an object": "[1, 2]",
    "cut short": _line(1, "2023-01-01T00:00:00", 1, "a", "play")[:-12],
}


@pytest.mark.parametrize("case", sorted(_OFF_LAYOUT))
@pytest.mark.parametrize("where", ["first", "late"])
def test_a_line_off_the_layout_leaves_the_file_to_the_general_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, where: str
) -> None:
    good = _random_lines(400, seed=5)
    at = 0 if where == "first" else 350  # late: in a block after others have been scanned
    lines = [*good[:at], _OFF_LAYOUT[case], *good[at:]]
    path = _write(tmp_path / "sessions.jsonl", lines)
    monkeypatch.setattr(template_read, "_BLOCK", 4096)
    monkeypatch.setattr(template_read, "_SPARE", 4096)
    assert read_template(path) is None


def test_files_it_does_not_take(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert read_template(empty) is None
    line = _line(1, "2023-01-01T00:00:00", 1, "a", "play")
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + line.encode() + b"\n")
    assert read_template(bom) is None
    # a line longer than a block's spare room (blocks of 256 bytes here)
    monkeypatch.setattr(template_read, "_BLOCK", 256)
    monkeypatch.setattr(template_read, "_SPARE", 256)
    long = _write(
        tmp_path / "long.jsonl", [line] * 3 + [_line(1, "2023-01-01T00:00:00", 1, "x" * 600, "play")]
    )
    assert read_template(long) is None
    short = _write(tmp_path / "short.jsonl", [line] * 30)
    assert read_template(short) is not None


def test_the_general_reader_still_names_a_bad_line(tmp_path: Path) -> None:
    """A file with one line off the layout is read by the general reader, which names the line."""
    lines = _random_lines(50, seed=1)
    lines[31] = _line(1, "2023-02-30T00:00:00", 1, "a", "play")
    path = _write(tmp_path / "sessions.jsonl", lines)
    with pytest.raises(DataError, match="line 32") as error:
        read_sessions(path)
    assert "timestamp" in str(error.value)
    skipped = read_sessions(path, skip_malformed=True)
    assert skipped.malformed["line"].tolist() == [32]
    assert skipped.table.num_rows == 49


def test_without_the_built_scanner_the_general_reader_reads_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "sessions.jsonl", _VARIED)
    built = read_sessions(path)
    monkeypatch.setattr(template_scan, "LIBRARY", tmp_path / "missing.so")
    template_scan._library.cache_clear()
    try:
        assert not template_scan.available()
        assert read_template(path) is None
        unbuilt = read_sessions(path)
    finally:
        monkeypatch.undo()
        template_scan._library.cache_clear()
    assert unbuilt.table.equals(built.table)
    assert unbuilt.notes == [loading._UNBUILT]
    assert template_scan.available()


def test_the_scanner_writes_only_within_its_outputs() -> None:
    """The C code checks the room it is given: a block too big for its outputs stops as a line off the
    layout (the general reader's work), and outputs of the wrong kind are refused before any write."""
    line = (_line(1, "2023-01-01T00:00:00", 1, "abc", "play") + "\n").encode()
    buf = np.frombuffer(line * 4, dtype=np.uint8).copy()
    columns = template_scan.new_columns(4)
    tracks, events = template_scan.new_words(4, 1, len(buf)), template_scan.new_words(4, 1, len(buf))
    assert template_scan.scan_lines(buf, len(buf), True, 0, 0, 0, columns, tracks, events) == (4, -1)
    assert columns[0].tolist() == [1, 1, 1, 1] and columns[1][0] == 1672531200000
    assert tracks[0][:5].tolist() == [0, 3, 6, 9, 12]
    # 6 bytes of text room (the smaller column's): the second line's "play" would overflow, so it is off
    small = (np.zeros(4, np.int32), np.zeros(6, np.uint8), np.zeros(4, np.bool_))
    fresh = template_scan.new_columns(4)
    assert template_scan.scan_lines(buf, len(buf), True, 0, 0, 0, fresh, small, events) == (1, len(line))
    assert small[1].tolist() == list(b"abcabc")  # (the track of the line stopped at, never used)
    three = template_scan.new_columns(3)  # room for three rows only
    assert template_scan.scan_lines(buf, len(buf), True, 0, 0, 0, three, tracks, events) == (3, 3 * len(line))
    with pytest.raises(ValueError, match="not of the kind"):
        template_scan.scan_lines(buf, len(buf) + 1, True, 0, 0, 0, columns, tracks, events)
    with pytest.raises(ValueError, match="not of the kind"):
        template_scan.scan_lines(
            buf, len(buf), True, 0, 0, 0, columns, tracks, (events[0], events[1], events[1])
        )
