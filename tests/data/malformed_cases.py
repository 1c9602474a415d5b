"""Malformed variants of the real clean release, for ``test_malformed.py``.

Each variant starts from a small release cut from ``../shared/data/pozytywka-23z-50u/clean`` (its first
3,000 events, the tracks they name plus 200 more, every user and artist) and breaks one thing in one file.
The expected outcome names the file, the line and the field the error message must give.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import json
import lzma
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Mutation = Callable[[Path], None]

#: Lines of the cut sessions.jsonl.
SESSION_LINES = 3000
FILES = ("sessions.jsonl", "tracks.jsonl", "users.jsonl", "artists.jsonl")


def build_base(clean: Path, out: Path) -> Path:
    """The small release cut from the clean one (see the module docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    sessions = (clean / "sessions.jsonl").read_bytes().splitlines(keepends=True)[:SESSION_LINES]
    (out / "sessions.jsonl").write_bytes(b"".join(sessions))
    named = {json.loads(line)["track_id"] for line in sessions}
    tracks = (clean / "tracks.jsonl").read_bytes().splitlines(keepends=True)
    kept = [line for i, line in enumerate(tracks) if i < 200 or json.loads(line)["id"] in named]
    (out / "tracks.jsonl").write_bytes(b"".join(kept))
    for name in ("users.jsonl", "artists.jsonl"):
        (out / name).write_bytes((clean / name).read_bytes())
    return out


# -- mutations ------------------------------------------------------------------------------------
def _lines(folder: Path, name: str) -> list[bytes]:
    return (folder / name).read_bytes().splitlines(keepends=True)


def _write(folder: Path, name: str, lines: list[bytes]) -> None:
    (folder / name).write_bytes(b"".join(lines))


def set_line(name: str, n: int, raw: bytes) -> Mutation:
    """Line ``n`` (1-based) replaced by ``raw`` (a newline added)."""

    def mutate(folder: Path) -> None:
        lines = _lines(folder, name)
        lines[n - 1] = raw + b"\n"
        _write(folder, name, lines)

    return mutate


def append_line(name: str, raw: bytes) -> Mutation:
    """``raw`` added as the file's last line."""

    def mutate(folder: Path) -> None:
        _write(folder, name, [*_lines(folder, name), raw + b"\n"])

    return mutate


def set_field(name: str, n: int, field: str, raw_value: bytes) -> Mutation:
    """Field ``field`` of line ``n`` set to the JSON text ``raw_value`` (written as is: NaN, 1e20...)."""

    def mutate(folder: Path) -> None:
        lines = _lines(folder, name)
        obj = json.loads(lines[n - 1])
        obj[field] = "@@VALUE@@"
        lines[n - 1] = json.dumps(obj).encode().replace(b'"@@VALUE@@"', raw_value) + b"\n"
        _write(folder, name, lines)

    return mutate


def drop_field(name: str, field: str, n: int | None = None) -> Mutation:
    """Field ``field`` removed from line ``n`` (from every line when ``n`` is None)."""

    def mutate(folder: Path) -> None:
        lines = _lines(folder, name)
        for i, line in enumerate(lines):
            if n is None or i == n - 1:
                obj = json.loads(line)
                obj.pop(field, None)
                lines[i] = json.dumps(obj).encode() + b"\n"
        _write(folder, name, lines)

    return mutate


def whole_file(name: str, make: Callable[[bytes], bytes]) -> Mutation:
    """The file's bytes replaced by ``make(old bytes)``."""

    def mutate(folder: Path) -> None:
        path = folder / name
        path.write_bytes(make(path.read_bytes()))

    return mutate


def replace_path(name: str, make: Callable[[Path], None]) -> Mutation:
    """The file removed and ``make(path)`` called to put something else there."""

    def mutate(folder: Path) -> None:
        path = folder / name
        path.unlink()
        make(path)

    return mutate


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sessions.jsonl", data)
    return buffer.getvalue()


def _pretty(name: str, n: int) -> Mutation:
    def mutate(folder: Path) -> None:
        lines = _lines(folder, name)
        lines[n - 1] = json.dumps(json.loads(lines[n - 1]), indent=2).encode() + b"\n"
        _write(folder, name, lines)

    return mutate


def _json_array(data: bytes) -> bytes:
    objects = [json.loads(line) for line in data.splitlines()[:50]]
    return json.dumps(objects, indent=1).encode() + b"\n"


def _epoch_ms(data: bytes) -> bytes:
    """Every ISO timestamp as epoch milliseconds (another release's format): an integer column."""
    from datetime import UTC, datetime

    rows = [json.loads(line) for line in data.splitlines()]
    for row in rows:
        stamp = datetime.fromisoformat(row["timestamp"]).replace(tzinfo=UTC)
        row["timestamp"] = int(stamp.timestamp() * 1000)
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def _epoch_column_one_huge(folder: Path) -> None:
    # An integer column (the columnar reader's path) with one epoch number beyond year 9999.
    whole_file(S, _epoch_ms)(folder)
    set_field(S, MID, "timestamp", b"99999999999999999")(folder)


def _long_line(size: int) -> bytes:
    return b'{"session_id": 1, "timestamp": "2023-06-01T10:00:00", "pad": "' + b"x" * size + b'"}'


# -- the matrix -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bad:
    """A variant that must end in exit 2 naming ``file`` (and ``line``, ``field`` when given)."""

    id: str
    mutate: Mutation
    file: str
    line: int | None
    field: str | None
    pattern: str


MID = 17  # a line in the middle of a file
LAST = -1  # the file's last line (after an appended one)
S, T, U, A = FILES
NESTED = b"[" * 5000 + b"]" * 5000

BAD: list[Bad] = [
    # whole files: encodings, compression, emptiness, things that are not files
    Bad("empty", whole_file(S, lambda d: b""), S, 1, None, "file is empty"),
    Bad("blank-lines-only", whole_file(S, lambda d: b"\n  \n\t\n"), S, 1, None, "file is empty"),
    Bad("gzip", whole_file(S, gzip.compress), S, 1, None, "gzip-compressed: decompress it"),
    Bad("bzip2", whole_file(S, bz2.compress), S, 1, None, "bzip2-compressed"),
    Bad("xz", whole_file(S, lzma.compress), S, 1, None, "xz-compressed"),
    Bad("zip", whole_file(S, _zip), S, 1, None, "a zip archive"),
    Bad("utf16-bom", whole_file(S, lambda d: codecs.BOM_UTF16_LE + d.decode().encode("utf-16-le")), S, 1,
        None, "UTF-16 text: save it as UTF-8"),
    Bad("utf16-no-bom", whole_file(S, lambda d: d.decode().encode("utf-16-le")), S, 1, None, "NUL bytes"),
    Bad("utf32", whole_file(S, lambda d: d.decode().encode("utf-32")), S, 1, None, "UTF-32 text"),
    Bad("binary", whole_file(S, lambda d: bytes(range(256)) * 4), S, 1, None, "NUL bytes"),
    Bad("tracks-gzip", whole_file(T, gzip.compress), T, 1, None, "gzip-compressed"),
    Bad("users-utf16", whole_file(U, lambda d: d.decode().encode("utf-16")), U, 1, None, "UTF-16"),
    Bad("folder-instead", replace_path(S, lambda p: p.mkdir()), S, None, None, "is a folder, not a file"),
    Bad("tracks-folder", replace_path(T, lambda p: p.mkdir()), T, None, None, "is a folder, not a file"),
    Bad("named-pipe", replace_path(S, lambda p: os.mkfifo(p)), S, None, None, "is a named pipe"),
    Bad("broken-symlink", replace_path(S, lambda p: p.symlink_to(p.parent / "gone.jsonl")), S, None, None,
        "broken symbolic link"),
    Bad("symlink-loop", replace_path(S, lambda p: p.symlink_to(p)), S, None, None, "cannot be read"),
    Bad("only-gz-copy", replace_path(S, lambda p: p.with_name(S + ".gz").write_bytes(gzip.compress(b"{}"))),
        S, None, None, r"not found in the data folder \(found sessions\.jsonl\.gz: decompress it"),
    # pathological lines
    Bad("overlong-line", set_line(S, MID, _long_line(2 << 20)), S, MID, None, "longer than 1,048,576 bytes"),
    Bad("no-newlines", whole_file(S, lambda d: _long_line(3 << 20)), S, 1, None, "longer than 1,048,576"),
    Bad("tracks-overlong", set_line(T, MID, b'{"id": "' + b"y" * (2 << 20) + b'"}'), T, MID, None,
        "longer than"),
    # lines that are not one JSON object
    Bad("truncated-object", set_line(S, MID, b'{"session_id": 1, "timestamp": '), S, MID, None,
        "not valid JSON"),
    Bad("truncated-last-line", whole_file(S, lambda d: d[:-40]), S, SESSION_LINES, None, "not valid JSON"),
    Bad("pretty-printed", _pretty(S, MID), S, MID, None, r"does not end on this line.*pretty-printed"),
    Bad("array-line", set_line(S, MID, b'[{"session_id": 1}]'), S, MID, None,
        r"not a JSON object \(an array"),
    Bad("json-array-file", whole_file(S, _json_array), S, 1, None, "JSON array"),
    Bad("null-first-line", set_line(S, 1, b"null"), S, 1, None, r"not a JSON object \(a null\)"),
    Bad("null-line", set_line(S, MID, b"null"), S, MID, None, r"not a JSON object \(a null\)"),
    Bad("number-line", set_line(S, MID, b"42"), S, MID, None, r"not a JSON object \(an integer\)"),
    Bad("string-line", set_line(S, MID, b'"play"'), S, MID, None, r"not a JSON object \(a string\)"),
    Bad("invalid-utf8-value", set_field(S, MID, "event_type", b'"pl\xff\xfeay"'), S, MID, "event_type",
        r"not valid UTF-8 \(byte 0xff\)"),
    Bad("latin1-name", set_field(U, 5, "name", b'"Pa\xbfdziora"'), U, 5, "name", "not valid UTF-8"),
    Bad("invalid-utf8-outside-strings", set_line(S, MID, b'{"session_id": 1\xff}'), S, MID, None,
        "not valid UTF-8 text"),
    Bad("nul-mid-file", set_field(S, 2000, "track_id", b'"a\x00b"'), S, 2000, None, "not valid JSON"),
    Bad("nan-literal", set_field(S, MID, "timestamp", b"NaN"), S, MID, None, "NaN is not a JSON number"),
    Bad("infinity-literal", set_field(S, MID, "user_id", b"-Infinity"), S, MID, None,
        "-Infinity is not a JSON number"),
    Bad("duplicate-key", set_line(S, MID, b'{"session_id": 1, "timestamp": "2023-06-01T10:00:00", '
        b'"user_id": 101, "user_id": 102, "track_id": "x", "event_type": "play"}'), S, MID, "user_id",
        "appears more than once"),
    Bad("deep-nesting", set_field(S, MID, "user_id", NESTED), S, MID, None, "nested too deeply"),
    # timestamps
    Bad("timestamp-minus-1e15", set_field(S, MID, "timestamp", b"-1000000000000000"), S, MID, "timestamp",
        "out of range: a timestamp must fall in years 1-9999"),
    Bad("timestamp-1e20-int", set_field(S, MID, "timestamp", b"100000000000000000000"), S, MID, "timestamp",
        "out of range"),
    Bad("timestamp-1e20-float", set_field(S, MID, "timestamp", b"1e20"), S, MID, "timestamp", "out of range"),
    Bad("timestamp-epoch-column-one-huge", _epoch_column_one_huge, S, MID, "timestamp", "out of range"),
    Bad("timestamp-words", set_field(S, MID, "timestamp", b'"yesterday"'), S, MID, "timestamp",
        '"yesterday" is not a time'),
    Bad("timestamp-year-10000", set_field(S, MID, "timestamp", b'"10000-01-01T00:00:00"'), S, MID,
        "timestamp", "is not a time"),
    Bad("timestamp-boolean", set_field(S, MID, "timestamp", b"true"), S, MID, "timestamp",
        r"not a time \(a boolean\)"),
    Bad("timestamp-object", set_field(S, MID, "timestamp", b'{"$date": 1}'), S, MID, "timestamp",
        r"not a time \(an object\)"),
    Bad("timestamp-null", set_field(S, MID, "timestamp", b"null"), S, MID, "timestamp", "null or missing"),
    Bad("timestamp-missing", drop_field(S, "timestamp", MID), S, MID, "timestamp", "null or missing"),
    # ids and names of the wrong type or out of range
    Bad("session-null", set_field(S, MID, "session_id", b"null"), S, MID, "session_id", "null or missing"),
    Bad("session-object", set_field(S, MID, "session_id", b'{"a": 1}'), S, MID, "session_id",
        "is an object, not an integer or string"),
    Bad("session-float", set_field(S, MID, "session_id", b"1.5"), S, MID, "session_id", "is a number"),
    Bad("session-2e70", set_field(S, MID, "session_id", str(2**70).encode()), S, MID, "session_id",
        "beyond 64-bit integers"),
    Bad("user-object", set_field(S, MID, "user_id", b'{"id": 101}'), S, MID, "user_id", "is an object"),
    Bad("user-array", set_field(S, MID, "user_id", b"[101]"), S, MID, "user_id", "is an array"),
    Bad("user-float", set_field(S, MID, "user_id", b"101.5"), S, MID, "user_id", "is a number"),
    Bad("user-boolean", set_field(S, MID, "user_id", b"true"), S, MID, "user_id", "is a boolean"),
    Bad("user-huge", set_field(S, MID, "user_id", b"1" + b"0" * 30), S, MID, "user_id", "beyond 64-bit"),
    Bad("track-integer", set_field(S, MID, "track_id", b"5"), S, MID, "track_id",
        "is an integer, not a string"),
    Bad("track-array", set_field(S, MID, "track_id", b'["a"]'), S, MID, "track_id", "is an array"),
    Bad("event-object", set_field(S, MID, "event_type", b'{"play": 1}'), S, MID, "event_type",
        "is an object"),
    Bad("event-number", set_field(S, MID, "event_type", b"3"), S, MID, "event_type", "is an integer"),
    Bad("column-missing", drop_field(S, "event_type"), S, 1, "event_type", "required column is missing"),
    # the catalogue files
    Bad("track-without-id", append_line(T, b'{"name": "x"}'), T, LAST, "id", "id is null or missing"),
    Bad("track-float-id", append_line(T, b'{"id": 1.5, "name": "x"}'), T, LAST, "id",
        "id 1.5 is a number, not an integer or string"),
    Bad("track-null-id", set_field(T, MID, "id", b"null"), T, MID, "id", "null or missing"),
    Bad("track-empty-id", set_field(T, MID, "id", b'""'), T, MID, "id", "empty string"),
    Bad("track-object-id", set_field(T, MID, "id", b'{"a": 1}'), T, MID, "id", "is an object"),
    Bad("track-boolean-id", set_field(T, MID, "id", b"false"), T, MID, "id", "is a boolean"),
    Bad("popularity-text", set_field(T, MID, "popularity", b'"high"'), T, MID, "popularity",
        '"high" is a string, not a number'),
    Bad("popularity-1e400", set_field(T, MID, "popularity", b"1e400"), T, MID, "popularity",
        "not a finite number"),
    Bad("explicit-2", set_field(T, MID, "explicit", b"2"), T, MID, "explicit", r"not true/false \(or 0/1\)"),
    Bad("artist-id-list", set_field(T, MID, "id_artist", b'["a", "b"]'), T, MID, "id_artist", "is an array"),
    Bad("track-name-number", set_field(T, MID, "name", b"5"), T, MID, "name", "is an integer, not a string"),
    Bad("tracks-no-id-column", drop_field(T, "id"), T, 1, "id", "required column is missing"),
    Bad("tracks-bad-json", set_line(T, MID, b'{"id": "x",'), T, MID, None, "not valid JSON"),
    Bad("tracks-duplicate-key", set_line(T, MID, b'{"id": "a", "id": "b"}'), T, MID, "id",
        "appears more than once"),
    Bad("user-id-object", append_line(U, b'{"user_id": {"a": 1}, "name": "x", "favourite_genres": []}'), U,
        51, "user_id", "is an object, not an integer or string"),
    Bad("genres-string", append_line(U, b'{"user_id": 151, "name": "x", "favourite_genres": "rock"}'), U,
        51, "favourite_genres", '"rock" is a string, not a list of strings'),
    Bad("duplicate-user-genres-string", append_line(U, b'{"user_id": 101, "favourite_genres": "rock"}'), U,
        51, "favourite_genres", "not a list of strings"),
    Bad("genres-numbers", set_field(U, 3, "favourite_genres", b"[1, 2]"), U, 3, "favourite_genres",
        "a list of strings is expected"),
    Bad("genres-null-item", set_field(U, 3, "favourite_genres", b'["rock", null]'), U, 3,
        "favourite_genres", "a list of strings is expected"),
    Bad("premium-yes", set_field(U, 3, "premium_user", b'"yes"'), U, 3, "premium_user", "not true/false"),
    Bad("user-null-id", set_field(U, 3, "user_id", b"null"), U, 3, "user_id", "null or missing"),
    Bad("user-float-id", set_field(U, 3, "user_id", b"103.0"), U, 3, "user_id", "is a number"),
    Bad("user-id-2e64", set_field(U, 3, "user_id", str(2**64).encode()), U, 3, "user_id", "beyond 64-bit"),
    Bad("artist-genres-string", set_field(A, MID, "genres", b'"pop"'), A, MID, "genres",
        "not a list of strings"),
    Bad("artist-null-id", set_field(A, MID, "id", b"null"), A, MID, "id", "null or missing"),
    Bad("artists-null-first-line", set_line(A, 1, b"null"), A, 1, None, r"not a JSON object \(a null\)"),
]


@dataclass(frozen=True)
class Skipped:
    """A variant that ``--skip-malformed`` accepts, keeping ``lines`` of ``file`` aside with ``pattern``."""

    id: str
    mutate: Mutation
    file: str
    lines: tuple[int, ...]
    pattern: str


SKIPPED: list[Skipped] = [
    Skipped("timestamp-minus-1e15", set_field(S, MID, "timestamp", b"-1000000000000000"), S, (MID,),
            "out of range"),
    Skipped("timestamp-1e20", set_field(S, MID, "timestamp", b"100000000000000000000"), S, (MID,),
            "out of range"),
    Skipped("invalid-utf8", set_field(S, MID, "event_type", b'"pl\xffay"'), S, (MID,), "not valid UTF-8"),
    Skipped("pretty-printed", _pretty(S, MID), S, tuple(range(MID, MID + 7)), "not valid JSON"),
    Skipped("null-first-line", set_line(S, 1, b"null"), S, (1,), "not a JSON object"),
    Skipped("overlong-line", set_line(S, MID, _long_line(2 << 20)), S, (MID,), "longer than"),
    Skipped("duplicate-key", set_line(S, MID, b'{"session_id": 1, "session_id": 2}'), S, (MID,),
            "appears more than once"),
    Skipped("track-without-id", append_line(T, b'{"name": "x"}'), T, (LAST,), "id is null or missing"),
    Skipped("track-float-id", append_line(T, b'{"id": 1.5}'), T, (LAST,), "is a number"),
    Skipped("user-id-object", append_line(U, b'{"user_id": {"a": 1}}'), U, (51,), "is an object"),
    Skipped("genres-string", append_line(U, b'{"user_id": 151, "favourite_genres": "rock"}'), U, (51,),
            "not a list of strings"),
    Skipped("duplicate-user-genres-string", append_line(U, b'{"user_id": 101, "favourite_genres": "x"}'),
            U, (51,), "not a list of strings"),
]


@dataclass(frozen=True)
class Tolerated:
    """A variant users expect to work exactly like the original (same kept rows)."""

    id: str
    mutate: Mutation


def _symlink_all(folder: Path) -> None:
    for name in FILES:
        real = folder / f".real-{name}"
        (folder / name).rename(real)
        (folder / name).symlink_to(real.name)


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


def _extra_fields(data: bytes) -> bytes:
    rows = [json.loads(line) for line in data.splitlines()]
    for i, row in enumerate(rows):
        row["device"] = {"os": "android", "version": [1, i % 3]} if i % 2 else "web"
    return b"".join(json.dumps(dict(reversed(list(r.items())))).encode() + b"\n" for r in rows)


TOLERATED: list[Tolerated] = [
    Tolerated("crlf-sessions", whole_file(S, _crlf)),
    Tolerated("crlf-all", lambda f: [whole_file(n, _crlf)(f) for n in FILES]),
    Tolerated("bom-sessions", whole_file(S, lambda d: codecs.BOM_UTF8 + d)),
    Tolerated("bom-tracks", whole_file(T, lambda d: codecs.BOM_UTF8 + d)),
    Tolerated("blank-lines", whole_file(S, lambda d: b"\n" + d.replace(b"\n", b"\n  \n", 5) + b"\n\n")),
    Tolerated("no-final-newline", whole_file(S, lambda d: d.rstrip(b"\n"))),
    Tolerated("symlinked-files", _symlink_all),
    Tolerated("extra-nested-fields-reordered", whole_file(S, _extra_fields)),
]
