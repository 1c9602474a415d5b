"""Fast, validating loading of the Pozytywka JSON-lines files.

``sessions.jsonl`` of a real release holds millions of lines, so it is read with pyarrow's columnar JSON
reader into typed columns (pandas' JSON parser needs 16 s and 4 GB for 3 million events). pyarrow fails
a whole file on one bad line and cannot say which line it was, so when it fails (or infers a type no
release uses) the file is read a second time line by line with :func:`json.loads`. That slow pass finds
every malformed line with its 1-based number and the field concerned; it either raises a
:class:`~recsys.errors.DataError` for the first one, or, with ``skip_malformed=True``, keeps them aside.

Formats accepted (all seen in real releases): ISO-8601 timestamps (with or without fraction or zone)
and epoch milliseconds; event names in any case, the misspelt ``advertisment`` is read as
``advertisement``; an advertisement's track id ``null`` or ``""``; extra unknown columns (ignored).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from recsys.data.jsonl import (
    FileScanner,
    check_file,
    describe_value,
    empty_malformed,
    iter_lines,
    malformed_frame,
    mentions,
    nonblank_line_numbers,
    parse_iso,
    raise_first,
    type_name,
)
from recsys.errors import DataError

__all__ = [
    "SESSION_FIELDS",
    "LoadedSessions",
    "read_sessions",
    "read_records",
]

#: The columns every ``sessions.jsonl`` must have.
SESSION_FIELDS: tuple[str, ...] = ("session_id", "timestamp", "user_id", "track_id", "event_type")

# Spelling variants of event names found in releases -> the canonical lower-case name.
_EVENT_ALIASES = {"advertisment": "advertisement"}


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
    scanner = FileScanner(path)
    scanner.start()
    table: pa.Table | None
    try:
        table = pj.read_json(
            path,
            read_options=pj.ReadOptions(block_size=4 << 20),
            parse_options=pj.ParseOptions(
                explicit_schema=pa.schema([("track_id", pa.string()), ("event_type", pa.string())])
            ),
        )
    except pa.ArrowInvalid as exc:
        if "Empty JSON file" in str(exc):
            scanner.join()
            raise DataError("file is empty", file=str(path), line=1) from None
        table = None
    scanner.join()
    if scanner.error is not None:
        raise DataError(f"cannot read: {scanner.error}", file=str(path))
    if table is not None and table.num_rows == 0:
        raise DataError("file is empty", file=str(path), line=1)
    if table is not None:
        missing = [name for name in SESSION_FIELDS if name not in table.column_names]
        # The explicit schema adds its columns even when no line has them: an all-null one may be absent.
        for name in ("track_id", "event_type"):
            if table[name].null_count == table.num_rows and not mentions(path, name):
                missing.append(name)
        if missing and table.num_rows:
            raise DataError("required column is missing", file=str(path), line=1, field=missing[0])
        if any(not _OK_TYPES[name](table.schema.field(name).type) for name in SESSION_FIELDS):
            table = None  # a value of a type no release uses: find its line the slow way
    notes: list[str] = []
    if table is None:
        table, malformed = _read_sessions_slow(path)
        notes.append("slow line-by-line pass (the columnar reader rejected the file)")
    else:
        table = table.select(list(SESSION_FIELDS))
        lines_guess = scanner.newlines + (0 if scanner.ends_with_newline else 1)
        if lines_guess == table.num_rows:
            lines = np.arange(1, table.num_rows + 1, dtype=np.int64)
        else:  # blank lines present: number the rows the slow way
            lines = nonblank_line_numbers(path)
        table = table.append_column("line", pa.array(lines))
        table, malformed = _normalise_fast(table)
    if not skip_malformed:
        raise_first(malformed, path)
    if skip_malformed and not malformed.empty:
        malformed = _attach_text(path, malformed)
    table = _finish(table)
    return LoadedSessions(
        table=table,
        malformed=malformed,
        input_rows=table.num_rows + len(malformed),
        fingerprint=scanner.fingerprint,
        path=path,
        notes=notes,
    )


def _attach_text(path: Path, malformed: pd.DataFrame) -> pd.DataFrame:
    missing = malformed["text"].isna()
    if not missing.any():
        return malformed
    wanted = set(malformed.loc[missing, "line"].tolist())
    texts: dict[int, str] = {}
    for number, raw in iter_lines(path):
        if number in wanted:
            texts[number] = raw.decode("utf-8", "replace").rstrip("\r\n")[:1000]
    malformed = malformed.copy()
    malformed.loc[missing, "text"] = malformed.loc[missing, "line"].map(texts)
    return malformed


def _normalise_fast(table: pa.Table) -> tuple[pa.Table, pd.DataFrame]:
    """Type the timestamp column; rows with a null or unreadable timestamp / session are malformed."""
    ts = table["timestamp"]
    bad_reason: np.ndarray | None = None
    kind = ts.type
    if pa.types.is_timestamp(kind):
        stamps = pc.cast(ts, pa.timestamp("ms"), safe=False)
    elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
        stamps = pc.cast(pc.cast(ts, pa.int64(), safe=False), pa.timestamp("ms"))
    else:
        try:
            stamps = pc.cast(pc.cast(ts, pa.timestamp("us")), pa.timestamp("ms"), safe=False)
        except pa.ArrowInvalid:
            # Zones, odd fractions or garbage: pandas' ISO-8601 parser, invalid -> NaT.
            parsed = pd.to_datetime(ts.to_pandas(), format="ISO8601", utc=True, errors="coerce")
            parsed = parsed.dt.tz_localize(None).astype("datetime64[ms]")
            stamps = pa.chunked_array([pa.array(parsed, type=pa.timestamp("ms"))])
            unreadable = stamps.is_null().to_numpy(zero_copy_only=False) & ~ts.is_null().to_numpy(
                zero_copy_only=False
            )
            if unreadable.any():
                bad_reason = np.where(unreadable, "timestamp", "")
    null_ts = ts.is_null().to_numpy(zero_copy_only=False)
    null_session = table["session_id"].is_null().to_numpy(zero_copy_only=False)
    table = table.set_column(table.column_names.index("timestamp"), "timestamp", stamps)
    rows: list[tuple[int, str | None, str, str | None]] = []
    bad = null_ts | null_session
    if bad_reason is not None:
        bad |= bad_reason != ""
    if not bad.any():
        return table, empty_malformed()
    lines = table["line"].to_numpy()
    raw_ts = ts.to_pylist() if bad_reason is not None else None
    for idx in np.flatnonzero(bad):
        if null_session[idx]:
            rows.append((int(lines[idx]), "session_id", "session_id is null or missing", None))
        elif null_ts[idx]:
            rows.append((int(lines[idx]), "timestamp", "timestamp is null or missing", None))
        else:
            value = raw_ts[idx] if raw_ts is not None else None
            reason = f"timestamp {describe_value(value)} is not a time"
            rows.append((int(lines[idx]), "timestamp", reason, None))
    keep = pa.array(~bad)
    return table.filter(keep), malformed_frame(rows)


def _check_session_value(name: str, value: Any) -> tuple[Any, str | None]:
    """Validate one field of one line; returns the value to keep and an error reason (or None)."""
    if name == "timestamp":
        if value is None:
            return None, "timestamp is null or missing"
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return None, f"timestamp {describe_value(value)} is not a time (a {type_name(value)})"
        if isinstance(value, str):
            ms = parse_iso(value)
            if ms is None:
                return None, f"timestamp {describe_value(value)} is not a time"
            return ms, None
        if isinstance(value, float) and not math.isfinite(value):
            return None, f"timestamp {describe_value(value)} is not a time"
        return int(value), None
    if name == "session_id":
        if value is None:
            return None, "session_id is null or missing"
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            shown = describe_value(value)
            return None, f"session_id {shown} is a {type_name(value)}, not an integer or string"
        return value, None
    if name == "user_id":
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, str))):
            return None, f"user_id {describe_value(value)} is a {type_name(value)}, not an integer or string"
        return value, None
    # track_id, event_type
    if value is not None and not isinstance(value, str):
        return None, f"{name} {describe_value(value)} is a {type_name(value)}, not a string"
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
        text = raw.decode("utf-8", "replace").rstrip("\r\n")
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            bad.append((number, None, f"not valid JSON ({exc})", text[:1000]))
            continue
        if not isinstance(obj, dict):
            bad.append((number, None, f"not a JSON object (a {type_name(obj)})", text[:1000]))
            continue
        seen.update(obj.keys())
        values = []
        for name in SESSION_FIELDS:
            value, reason = _check_session_value(name, obj.get(name))
            if reason is not None:
                bad.append((number, name, reason, text[:1000]))
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
    if pa.types.is_null(column.type):
        column = pa.chunked_array([pa.nulls(len(column), pa.string())])
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return column.combine_chunks().dictionary_encode()


def _finish(table: pa.Table) -> pa.Table:
    """Common last steps: ``""`` track -> null, event names lower-case and canonical, null-typed ids.

    ``track_id`` and ``event_type`` become dictionary arrays: every later step (cleaning, splitting,
    scoring, writing) works on their integer codes instead of hashing millions of strings again.
    """
    track = _dictionary(table["track_id"])
    names = track.dictionary
    empty = pc.index(names, "").as_py() if len(names) else -1
    if empty >= 0:
        indices = pc.if_else(
            pc.equal(track.indices, empty), pa.scalar(None, track.indices.type), track.indices
        )
        track = pa.DictionaryArray.from_arrays(indices, names)
    events = _dictionary(table["event_type"])
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
            "line": table["line"].combine_chunks(),
            "session_id": table["session_id"].combine_chunks(),
            "timestamp": table["timestamp"].combine_chunks(),
            "user_id": users.combine_chunks(),
            "track_id": track,
            "event_type": events,
        }
    )


# -- catalogue files (tracks, users, artists, track_storage) --------------------------------------
def read_records(
    path: str | os.PathLike,
    *,
    required: Sequence[str],
    id_field: str | None = None,
    skip_malformed: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a small JSON-lines table (tracks, users, artists) into a DataFrame.

    Parameters
    ----------
    path : path-like
        The file.
    required : sequence of str
        Columns the file must have.
    id_field : str, optional
        A column whose value may not be null (the table's key).
    skip_malformed : bool, default False
        Keep malformed lines aside instead of raising.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The records (all columns of the file; a column mixing integers and strings, like the
        artist id ``-1`` of one release, is read as strings) and the malformed lines (``line``,
        ``field``, ``reason``, ``text``).

    Raises
    ------
    DataError
        Naming file, line and field, as :func:`read_sessions`.
    """
    path = Path(path)
    check_file(path)
    frame: pd.DataFrame | None
    try:
        frame = pj.read_json(path).to_pandas()
    except pa.ArrowInvalid as exc:
        if "Empty JSON file" in str(exc):
            raise DataError("file is empty", file=str(path), line=1) from None
        frame = None
    bad: list[tuple[int, str | None, str, str]] = []
    fast_ok = frame is not None and (
        id_field is None or id_field not in frame.columns or not frame[id_field].isna().any()
    )
    if fast_ok:
        malformed = empty_malformed()
    else:
        records: list[dict] = []
        for number, raw in iter_lines(path):
            text = raw.decode("utf-8", "replace").rstrip("\r\n")[:1000]
            try:
                obj = json.loads(raw)
            except ValueError as exc:
                bad.append((number, None, f"not valid JSON ({exc})", text))
                continue
            if not isinstance(obj, dict):
                bad.append((number, None, f"not a JSON object (a {type_name(obj)})", text))
                continue
            if id_field is not None and id_field in obj and obj[id_field] is None:
                bad.append((number, id_field, f"{id_field} is null", text))
                continue
            records.append(obj)
        frame = pd.DataFrame.from_records(records)
        for column in frame.columns:
            values = frame[column]
            if values.dtype == object:
                kinds = {type(v) for v in values if v is not None and not isinstance(v, float)}
                if kinds and kinds <= {int, str} and len(kinds) == 2:
                    frame[column] = values.map(lambda v: None if v is None else str(v))
        malformed = malformed_frame(bad)
        if not skip_malformed:
            raise_first(malformed, path)
    if frame.empty and malformed.empty:
        raise DataError("file is empty", file=str(path), line=1)
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise DataError("required column is missing", file=str(path), line=1, field=missing[0])
    return frame, malformed
