"""Saving an uploaded dataset: validated by the pipeline, and only then put in place.

An upload is streamed to disk into a hidden staging folder of the data root, prepared there, and only
renamed into place (``<data root>/<name>`` and its prepared folder,
:func:`recsys.app.workspace.prepared_folder`) once the pipeline accepted it, so a bad file leaves nothing
half-written. Two uploads of the same name never meet: the dataset name's lock
(:func:`recsys.fileio.file_lock` on ``<data root>/<name>``) is held from the "does it exist?" check to
the last rename, and the second upload stops at once with a clear :class:`~recsys.errors.BusyError`;
an upload only ever removes what it created itself. Taking the lock also removes the staging folders
of killed uploads of that name. The dataset list and the name rule are the workspace's.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from recsys.app.workspace import (
    OPTIONAL_FILES,
    REQUIRED_FILES,
    DatasetInfo,
    check_name,
    dataset_info,
    prepared_folder,
)
from recsys.data.prepare import DEFAULT_LOCK_TIMEOUT, prepare
from recsys.errors import ConfigError, DataError
from recsys.fileio import file_lock, fsync_dir, staging_dir, swap_dir

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_TOTAL_BYTES", "Upload", "save_uploaded_dataset"]

DEFAULT_MAX_BYTES = 500 * 2**20
"""Largest accepted uploaded file (500 MiB: a real release's ``sessions.jsonl`` is about 300 MiB)."""

DEFAULT_MAX_TOTAL_BYTES = 1024 * 2**20
"""Largest accepted upload, all files together (1 GiB)."""

Upload = bytes | BinaryIO
"""One uploaded file: its bytes, or a binary file object (Streamlit's ``UploadedFile``), read in chunks."""

_CHUNK = 8 << 20


def save_uploaded_dataset(
    files: Mapping[str, Upload],
    root: str | Path,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    progress: Callable[..., None] | None = None,
    prepare_fn: Callable[..., Any] | None = None,
) -> DatasetInfo:
    """Validate uploaded JSON-lines files through the pipeline and save them as ``<root>/<name>/``.

    The files are streamed to a hidden staging folder and prepared there; only when the pipeline
    accepts them are both folders renamed into place (``<root>/<name>`` and ``<root>/processed/<name>``).
    On any error the staging folder is removed and nothing else was touched.

    Parameters
    ----------
    files : mapping of str to bytes or binary file
        File name (``sessions.jsonl``...) -> content. The four required files must be present;
        ``track_storage.jsonl`` is optional. File objects are copied in 8 MiB chunks, never read whole.
    root : path
        The data root.
    name : str
        The new dataset's folder name (see :func:`recsys.app.workspace.check_name`); it must not exist yet.
    max_bytes : int
        Largest accepted size of one file.
    max_total_bytes : int
        Largest accepted size of all files together.
    progress : callable, optional
        Passed to the pipeline's ``prepare``.
    prepare_fn : callable, optional
        ``prepare(data_dir, out, progress=...)``; default :func:`recsys.data.prepare.prepare`.

    Returns
    -------
    DatasetInfo
        The saved, prepared dataset.

    Raises
    ------
    ConfigError
        Bad or taken name.
    BusyError
        Another upload of the same name is running.
    DataError
        A missing, unexpected, empty or too large file, or whatever the pipeline rejects (its
        message names the file, line and field).
    """
    name = check_name(name, "dataset")
    root = Path(root)
    target, processed = root / name, prepared_folder(name, root)
    if os.path.lexists(target):
        raise ConfigError(f"a dataset named {name!r} already exists in {root}")
    _check_files(files, max_bytes, max_total_bytes)
    prepare_fn = prepare_fn if prepare_fn is not None else prepare
    try:
        return _save_locked(files, root, name, target, processed, max_bytes, max_total_bytes, progress,
                            prepare_fn)
    except OSError as exc:  # a full disk, a data root that cannot be written
        raise DataError(f"cannot save the upload: {exc}", file=str(target)) from None


def _save_locked(
    files: Mapping[str, Upload],
    root: Path,
    name: str,
    target: Path,
    processed: Path,
    max_bytes: int,
    max_total_bytes: int,
    progress: Callable[..., None] | None,
    prepare_fn: Callable[..., Any],
) -> DatasetInfo:
    """:func:`save_uploaded_dataset` under the dataset name's lock."""
    with file_lock(target, timeout=0):
        if os.path.lexists(target):  # made while this upload was checking its files
            raise ConfigError(f"a dataset named {name!r} already exists in {root}")
        with staging_dir(root, f"{name}.upload") as work:
            raw, out = work / "raw", work / "prepared"
            raw.mkdir()
            total = 0
            for file_name, content in files.items():
                total += _write(raw / file_name, content, max_bytes, max_total_bytes - total)
            try:
                prepare_fn(raw, out, progress=progress)
            except DataError as exc:  # name the uploaded file, not the staging path
                shown = Path(exc.file).name if exc.file else None
                raise DataError(exc.reason, file=shown, line=exc.line, field=exc.field) from None
            _put_in_place(raw, out, target, processed)
    return dataset_info(target, root)


def _put_in_place(raw: Path, out: Path, target: Path, processed: Path) -> None:
    """Rename the accepted raw folder to ``target`` (claiming the name), then its prepared folder."""
    os.rename(raw, target)  # fails if something took the name: then nothing of ours is in place
    try:
        with file_lock(processed, timeout=DEFAULT_LOCK_TIMEOUT):
            # The prepared tables only depend on the files' contents, so they stay valid after the
            # rename; a leftover folder of a deleted dataset of the same name is replaced as a whole.
            swap_dir(out, processed)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # ours: renamed above, under the name's lock
        raise
    fsync_dir(target.parent)


def _size(content: Upload) -> int | None:
    if isinstance(content, (bytes, bytearray, memoryview)):
        return len(content)
    size = getattr(content, "size", None)
    if isinstance(size, int):
        return size
    try:
        here = content.tell()
        end = content.seek(0, os.SEEK_END)
        content.seek(here)
        return int(end) - int(here)
    except (AttributeError, OSError, ValueError):
        return None


def _too_big(file_name: str, size: float | None, limit: int, what: str = "the") -> DataError:
    shown = "" if size is None else f"{size / 2**20:.1f} MiB, "
    return DataError(f"file is {shown}over {what} {limit / 2**20:.0f} MiB limit", file=file_name)


def _check_files(files: Mapping[str, Upload], max_bytes: int, max_total_bytes: int) -> None:
    allowed = (*REQUIRED_FILES, *OPTIONAL_FILES)
    unknown = sorted(set(files) - set(allowed))
    if unknown:
        raise DataError(f"unexpected file (expected {', '.join(allowed)})", file=unknown[0])
    missing = [n for n in REQUIRED_FILES if n not in files]
    if missing:
        raise DataError(f"required file missing from the upload (need {', '.join(REQUIRED_FILES)})",
                        file=missing[0])
    total = 0
    for file_name, content in files.items():
        size = _size(content)
        if size is None:
            continue  # counted while it is written
        if size > max_bytes:
            raise _too_big(file_name, size, max_bytes)
        total += size
        if total > max_total_bytes:
            raise _too_big(file_name, total, max_total_bytes, "the upload's total")
        if isinstance(content, (bytes, bytearray, memoryview)) and not bytes(content).strip():
            raise DataError("file is empty", file=file_name)


def _write(path: Path, content: Upload, max_bytes: int, budget: int) -> int:
    """Stream one file to ``path`` in chunks, enforcing the size limits; returns its size."""
    limit = min(max_bytes, budget)
    written, blank = 0, True
    with open(path, "wb") as out:
        if isinstance(content, (bytes, bytearray, memoryview)):
            chunks: Any = (bytes(content),)
        else:
            if hasattr(content, "seek"):
                content.seek(0)
            chunks = iter(lambda: content.read(_CHUNK), b"")
        for chunk in chunks:
            written += len(chunk)
            if written > limit:
                what = "the" if limit == max_bytes else "the upload's total"
                raise _too_big(path.name, None, limit, what)
            blank = blank and not chunk.strip()
            out.write(chunk)
    if blank:
        raise DataError("file is empty", file=path.name)
    return written
