"""The saved models in ``model_files/``: a table of their plain metadata, and deletion.

A model file (:mod:`recsys.models.io`) stores its kind, config, training history, data fingerprint,
headline metrics and creation date as plain values beside the tensors. The catalog reads only those
(memory-mapped, with the weights-only loader, so the tensors are never copied into memory), and caches
each file's entry by its modification time and size, so a dashboard re-run does not re-read the folder.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from recsys.app.jobs import get_job
from recsys.app.training import HEADLINE_METRICS
from recsys.app.workspace import model_path
from recsys.errors import ModelError
from recsys.fileio import file_lock
from recsys.models.io import UnreadableModelFile, read_payload

__all__ = [
    "ModelEntry",
    "read_entry",
    "list_models",
    "catalog_table",
    "delete_model",
]


_CACHE: dict[Path, tuple[tuple[float, int], ModelEntry]] = {}
_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelEntry:
    """What the catalog knows about one model file.

    Attributes
    ----------
    name : str
        File name without ``.pt``.
    path : pathlib.Path
        The file.
    kind : str or None
        Model kind (``None`` when the file is unreadable).
    config : dict
        The model's config as plain values.
    fingerprint : str or None
        Fingerprint of the data it was trained on.
    created : str or None
        ISO date and time it was written.
    metrics : dict
        Headline metrics stored with it.
    epochs : int
        Epochs in its training history.
    n_users, n_items : int
        Size of its training matrix.
    size_bytes : int
        File size.
    error : str or None
        Why the file could not be read (the other fields are then empty).
    """

    name: str
    path: Path
    kind: str | None
    config: dict[str, Any] = field(default_factory=dict)
    fingerprint: str | None = None
    created: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    epochs: int = 0
    n_users: int = 0
    n_items: int = 0
    size_bytes: int = 0
    error: str | None = None

    def matches(self, fingerprint: str | None) -> bool | None:
        """Whether the model was trained on data with ``fingerprint`` (``None`` if either is unknown)."""
        if fingerprint is None or self.fingerprint is None:
            return None
        return str(self.fingerprint) == str(fingerprint)


def read_entry(path: str | Path) -> ModelEntry:
    """Read the plain metadata of one model file.

    Never raises for a bad file: an unreadable file gives an entry whose ``error`` says why.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.pt`` model file.

    Returns
    -------
    ModelEntry
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        return ModelEntry(name=path.stem, path=path, kind=None, error=f"cannot read {path}: {exc}")
    key = (stat.st_mtime, stat.st_size)
    with _CACHE_LOCK:
        cached = _CACHE.get(path.resolve())
    if cached is not None and cached[0] == key:
        return cached[1]
    entry = _read(path, stat.st_size)
    with _CACHE_LOCK:
        _CACHE[path.resolve()] = (key, entry)
    return entry


def list_models(folder: str | Path = "model_files") -> list[ModelEntry]:
    """Every ``*.pt`` file in ``folder``, newest first (unreadable files included, with their error).

    Parameters
    ----------
    folder : str or pathlib.Path
        The model folder; a missing folder holds no models.

    Returns
    -------
    list of ModelEntry
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    entries = [read_entry(p) for p in folder.glob("*.pt") if p.is_file() and not p.name.startswith(".")]
    return sorted(entries, key=lambda e: (e.created or "", e.name), reverse=True)


def catalog_table(
    folder: str | Path = "model_files",
    *,
    fingerprint: str | None = None,
    datasets: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The saved models as a table for the dashboard.

    Parameters
    ----------
    folder : str or pathlib.Path
        The model folder.
    fingerprint : str, optional
        Fingerprint of the data in use; fills ``matches_data``.
    datasets : mapping of str to str, optional
        Fingerprint -> dataset name (:func:`recsys.app.model_fit.dataset_names`); fills ``trained_on``
        with the name of each model's training data (``None`` where it is not among them).

    Returns
    -------
    pandas.DataFrame
        One row per model: ``name, kind, trained_on, created, epochs, users, tracks, fingerprint,
        matches_data``, the headline metrics present in any file (:data:`HEADLINE_METRICS`), ``config``
        (as ``key=value`` text), ``size_mb`` and ``error``.
    """
    entries = list_models(folder)
    present = [m for m in HEADLINE_METRICS if any(m in e.metrics for e in entries)]
    rows = []
    for e in entries:
        row: dict[str, Any] = {
            "name": e.name,
            "kind": e.kind,
            "trained_on": (datasets or {}).get(str(e.fingerprint)) if e.fingerprint else None,
            "created": e.created,
            "epochs": e.epochs,
            "users": e.n_users,
            "tracks": e.n_items,
            "fingerprint": (e.fingerprint or "")[:12] or None,
            "matches_data": e.matches(fingerprint),
        }
        for metric in present:
            value = e.metrics.get(metric)
            row[metric] = None if value is None else float(value)
        row["config"] = ", ".join(f"{k}={v}" for k, v in e.config.items())
        row["size_mb"] = round(e.size_bytes / 2**20, 3)
        row["error"] = e.error
        rows.append(row)
    columns = [
        "name", "kind", "trained_on", "created", "epochs", "users", "tracks", "fingerprint", "matches_data",
        *present, "config", "size_mb", "error",
    ]
    return pd.DataFrame(rows, columns=columns)


def delete_model(name: str, folder: str | Path = "model_files") -> Path:
    """Delete the model file ``name`` from ``folder``.

    Raises
    ------
    ModelError
        No such model, or it is being trained right now (in this process).
    BusyError
        Another process is training or writing it.
    """
    path = model_path(name, folder)
    job = get_job(path.stem)
    if job is not None and not job.finished and job.path.resolve() == path.resolve():
        raise ModelError(f"model {path.stem!r} is being trained: stop the training before deleting it")
    if not path.is_file():
        raise ModelError(f"no model named {path.stem!r} in {folder}")
    with file_lock(path, timeout=0):  # not while another process trains or writes it (BusyError)
        path.unlink()
    with _CACHE_LOCK:
        _CACHE.pop(path.resolve(), None)
    return path


def _read(path: Path, size: int) -> ModelEntry:
    try:
        payload = read_payload(path, mmap=True)  # the plain values only: tensors stay on disk
    except UnreadableModelFile as exc:  # listed with its reason, never crashes the table
        return ModelEntry(name=path.stem, path=path, kind=None, size_bytes=size, error=exc.reason)
    metrics = payload.get("metrics") or {}
    return ModelEntry(
        name=path.stem,
        path=path,
        kind=payload.get("kind"),
        config=dict(payload.get("config") or {}),
        fingerprint=payload.get("fingerprint"),
        created=payload.get("created"),
        metrics={str(k): float(v) for k, v in metrics.items() if isinstance(v, (int, float))},
        epochs=len(payload.get("history") or []),
        n_users=len(payload.get("user_ids") or []),
        n_items=len(payload.get("item_ids") or []),
        size_bytes=size,
    )
