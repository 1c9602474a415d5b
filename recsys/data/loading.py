"""Fast, validating loading of ``sessions.jsonl`` (the catalogue files are :mod:`recsys.data.records`').

``sessions.jsonl`` of a real release holds millions of lines. A file every line of which is in the layout
releases are written in (``json.dumps``'s, fields in release order) is read by the compiled template
reader (:mod:`recsys.data.template_read`: faster than polars' bare read on two cores, the lines numbered
and the file hashed in the same pass). Any other file is read with pyarrow's columnar JSON reader into typed
columns (pandas' JSON parser needs 16 s and 4 GB for 3 million events); both give the same table for a
file in the layout. pyarrow fails
a whole file on one bad line and cannot say which line it was, so when it fails (or infers a type no
release uses, or reads invalid UTF-8, or sees fewer rows than lines) the file is read a second time line
by line (:func:`recsys.data.jsonl.parse_line`). That slow pass finds every malformed line with its
1-based number and the field concerned; it either raises a :class:`~recsys.errors.DataError` for the
first one, or, with ``skip_malformed=True``, keeps them aside. Before either, the file is checked as
bytes (:mod:`recsys.data.rawfile`): a compressed or binary file, or a line longer than 1 MiB, is named
at once, in bounded memory.

Timestamps must fall in years 1-9999 (what a date can hold); an epoch number beyond that is a malformed
line, not a crash. Integers (ids, epoch numbers) must fit in 64 bits.

Formats accepted (all seen in real releases): ISO-8601 timestamps (with or without fraction or zone)
and epoch milliseconds; event names in any case, the misspelt ``advertisment`` is read as
``advertisement``; an advertisement's track id ``null`` or ``""``; extra unknown columns (ignored).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from recsys.data.columns import one_array
from recsys.data.jsonl import (
    FileScanner,
    a_type,
    attach_text,
    describe_value,
    empty_malformed,
    iter_lines,
    malformed_frame,
    mentions,
    nonblank_line_numbers,
    parse_iso,
    parse_line,
    raise_first,
    refine_reasons,
)
from recsys.data.rawfile import (
    check_file,
    find_overlong_line,
    first_line_is_object,
    has_bom,
    overlong_reason,
)
from recsys.data.records import INT64_RANGE, read_records
from recsys.data.template_read import read_template
from recsys.data.template_scan import available as scanner_built
from recsys.errors import DataError

__all__ = [
    "MAX_TIMESTAMP_MS",
    "MIN_TIMESTAMP_MS",
    "SESSION_FIELDS",
    "LoadedSessions",
    "read_sessions",
    "read_records",
]

#: The columns every ``sessions.jsonl`` must have.
SESSION_FIELDS: tuple[str, ...] = ("session_id", "timestamp", "user_id", "track_id", "event_type")

# Spelling variants of event names found in releases -> the canonical lower-case name.
_EVENT_ALIASES = {"advertisment": "advertisement"}

#: Earliest timestamp accepted, in epoch milliseconds: 0001-01-01T00:00:00 (a date's first day).
MIN_TIMESTAMP_MS = -62_135_596_800_000
#: Latest timestamp accepted, in epoch milliseconds: 9999-12-31T23:59:59.999 (a date's last moment).
MAX_TIMESTAMP_MS = 253_402_300_799_999
_UNBUILT = "the compiled reader is not built (make install): the general reader read the file"
_RANGE_TEXT = "out of range: a timestamp must fall in years 1-9999 (epoch milliseconds, or ISO-8601)"


@dataclass
class LoadedSessions:
    """The typed columns of a ``sessions.jsonl`` file and what could not be read.

    Attributes
    ----------
    table : pyarrow.Table
        Columns ``line`` (1-based line number, int64), ``session_id`` (int64 or string),
        ``timestamp`` (timestamp[ms], naive UTC), ``user_id`` (int64 or string, nullable),
        ``track_id`` (dictionary of strings, nullable; ``""`` read as null), ``event_type``
        (dictionary of lower-case strings, nullable). Extra columns of the file are not kept.
    malformed : pandas.DataFrame
        Lines kept aside (only with ``skip_malformed=True``): ``line``, ``field``, ``reason``,
        ``text`` (the line as written, cut at 1,000 characters).
    input_rows : int
        Non-empty lines of the file (= ``len(table) + len(malformed)``).
    fingerprint : dict
        ``size``, ``mtime_ns`` and ``sha256`` of the file as read.
    path : pathlib.Path
        The file.
    """

    table: pa.Table
    malformed: pd.DataFrame
    input_rows: int
    fingerprint: dict
    path: Path
    notes: list[str] = field(default_factory=list)


# -- sessions -------------------------------------------------------------------------------------
_OK_TYPES = {
    "session_id": lambda t: pa.types.is_integer(t) or pa.types.is_string(t),
    "timestamp": lambda t: (
        pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_string(t) or pa.types.is_timestamp(t)
    ),
    "user_id": lambda t: pa.types.is_integer(t) or pa.types.is_string(t) or pa.types.is_null(t),
    "track_id": lambda t: pa.types.is_string(t) or pa.types.is_null(t),
    "event_type": lambda t: pa.types.is_string(t) or pa.types.is_null(t),
}


def read_sessions(path: str | os.PathLike, *, skip_malformed: bool = False) -> LoadedSessions:
    """Read and validate ``sessions.jsonl`` into typed columns.

    Parameters
    ----------
    path : path-like
        The file.
    skip_malformed : bool, default False
        Keep malformed lines aside (in ``malformed``) instead of raising on the first one.

    Returns
    -------
    LoadedSessions

    Raises
    ------
    DataError
        The file is missing or empty, a required column is missing, or (without
        ``skip_malformed``) a line is not a JSON object or holds a value of the wrong type; the
        message names the file, the 1-based line and the field.
    """
    path = Path(path)
    check_file(path)
    overlong = find_overlong_line(path)
    if overlong is not None and not skip_malformed:
        raise DataError(overlong_reason(), file=str(path), line=overlong)
    if overlong is None and (template := read_template(path)) is not None:
        # The release's own layout, read by the compiled scanner: no line can be malformed.
        table = _finish(template.table)
        return LoadedSessions(
            table=table,
            malformed=empty_malformed(),
            input_rows=table.num_rows,
            fingerprint=template.fingerprint,
            path=path,
        )
    # The hash and the line count (FileScanner) run after the columnar read, which has both cores, and
    # beside the encoding of its columns; the rows are numbered 1..n meanwhile and renumbered in the
    # rare file with blank lines. Every error is raised after the scanner's own.
    scanner = FileScanner(path)
    table: pa.Table | None = None
    if overlong is None and first_line_is_object(path):
        table = _read_fast(path)
    scanner.start()
    finished = False
    if table is not None:
        missing = [name for name in SESSION_FIELDS if name not in table.column_names]
        # The explicit schema adds its columns even when no line has them: an all-null one may be absent.
        for name in SESSION_FIELDS:
            if table[name].null_count == table.num_rows and not mentions(path, name):
                missing.append(name)
        if missing and table.num_rows:
            _join(scanner, path)
            raise DataError("required column is missing", file=str(path), line=1, field=missing[0])
        if any(not _OK_TYPES[name](table.schema.field(name).type) for name in SESSION_FIELDS):
            table = None  # a value of a type no release uses: find its line the slow way
    notes = [] if scanner_built() else [_UNBUILT]
    if table is not None:
        rows = table.num_rows
        table = table.select(list(SESSION_FIELDS))
        table = table.append_column("line", pa.array(np.arange(1, rows + 1, dtype=np.int64)))
        table, malformed = _normalise_fast(table)
        if malformed.empty:
            table, finished = _finish(table), True
        _join(scanner, path)
        if scanner.newlines + (0 if scanner.ends_with_newline else 1) != rows:
            # blank lines present: number the rows the slow way (row k is the k-th non-blank line)
            lines = nonblank_line_numbers(path)
            if len(lines) != rows:
                table = None  # an object spread over several lines (pretty-printed): name the lines
            else:
                where = table.column_names.index("line")
                table = table.set_column(where, "line", pa.array(lines[table["line"].to_numpy() - 1]))
                malformed = malformed.assign(line=lines[malformed["line"].to_numpy(dtype=np.int64) - 1])
    else:
        _join(scanner, path)
    if table is None:
        table, malformed = _read_sessions_slow(path)
        finished = False
        notes.append("slow line-by-line pass (the columnar reader rejected the file)")
    elif not malformed.empty:
        # The columnar reader sees a line `null` or `{}` as a row of nulls: the line itself says why.
        malformed = refine_reasons(path, malformed if skip_malformed else malformed.head(1))
    if not skip_malformed:
        raise_first(malformed, path)
    if skip_malformed and not malformed.empty:
        malformed = attach_text(path, malformed)
    if not finished:
        table = _finish(table)
    return LoadedSessions(
        table=table,
        malformed=malformed,
        input_rows=table.num_rows + len(malformed),
        fingerprint=scanner.fingerprint,
        path=path,
        notes=notes,
    )


def _join(scanner: FileScanner, path: Path) -> None:
    """Wait for the scanner; a file it could not read is named."""
    scanner.join()
    if scanner.error is not None:
        raise DataError(f"cannot read: {scanner.error}", file=str(path))


# The common release's types, read as such: no type inference, and the fields a release adds (ignored)
# are never built. At 10 million lines this read is 1.5 GB at its peak instead of 2.1 GB. Measured
# against polars (benchmarks/results/scale.md): polars' own read of the same file peaks at 2.9 GB (it
# holds the whole file), beyond the 2 GB budget of prepare, so the general reader stays pyarrow's; the
# release's own layout goes faster still through the template reader.
_TYPED = pa.schema([
    ("session_id", pa.int64()), ("timestamp", pa.string()), ("user_id", pa.int64()),
    ("track_id", pa.string()), ("event_type", pa.string()),
])  # fmt: skip
# The same with the times parsed by the reader itself (ISO-8601, as the cast of the text would): no
# column of 10 million time strings is built (300 MB) and cast afterwards. A time it cannot parse fails
# the read, and the text read above then finds the line.
_TYPED_TIME = _TYPED.set(1, pa.field("timestamp", pa.timestamp("us")))
# Any other release (string ids, epoch-millisecond times): inferred, with the two text columns fixed.
_INFERRED = pa.schema([("track_id", pa.string()), ("event_type", pa.string())])
_BLOCK = 16 << 20  # bytes per parsed block: fewer, larger blocks parse faster on 2 cores than 4 MiB ones


def _read_fast(path: Path) -> pa.Table | None:
    """pyarrow's columnar read, or ``None`` when the file needs the line-by-line pass.

    First with the usual release's types and times (:data:`_TYPED_TIME`, :data:`_TYPED`), then, when a
    value does not fit them, with the types inferred (:data:`_INFERRED`); a file no read accepts goes
    line by line."""
    for schema, extra in ((_TYPED_TIME, "ignore"), (_TYPED, "ignore"), (_INFERRED, "infer")):
        try:
            source: str | pa.NativeFile = str(path)
            if has_bom(path):
                source = pa.OSFile(str(path))
                source.seek(3)
            table = pj.read_json(
                source,
                read_options=pj.ReadOptions(block_size=_BLOCK),
                parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior=extra),
            )
            # pyarrow keeps invalid UTF-8 inside strings; converting them later would raise.
            table.select([n for n in SESSION_FIELDS if n in table.column_names]).validate(full=True)
            if schema is _TYPED_TIME and _before_1970(table["timestamp"]):
                continue  # read as text: pandas parses zoned times before 1970, as it always did
            break
        except pa.ArrowException as exc:
            if "Empty JSON file" in str(exc):
                raise DataError("file is empty", file=str(path), line=1) from None
    else:
        return None
    if table.num_rows == 0:
        raise DataError("file is empty", file=str(path), line=1)
    return table


def _before_1970(stamps: pa.ChunkedArray) -> bool:
    """Whether a time read by the reader falls before 1970.

    The reader also parses times with a zone (``Z``, ``+01:00``), which the cast of the text rejects and
    hands to pandas instead; both give the same UTC instant, but they might round a fraction below a
    millisecond differently before 1970. Such (implausible) times are read as text, as before."""
    low = pc.min(stamps.cast(pa.int64())).as_py() if len(stamps) else None
    return low is not None and low < 0


def _normalise_fast(table: pa.Table) -> tuple[pa.Table, pd.DataFrame]:
    """Type the timestamp column; rows with a null, unreadable or out-of-range timestamp, or a null
    session, are malformed."""
    ts = table["timestamp"]
    kind = ts.type
    valid = ts.is_valid().to_numpy(zero_copy_only=False)
    not_time = np.zeros(len(ts), dtype=bool)
    if pa.types.is_timestamp(kind):
        stamps = pc.cast(ts, pa.timestamp("ms"), safe=False)
    elif pa.types.is_integer(kind):
        stamps = pc.cast(ts, pa.timestamp("ms"))
    elif pa.types.is_floating(kind):
        # Checked before the cast: 1e20 or NaN cast to int64 gives a plausible-looking wrong number.
        values = ts.to_numpy(zero_copy_only=False)
        not_time = valid & ~np.isfinite(values)
        ok = valid & ~not_time & (np.abs(np.where(not_time | ~valid, 0, values)) < 2.0**62)
        clean = np.where(ok, values, MAX_TIMESTAMP_MS + 1).astype(np.int64)
        stamps = pa.chunked_array([pa.array(clean, type=pa.int64(), mask=~valid).cast(pa.timestamp("ms"))])
    else:
        try:
            stamps = pc.cast(pc.cast(ts, pa.timestamp("us")), pa.timestamp("ms"), safe=False)
        except pa.ArrowInvalid:
            # Zones, odd fractions or garbage: pandas' ISO-8601 parser, invalid -> NaT.
            parsed = pd.to_datetime(ts.to_pandas(), format="ISO8601", utc=True, errors="coerce")
            parsed = parsed.dt.tz_localize(None).astype("datetime64[ms]")
            stamps = pa.chunked_array([pa.array(parsed, type=pa.timestamp("ms"))])
            not_time = valid & stamps.is_null().to_numpy(zero_copy_only=False)
    millis = pc.cast(stamps, pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    out_of_range = valid & ~not_time & ((millis < MIN_TIMESTAMP_MS) | (millis > MAX_TIMESTAMP_MS))
    null_session = table["session_id"].is_null().to_numpy(zero_copy_only=False)
    bad = ~valid | null_session | not_time | out_of_range
    table = table.set_column(table.column_names.index("timestamp"), "timestamp", stamps)
    if not bad.any():
        return table, empty_malformed()
    lines = table["line"].to_numpy()
    rows: list[tuple[int, str | None, str, str | None]] = []
    for idx in np.flatnonzero(bad):
        if null_session[idx]:
            field_name, reason = "session_id", "session_id is null or missing"
        elif not valid[idx]:
            field_name, reason = "timestamp", "timestamp is null or missing"
        else:
            shown = _shown(ts, int(idx))
            field_name = "timestamp"
            reason = f"timestamp {shown} is " + (_RANGE_TEXT if out_of_range[idx] else "not a time")
        rows.append((int(lines[idx]), field_name, reason, None))
    return table.filter(pa.array(~bad)), malformed_frame(rows)


def _shown(column: pa.ChunkedArray, idx: int) -> str:
    """A value of a column as written in a message (a date beyond year 9999 as its raw number)."""
    try:
        return describe_value(column[idx].as_py())
    except (OverflowError, ValueError):
        return describe_value(column[idx].cast(pa.int64()).as_py())


def _check_int(name: str, value: int) -> str | None:
    if not INT64_RANGE[0] <= value <= INT64_RANGE[1]:
        return f"{name} {describe_value(value)} is out of range (beyond 64-bit integers)"
    return None


def _check_session_value(name: str, value: Any) -> tuple[Any, str | None]:
    """Validate one field of one line; returns the value to keep and an error reason (or None)."""
    if name == "timestamp":
        if value is None:
            return None, "timestamp is null or missing"
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return None, f"timestamp {describe_value(value)} is not a time ({a_type(value)})"
        if isinstance(value, str):
            ms = parse_iso(value)
            if ms is None:
                return None, f"timestamp {describe_value(value)} is not a time"
        elif isinstance(value, float) and not math.isfinite(value):
            return None, f"timestamp {describe_value(value)} is not a time"
        else:
            ms = int(value)
        if not MIN_TIMESTAMP_MS <= ms <= MAX_TIMESTAMP_MS:
            return None, f"timestamp {describe_value(value)} is {_RANGE_TEXT}"
        return ms, None
    if name in ("session_id", "user_id"):
        if value is None:
            return None, ("session_id is null or missing" if name == "session_id" else None)
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            return None, f"{name} {describe_value(value)} is {a_type(value)}, not an integer or string"
        return value, _check_int(name, value) if isinstance(value, int) else None
    # track_id, event_type
    if value is not None and not isinstance(value, str):
        return None, f"{name} {describe_value(value)} is {a_type(value)}, not a string"
    return value, None


def _id_array(values: list) -> pa.Array:
    """int64 when every non-null id is an integer, otherwise strings (mixed releases)."""
    if all(v is None or isinstance(v, int) for v in values):
        return pa.array(values, type=pa.int64())
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _read_sessions_slow(path: Path) -> tuple[pa.Table, pd.DataFrame]:
    columns: dict[str, list] = {name: [] for name in SESSION_FIELDS}
    lines: list[int] = []
    bad: list[tuple[int, str | None, str, str]] = []
    seen: set[str] = set()
    for number, raw in iter_lines(path):
        text = raw.decode("utf-8", "replace").rstrip("\r\n")[:1000]
        obj, field_name, reason = parse_line(raw, number=number)
        if obj is None:
            bad.append((number, field_name, str(reason), text))
            continue
        seen.update(obj.keys())
        values = []
        for name in SESSION_FIELDS:
            value, reason = _check_session_value(name, obj.get(name))
            if reason is not None:
                bad.append((number, name, reason, text))
                break
            values.append(value)
        else:
            lines.append(number)
            for name, value in zip(SESSION_FIELDS, values, strict=True):
                columns[name].append(value)
    if not lines and not bad:
        raise DataError("file is empty", file=str(path), line=1)
    missing = [name for name in SESSION_FIELDS if name not in seen]
    if missing and seen:
        raise DataError("required column is missing", file=str(path), line=1, field=missing[0])
    table = pa.table(
        {
            "session_id": _id_array(columns["session_id"]),
            "timestamp": pa.array(columns["timestamp"], type=pa.int64()).cast(pa.timestamp("ms")),
            "user_id": _id_array(columns["user_id"]),
            "track_id": pa.array(columns["track_id"], type=pa.string()),
            "event_type": pa.array(columns["event_type"], type=pa.string()),
            "line": pa.array(lines, type=pa.int64()),
        }
    )
    return table, malformed_frame(bad)


def _dictionary(column: pa.ChunkedArray) -> pa.DictionaryArray:
    """The column dictionary-encoded, one array (codes in order of first appearance). A column coded chunk
    by chunk (the template reader's, each chunk's dictionary in its order of first appearance) is unified
    in chunk order, which appends each chunk's new values: the column's order of first appearance."""
    if pa.types.is_null(column.type):
        column = pa.chunked_array([pa.nulls(len(column), pa.string())])
    if column.num_chunks == 0:
        value_type = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        return pa.array([], type=value_type).dictionary_encode()
    if pa.types.is_dictionary(column.type):
        coded = column.unify_dictionaries()
        names = coded.chunk(0).dictionary
    else:
        # Encoded chunk by chunk with one memo table, so a value keeps its code in every chunk and the
        # last chunk's dictionary holds them all: only the codes are concatenated, not the strings
        # (copying those first cost as much as the encoding).
        coded = column.dictionary_encode()
        names = coded.chunk(coded.num_chunks - 1).dictionary
    return pa.DictionaryArray.from_arrays(pa.concat_arrays([chunk.indices for chunk in coded.chunks]), names)


def _finish(table: pa.Table) -> pa.Table:
    """Common last steps: ``""`` track -> null, event names lower-case and canonical, null-typed ids.

    ``track_id`` and ``event_type`` become dictionary arrays: every later step (cleaning, splitting,
    scoring, writing) works on their integer codes instead of hashing millions of strings again.
    """
    # The two text columns are encoded at once (pyarrow releases the GIL: a second core's work).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_dictionary, table["event_type"])
        track = _dictionary(table["track_id"])
        events = pending.result()
    names = track.dictionary
    empty = pc.index(names, "").as_py() if len(names) else -1
    if empty >= 0:
        indices = pc.if_else(
            pc.equal(track.indices, empty), pa.scalar(None, track.indices.type), track.indices
        )
        track = pa.DictionaryArray.from_arrays(indices, names)
    # Lower-case through the (tiny) dictionary rather than per row, then merge equal names.
    lowered = [
        None if name is None else _EVENT_ALIASES.get(name.strip().lower(), name.strip().lower())
        for name in events.dictionary.to_pylist()
    ]
    canonical = sorted({name for name in lowered if name is not None})
    remap = pa.array([canonical.index(name) for name in lowered], type=events.indices.type)
    events = pa.DictionaryArray.from_arrays(remap.take(events.indices), pa.array(canonical, type=pa.string()))
    users = table["user_id"]
    if pa.types.is_null(users.type):
        users = pa.chunked_array([pa.nulls(len(table), pa.int64())])
    return pa.table(
        {
            "line": one_array(table["line"]),
            "session_id": one_array(table["session_id"]),
            "timestamp": one_array(table["timestamp"]),
            "user_id": one_array(users),
            "track_id": track,
            "event_type": events,
        }
    )
