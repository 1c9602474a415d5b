"""Line-level tools for JSON-lines files: fingerprints, line iteration and parsing, the malformed-lines table.

Shared by the readers of :mod:`recsys.data.loading` and :mod:`recsys.data.records`; they name a bad line
by its 1-based number. :func:`parse_line` is the one strict reading of a line: one JSON object, valid
UTF-8 (a byte-order mark allowed on line 1), no ``NaN``/``Infinity`` (not JSON), no key twice, at most
:data:`~recsys.data.rawfile.MAX_LINE_BYTES` long.
"""

from __future__ import annotations

import hashlib
import json
import math
import mmap
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys.data.rawfile import MAX_LINE_BYTES, UTF8_BOM, overlong_reason
from recsys.errors import DataError

__all__ = [
    "MALFORMED_COLUMNS",
    "FileScanner",
    "describe_value",
    "empty_malformed",
    "file_fingerprint",
    "file_stat",
    "iter_lines",
    "malformed_frame",
    "mentions",
    "nonblank_line_numbers",
    "parse_iso",
    "parse_line",
    "a_type",
    "attach_text",
    "raise_first",
    "refine_reasons",
    "type_name",
]

#: Columns of the table of malformed lines.
MALFORMED_COLUMNS = ("line", "field", "reason", "text")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CHUNK = 8 << 20


def file_stat(path: Path) -> dict:
    st = path.stat()
    return {"size": int(st.st_size), "mtime_ns": int(st.st_mtime_ns)}


def file_fingerprint(path: str | os.PathLike) -> dict:
    """Size, modification time and SHA-256 of a file.

    Parameters
    ----------
    path : path-like
        The file.

    Returns
    -------
    dict
        ``{"size": int, "mtime_ns": int, "sha256": str}``.
    """
    path = Path(path)
    info = file_stat(path)
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    info["sha256"] = digest.hexdigest()
    return info


class FileScanner(threading.Thread):
    """Hashes a file and counts its newlines beside the parser (hashlib releases the GIL)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.newlines = 0
        self.ends_with_newline = True
        self.fingerprint: dict = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            info = file_stat(self.path)
            digest = hashlib.sha256()
            last = 10  # "\n"
            # One buffer reused for every chunk (no fresh 8 MiB of memory to fault in each time), and the
            # line breaks counted by numpy (twice bytes.count's speed, without the GIL).
            buffer = bytearray(_CHUNK)
            view = memoryview(buffer)
            codes = np.frombuffer(buffer, dtype=np.uint8)
            breaks = np.empty(_CHUNK, dtype=bool)
            with open(self.path, "rb") as fh:
                while size := fh.readinto(buffer):
                    digest.update(view[:size])
                    self.newlines += int(np.count_nonzero(np.equal(codes[:size], 10, out=breaks[:size])))
                    last = int(codes[size - 1])
            self.ends_with_newline = last == 10
            info["sha256"] = digest.hexdigest()
            self.fingerprint = info
        except OSError as exc:  # reported by the caller
            self.error = exc


def describe_value(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def type_name(value: Any) -> str:
    """The JSON name of a parsed value's type (``object``, ``array``, ``string``...)."""
    names = {
        dict: "object", list: "array", bool: "boolean", float: "number", int: "integer", str: "string",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def a_type(value: Any) -> str:
    """``"a string"``, ``"an object"``...: the type name with its article, for messages."""
    name = type_name(value)
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def empty_malformed() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "line": pd.Series([], dtype="int64"),
            "field": pd.Series([], dtype="object"),
            "reason": pd.Series([], dtype="object"),
            "text": pd.Series([], dtype="object"),
        }
    )


def malformed_frame(rows: list[tuple[int, str | None, str, str]]) -> pd.DataFrame:
    if not rows:
        return empty_malformed()
    frame = pd.DataFrame(rows, columns=list(MALFORMED_COLUMNS))
    frame["line"] = frame["line"].astype("int64")
    return frame.sort_values("line", kind="stable").reset_index(drop=True)


def iter_lines(path: Path, limit: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, raw_bytes)`` for every non-blank line, in bounded memory.

    A line longer than ``limit`` bytes is yielded cut to its first ``limit + 1`` bytes (so
    ``len(raw) > limit`` tells it, see :func:`parse_line`) and the rest of it is skipped unread.
    """
    with open(path, "rb") as fh:
        number = 0
        while raw := fh.readline(limit + 1):
            number += 1
            if len(raw) > limit and not raw.endswith(b"\n"):
                while rest := fh.readline(1 << 20):  # skip the rest of the long line, 1 MiB at a time
                    if rest.endswith(b"\n"):
                        break
                yield number, raw
            elif raw.strip():
                yield number, raw


def mentions(path: Path, name: str) -> bool:
    """Whether the key ``"name"`` appears anywhere in the file (only asked for an all-null column)."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(json.dumps(name).encode()) >= 0


