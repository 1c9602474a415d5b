"""Atomic writes and writer locks: the one owner of "a crash never leaves a half-written file or folder".

Every writer of the project (model files, prepared tables, the diagnosis cache, uploads) goes through
these helpers: content is written under a hidden temporary name in the target's own folder, flushed to
disk, then renamed over the target with ``os.replace`` (atomic on POSIX), and the temporary is removed
whatever happens.

Two writers of the same target are kept apart by :func:`file_lock`: an exclusive ``flock`` on a hidden
``.<name>.lock`` file beside the target, held from the writer's first check (is the output up to date?)
to its last rename. Whoever takes the lock also removes what killed writers of that target left behind
(:func:`remove_stale`): a process killed by SIGKILL runs no ``finally`` block, so its temporary files and
staging folders would otherwise stay for ever. The names of those leftovers are made here and only here:

* ``.<name>.<8 random chars>.tmp`` — :func:`atomic_file`;
* ``.<name>.<purpose>-<8 random chars>`` — :func:`staging_dir` with ``prefix="<name>.<purpose>"``;
* ``.<name>.old-<pid>-<8 hex>`` — the previous folder during :func:`swap_dir`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import functools
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from recsys.errors import BusyError

__all__ = [
    "LOCK_SUFFIX",
    "atomic_file",
    "atomic_write_bytes",
    "atomic_write_text",
    "file_lock",
    "fsync_dir",
    "kept_folder",
    "lock_path",
    "remove_stale",
    "stale_paths",
    "staging_dir",
    "swap_dir",
]

LOCK_SUFFIX = ".lock"
"""Suffix of the hidden lock file ``.<name>.lock`` beside a locked target."""

_POLL_SECONDS = 0.05
# Locks this process holds, per thread: a writer that holds its target's lock may call another writer of
# the same target (training holds the model file's lock, then ``save`` takes it again) without blocking
# on itself. Another thread of the same process takes its own flock, so threads are kept apart too.
_HELD = threading.local()


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

    On Linux the two folders are exchanged in one atomic ``renameat2(RENAME_EXCHANGE)``, so a reader
    sees the old folder or the new one at every instant. Where that call is missing, the old folder is
    first renamed aside (``.<name>.old-...``) and the new one renamed in; a crash between the two
    renames leaves no ``target``, and the next writer holding :func:`file_lock` puts the old folder back
    (:func:`remove_stale`). The old folder is then removed.
    """
    if target.exists() and _exchange(staged, target):
        fsync_dir(target.parent)
        shutil.rmtree(staged, ignore_errors=True)  # it now holds the old folder
        return
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


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        return libc.renameat2  # glibc 2.28+
    except (OSError, AttributeError, TypeError):
        return None


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths; ``False`` where the system cannot (the caller falls back)."""
    call = _renameat2()
    if call is None:
        return False
    result = call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # old kernel or a file system without the flag
    raise OSError(code, os.strerror(code), str(b))


# -- writer locks ----------------------------------------------------------------------------------
def lock_path(target: str | os.PathLike[str]) -> Path:
    """The lock file of ``target``: ``.<name>.lock`` in the target's folder."""
    target = Path(target)
    return target.parent / f".{target.name}{LOCK_SUFFIX}"


def _held() -> dict[str, int]:
    if not hasattr(_HELD, "locks"):
        _HELD.locks = {}
    return _HELD.locks


