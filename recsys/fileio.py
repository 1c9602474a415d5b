"""Atomic writes: the one owner of "a crash never leaves a half-written file or folder".

Every writer of the project (model files, prepared tables, the diagnosis cache, uploads) goes through
these helpers: content is written under a hidden temporary name in the target's own folder, flushed to
disk, then renamed over the target with ``os.replace`` (atomic on POSIX), and the temporary is removed
whatever happens.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_file", "atomic_write_bytes", "atomic_write_text", "fsync_dir", "staging_dir", "swap_dir"]


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries to disk, so a rename inside it survives a power cut (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a binary handle whose content replaces ``path`` only when the block ends without error.

    Parameters
    ----------
    path : path-like
        The target file; its folder is created when missing.

    Yields
    ------
    BinaryIO
        A handle on a temporary file beside ``path``.

    Raises
    ------
    OSError
        The folder cannot be created or written; the target is then untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_file`) and return the path."""
    with atomic_file(path) as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


@contextmanager
def staging_dir(parent: str | os.PathLike[str], prefix: str) -> Iterator[Path]:
    """A hidden temporary folder in ``parent``, removed when the block fails.

    On success the caller has moved it into place (:func:`swap_dir`); whatever is left is removed.
    """
    folder = Path(parent)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{prefix}-", dir=folder))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def swap_dir(staged: Path, target: Path) -> None:
    """Put the folder ``staged`` in place of ``target`` (which may exist).

    The old folder is first renamed aside, so at every instant ``target`` is either the old folder or the
    new one, never a mix; the old one is then removed.
    """
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{os.urandom(4).hex()}")
        os.replace(target, old)
    try:
        os.replace(staged, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
