"""The compiled scanner of :mod:`recsys.data.template_read`: lines in the layout every release is written in.

A release's ``sessions.jsonl`` is written by ``json.dumps`` with its default separators and the fields in
one order::

    {"session_id": 124, "timestamp": "2023-07-10T19:34:04.547000", "user_id": 101, "track_id": "4YPgT",
     "event_type": "play"}

(one line each).

:func:`scan_lines` reads such lines into typed columns at a few cycles a byte, without the GIL (numba).
It accepts a line only when the general reader (pyarrow's JSON reader with the release's types, see
:mod:`recsys.data.loading`) would read it to the very same values, and stops at the first line it does
not accept, so that the caller hands the whole file to the general reader:

* ``session_id``: an integer of at most 18 digits, no leading zero, optional ``-`` (never ``null``);
* ``timestamp``: ``YYYY-MM-DDTHH:MM:SS`` with an optional fraction of 1-6 digits, a real date in years
  1970-9999, no zone (kept as milliseconds since 1970, the fraction cut as the general reader cuts it);
* ``user_id``: such an integer or ``null``;
* ``track_id``, ``event_type``: a string of printable ASCII without ``"`` or ``\\``, or ``null``;
* one line break (``\\n``) after each line, none after the file's last line allowed; no blank line.

The numba functions compile on their first call and are cached beside this module (``cache=True``), so
a process pays the compilation once per installation (``make install`` warms it).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "MIN_LINE_BYTES",
    "Columns",
    "Words",
    "last_line_break",
    "line_breaks",
    "new_columns",
    "new_words",
    "scan_lines",
]

_K_SESSION = np.frombuffer(b'{"session_id": ', dtype=np.uint8)
_K_TIME = np.frombuffer(b', "timestamp": "', dtype=np.uint8)
_K_USER = np.frombuffer(b'", "user_id": ', dtype=np.uint8)
_K_TRACK = np.frombuffer(b', "track_id": ', dtype=np.uint8)
_K_EVENT = np.frombuffer(b', "event_type": ', dtype=np.uint8)
_NULL = np.frombuffer(b"null", dtype=np.uint8)

#: The shortest line the template accepts (its line break excluded): a bound on the rows of a block.
MIN_LINE_BYTES = len(b'{"session_id": 0, "timestamp": "1970-01-01T00:00:00", "user_id": 0, '
                     b'"track_id": null, "event_type": null}')  # fmt: skip

_OFF = -1  # a parser's answer for "not the template here"

#: ``session``, ``millis``, ``user`` (int64) and ``user_valid`` (bool), one row a line.
Columns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
#: A text column: ``offsets`` (int32; a block's count from its text start, and a block has one more
#: than it has rows), ``text`` (uint8; a block's from its first byte's offset in the file on: a value is
#: never longer than its line) and ``valid`` (bool, one a row).
Words = tuple[np.ndarray, np.ndarray, np.ndarray]


def new_columns(rows: int) -> Columns:
    """Empty :data:`Columns` for ``rows`` lines (untouched memory: pages never written cost nothing)."""
    return tuple(np.empty(rows, kind) for kind in (np.int64, np.int64, np.int64, np.bool_))  # type: ignore[return-value]


def new_words(rows: int, blocks: int, size: int) -> Words:
    """Empty :data:`Words` for ``rows`` lines in ``blocks`` blocks of a file of ``size`` bytes."""
    return np.empty(rows + blocks, np.int32), np.empty(size, np.uint8), np.empty(rows, np.bool_)


@numba.njit(nogil=True, cache=True)
def _literal(buf: np.ndarray, p: int, end: int, key: np.ndarray) -> int:
    m = key.shape[0]
    if p + m > end:
        return _OFF
    for i in range(m):
        if buf[p + i] != key[i]:
            return _OFF
    return p + m


@numba.njit(nogil=True, cache=True)
def _integer(buf: np.ndarray, p: int, end: int, out: np.ndarray, row: int) -> int:
    # JSON's integer without a leading zero; 18 digits always fit in int64.
    negative = p < end and buf[p] == 45  # "-"
    if negative:
        p += 1
    start, value = p, 0
    while p < end and 48 <= buf[p] <= 57 and p - start < 19:
        value = value * 10 + (buf[p] - 48)
        p += 1
    digits = p - start
    if digits == 0 or digits > 18 or (buf[start] == 48 and (digits > 1 or negative)):
        return _OFF
    out[row] = -value if negative else value
    return p


@numba.njit(nogil=True, cache=True)
def _digits(buf: np.ndarray, p: int, count: int) -> int:
    value = 0
    for i in range(count):
        c = buf[p + i]
        if c < 48 or c > 57:
            return _OFF
        value = value * 10 + (c - 48)
    return value


@numba.njit(nogil=True, cache=True)
def _days(year: int, month: int, day: int) -> int:
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    year -= 1 if month <= 2 else 0
    era = year // 400
    yoe = year - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


@numba.njit(nogil=True, cache=True)
def _time(buf: np.ndarray, p: int, end: int, out: np.ndarray, row: int) -> int:
    if p + 19 > end:
        return _OFF
    if buf[p + 4] != 45 or buf[p + 7] != 45 or buf[p + 10] != 84 or buf[p + 13] != 58 or buf[p + 16] != 58:
        return _OFF  # "-", "-", "T", ":", ":"
    year, month, day = _digits(buf, p, 4), _digits(buf, p + 5, 2), _digits(buf, p + 8, 2)
    hour, minute, second = _digits(buf, p + 11, 2), _digits(buf, p + 14, 2), _digits(buf, p + 17, 2)
    if year < 1970 or month < 1 or month > 12 or day < 1 or hour < 0 or hour > 23:
        return _OFF  # (a negative part is a non-digit)
    if minute < 0 or minute > 59 or second < 0 or second > 59:
        return _OFF
    if month == 2:
        last = 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    elif month == 4 or month == 6 or month == 9 or month == 11:
        last = 30
    else:
        last = 31
    if day > last:
        return _OFF
    p += 19
    millis, digits = 0, 0
    if p < end and buf[p] == 46:  # "."
        p += 1
        while p < end and 48 <= buf[p] <= 57:
            if digits < 3:
                millis = millis * 10 + (buf[p] - 48)
            digits += 1
            p += 1
        if digits == 0 or digits > 6:
            return _OFF
        for _ in range(digits, 3):
            millis *= 10
    out[row] = (((_days(year, month, day) * 24 + hour) * 60 + minute) * 60 + second) * 1000 + millis
    return p


@numba.njit(nogil=True, cache=True)
def _word(buf: np.ndarray, p: int, end: int, row: int, words: Words, slot: int, base: int) -> int:
    """A string (copied to the block's text) or ``null``."""
    offsets, text, valid = words
    at = offsets[slot]
    if p < end and buf[p] == 34:  # '"'
        p += 1
        while p < end and buf[p] != 34:
            c = buf[p]
            if c < 32 or c > 126 or c == 92:  # control, non-ASCII or an escape: the general reader's
                return _OFF
            text[base + at] = c
            at += 1
            p += 1
        if p >= end:
            return _OFF
        valid[row] = True
        offsets[slot + 1] = at
        return p + 1
    valid[row] = False
    offsets[slot + 1] = at
    return _literal(buf, p, end, _NULL)


@numba.njit(nogil=True, cache=True)
def scan_lines(
    buf: np.ndarray, end: int, last: bool, first_row: int, first_slot: int, text_start: int,
    session: np.ndarray, millis: np.ndarray, user: np.ndarray, user_valid: np.ndarray,
    tracks: Words, events: Words,
) -> tuple[int, int]:  # fmt: skip
    """Read the lines of ``buf[:end]`` into the columns from row ``first_row`` on.

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
    session, millis, user, user_valid
        The :data:`Columns`.
    tracks, events
        The two text columns' :data:`Words`.

    Returns
    -------
    (rows, off) : tuple of int
        Lines read, and ``-1`` when all were in the template, else the byte offset of the first line
        that is not (the caller then reads the file with the general reader).
    """
    row = first_row
    tracks[0][first_slot] = 0
    events[0][first_slot] = 0
    shift = first_slot - first_row
    capacity = session.shape[0]
    p = 0
    while p < end:
        start = p
        if row >= capacity:
            return row - first_row, start
        p = _literal(buf, p, end, _K_SESSION)
        if p >= 0:
            p = _integer(buf, p, end, session, row)
        if p >= 0:
            p = _literal(buf, p, end, _K_TIME)
        if p >= 0:
            p = _time(buf, p, end, millis, row)
        if p >= 0:
            p = _literal(buf, p, end, _K_USER)
        if p >= 0:
            if p < end and buf[p] == 110:  # "n"
                p = _literal(buf, p, end, _NULL)
                user[row] = 0
                user_valid[row] = False
            else:
                p = _integer(buf, p, end, user, row)
                user_valid[row] = True
        if p >= 0:
            p = _literal(buf, p, end, _K_TRACK)
        if p >= 0:
            p = _word(buf, p, end, row, tracks, row + shift, text_start)
        if p >= 0:
            p = _literal(buf, p, end, _K_EVENT)
        if p >= 0:
            p = _word(buf, p, end, row, events, row + shift, text_start)
        if p < 0 or p >= end or buf[p] != 125:  # "}"
            return row - first_row, start
        p += 1
        if p < end:
            if buf[p] != 10:
                return row - first_row, start
            p += 1
        elif not last:
            return row - first_row, start
        row += 1
    return row - first_row, _OFF


@numba.njit(nogil=True, cache=True)
def line_breaks(buf: np.ndarray, end: int) -> int:
    """The number of ``\n`` in ``buf[:end]`` (without numpy's temporary mask of the block)."""
    count = 0
    for p in range(end):
        count += buf[p] == 10
    return count


@numba.njit(nogil=True, cache=True)
def last_line_break(buf: np.ndarray, end: int) -> int:
    """The offset of the last ``\\n`` in ``buf[:end]``, or -1."""
    for p in range(end - 1, -1, -1):
        if buf[p] == 10:
            return p
    return -1
