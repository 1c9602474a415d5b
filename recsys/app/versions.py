"""Cheap version tokens of files and folders: cache keys that change whenever the files are rewritten.

The dashboard caches loaded data, models and tables across re-runs; keying each cache on these tokens
(modification times, read with one ``stat`` each) makes a rewritten file load again without reading it
to find out.
"""

from __future__ import annotations

from pathlib import Path

from recsys.data.prepared import MANIFEST_FILE

__all__ = ["file_version", "folder_listing", "prepared_version"]


def file_version(path: str | Path) -> int:
    """A file's modification time in nanoseconds.

    Parameters
    ----------
    path : str or pathlib.Path
        Any file.

    Returns
    -------
    int
        ``st_mtime_ns``, or 0 when the file is missing or unreadable.
    """
    try:
        return Path(path).stat().st_mtime_ns
    except OSError:
        return 0


def folder_listing(folder: str | Path, pattern: str = "*") -> tuple[tuple[str, int], ...]:
    """The files of ``folder`` matching ``pattern`` with their versions, by name.

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder (a missing one lists nothing).
    pattern : str
        A glob pattern, e.g. ``"*.pt"``.

    Returns
    -------
    tuple of (str, int)
        ``(file name, file_version)`` pairs: equal listings mean no file was added, removed or rewritten.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return ()
    return tuple(sorted((p.name, file_version(p)) for p in folder.glob(pattern)))


def prepared_version(folder: str | Path) -> str:
    """A token of a prepared folder that changes whenever it is rewritten (its manifest's version).

    The preparation pipeline swaps in a whole new folder, manifest included, so a new manifest means new
    tables.
    """
    return str(file_version(Path(folder) / MANIFEST_FILE))
