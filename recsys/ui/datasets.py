"""The dataset in use: describe, list, prepare, generate the demo, upload, switch, and require it.

Folders and names come from :mod:`recsys.app.workspace`; this module adds what a page needs on top:
progress bars while data is generated or prepared, and remembering the choice for the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from recsys.app import workspace
from recsys.app.datasets import save_uploaded_dataset
from recsys.data.demo import generate_dataset
from recsys.data.prepare import prepare
from recsys.data.prepared import Prepared
from recsys.errors import DataError
from recsys.ui.cache import load_prepared
from recsys.ui.feedback import StreamlitProgress, show_error
from recsys.ui.nav import HOME_PAGE
from recsys.ui.state import current_dataset, set_dataset

__all__ = [
    "dataset_info",
    "ensure_demo",
    "list_datasets",
    "prepare_dataset",
    "require_prepared",
    "save_upload",
    "use_dataset",
]


def dataset_info(dataset: str | Path | None = None) -> workspace.DatasetInfo:
    """Describe a dataset folder (files present, prepared or not, fingerprint).

    Parameters
    ----------
    dataset : str or pathlib.Path, optional
        A raw dataset folder (default: the one in use).

    Returns
    -------
    recsys.app.workspace.DatasetInfo
    """
    folder = dataset if dataset is not None else current_dataset()
    return workspace.dataset_info(folder, workspace.data_root())


def list_datasets() -> list[workspace.DatasetInfo]:
    """The dataset folders under the data root (:func:`recsys.app.workspace.list_datasets`)."""
    return workspace.list_datasets()


def prepare_dataset(dataset: str | Path | None = None, *, force: bool = False) -> dict:
    """Prepare a raw dataset folder (default: the one in use) with a progress bar.

    Unchanged input is not reprocessed (the pipeline compares fingerprints) unless ``force``.

    Parameters
    ----------
    dataset : str or pathlib.Path, optional
        A raw dataset folder; its tables go to :func:`recsys.app.workspace.prepared_folder`.
    force : bool
        Prepare again even when the input has not changed.

    Returns
    -------
    dict
        The pipeline's report (:func:`recsys.data.prepare.prepare`).
    """
    folder = Path(dataset if dataset is not None else current_dataset())
    with StreamlitProgress(f"Preparing {folder.name}") as bar:
        return prepare(folder, workspace.prepared_folder(folder), force=force, progress=bar)


def ensure_demo(*, users: int = 1000, tracks: int = 5000, seed: int = 0) -> Path:
    """Generate the demo dataset if it is absent (with a progress bar), prepare it, and use it.

    Parameters
    ----------
    users, tracks : int
        Size of the generated data.
    seed : int
        Seed of the generator.

    Returns
    -------
    pathlib.Path
        The demo's raw folder.
    """
    folder = workspace.dataset_folder(workspace.DEMO_NAME)
    if workspace.dataset_info(folder).missing:
        with StreamlitProgress("Generating the demo data") as bar:
            generate_dataset(folder, users=users, tracks=tracks, seed=seed, progress=bar)
    prepare_dataset(folder)
    set_dataset(folder)
    return folder


def save_upload(uploaded: Sequence[UploadedFile], name: str, *, max_bytes: int) -> workspace.DatasetInfo:
    """Validate and save uploaded JSON-lines files as a new dataset, prepare it, and use it.

    Parameters
    ----------
    uploaded : sequence of streamlit UploadedFile
        The files from ``st.file_uploader(accept_multiple_files=True)``.
    name : str
        Folder name of the new dataset (:func:`recsys.app.workspace.check_name`).
    max_bytes : int
        Largest accepted file.

    Returns
    -------
    recsys.app.workspace.DatasetInfo
        The saved dataset, now in use.
    """
    files = {f.name: f.getvalue() for f in uploaded}
    with StreamlitProgress(f"Validating and preparing {name}") as bar:
        info = save_uploaded_dataset(files, workspace.data_root(), name, max_bytes=max_bytes, progress=bar)
    set_dataset(info.path)
    return info


def use_dataset(name: str) -> Path:
    """Use the dataset folder ``<data root>/<name>``, preparing it first (with progress) when needed.

    Parameters
    ----------
    name : str
        The dataset's folder name.

    Returns
    -------
    pathlib.Path
        Its raw folder.

    Raises
    ------
    recsys.errors.DataError
        Required files are missing.
    recsys.errors.ConfigError
        ``name`` is not a valid dataset name.
    """
    info = dataset_info(workspace.dataset_folder(name))
    if info.missing:
        raise DataError(f"dataset {name!r} is missing {', '.join(info.missing)}", file=str(info.path))
    if not info.prepared:
        prepare_dataset(info.path)
    set_dataset(info.path)
    return info.path


def require_prepared(page: str) -> Prepared:
    """The prepared data in use, or a message with a link Home and ``st.stop()`` when there is none.

    Errors while loading are shown with ``st.error`` (then the page stops too).

    Parameters
    ----------
    page : str
        The calling page's short name (not used yet: accepted so that every page calls it alike).

    Returns
    -------
    recsys.data.prepared.Prepared
    """
    info = dataset_info()
    if not info.prepared:
        st.info(
            f"The dataset **{info.name}** is not prepared yet ({info.status}). "
            "Prepare it, or pick another dataset, on the Home page.",
            icon=":material/info:",
        )
        st.page_link(HOME_PAGE, label="Go to Home", icon=":material/home:")
        st.stop()
    with show_error("Could not load the prepared data"):
        return load_prepared()
    st.stop()
