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

A model file is untrusted input. Every way it can be wrong ends in one error,
:class:`UnreadableModelFile` ("<path> is not a readable model file: <reason>"), never another exception:
the archive's CRC-32 checksums are verified first (a flipped byte in a tensor is refused, not evaluated),
then the payload's structure, the id lists (no duplicates), the training matrix (shape, dtypes, indices
in range) and every tensor (floating point, finite; the model checks its own shapes with
``_check_state``). A model whose tensors are not finite is refused at save time too.
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
from recsys.fileio import atomic_file, file_lock

if TYPE_CHECKING:
    # why: only for annotations; base imports this module to save models (a runtime import would cycle)
    from recsys.models.base import Recommender

__all__ = [
    "FORMAT",
    "SAVE_LOCK_TIMEOUT",
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
SAVE_LOCK_TIMEOUT = 60.0
"""Seconds a save waits while another process writes the same model file (a save takes well under one;
a training holds the file's lock for its whole fit, and then the save gives up with a BusyError)."""

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
        The model is not trained, holds NaN or infinite values, or the file cannot be written.
    BusyError
        Another process keeps writing ``path`` (a training of the same file).
    """
    path = Path(path)
    payload = _payload(model)  # first: an untrained model fails before any file is touched
    try:
        with file_lock(path, timeout=SAVE_LOCK_TIMEOUT), atomic_file(path) as handle:
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
    UnreadableModelFile
        Naming the path: the file is missing, empty, truncated or damaged (a checksum does not match),
        not a torch file, holds objects other than tensors and plain values, is not a recsys model or
        has an unsupported version.
    """
    path = Path(path)
    if not path.exists():
        raise UnreadableModelFile(path, "the file does not exist")
    if not path.is_file():
        raise UnreadableModelFile(path, "it is not a file (a folder?)")
    _verify_archive(path)
    payload = read_payload(path)
    version = payload.get("version")
    if version != VERSION:
        raise UnreadableModelFile(
            path, f"model file version {version!r}; this program reads version {VERSION}"
        )
    return payload


def _verify_archive(path: Path) -> None:
    """Check every member's CRC-32 (torch.load itself does not, so a flipped byte would load)."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except zipfile.BadZipFile:
        return  # not a zip at all: torch.load below names it (empty, truncated, a plain pickle...)
    except Exception as exc:  # why: a hostile archive can make zipfile raise anything; all mean damage
        raise UnreadableModelFile(path, f"the archive is damaged ({_load_reason(exc)})") from exc
    if bad is not None:
        raise UnreadableModelFile(path, f"the archive is damaged (checksum mismatch in {bad})")


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
        Saying what is wrong, without the path (the registry adds it): a missing or mistyped entry,
        duplicate ids, a training matrix that does not fit the ids, a tensor that is not finite or (the
        model's own ``_check_state``) not of the shape the model needs.
    """
    user_ids = _ids(payload, "user_ids", "user")
    item_ids = _ids(payload, "item_ids", "track")
    matrix = _train_matrix(_entry(payload, "train", dict), len(user_ids), len(item_ids))
    tensors = _entry(payload, "tensors", dict)
    for name, tensor in tensors.items():
        _check_tensor(f"tensor {name!r}", tensor)
    model._check_state(dict(tensors), len(user_ids), len(item_ids))
    model.train = Interactions(matrix=matrix, user_ids=user_ids, item_ids=item_ids)
    model._set_state(dict(tensors))
    history = payload.get("history") or []
    if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
        raise ModelError("its 'history' entry is not a list of per-epoch dicts")
    metrics = payload.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise ModelError("its 'metrics' entry is not a dict")
    model.history = [dict(h) for h in history]
    model.fingerprint = _optional_text(payload, "fingerprint")
    model.metrics = dict(metrics)
    model.created = _optional_text(payload, "created")
    return model


def _entry(payload: dict[str, Any], key: str, kind: type) -> Any:
    if key not in payload:
        raise ModelError(f"its {key!r} entry is missing")
    value = payload[key]
    if not isinstance(value, kind):
        raise ModelError(f"its {key!r} entry is a {type(value).__name__}, not a {kind.__name__}")
    return value


def _optional_text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is not None and not isinstance(value, str):
        raise ModelError(f"its {key!r} entry is a {type(value).__name__}, not text")
    return value


def _check_tensor(what: str, tensor: Any, *, floating: bool = True) -> torch.Tensor:
    if not isinstance(tensor, torch.Tensor):
        raise ModelError(f"{what} is a {type(tensor).__name__}, not a tensor")
    if floating and not tensor.is_floating_point():
        raise ModelError(f"{what} holds {tensor.dtype} values, not floating point")
    if floating and tensor.numel() and not bool(torch.isfinite(tensor).all()):
        raise ModelError(f"{what} holds NaN or infinite values")
    return tensor


def _train_matrix(train: dict[str, Any], n_users: int, n_items: int) -> sp.csr_matrix:
    """The stored training matrix, checked against the id lists before scipy sees it."""
    shape = train.get("shape")
    if (
        not isinstance(shape, (list, tuple)) or len(shape) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in shape)
    ):
        raise ModelError(f"its training matrix shape {shape!r} is not two integers")
    if tuple(shape) != (n_users, n_items):
        raise ModelError(f"training matrix shape {tuple(shape)} does not match {n_users} x {n_items} ids")
    parts = {}
    for key in ("indptr", "indices", "data"):
        if key not in train:
            raise ModelError(f"its training matrix has no {key!r}")
        tensor = _check_tensor(f"training matrix {key!r}", train[key], floating=key == "data")
        if tensor.dim() != 1:
            raise ModelError(f"training matrix {key!r} has {tensor.dim()} dimensions, not 1")
        integral = not (tensor.is_floating_point() or tensor.is_complex() or tensor.dtype == torch.bool)
        if key != "data" and not integral:
            raise ModelError(f"training matrix {key!r} holds {tensor.dtype} values, not integers")
        parts[key] = tensor.numpy()
    indptr, indices, data = parts["indptr"].astype(np.int64), parts["indices"].astype(np.int64), parts["data"]
    if len(indptr) != n_users + 1 or indptr[0] != 0 or np.any(np.diff(indptr) < 0):
        raise ModelError("its training matrix row pointers are not 0..nnz, one per user, in order")
    if len(indices) != len(data) or indptr[-1] != len(data):
        raise ModelError("its training matrix's indices, values and row pointers disagree in length")
    if len(indices) and (indices.min() < 0 or indices.max() >= n_items):
        raise ModelError(f"its training matrix names a track column outside 0..{n_items - 1}")
    matrix = sp.csr_matrix((data.astype(np.float32), indices, indptr), shape=(n_users, n_items))
    matrix.check_format(full_check=True)
    return matrix


