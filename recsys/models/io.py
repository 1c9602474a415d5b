"""Model files: tensors and plain values only, written atomically, read without unpickling.

The notebook pickled its ID encoders into the checkpoint, so loading a model meant running whatever
code the file named. A model file here is a ``torch.save`` of one dict of tensors, lists, dicts,
strings and numbers, and it is read with ``torch.load(..., weights_only=True)`` only, which refuses
anything else. Layout (``version`` 1)::

    {"format": "recsys-model", "version": 1, "kind": "wmf", "config": {...},
     "user_ids": [...], "item_ids": [...],                  # the encoders, as plain id lists
     "train": {"indptr", "indices", "data": tensors, "shape": [n_users, n_items]},
     "tensors": {...},                                       # model._state()
     "history": [{...}, ...], "fingerprint": "...", "metrics": {...},
     "created": "2024-01-31T12:00:00+00:00"}

This module owns the format only: :func:`write_model_file` needs nothing of a model but its contract
(``kind``, ``config_dict()``, ``_state()``...), :func:`read_model_payload` reads and checks a file, and
:func:`restore_state` fills a model built from the payload's config. Which class a ``kind`` names is
the registry's business (:func:`recsys.models.registry.load_model`), so this module imports no model.
"""

from __future__ import annotations

import datetime as _dt
import pickle
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
import torch

from recsys.data.interactions import Interactions
from recsys.errors import ModelError
from recsys.fileio import atomic_file

if TYPE_CHECKING:
    # why: only for annotations; base imports this module to save models (a runtime import would cycle)
    from recsys.models.base import Recommender

__all__ = [
    "FORMAT",
    "VERSION",
    "UnreadableModelFile",
    "check_fingerprint",
    "read_model_payload",
    "read_payload",
    "restore_state",
    "write_model_file",
]

FORMAT = "recsys-model"
VERSION = 1

# What torch.load raises on a file that is not a readable torch archive of allowed types: a missing
# or unreadable path (OSError), an empty file (EOFError), a truncated or damaged zip archive
# (RuntimeError from the stream reader, BadZipFile), a plain pickle or any object that is not a
# tensor or plain value (UnpicklingError from the weights-only unpickler), garbage bytes.
_LOAD_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    RuntimeError,
    pickle.UnpicklingError,
    zipfile.BadZipFile,
    ValueError,
    UnicodeDecodeError,
    AttributeError,
    ImportError,
)


def write_model_file(model: Recommender, path: str | Path) -> Path:
    """Write a trained model to ``path`` atomically (:func:`recsys.fileio.atomic_file`).

    A crash never leaves a half-written model under that name: the file is written beside it under a
    temporary name, flushed, then renamed over ``path``.

    Parameters
    ----------
    model : Recommender
        A trained model.
    path : str or pathlib.Path
        Target file (its folder is created if needed).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ModelError
        The model is not trained, or the file cannot be written.
    """
    path = Path(path)
    payload = _payload(model)  # first: an untrained model fails before any file is touched
    try:
        with atomic_file(path) as handle:
            torch.save(payload, handle)
    except OSError as exc:
        raise ModelError(f"cannot write model file {path}: {exc}") from exc
    return path


def read_model_payload(path: str | Path) -> dict[str, Any]:
    """The stored dict of a model file, checked to be a recsys model of the version this program reads.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.pt`` file.

    Returns
    -------
    dict
        The payload (see the module docstring); its ``kind`` and ``config`` are not checked here.

    Raises
    ------
    ModelError
        Naming the path: the file is missing, empty, truncated, not a torch file, holds objects other
        than tensors and plain values, is not a recsys model or has an unsupported version.
    """
    path = Path(path)
    if not path.exists():
        raise ModelError(f"model file {path} does not exist")
    if not path.is_file():
        raise ModelError(f"model file {path} is not a file")
    payload = read_payload(path)
    version = payload.get("version")
    if version != VERSION:
        raise ModelError(f"{path} has model file version {version!r}; this program reads version {VERSION}")
    return payload


def restore_state(model: Recommender, payload: dict[str, Any]) -> Recommender:
    """Fill a freshly built model with what a payload stores besides its config.

    Parameters
    ----------
    model : Recommender
        An untrained model of the payload's kind, built with the payload's config (the registry's
        :func:`~recsys.models.registry.load_model` builds it).
    payload : dict
        From :func:`read_model_payload`.

    Returns
    -------
    Recommender
        ``model``, trained: its training matrix and id encoders, learned tensors, history,
        fingerprint, metrics and creation time restored.

    Raises
    ------
    ModelError
        The payload's contents are inconsistent (matrix shape against the ids, tensors).
    KeyError, TypeError, ValueError, IndexError
        An entry is missing or of the wrong type (the caller names the file as damaged).
    """
    user_ids = _ids(list(payload["user_ids"]))
    item_ids = _ids(list(payload["item_ids"]))
    tr = payload["train"]
    shape = (int(tr["shape"][0]), int(tr["shape"][1]))
    if shape != (len(user_ids), len(item_ids)):
        raise ModelError(
            f"training matrix shape {shape} does not match {len(user_ids)} x {len(item_ids)} ids"
        )
    matrix = sp.csr_matrix(
        (tr["data"].numpy().astype(np.float32), tr["indices"].numpy(), tr["indptr"].numpy()),
        shape=shape,
    )
    matrix.check_format(full_check=True)
    model.train = Interactions(matrix=matrix, user_ids=user_ids, item_ids=item_ids)
    tensors = payload["tensors"]
    if not isinstance(tensors, dict) or not all(isinstance(t, torch.Tensor) for t in tensors.values()):
        raise ModelError("its 'tensors' entry is not a dict of tensors")
    model._set_state(dict(tensors))
    model.history = [dict(h) for h in payload.get("history", [])]
    model.fingerprint = payload.get("fingerprint")
    model.metrics = dict(payload.get("metrics") or {})
    model.created = payload.get("created")
    return model


