"""The workspace: where datasets and models live, and the rules that name them.

The one owner of

* the roots: :func:`data_root` (``data_files/`` unless ``RECSYS_DATA_ROOT`` says otherwise) and
  :func:`model_root` (``model_files/`` unless ``RECSYS_MODEL_ROOT``);
* the name rule of datasets and models (:func:`check_name`: it becomes a folder or file name);
* the dataset list and the prepared-folder rule (``<data root>/processed/<dataset name>``:
  :func:`prepared_folder`, :func:`ensure_prepared`, :func:`list_datasets`);
* the model store (``<model root>/<name>.pt``: :func:`model_path`, :func:`save_model`,
  :func:`load_model`; the listing with metadata is :mod:`recsys.app.model_catalog`).

The CLI, ``bootstrap`` and the dashboard all resolve paths here, so a dataset prepared by one is found
by the others.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from recsys.data.prepare import ensure_prepared as _ensure_prepared
from recsys.data.prepared import Prepared, read_manifest
from recsys.data.process import INPUT_FILES
from recsys.errors import ConfigError, ModelError

if TYPE_CHECKING:
    from recsys.models import Recommender

__all__ = [
    "DATA_ROOT_ENV",
    "DEMO_NAME",
    "MODEL_ROOT_ENV",
    "MODEL_SUFFIX",
    "PROCESSED_DIR",
    "PROJECT_ROOT",
    "OPTIONAL_FILES",
    "REQUIRED_FILES",
    "DatasetInfo",
    "check_name",
    "data_root",
    "dataset_folder",
    "dataset_info",
    "ensure_prepared",
    "list_datasets",
    "load_model",
    "model_path",
    "model_root",
    "prepared_folder",
    "save_model",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_ROOT_ENV = "RECSYS_DATA_ROOT"
MODEL_ROOT_ENV = "RECSYS_MODEL_ROOT"
DEMO_NAME = "demo"
"""The generated demo dataset's folder name under the data root."""
PROCESSED_DIR = "processed"
"""The folder under the data root that holds every dataset's prepared tables."""
MODEL_SUFFIX = ".pt"
REQUIRED_FILES: tuple[str, ...] = tuple(name for name, required in INPUT_FILES.items() if required)
OPTIONAL_FILES: tuple[str, ...] = tuple(name for name, required in INPUT_FILES.items() if not required)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


# -- roots -------------------------------------------------------------------------------------
def data_root() -> Path:
    """The folder holding the datasets (``data_files/`` unless ``RECSYS_DATA_ROOT`` says otherwise)."""
    return Path(os.environ.get(DATA_ROOT_ENV) or PROJECT_ROOT / "data_files")


def model_root() -> Path:
    """The folder holding saved models (``model_files/`` unless ``RECSYS_MODEL_ROOT`` says otherwise)."""
    return Path(os.environ.get(MODEL_ROOT_ENV) or PROJECT_ROOT / "model_files")


# -- names -------------------------------------------------------------------------------------
def check_name(name: str, what: str = "model") -> str:
    """Return ``name`` stripped (and without ``.pt`` for a model) if it is a usable file or folder name.

    Parameters
    ----------
    name : str
        The name a person typed.
    what : {"model", "dataset"}
        What it names (for the message; a dataset may not be called ``processed``).

    Raises
    ------
    ConfigError
        Empty, reserved, or not 1-64 letters, digits, ``_``, ``.``, ``-`` starting with a letter or digit.
    """
    clean = str(name if name is not None else "").strip()
    if what == "model":
        clean = clean.removesuffix(MODEL_SUFFIX)
    if not _NAME.match(clean) or (what == "dataset" and clean == PROCESSED_DIR):
        reserved = f" (not {PROCESSED_DIR!r})" if what == "dataset" else ""
        raise ConfigError(
            f"invalid {what} name {name!r} (not allowed as a file name): use 1-64 letters, digits, '_', "
            f"'.' or '-', starting with a letter or digit{reserved}"
        )
    return clean


# -- datasets ----------------------------------------------------------------------------------
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