class UnreadableModelFile(ModelError):
    """A file that is not a readable recsys model file.

    The message is ``"<path> is not a readable model file: <why>"``; ``reason`` is the same without the
    path (``"not a readable model file: <why>"``), for a table that names the file in another column.
    """

    def __init__(self, path: str | Path, why: str) -> None:
        self.path = str(path)
        self.reason = f"not a readable model file: {why}"
        super().__init__(f"{path} is {self.reason}")


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
        raise UnreadableModelFile(path, _load_reason(exc)) from exc
    except Exception as exc:  # why: torch's archive reader raises IndexError, KeyError... on random bytes
        raise UnreadableModelFile(path, f"a damaged archive ({_load_reason(exc)})") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise UnreadableModelFile(path, f"not a recsys model file (no format '{FORMAT}')")
    return payload


def _load_reason(exc: BaseException) -> str:
    reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
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
        if tensor.is_floating_point() and tensor.numel() and not bool(torch.isfinite(tensor).all()):
            # A NaN model ranks arbitrarily and looks fine in a table: never write one.
            raise ModelError(
                f"refusing to save the {model.kind} model: its {name} hold NaN or infinite values "
                "(training diverged; lower the learning rate or raise reg)"
            )
    if matrix.nnz and not np.isfinite(matrix.data).all():
        raise ModelError(f"refusing to save the {model.kind} model: its training matrix holds NaN or inf")
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


def _ids(payload: dict[str, Any], key: str, what: str) -> np.ndarray:
    """A stored id list, checked: integers (64-bit) or strings, each once."""
    values = _entry(payload, key, list)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            raise ModelError(f"its {key!r} hold {v!r}, a {type(v).__name__}: ids are integers or strings")
        if isinstance(v, int) and not -(2**63) <= v < 2**63:
            raise ModelError(f"its {key!r} hold {v}, beyond 64-bit integers")
    if len(set(values)) != len(values):
        seen: set = set()
        dup = next(v for v in values if v in seen or seen.add(v))  # type: ignore[func-returns-value]
        raise ModelError(f"duplicate {what} id {dup!r} in its {key!r} (each id must appear once)")
    # String ids come back as an object array, as pandas gives them; integer ids as int64.
    if values and all(isinstance(v, str) for v in values):
        return np.array(values, dtype=object)
    if all(isinstance(v, int) for v in values):
        return np.array(values, dtype=np.int64)
    return np.array(values, dtype=object)
