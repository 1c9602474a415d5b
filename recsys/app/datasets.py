"""The dataset folders under the data root: listing them, their status, and saving uploaded ones.

A dataset is a folder ``<root>/<name>/`` of Pozytywka JSON-lines files; its prepared tables live in
``<root>/processed/<name>/``. An upload is written and prepared in hidden temporary folders first and
only renamed into place once the pipeline accepted it, so a bad file leaves nothing half-written.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recsys.errors import ConfigError, DataError

__all__ = [
    "REQUIRED_FILES",
    "OPTIONAL_FILES",
    "PROCESSED_DIR",
    "DEFAULT_MAX_BYTES",
    "DatasetInfo",
    "prepared_dir",
    "dataset_info",
    "list_datasets",
    "check_dataset_name",
    "save_uploaded_dataset",
]

REQUIRED_FILES: tuple[str, ...] = ("sessions.jsonl", "tracks.jsonl", "users.jsonl", "artists.jsonl")
OPTIONAL_FILES: tuple[str, ...] = ("track_storage.jsonl",)
PROCESSED_DIR = "processed"
DEFAULT_MAX_BYTES = 500 * 2**20
"""Largest accepted uploaded file (500 MiB: a real release's ``sessions.jsonl`` is about 300 MiB)."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset folder and its state.

    Attributes
    ----------
    name : str
        Folder name.
    path : pathlib.Path
        The raw folder.
    missing : tuple of str
        Required files that are absent (empty when the folder is complete).
    prepared : bool
        Whether its prepared folder has a manifest.
    prepared_path : pathlib.Path
        Where its prepared tables are (or will be).
    fingerprint : str or None
        The prepared data's fingerprint, from the manifest.
    size_bytes : int
        Total size of its JSON-lines files.
    """

    name: str
    path: Path
    missing: tuple[str, ...]
    prepared: bool
    prepared_path: Path
    fingerprint: str | None
    size_bytes: int

    @property
    def status(self) -> str:
        """``"incomplete"`` (required files missing), ``"prepared"`` or ``"raw"``."""
        if self.missing:
            return "incomplete"
        return "prepared" if self.prepared else "raw"


def prepared_dir(dataset: str | Path, root: str | Path | None = None) -> Path:
    """The prepared folder of a dataset: ``<root>/processed/<name>`` (root: the dataset's parent)."""
    dataset = Path(dataset)
    return Path(root if root is not None else dataset.parent) / PROCESSED_DIR / dataset.name


def _manifest_fingerprint(folder: Path) -> tuple[bool, str | None]:
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return False, None
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False, None
    value = data.get("fingerprint") if isinstance(data, dict) else None
    return True, str(value) if value is not None else None


def dataset_info(folder: str | Path, root: str | Path | None = None) -> DatasetInfo:
    """Describe one dataset folder (files present, prepared or not, fingerprint)."""
    folder = Path(folder)
    processed = prepared_dir(folder, root)
    prepared, fingerprint = _manifest_fingerprint(processed)
    files = [folder / n for n in (*REQUIRED_FILES, *OPTIONAL_FILES)]
    return DatasetInfo(
        name=folder.name,
        path=folder,
        missing=tuple(n for n in REQUIRED_FILES if not (folder / n).is_file()),
        prepared=prepared,
        prepared_path=processed,
        fingerprint=fingerprint,
        size_bytes=sum(p.stat().st_size for p in files if p.is_file()),
    )


def list_datasets(root: str | Path) -> list[DatasetInfo]:
    """The dataset folders directly under ``root``, by name.

    A folder counts when it holds at least one of the required files; ``processed/`` and hidden
    folders (temporary uploads) are skipped. A missing root holds no datasets.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or folder.name == PROCESSED_DIR or folder.name.startswith("."):
            continue
        if any((folder / n).is_file() for n in REQUIRED_FILES):
            found.append(dataset_info(folder, root))
    return found


def check_dataset_name(name: str) -> str:
    """Return ``name`` stripped if it is a usable folder name.

    Raises
    ------
    ConfigError
        Empty, reserved (``processed``), or not made of letters, digits, ``_``, ``-``, ``.``
        (at most 64, starting with a letter or digit).
    """
    clean = (name or "").strip()
    if not _NAME.match(clean) or clean == PROCESSED_DIR:
        raise ConfigError(
            f"dataset name {name!r} is not allowed: use letters, digits, '_', '-' or '.', "
            f"starting with a letter or digit, at most 64 characters (not {PROCESSED_DIR!r})"
        )
    return clean


def save_uploaded_dataset(
    files: Mapping[str, bytes],
    root: str | Path,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Callable[..., None] | None = None,
    prepare_fn: Callable[..., Any] | None = None,
) -> DatasetInfo:
    """Validate uploaded JSON-lines files through the pipeline and save them as ``<root>/<name>/``.

    The files are written to a hidden temporary folder and prepared into another; only when the
    pipeline accepts them are both renamed into place (``<root>/<name>`` and
    ``<root>/processed/<name>``). On any error both temporary folders are removed.

    Parameters
    ----------
    files : mapping of str to bytes
        File name (``sessions.jsonl``...) -> content. The four required files must be present;
        ``track_storage.jsonl`` is optional.
    root : path
        The data root.
    name : str
        The new dataset's folder name (see :func:`check_dataset_name`); it must not exist yet.
    max_bytes : int
        Largest accepted size of one file.
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
    DataError
        A missing, unexpected, empty or too large file, or whatever the pipeline rejects (its
        message names the file, line and field).
    """
    name = check_dataset_name(name)
    root = Path(root)
    target, processed = root / name, prepared_dir(name, root)
    if target.exists():
        raise ConfigError(f"a dataset named {name!r} already exists in {root}")
    _check_files(files, max_bytes)

    token = uuid.uuid4().hex[:8]
    tmp_raw = root / f".upload-{name}-{token}"
    tmp_out = root / f".upload-{name}-{token}-prepared"
    if prepare_fn is None:
        from recsys.data.prepare import prepare as prepare_fn
    try:
        tmp_raw.mkdir(parents=True)
        for file_name, content in files.items():
            (tmp_raw / file_name).write_bytes(content)
        prepare_fn(tmp_raw, tmp_out, progress=progress)
        # The prepared tables only depend on the files' contents, so they stay valid after the rename.
        processed.parent.mkdir(parents=True, exist_ok=True)
        if processed.exists():  # left over from a dataset of the same name that was deleted
            shutil.rmtree(processed)
        tmp_raw.rename(target)
        tmp_out.rename(processed)
    except BaseException:
        shutil.rmtree(tmp_raw, ignore_errors=True)
        shutil.rmtree(tmp_out, ignore_errors=True)
        if target.exists() and not processed.exists():
            shutil.rmtree(target, ignore_errors=True)
        raise
    return dataset_info(target, root)


def _check_files(files: Mapping[str, bytes], max_bytes: int) -> None:
    allowed = (*REQUIRED_FILES, *OPTIONAL_FILES)
    unknown = sorted(set(files) - set(allowed))
    if unknown:
        raise DataError(f"unexpected file (expected {', '.join(allowed)})", file=unknown[0])
    missing = [n for n in REQUIRED_FILES if n not in files]
    if missing:
        raise DataError(f"required file missing from the upload (need {', '.join(REQUIRED_FILES)})",
                        file=missing[0])
    for file_name, content in files.items():
        if len(content) > max_bytes:
            raise DataError(
                f"file is {len(content) / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB limit",
                file=file_name,
            )
        if not content.strip():
            raise DataError("file is empty", file=file_name)
