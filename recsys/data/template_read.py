"""The fast path of ``sessions.jsonl``: a file every line of which is in the release's own layout.

Every release (the customer's and the generator's) writes its sessions with ``json.dumps`` in one layout
(:mod:`recsys.data.template_scan`). :func:`read_template` reads such a file with a compiled scanner on
both cores while the main thread reads the file in blocks and hashes it: at 10 million lines about 3.4 s
with the text columns coded, against 7 s for pyarrow's JSON reader alone and 4 s for polars' (see
``benchmarks/results/scale.md``), and it numbers the lines and fingerprints the file in the same pass.
Its first line outside the layout stops it and :func:`~recsys.data.loading.read_sessions` reads the
file with the general reader instead, which names any bad line and field; both give the same table for
a file in the layout (tested line by line).
"""

from __future__ import annotations

import hashlib
import io
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from recsys.data.jsonl import file_stat
from recsys.data.template_scan import (
    MIN_LINE_BYTES,
    Columns,
    Words,
    available,
    last_line_break,
    line_breaks,
    new_columns,
    new_words,
    scan_lines,
)

__all__ = ["TemplateRead", "read_template"]

_BLOCK = 32 << 20  # bytes a scan reads at a time: a few blocks in flight keep both cores busy
_CODED = pa.dictionary(pa.int32(), pa.string())
_BUFFERS = 4  # blocks read ahead (reused: fresh memory costs ~2 s/GB to touch on a VM)
_SPARE = 2 << 20  # room for the part line a block carries into the next (a line is at most 1 MiB)


@dataclass(frozen=True)
class TemplateRead:
    """What :func:`read_template` read.

    Attributes
    ----------
    table : pyarrow.Table
        ``session_id`` (int64), ``timestamp`` (timestamp[ms]), ``user_id`` (int64, nullable),
        ``track_id`` and ``event_type`` (nullable; one dictionary array a block, each coded in order
        of first appearance in its block) and ``line`` (1-based, int64): the columns
        :func:`~recsys.data.loading.read_sessions` finishes (one dictionary, lower-case events).
    fingerprint : dict
        ``size``, ``mtime_ns`` and ``sha256`` of the file as read.
    """

    table: pa.Table
    fingerprint: dict


@dataclass
class _Block:
    """One block of whole lines: where its rows, text offsets and text go, and its coded text columns."""

    first_row: int
    first_slot: int
    rows: int
    text_start: int
    size: int
    track: pa.DictionaryArray | None = None
    event: pa.DictionaryArray | None = None


def read_template(path: Path) -> TemplateRead | None:
    """Read ``sessions.jsonl`` when every line is in the release's layout.

    Parameters
    ----------
    path : pathlib.Path
        The file (already checked to be a readable regular file).

    Returns
    -------
    TemplateRead or None
        ``None`` when the file is empty, a line is outside the layout or the scanner is not built (the
        general reader's work).
    """
    info = file_stat(path)
    size = info["size"]
    if size == 0 or not available():
        return None
    most_rows, most_blocks = size // (MIN_LINE_BYTES + 1) + 1, size // _BLOCK + 2
    columns = new_columns(most_rows)
    digest = hashlib.sha256()
    blocks: list[_Block] = []
    buffers = [np.empty(_BLOCK + _SPARE, np.uint8) for _ in range(min(_BUFFERS, most_blocks))]
    tracks, events = new_words(most_rows, most_blocks, size), new_words(most_rows, most_blocks, size)
    scans: list[Future] = []  # one a block, in file order
    carry, offset, rows = 0, 0, 0  # bytes carried over, buf[0]'s offset in the file, rows so far
    with ThreadPoolExecutor(max_workers=2) as pool, open(path, "rb", buffering=0) as fh:
        while True:
            n = len(scans)  # this block's number: it fills buffer n % len(buffers)
            buf = buffers[n % len(buffers)]
            got = _fill(fh, memoryview(buf)[carry : carry + _BLOCK])
            digest.update(memoryview(buf)[carry : carry + got])
            end, last = carry + got, got < _BLOCK
            if end == 0:
                break
            cut = end if last else last_line_break(buf, end) + 1
            if cut == 0 or end - cut > _SPARE:
                return None  # a line longer than a block's spare room: not the layout
            if not last:
                # the next buffer's earlier scan (block n + 1 - len(buffers)) must end before the carried
                # bytes overwrite it; a line off the layout there ends the read short of the file's end
                earlier = n + 1 - len(buffers)
                if earlier >= 0 and scans[earlier].result() >= 0:
                    break
                buffers[(n + 1) % len(buffers)][: end - cut] = buf[cut:end]
            lines = line_breaks(buf, cut) + int(last and buf[cut - 1] != 10)
            block = _Block(rows, rows + n, lines, offset, cut)
            scans.append(pool.submit(_scan, buf, block, last, columns, tracks, events))
            blocks.append(block)
            rows, offset, carry = rows + lines, offset + cut, end - cut
            if last:
                break
        complete = offset == size and all(scan.result() < 0 for scan in scans)
    if not complete:
        return None
    info["sha256"] = digest.hexdigest()
    session, millis, user, user_valid = (column[:rows] for column in columns)
    table = pa.table(
        {
            "session_id": pa.array(session),
            "timestamp": pa.array(millis).view(pa.timestamp("ms")),
            "user_id": pa.Array.from_buffers(pa.int64(), rows, [_bitmap(user_valid), pa.py_buffer(user)]),
            "track_id": pa.chunked_array([b.track for b in blocks], type=_CODED),
            "event_type": pa.chunked_array([b.event for b in blocks], type=_CODED),
            "line": pa.array(np.arange(1, rows + 1, dtype=np.int64)),
        }
    )
    return TemplateRead(table=table, fingerprint=info)


def _fill(fh: io.RawIOBase, view: memoryview) -> int:
    """Read into ``view`` until it is full or the file ends; the bytes read."""
    got = 0
    while got < len(view) and (step := fh.readinto(view[got:])):
        got += step
    return got


def _scan(buf: np.ndarray, block: _Block, last: bool, columns: Columns, tracks: Words, events: Words) -> int:
    """Scan one block and code its two text columns (on a worker thread, beside the reading); -1 when
    every line was in the layout, else the offset of the first that was not."""
    rows, off = scan_lines(
        buf, block.size, last, block.first_row, block.first_slot, block.text_start, columns, tracks, events
    )
    if off >= 0 or rows != block.rows:
        return max(off, 0)
    block.track = _text(tracks, block).dictionary_encode()
    block.event = _text(events, block).dictionary_encode()
    return -1


def _text(words: Words, block: _Block) -> pa.StringArray:
    """A block's text column, over its own part of the text (an array over the whole buffer would have
    pyarrow's kernels walk, and fault in, all of it for every block)."""
    offsets, text, valid = words
    return pa.StringArray.from_buffers(
        block.rows,
        pa.py_buffer(offsets[block.first_slot : block.first_slot + block.rows + 1]),
        pa.py_buffer(text[block.text_start : block.text_start + block.size]),
        _bitmap(valid[block.first_row : block.first_row + block.rows]),
    )


def _bitmap(valid: np.ndarray) -> pa.Buffer | None:
    """Arrow's validity bitmap of a mask, or ``None`` when every value is there."""
    if valid.all():
        return None
    return pa.py_buffer(np.packbits(valid, bitorder="little"))
