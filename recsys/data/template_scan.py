"""The compiled scanner of :mod:`recsys.data.template_read`: lines in the layout every release is written in.

A release's ``sessions.jsonl`` is written by ``json.dumps`` with its default separators and the fields in
one order::

    {"session_id": 124, "timestamp": "2023-07-10T19:34:04.547000", "user_id": 101, "track_id": "4YPgT",
     "event_type": "play"}

(one line each).

:func:`scan_lines` reads such lines into typed columns at a few cycles a byte, in C
(``template_scan.c``, built by ``make install`` into ``_template_scan.so`` and called through ctypes,
which releases the GIL).
It accepts a line only when the general reader (pyarrow's JSON reader with the release's types, see
:mod:`recsys.data.loading`) would read it to the very same values, and stops at the first line it does
not accept, so that the caller hands the whole file to the general reader:

* ``session_id``: an integer of at most 18 digits, no leading zero, optional ``-`` (never ``null``);
* ``timestamp``: ``YYYY-MM-DDTHH:MM:SS`` with an optional fraction of 1-6 digits, a real date in years
  1970-9999, no zone (kept as milliseconds since 1970, the fraction cut as the general reader cuts it);
* ``user_id``: such an integer or ``null``;
* ``track_id``, ``event_type``: a string of printable ASCII without ``"`` or ``\\``, or ``null``;
* one line break (``\\n``) after each line, none after the file's last line allowed; no blank line.

Without the built library (:func:`available` is false) the caller reads every file with the general
reader: the same result, about twice the time at 10 million lines.
"""

from __future__ import annotations

import ctypes
from functools import cache
from pathlib import Path

import numpy as np

__all__ = [
    "LIBRARY",
    "MIN_LINE_BYTES",
    "Columns",
    "Words",
    "available",
    "last_line_break",
    "line_breaks",
    "new_columns",
    "new_words",
    "scan_lines",
]

#: The built scanner (``make install``: ``cc -O2 -shared -fPIC template_scan.c``).
LIBRARY = Path(__file__).with_name("_template_scan.so")

#: The shortest line the template accepts (its line break excluded): a bound on the rows of a block.
MIN_LINE_BYTES = len(b'{"session_id": 0, "timestamp": "1970-01-01T00:00:00", "user_id": 0, '
                     b'"track_id": null, "event_type": null}')  # fmt: skip

#: ``session``, ``millis``, ``user`` (int64) and ``user_valid`` (bool), one row a line.
Columns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
#: A text column: ``offsets`` (int32; a block's count from its text start, and a block has one more
#: than it has rows), ``text`` (uint8; a block's from its first byte's offset in the file on: a value is
#: never longer than its line) and ``valid`` (bool, one a row).
Words = tuple[np.ndarray, np.ndarray, np.ndarray]

_I64, _PTR = ctypes.c_int64, ctypes.c_void_p


def new_columns(rows: int) -> Columns:
    """Empty :data:`Columns` for ``rows`` lines (untouched memory: pages never written cost nothing)."""
    return tuple(np.empty(rows, kind) for kind in (np.int64, np.int64, np.int64, np.bool_))  # type: ignore[return-value]


def new_words(rows: int, blocks: int, size: int) -> Words:
    """Empty :data:`Words` for ``rows`` lines in ``blocks`` blocks of a file of ``size`` bytes."""
    return np.empty(rows + blocks, np.int32), np.empty(size, np.uint8), np.empty(rows, np.bool_)


@cache
def _library() -> ctypes.CDLL | None:
    if not LIBRARY.is_file():
        return None
    library = ctypes.CDLL(str(LIBRARY))
    library.scan_lines.restype = _I64
    library.scan_lines.argtypes = [_PTR, _I64, ctypes.c_int32, _I64, _I64, _I64, _I64] + [_PTR] * 12
    for name in ("line_breaks", "last_line_break"):
        getattr(library, name).restype = _I64
        getattr(library, name).argtypes = [_PTR, _I64]
    return library


def available() -> bool:
    """Whether the scanner is built (``make install``)."""
    return _library() is not None


def _built() -> ctypes.CDLL:
    library = _library()
    if library is None:
        raise RuntimeError(f"the sessions scanner is not built ({LIBRARY}): run `make install`")
    return library


def scan_lines(
    buf: np.ndarray, end: int, last: bool, first_row: int, first_slot: int, text_start: int,
    columns: Columns, tracks: Words, events: Words,
) -> tuple[int, int]:  # fmt: skip
    """Read the lines of ``buf[:end]`` into the columns from row ``first_row`` on (without the GIL).

    Parameters
    ----------
    buf : numpy.ndarray of uint8
        Whole lines, each ending with ``\\n``; the last may lack it when ``last`` (the file's end).
    end : int
        Bytes of ``buf`` to read.
    last : bool
        ``buf`` ends the file.
    first_row, first_slot, text_start : int
        Where this block's rows, its text offsets and its text start in the outputs. The offsets count
        from the block's text start (``offsets[first_slot] = 0``); a block has one offset more than
        rows, so ``first_slot`` is ``first_row`` plus the number of blocks before it.
    columns : Columns
        The value columns (:func:`new_columns`).
    tracks, events : Words
        The two text columns (:func:`new_words`).

    Returns
    -------
    (rows, off) : tuple of int
        Lines read, and ``-1`` when all were in the template, else the byte offset of the first line
        that is not (the caller then reads the file with the general reader).
    """
    # The C code writes within the room it is given: rows, offsets and text (the smaller of the two
    # text columns'), each checked as it goes; the arrays must be what new_columns/new_words make.
    parts = (*columns, *tracks, *events)
    kinds = (
        np.int64,
        np.int64,
        np.int64,
        np.bool_,
        np.int32,
        np.uint8,
        np.bool_,
        np.int32,
        np.uint8,
        np.bool_,
    )
    if (
        end > len(buf)
        or buf.dtype != np.uint8
        or not buf.flags.c_contiguous
        or any(
            part.dtype != kind or not part.flags.c_contiguous for part, kind in zip(parts, kinds, strict=True)
        )
        or any(len(part) < len(columns[0]) for part in (*columns, tracks[2], events[2]))
    ):
        raise ValueError("the scanner's buffer or outputs are not of the kind it writes")
    room = np.array([min(len(tracks[0]), len(events[0])), min(len(tracks[1]), len(events[1]))], np.int64)
    off = ctypes.c_int64(0)
    rows = _built().scan_lines(
        buf.ctypes.data, end, int(last), first_row, first_slot, text_start, len(columns[0]), room.ctypes.data,
        *(part.ctypes.data for part in parts), ctypes.addressof(off),
    )  # fmt: skip
    return int(rows), int(off.value)


def line_breaks(buf: np.ndarray, end: int) -> int:
    """The number of ``\\n`` in ``buf[:end]``."""
    return int(_built().line_breaks(buf.ctypes.data, min(end, len(buf))))


def last_line_break(buf: np.ndarray, end: int) -> int:
    """The offset of the last ``\\n`` in ``buf[:end]``, or -1."""
    return int(_built().last_line_break(buf.ctypes.data, min(end, len(buf))))
