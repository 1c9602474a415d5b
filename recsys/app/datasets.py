"""Saving an uploaded dataset: validated by the pipeline, and only then put in place.

An upload is written and prepared in hidden temporary folders first and only renamed into place
(``<data root>/<name>`` and its prepared folder, :func:`recsys.app.workspace.prepared_folder`) once the
pipeline accepted it, so a bad file leaves nothing half-written. The dataset list and the name rule are
the workspace's.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from recsys.app.workspace import (
    OPTIONAL_FILES,
    REQUIRED_FILES,
    DatasetInfo,
    check_name,
    dataset_info,
    prepared_folder,
)
from recsys.data.prepare import prepare
from recsys.errors import ConfigError, DataError

__all__ = ["DEFAULT_MAX_BYTES", "save_uploaded_dataset"]

DEFAULT_MAX_BYTES = 500 * 2**20
"""Largest accepted uploaded file (500 MiB: a real release's ``sessions.jsonl`` is about 300 MiB)."""


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
        The new dataset's folder name (see :func:`recsys.app.workspace.check_name`); it must not exist yet.
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
    name = check_name(name, "dataset")
    root = Path(root)
    target, processed = root / name, prepared_folder(name, root)
    if target.exists():
        raise ConfigError(f"a dataset named {name!r} already exists in {root}")
    _check_files(files, max_bytes)

    token = uuid.uuid4().hex[:8]
    tmp_raw = root / f".upload-{name}-{token}"
    tmp_out = root / f".upload-{name}-{token}-prepared"
    prepare_fn = prepare_fn if prepare_fn is not None else prepare
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
