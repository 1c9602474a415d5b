"""Checks of an input file as bytes, before any JSON parser sees it.

A JSON parser given the wrong kind of file does badly: pyarrow's reader crashes the process (SIGSEGV) on
a file whose first line is ``null``, and a line-by-line reader holds a whole 2 GB line without a newline
in memory before it can say anything. So each input file is first checked here, in bounded memory:

* it is a regular, readable, non-empty file (not a folder, a device, a pipe or a broken link);
* it is not compressed (gzip, bzip2, xz, zstd, zip) nor UTF-16/UTF-32 text, which no line of it could
  be read as;
* no line is longer than :data:`MAX_LINE_BYTES` (:func:`find_overlong_line`, with a few probes per MiB
  on a memory map, so a 420 MB file costs about a millisecond).

:func:`first_line_is_object` says whether the fast columnar reader may be tried at all.
"""

from __future__ import annotations

import codecs
import json
import mmap
import os
import stat
from pathlib import Path

from recsys.errors import DataError

__all__ = [
    "MAX_LINE_BYTES",
    "UTF8_BOM",
    "check_file",
    "find_overlong_line",
    "first_line_is_object",
    "has_bom",
    "overlong_reason",
]

MAX_LINE_BYTES = 1 << 20
"""Longest accepted line (1 MiB). A Pozytywka record is a few hundred bytes; a longer line is not a record
(a file without newlines, a pretty-printer gone wrong, a hostile upload) and reading it whole could take
gigabytes."""

UTF8_BOM = codecs.BOM_UTF8

# Leading bytes of files that are not UTF-8 text: compressed archives and other Unicode encodings.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip-compressed: decompress it first (gunzip)"),
    (b"BZh", "bzip2-compressed: decompress it first (bunzip2)"),
    (b"\xfd7zXZ\x00", "xz-compressed: decompress it first (unxz)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed: decompress it first (unzstd)"),
    (b"PK\x03\x04", "a zip archive: extract the .jsonl file from it first"),
    (codecs.BOM_UTF32_LE, "UTF-32 text: save it as UTF-8"),
    (codecs.BOM_UTF32_BE, "UTF-32 text: save it as UTF-8"),
    (codecs.BOM_UTF16_LE, "UTF-16 text: save it as UTF-8"),
    (codecs.BOM_UTF16_BE, "UTF-16 text: save it as UTF-8"),
)
_SNIFF_BYTES = 4096


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def check_file(path: Path) -> None:
    """Raise :class:`DataError` unless ``path`` is a regular, non-empty UTF-8 text file.

    Parameters
    ----------
    path : pathlib.Path
        An input file (a symbolic link to one is followed).

    Raises
    ------
    DataError
        Naming the file: missing, a broken link, a folder, device or pipe, empty, unreadable,
        compressed, UTF-16/32 text, or holding NUL bytes (binary data).
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise DataError(f"is a broken symbolic link (to {os.readlink(path)})", file=str(path)) from None
        raise DataError("file not found", file=str(path)) from None
    except OSError as exc:  # a link loop, a path through a file...
        raise DataError(f"cannot be read: {exc.strerror}", file=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"is {_kind(info.st_mode)}, not a file", file=str(path))
    if info.st_size == 0:
        raise DataError("file is empty", file=str(path), line=1)
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise DataError(f"cannot be read: {exc.strerror}", file=str(path)) from None
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            raise DataError(f"the file is {what}", file=str(path), line=1)
    if b"\x00" in head:
        line = head[: head.index(b"\x00")].count(b"\n") + 1
        raise DataError(
            "holds NUL bytes: not a UTF-8 text file (binary data, or UTF-16 without a byte-order mark)",
            file=str(path),
            line=line,
        )


def has_bom(path: Path) -> bool:
    """Whether the file starts with a UTF-8 byte-order mark (which Windows editors write)."""
    with open(path, "rb") as fh:
        return fh.read(len(UTF8_BOM)) == UTF8_BOM


def overlong_reason(limit: int = MAX_LINE_BYTES) -> str:
    """The reason given for a line longer than ``limit`` bytes."""
    return (
        f"line is longer than {limit:,} bytes: a JSON-lines file holds one short object per line "
        "(a file without line breaks?)"
    )


def find_overlong_line(path: Path, limit: int = MAX_LINE_BYTES) -> int | None:
    """The 1-based number of the first line longer than ``limit`` bytes, or ``None``.

    Jumps from line break to line break at most ``limit + 1`` bytes ahead on a memory map: with short
    lines each jump reads a page or two, so the whole file is checked in a few probes per MiB and
    bounded memory; a line without a break within ``limit`` bytes is found at its start.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    limit : int
        Longest allowed line in bytes, its line break excluded.
    """
    size = path.stat().st_size
    if size <= limit:
        return None
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        pos = -1  # offset of the last line break seen
        while size - (pos + 1) > limit:
            nxt = data.rfind(b"\n", pos + 1, pos + limit + 2)
            if nxt < 0:
                return _count_breaks(data, pos + 1) + 1
            pos = nxt
    return None


def _count_breaks(data: mmap.mmap, end: int) -> int:
    count, start, step = 0, 0, 8 << 20
    while start < end:
        count += data[start : min(start + step, end)].count(b"\n")
        start += step
    return count


def first_line_is_object(path: Path) -> bool:
    """Whether the first non-blank line is one whole JSON object (a byte-order mark allowed).

    pyarrow's reader crashes the interpreter on some files whose first record is not an object (``null``);
    such a file is read line by line instead, which names the bad line.
    """
    with open(path, "rb") as fh:
        first = True
        while raw := fh.readline(MAX_LINE_BYTES + 1):
            if first and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM) :]
            first = False
            if not raw.strip():
                continue
            try:
                return isinstance(json.loads(raw), dict)
            except (ValueError, RecursionError):
                return False
    return False
