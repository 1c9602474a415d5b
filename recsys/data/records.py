"""Reading the catalogue files (``tracks.jsonl``, ``users.jsonl``, ``artists.jsonl``) against their schema.

Each file's known fields have a kind (:data:`SCHEMAS`): an ``id`` (integer or string, never null), a
text, a number (finite), a flag (boolean, or 0/1), a list of texts. A value of another kind is a
malformed line, named by file, line and field: it would otherwise crash a later step (pyarrow cannot
write a column that mixes a list and a string) or be silently wrong (a float id). Fields a schema does
not name are kept as read; one that mixes JSON types is kept as text.

pyarrow's JSON reader reads a well-formed file in one pass; only when it fails, or gives a column of a
kind the schema refuses, is the file read again line by line (:func:`recsys.data.jsonl.parse_line`),
which finds every bad line.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from recsys.data.jsonl import (
    a_type,
    describe_value,
    empty_malformed,
    iter_lines,
    malformed_frame,
    nonblank_line_numbers,
    parse_line,
    raise_first,
)
from recsys.data.rawfile import check_file, find_overlong_line, first_line_is_object, has_bom
from recsys.errors import DataError

__all__ = [
    "ARTISTS_SCHEMA",
    "INT64_RANGE",
    "SCHEMAS",
    "TRACKS_SCHEMA",
    "USERS_SCHEMA",
    "Catalogue",
    "enrich_tracks",
    "read_catalogue_file",
    "read_records",
]

#: Integers that fit the int64 columns every id and number is stored in.
INT64_RANGE = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class _Kind:
    """One kind of field: its checks on a parsed JSON value and on a column type pyarrow inferred."""

    name: str
    check: Callable[[str, Any], str | None]
    arrow_ok: Callable[[pa.ChunkedArray], bool]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_range(field: str, value: int) -> str | None:
    if not INT64_RANGE[0] <= value <= INT64_RANGE[1]:
        return f"{field} {describe_value(value)} is out of range (beyond 64-bit integers)"
    return None


def _check_id(field: str, value: Any, *, nullable: bool) -> str | None:
    if value is None:
        return None if nullable else f"{field} is null or missing"
    if _is_int(value):
        return _int_range(field, value)
    if isinstance(value, str):
        return None if value.strip() or nullable else f"{field} is an empty string"
    return f"{field} {describe_value(value)} is {a_type(value)}, not an integer or string"


def _check_text(field: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return None
    return f"{field} {describe_value(value)} is {a_type(value)}, not a string"


def _check_number(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if _is_int(value):
        return _int_range(field, value)
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{field} {value} is not a finite number"
    return f"{field} {describe_value(value)} is {a_type(value)}, not a number"


def _check_flag(field: str, value: Any) -> str | None:
    if value is None or isinstance(value, bool) or (_is_int(value) and value in (0, 1)):
        return None
    return f"{field} {describe_value(value)} is {a_type(value)}, not true/false (or 0/1)"


def _check_text_list(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, list):
        return f"{field} {describe_value(value)} is {a_type(value)}, not a list of strings"
    for item in value:
        if not isinstance(item, str):
            shown = "null" if item is None else f"{describe_value(item)} ({a_type(item)})"
            return f"{field} holds {shown}: a list of strings is expected"
    return None


def _arrow(*tests: Callable[[pa.DataType], bool]) -> Callable[[pa.ChunkedArray], bool]:
    return lambda column: any(test(column.type) for test in tests)


def _id_column(column: pa.ChunkedArray, *, nullable: bool) -> bool:
    if pa.types.is_null(column.type):
        return nullable
    if pa.types.is_integer(column.type):
        return nullable or column.null_count == 0
    if pa.types.is_string(column.type):
        if not nullable and column.null_count:
            return False
        return nullable or not pc.any(pc.equal(pc.utf8_trim_whitespace(column), "")).as_py()
    return False


def _finite_column(column: pa.ChunkedArray) -> bool:
    if pa.types.is_integer(column.type) or pa.types.is_null(column.type):
        return True
    if pa.types.is_floating(column.type):
        # pyarrow reads NaN and Infinity, which are not JSON: the line-by-line pass names them.
        return pc.all(pc.is_finite(column)).as_py() in (True, None)
    return False


def _flag_column(column: pa.ChunkedArray) -> bool:
    if pa.types.is_boolean(column.type) or pa.types.is_null(column.type):
        return True
    if pa.types.is_integer(column.type):
        return pc.all(pc.is_in(column, value_set=pa.array([0, 1], column.type))).as_py() in (True, None)
    return False


def _is_text_list(kind: pa.DataType) -> bool:
    return pa.types.is_list(kind) and (
        pa.types.is_string(kind.value_type) or pa.types.is_null(kind.value_type)
    )


def _text_list_column(column: pa.ChunkedArray) -> bool:
    if pa.types.is_null(column.type):
        return True
    if not _is_text_list(column.type):
        return False
    return pc.list_flatten(column).null_count == 0 if len(column) else True


ID = _Kind("id", lambda f, v: _check_id(f, v, nullable=False), lambda c: _id_column(c, nullable=False))
OPTIONAL_ID = _Kind(
    "optional id", lambda f, v: _check_id(f, v, nullable=True), lambda c: _id_column(c, nullable=True)
)
TEXT = _Kind("text", _check_text, _arrow(pa.types.is_string, pa.types.is_null))
NUMBER = _Kind("number", _check_number, _finite_column)
FLAG = _Kind("flag", _check_flag, _flag_column)
TEXT_LIST = _Kind("list of texts", _check_text_list, _text_list_column)

#: ``tracks.jsonl``: field -> kind.
TRACKS_SCHEMA: dict[str, _Kind] = {
    "id": ID,
    "name": TEXT,
    "popularity": NUMBER,
    "duration_ms": NUMBER,
    "explicit": FLAG,
    "id_artist": OPTIONAL_ID,
    "release_date": TEXT,
    **{
        name: NUMBER
        for name in (
            "danceability", "energy", "key", "loudness", "speechiness", "acousticness",
            "instrumentalness", "liveness", "valence", "tempo",
        )
    },
}
#: ``users.jsonl``: field -> kind.
USERS_SCHEMA: dict[str, _Kind] = {
    "user_id": ID,
    "name": TEXT,
    "city": TEXT,
    "street": TEXT,
    "favourite_genres": TEXT_LIST,
    "premium_user": FLAG,
}
#: ``artists.jsonl``: field -> kind.
ARTISTS_SCHEMA: dict[str, _Kind] = {"id": ID, "name": TEXT, "genres": TEXT_LIST}
#: File name -> (schema, key field).
SCHEMAS: dict[str, tuple[dict[str, _Kind], str]] = {
    "tracks.jsonl": (TRACKS_SCHEMA, "id"),
    "users.jsonl": (USERS_SCHEMA, "user_id"),
    "artists.jsonl": (ARTISTS_SCHEMA, "id"),
}


@dataclass
class Catalogue:
    """A catalogue file as read.

    Attributes
    ----------
    frame : pandas.DataFrame
        Its records (every column of the file).
    lines : numpy.ndarray
        The 1-based line of each record (int64, aligned with ``frame``).
    malformed : pandas.DataFrame
        Lines kept aside (with ``skip_malformed``): ``line``, ``field``, ``reason``, ``text``.
    path : pathlib.Path
    """

    frame: pd.DataFrame
    lines: np.ndarray
    malformed: pd.DataFrame
    path: Path


def _fast(path: Path, schema: Mapping[str, _Kind], key: str | None) -> tuple[pd.DataFrame, np.ndarray] | None:
    """The file through pyarrow, or ``None`` when it must be read line by line."""
    if find_overlong_line(path) is not None or not first_line_is_object(path):
        return None
    try:
        source: Any = path
        if has_bom(path):
            source = pa.OSFile(str(path))
            source.seek(3)
        table = pj.read_json(source)
        table.validate(full=True)  # invalid UTF-8 inside a string
    except pa.ArrowException:
        return None
    if key is not None and key not in table.column_names:
        return None  # the required-column error comes from the line-by-line pass, with its line
    for name, kind in schema.items():
        if name in table.column_names and not kind.arrow_ok(table[name]):
            return None
    lines = nonblank_line_numbers(path)
    if len(lines) != table.num_rows:  # an object spread over several lines
        return None
    return table.to_pandas(), lines


def _plain_column(values: pd.Series) -> pd.Series:
    """A column Parquet can store: one JSON type (numbers together), else every value as JSON text."""
    kinds = {
        "number" if isinstance(v, (int, float)) and not isinstance(v, bool) else type(v).__name__
        for v in values
        if v is not None and not (isinstance(v, float) and math.isnan(v))
    }
    if len(kinds) <= 1 and not kinds & {"list", "dict"}:
        return values
    return values.map(lambda v: v if v is None or isinstance(v, str) else json.dumps(v))


def _slow(
    path: Path, schema: Mapping[str, _Kind], key: str | None
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, set[str]]:
    records: list[dict] = []
    lines: list[int] = []
    bad: list[tuple[int, str | None, str, str]] = []
    seen: set[str] = set()
    for number, raw in iter_lines(path):
        obj, field, reason = parse_line(raw, number=number)
        if obj is None:
            bad.append((number, field, str(reason), _text(raw)))
            continue
        seen.update(obj)
        for name, kind in schema.items():
            if name == key or name in obj:
                problem = kind.check(name, obj.get(name))
                if problem is not None:
                    bad.append((number, name, problem, _text(raw)))
                    break
        else:
            records.append(obj)
            lines.append(number)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    for column in frame.columns:
        values = frame[column].astype(object).where(frame[column].notna(), None)
        if column in schema and schema[column] in (ID, OPTIONAL_ID):
            if {type(v) for v in values if v is not None} == {int, str}:  # -1 among string ids
                frame[column] = values.map(lambda v: None if v is None else str(v))
        elif column in schema and schema[column] is FLAG:
            frame[column] = values.map(lambda v: None if v is None else bool(v))
        elif column not in schema:
            frame[column] = _plain_column(values)
    return frame, np.asarray(lines, dtype=np.int64), malformed_frame(bad), seen


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r\n")[:1000]


def read_catalogue_file(
    path: str | os.PathLike,
    *,
    schema: Mapping[str, _Kind] | None = None,
    key: str | None = None,
    required: Sequence[str] = (),
    skip_malformed: bool = False,
) -> Catalogue:
    """Read a catalogue file, checking every known field's kind.

    Parameters
    ----------
    path : path-like
        The file.
    schema : mapping, optional
        Field -> kind (:data:`TRACKS_SCHEMA`...); by default the one :data:`SCHEMAS` gives the file's
        name, else none.
    key : str, optional
        The field every line must have (the table's key); by default the schema's.
    required : sequence of str
        Columns the file must have (at least on one line).
    skip_malformed : bool, default False
        Keep malformed lines aside instead of raising on the first one.

    Returns
    -------
    Catalogue

    Raises
    ------
    DataError
        Naming file, line and field: a bad file (:func:`recsys.data.rawfile.check_file`), a missing
        column, or (without ``skip_malformed``) a malformed line.
    """
    path = Path(path)
    check_file(path)
    if schema is None:
        schema, default_key = SCHEMAS.get(path.name, ({}, None))
        key = key if key is not None else default_key
    if key is not None and key not in schema:
        schema = {**schema, key: ID}
    fast = _fast(path, schema, key)
    if fast is not None:
        frame, lines = fast
        malformed = empty_malformed()
        seen = set(frame.columns)
    else:
        frame, lines, malformed, seen = _slow(path, schema, key)
        if not skip_malformed:
            missing = [name for name in (*required, *([key] if key else [])) if name not in seen]
            if missing and seen:
                raise DataError("required column is missing", file=str(path), line=1, field=missing[0])
            raise_first(malformed, path)
    if frame.empty and malformed.empty:
        raise DataError("file is empty", file=str(path), line=1)
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise DataError("required column is missing", file=str(path), line=1, field=missing[0])
    return Catalogue(frame=frame, lines=lines, malformed=malformed, path=path)


def read_records(
    path: str | os.PathLike,
    *,
    required: Sequence[str],
    id_field: str | None = None,
    skip_malformed: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`read_catalogue_file` as ``(records, malformed lines)`` (the older interface).

    ``id_field`` is the key (a line without it is malformed); the schema is the one of the file's name.
    """
    path = Path(path)
    schema = SCHEMAS.get(path.name, ({}, None))[0]
    read = read_catalogue_file(
        path, schema=schema, key=id_field, required=required, skip_malformed=skip_malformed
    )
    return read.frame, read.malformed


def enrich_tracks(tracks: pd.DataFrame, artists: pd.DataFrame) -> pd.DataFrame:
    """Add ``artist_name`` and ``genres`` (a list, empty when the artist is unknown)."""
    out = tracks.copy()
    if "id_artist" not in out.columns or not {"id", "name"} <= set(artists.columns):
        out["artist_name"] = None
        out["genres"] = [[] for _ in range(len(out))]
        return out
    first = artists.drop_duplicates("id", keep="first").set_index("id")
    key = out["id_artist"].astype(str) if first.index.dtype != out["id_artist"].dtype else out["id_artist"]
    if first.index.dtype != out["id_artist"].dtype:
        first.index = first.index.astype(str)
    out["artist_name"] = key.map(first["name"]).astype(object).where(key.isin(first.index), None)
    if "genres" in first.columns:
        genres = key.map(first["genres"])
        out["genres"] = [
            [str(g) for g in value] if isinstance(value, (list, tuple, np.ndarray)) else []
            for value in genres
        ]
    else:
        out["genres"] = [[] for _ in range(len(out))]
    return out