def dataset_folder(name: str, root: str | Path | None = None) -> Path:
    """The raw folder of dataset ``name``: ``<data root>/<name>``."""
    return Path(root if root is not None else data_root()) / check_name(name, "dataset")


def prepared_folder(dataset: str | Path, root: str | Path | None = None) -> Path:
    """Where a dataset's prepared tables live: ``<data root>/processed/<dataset folder name>``.

    Parameters
    ----------
    dataset : str or pathlib.Path
        The dataset's name or its raw folder (only the folder name counts).
    root : path, optional
        The data root; :func:`data_root` by default.
    """
    return Path(root if root is not None else data_root()) / PROCESSED_DIR / Path(dataset).name


def ensure_prepared(data: str | Path, out: str | Path | None = None, **options: object) -> Prepared:
    """The prepared data of a prepared folder, or of a raw folder after preparing it into its workspace
    folder (:func:`prepared_folder`) unless ``out`` says otherwise (see
    :func:`recsys.data.prepare.ensure_prepared`)."""
    target = Path(out) if out is not None else prepared_folder(data)
    return _ensure_prepared(data, target, **options)  # type: ignore[arg-type]


def dataset_info(folder: str | Path, root: str | Path | None = None) -> DatasetInfo:
    """Describe one dataset folder (files present, prepared or not, fingerprint).

    Parameters
    ----------
    folder : path
        The raw dataset folder.
    root : path, optional
        The data root holding ``processed/`` (default: the dataset folder's parent).
    """
    folder = Path(folder)
    processed = prepared_folder(folder, root if root is not None else folder.parent)
    manifest = read_manifest(processed)
    fingerprint = manifest.get("fingerprint") if manifest is not None else None
    files = [folder / n for n in INPUT_FILES]
    return DatasetInfo(
        name=folder.name,
        path=folder,
        missing=tuple(n for n in REQUIRED_FILES if not (folder / n).is_file()),
        prepared=manifest is not None,
        prepared_path=processed,
        fingerprint=str(fingerprint) if fingerprint is not None else None,
        size_bytes=sum(p.stat().st_size for p in files if p.is_file()),
    )


def list_datasets(root: str | Path | None = None) -> list[DatasetInfo]:
    """The dataset folders directly under the data root, by name.

    A folder counts when it holds at least one of the required files; ``processed/`` and hidden
    folders (uploads in progress) are skipped. A missing root holds no datasets.
    """
    root = Path(root if root is not None else data_root())
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or folder.name == PROCESSED_DIR or folder.name.startswith("."):
            continue
        if any((folder / n).is_file() for n in REQUIRED_FILES):
            found.append(dataset_info(folder, root))
    return found


# -- models ------------------------------------------------------------------------------------
def model_path(name: str, root: str | Path | None = None) -> Path:
    """The file of model ``name``: ``<model root>/<name>.pt``.

    Raises
    ------
    ModelError
        The name is not a plain file name (no folders, no ``..``).
    """
    try:
        clean = check_name(name, "model")
    except ConfigError as exc:
        raise ModelError(str(exc)) from exc
    return Path(root if root is not None else model_root()) / f"{clean}{MODEL_SUFFIX}"


def save_model(model: Recommender, name: str, root: str | Path | None = None) -> Path:
    """Write ``model`` atomically as model ``name`` in the model store and return its path."""
    return model.save(model_path(name, root))


def load_model(name_or_path: str | Path, root: str | Path | None = None) -> Recommender:
    """Read a model by store name (``wmf``) or by path (``model_files/wmf.pt``).

    Raises
    ------
    ModelError
        No such model, or the file is not a readable model file.
    """
    text = str(name_or_path)
    path = Path(text) if (text.endswith(MODEL_SUFFIX) or os.sep in text) else model_path(text, root)
    if not path.is_file():
        raise ModelError(f"no model file at {path}")
    # late: torch loads in seconds, and `prepare` or the Home page must not wait for it
    from recsys.models import load_model as load_model_file

    return load_model_file(path)
