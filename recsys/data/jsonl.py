"""Line-level tools for JSON-lines files: fingerprints, line iteration, and the malformed-lines table.

Shared by the readers of :mod:`recsys.data.loading`; they name a bad line by its 1-based number.
"""

from __future__ import annotations

import hashlib
import json
import math
import mmap
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys.errors import DataError

__all__ = [
    "MALFORMED_COLUMNS",
    "FileScanner",
    "check_file",
    "describe_value",
    "empty_malformed",
    "file_fingerprint",
    "file_stat",
    "iter_lines",
    "malformed_frame",
    "mentions",
    "nonblank_line_numbers",
    "parse_iso",
    "raise_first",
    "type_name",
]

#: Columns of the table of malformed lines.
MALFORMED_COLUMNS = ("line", "field", "reason", "text")
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
            last = b"\n"
            with open(self.path, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
                    self.newlines += chunk.count(b"\n")
                    last = chunk[-1:]
            self.ends_with_newline = last == b"\n"
            info["sha256"] = digest.hexdigest()
            self.fingerprint = info
        except OSError as exc:  # reported by the caller
            self.error = exc


def check_file(path: Path) -> None:
    if not path.exists():
        raise DataError("file not found", file=str(path))
    if not path.is_file():
        raise DataError("is not a file", file=str(path))
    if path.stat().st_size == 0:
        raise DataError("file is empty", file=str(path), line=1)


def describe_value(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def type_name(value: Any) -> str:
    return {dict: "object", list: "array", bool: "boolean", float: "number", int: "integer"}.get(
        type(value), type(value).__name__
    )


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


def iter_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, raw_bytes)`` for every non-blank line."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            if raw.strip():
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
    return round(stamp.timestamp() * 1000)


def raise_first(malformed: pd.DataFrame, path: Path) -> None:
    if len(malformed):
        first = malformed.iloc[0]
        field_name = None if pd.isna(first["field"]) else str(first["field"])
        raise DataError(str(first["reason"]), file=str(path), line=int(first["line"]), field=field_name)