def _holder(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _try_lock(path: Path) -> int | None:
    """An fd holding the exclusive lock on ``path``, or ``None`` when another holder has it.

    The holder unlinks the lock file when it is done, so a lock taken on a file that has since been
    unlinked (or replaced) is worthless: it is dropped and taken again on the file now at ``path``.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


@contextmanager
def file_lock(
    target: str | os.PathLike[str],
    *,
    timeout: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
    clean: bool = True,
) -> Iterator[Path]:
    """Hold the exclusive writer lock of ``target`` (a file or folder, which need not exist).

    Parameters
    ----------
    target : path-like
        What is about to be written. The lock is the file ``.<name>.lock`` beside it (its folder is
        created when missing); it holds the holder's pid and is removed on release.
    timeout : float, default 0
        Seconds to wait for another holder to finish; 0 gives up at once.
    on_wait : callable, optional
        Called once with a message (naming the holder's pid) when the lock is busy and this call waits.
    clean : bool, default True
        Once the lock is held, remove what killed writers of ``target`` left behind
        (:func:`remove_stale`).

    Yields
    ------
    pathlib.Path
        The lock file.

    Raises
    ------
    BusyError
        Still held by another process (or thread) after ``timeout`` seconds, naming its pid.
    OSError
        The lock file cannot be created (a read-only folder...).

    Notes
    -----
    Re-entrant within one thread: a writer holding the lock may call another writer of the same target.
    ``flock`` locks are released by the kernel when their process dies, so a SIGKILL never leaves a
    target locked; only the (empty of meaning) lock file stays until the next holder removes it.
    """
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.parent.resolve() / path.name)
    held = _held()
    if held.get(key):
        held[key] += 1
        try:
            yield path
        finally:
            held[key] -= 1
        return
    started = time.monotonic()
    fd = _try_lock(path)
    told = False
    while fd is None:
        waited = time.monotonic() - started
        if waited >= timeout:
            raise BusyError(str(target), _holder(path), waited if timeout > 0 else 0.0)
        if on_wait is not None and not told:
            pid = _holder(path)
            holder = f"pid {pid}" if pid is not None else "another process"
            on_wait(f"waiting for {holder}, which is writing {target} (up to {timeout:.0f} s)")
            told = True
        time.sleep(min(_POLL_SECONDS, max(timeout - waited, 0.0)))
        fd = _try_lock(path)
    acquired = time.time()
    held[key] = 1
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        if clean:
            remove_stale(target, before=acquired)
        yield path
    finally:
        del held[key]
        # Unlink while still holding the lock: a waiter that opened the old file notices the change of
        # inode after it gets the lock (see _try_lock) and takes the lock on a fresh file instead.
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        os.close(fd)


def _stale_pattern(name: str) -> re.Pattern[str]:
    # The exact shapes made by atomic_file, staging_dir and swap_dir for a target called `name` (see the
    # module docstring), so `wmf.pt` never matches the leftovers of another target like `wmf.pt.x.pt`.
    rand = r"[a-z0-9_]{8}"
    return re.compile(
        rf"^\.{re.escape(name)}\.(?:{rand}\.tmp|[a-z]+-{rand}|old-\d+-[0-9a-f]{{8}})$"
    )


def stale_paths(target: str | os.PathLike[str]) -> list[Path]:
    """Temporary files and folders of writers of ``target`` found beside it (live or not).

    Parameters
    ----------
    target : path-like
        A file or folder written through this module.

    Returns
    -------
    list of pathlib.Path
        Sorted by name.
    """
    target = Path(target)
    if not target.parent.is_dir():
        return []
    pattern = _stale_pattern(target.name)
    return sorted(p for p in target.parent.iterdir() if pattern.match(p.name))


def remove_stale(target: str | os.PathLike[str], *, before: float | None = None) -> list[Path]:
    """Remove the leftovers of killed writers of ``target``; call it holding :func:`file_lock`.

    Only what is older than ``before`` (a ``time.time()``, by default now) is removed: every writer of
    ``target`` holds the lock, so whatever was made before the current holder took it belongs to a
    writer that is gone. When a crash between the two renames of :func:`swap_dir`'s fallback left no
    ``target`` but its previous folder, that folder is put back instead of removed.

    Parameters
    ----------
    target : path-like
        The target whose leftovers go.
    before : float, optional
        Modification-time limit (seconds since the epoch).

    Returns
    -------
    list of pathlib.Path
        What was removed (a restored folder is not listed).
    """
    target = Path(target)
    limit = time.time() if before is None else before
    removed: list[Path] = []
    for path in stale_paths(target):
        try:
            if path.lstat().st_mtime >= limit:
                continue
            if ".old-" in path.name and not os.path.lexists(target):
                os.replace(path, target)  # the previous complete folder: back in place
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed


T = TypeVar("T")


def kept_folder(
    target: Path,
    key: dict[str, Any],
    compute: Callable[[], T],
    read: Callable[[Path, dict[str, Any]], T | None],
    write: Callable[[T, Path], dict[str, Any]],
    *,
    meta: str,
) -> T:
    """``compute()``, kept in the folder ``target`` under ``key`` and read back while the key matches.

    The one rule of the folders stored beside prepared data (the diagnosis, the Data page's overview,
    the pages' stored views): ``target / meta`` is a JSON object whose ``key`` says what the folder was
    computed for. When it matches, ``read(target, payload)`` answers (None, a missing or unreadable
    folder: computed again). Otherwise the value is computed and ``write(value, staging folder)`` lays
    its files, returning what the meta file holds beside the key; the staging folder is then swapped in
    whole (:func:`swap_dir`), so a reader never sees half of it. A folder that cannot be written (a
    read-only release) is only not kept.

    Parameters
    ----------
    target : pathlib.Path
        The kept folder.
    key : dict
        JSON values naming what the folder holds (a data fingerprint, a format, settings).
    compute : callable
        Makes the value.
    read : callable
        ``read(target, payload) -> value or None``; may raise ``OSError``, ``ValueError``,
        ``KeyError`` or ``TypeError`` on a damaged folder.
    write : callable
        ``write(value, folder) -> dict``: the value's files in ``folder``, and the meta file's other
        entries.
    meta : str
        Name of the meta file in the folder.

    Returns
    -------
    object
        The value read back, or computed.
    """
    try:
        payload = json.loads((target / meta).read_text())
        if isinstance(payload, dict) and payload.get("key") == key:
            value = read(target, payload)
            if value is not None:
                return value
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing, stale or damaged: computed again
    value = compute()
    try:
        with staging_dir(target.parent, target.name) as staged:
            extra = write(value, staged)
            (staged / meta).write_text(json.dumps({"key": key, **extra}))
            swap_dir(staged, target)
    except OSError:
        pass  # a read-only folder: the value is still right, only not kept
    return value