def nonblank_line_numbers(path: Path) -> np.ndarray:
    return np.fromiter((n for n, _ in iter_lines(path)), dtype=np.int64)


def parse_iso(text: str) -> int | None:
    """Epoch milliseconds of an ISO-8601 string (naive = UTC), ``None`` if it is not one."""
    try:
        stamp = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    # Integer arithmetic: exact for every year 1-9999 (a float timestamp() can overflow or round), and
    # truncated to the millisecond like the columnar reader's cast.
    return (stamp - _EPOCH) // timedelta(milliseconds=1)


def raise_first(malformed: pd.DataFrame, path: Path) -> None:
    if len(malformed):
        first = malformed.iloc[0]
        field_name = None if pd.isna(first["field"]) else str(first["field"])
        raise DataError(str(first["reason"]), file=str(path), line=int(first["line"]), field=field_name)




class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _NotJsonConstant(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise _NotJsonConstant(name)


def _non_utf8(value: Any) -> int | None:
    """The first invalid byte (kept as a surrogate by ``surrogateescape``) inside ``value``, or None."""
    if isinstance(value, str):
        for ch in value:
            if "\udc80" <= ch <= "\udcff":
                return ord(ch) - 0xDC00
        return None
    if isinstance(value, dict):
        items: list[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        found = _non_utf8(item)
        if found is not None:
            return found
    return None


def _json_hint(text: str, exc: json.JSONDecodeError) -> str:
    stripped = text.strip()
    if stripped.startswith("[") or stripped in ("]", "],", "},"):
        return "; the file looks like one JSON array, but a JSON-lines file holds one object per line"
    if stripped.startswith("{") and exc.pos >= len(text.rstrip()):
        return (
            "; the object does not end on this line: a JSON-lines file holds one whole object per line "
            "(is the line cut short, or the file pretty-printed?)"
        )
    if not stripped.startswith("{"):
        return "; a JSON-lines file holds one object per line (is the file pretty-printed?)"
    return ""


def parse_line(raw: bytes, *, number: int = 0) -> tuple[dict | None, str | None, str | None]:
    """Read one line strictly as a JSON object.

    Parameters
    ----------
    raw : bytes
        The line as read (by :func:`iter_lines`; a line longer than the limit comes cut).
    number : int
        Its 1-based number: line 1 may start with a UTF-8 byte-order mark.

    Returns
    -------
    (dict or None, str or None, str or None)
        ``(object, None, None)`` for a good line, else ``(None, field, reason)``: ``field`` names the
        JSON field concerned when there is one (a duplicated key, a string with invalid UTF-8).
    """
    if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
        return None, None, overlong_reason()
    if number == 1 and raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    try:
        text = raw.decode("utf-8")
        bad_bytes = False
    except UnicodeDecodeError:
        # Keep the bad bytes as surrogates, so the JSON still parses and the field can be named.
        text = raw.decode("utf-8", "surrogateescape")
        bad_bytes = True
    try:
        obj = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except _DuplicateKey as exc:
        return None, exc.key, f"field {exc.key!r} appears more than once in the object"
    except _NotJsonConstant as exc:
        return None, None, f"not valid JSON: {exc} is not a JSON number"
    except json.JSONDecodeError as exc:
        if bad_bytes:
            return None, None, "not valid UTF-8 text: save the file as UTF-8"
        return None, None, f"not valid JSON: {exc.msg} (character {exc.pos + 1}){_json_hint(text, exc)}"
    except RecursionError:
        return None, None, "not valid JSON: nested too deeply"
    if not isinstance(obj, dict):
        hint = "; a JSON-lines file holds one object per line, not an array" if isinstance(obj, list) else ""
        return None, None, f"not a JSON object ({a_type(obj)}){hint}"
    if bad_bytes:
        for key, value in obj.items():
            byte = _non_utf8(key) if _non_utf8(key) is not None else _non_utf8(value)
            if byte is not None:
                shown = key.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                return None, shown, f"not valid UTF-8 (byte 0x{byte:02x}): save the file as UTF-8"
    return obj, None, None


def refine_reasons(path: Path, malformed: pd.DataFrame) -> pd.DataFrame:
    """Replace the reasons of rows a columnar reader found bad with what the strict line parser says."""
    wanted = set(malformed["line"].tolist())
    found: dict[int, tuple[str | None, str]] = {}
    last = max(wanted)
    for number, raw in iter_lines(path):
        if number in wanted:
            obj, field_name, reason = parse_line(raw, number=number)
            if obj is None:
                found[number] = (field_name, str(reason))
        if number >= last:
            break
    if not found:
        return malformed
    malformed = malformed.copy()
    for idx, number in malformed["line"].items():
        if number in found:
            malformed.at[idx, "field"], malformed.at[idx, "reason"] = found[number]
    return malformed


def attach_text(path: Path, malformed: pd.DataFrame) -> pd.DataFrame:
    """Fill the missing ``text`` of malformed rows with their line as written (1,000 characters at most)."""
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