class UnreadableModelFile(ModelError):
    """A file that is not a recsys model file; ``reason`` says why without naming the path."""

    def __init__(self, path: Path, reason: str, hint: str = "") -> None:
        self.reason = reason
        super().__init__(f"{path} is {reason}{hint}")


def read_payload(path: str | Path, *, mmap: bool = False) -> dict[str, Any]:
    """The stored dict of a model file, read with ``torch.load(weights_only=True)`` and format-checked.

    The one reader of the file format: :func:`read_model_payload` checks it for loading, the model
    catalog lists its plain values (with ``mmap=True``, so the tensors are not read).

    Raises
    ------
    UnreadableModelFile
        Not a readable torch archive of tensors and plain values, or not in this program's format.
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            # The weights-only unpickler warns about pickle protocols before refusing a plain pickle.
            warnings.simplefilter("ignore", UserWarning)
            payload = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except _LOAD_ERRORS as exc:
        raise UnreadableModelFile(path, f"not a readable model file: {_load_reason(exc)}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise UnreadableModelFile(path, "not a recsys model file", f" (no format '{FORMAT}')")
    return payload


def _load_reason(exc: BaseException) -> str:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, pickle.UnpicklingError):
        return "not a torch file of tensors and plain values (other objects are refused, never unpickled)"
    if isinstance(exc, EOFError):
        return "the file is empty or truncated"
    if "mmap" in reason:
        return "not a torch model archive"  # torch's own message speaks of mmap options
    return reason


def check_fingerprint(
    model: Recommender, prepared_fingerprint: str | None, *, source: str | Path | None = None
) -> str | None:
    """A warning when ``model`` was trained on other data than the data it is used with.

    Parameters
    ----------
    model : Recommender
        A trained or loaded model.
    prepared_fingerprint : str or None
        Fingerprint of the prepared data in use (``Prepared.fingerprint``).
    source : str or pathlib.Path, optional
        Where the model came from (named in the message).

    Returns
    -------
    str or None
        A message to show the user, or ``None`` when the fingerprints match or either is unknown.
    """
    if prepared_fingerprint is None or model.fingerprint is None:
        return None
    if str(model.fingerprint) == str(prepared_fingerprint):
        return None
    name = f"model {source}" if source is not None else f"the {model.kind} model"
    return (
        f"warning: {name} was trained on other data (fingerprint {str(model.fingerprint)[:12]}) than "
        f"the data in use (fingerprint {str(prepared_fingerprint)[:12]}); users and tracks it did not see "
        "are folded in or fall back to popularity, and its scores may not reflect this data"
    )


# -- helpers ------------------------------------------------------------------------------------
def _payload(model: Recommender) -> dict[str, Any]:
    train = model._fitted()
    matrix = train.matrix.tocsr()
    state = model._state()
    for name, tensor in state.items():
        if not isinstance(tensor, torch.Tensor):
            raise ModelError(f"{model.kind} model state '{name}' is a {type(tensor).__name__}, not a tensor")
    return {
        "format": FORMAT,
        "version": VERSION,
        "kind": model.kind,
        "config": _plain(model.config_dict()),
        "user_ids": _plain(np.asarray(train.user_ids).tolist()),
        "item_ids": _plain(np.asarray(train.item_ids).tolist()),
        "train": {
            "indptr": torch.from_numpy(np.ascontiguousarray(matrix.indptr, dtype=np.int64)),
            "indices": torch.from_numpy(np.ascontiguousarray(matrix.indices, dtype=np.int64)),
            "data": torch.from_numpy(np.ascontiguousarray(matrix.data, dtype=np.float32)),
            "shape": [int(matrix.shape[0]), int(matrix.shape[1])],
        },
        "tensors": {name: tensor.detach().cpu().contiguous() for name, tensor in state.items()},
        "history": _plain(list(model.history)),
        "fingerprint": None if model.fingerprint is None else str(model.fingerprint),
        "metrics": _plain(dict(model.metrics)),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }


def _plain(value: Any) -> Any:
    """Numpy scalars, tuples and paths to plain Python values the weights-only loader accepts."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, (int, str)) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Path):
        return str(value)
    raise ModelError(f"cannot store a {type(value).__name__} ({value!r}) in a model file")


def _ids(values: list) -> np.ndarray:
    # String ids come back as an object array, as pandas gives them; integer ids as int64.
    if values and all(isinstance(v, str) for v in values):
        return np.array(values, dtype=object)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.int64)
    return np.array(values, dtype=object)
