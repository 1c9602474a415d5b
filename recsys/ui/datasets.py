"""The dataset in use: describe, list, prepare, generate the demo, upload, switch, and require it.

Folders and names come from :mod:`recsys.app.workspace`. Preparing (and generating the demo) runs in the
background (:mod:`recsys.app.preparation`): it survives a click on another page, and every page shows its
progress (the sidebar, :mod:`recsys.ui.sidebar`) until it is done. The choice of dataset is the sidebar's
picker, bound to the URL (:mod:`recsys.ui.state`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from recsys.app import preparation, workspace
from recsys.app.datasets import save_uploaded_dataset
from recsys.app.formatting import escape_markdown
from recsys.data.demo import generate_dataset
from recsys.data.prepared import Prepared
from recsys.errors import DataError
from recsys.ui.cache import load_prepared
from recsys.ui.feedback import StreamlitProgress, show_error
from recsys.ui.nav import HOME_PAGE
from recsys.ui.state import current_dataset, key, set_dataset

__all__ = [
    "FLASH_KEY",
    "dataset_info",
    "ensure_demo",
    "list_datasets",
    "prepare_dataset",
    "preparation_of",
    "preparation_view",
    "require_prepared",
    "save_upload",
    "show_flash",
    "use_dataset",
]

FLASH_KEY = "app.flash"
"""Session-state key of a success message to show once after the rerun that follows an action."""


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


def prepare_dataset(dataset: str | Path | None = None, *, force: bool = False) -> preparation.PreparationJob:
    """Start preparing a raw dataset folder (default: the one in use) in the background.

    Unchanged input is not reprocessed (the pipeline compares fingerprints) unless ``force``. A second
    call while it runs returns the same job.

    Parameters
    ----------
    dataset : str or pathlib.Path, optional
        A raw dataset folder; its tables go to :func:`recsys.app.workspace.prepared_folder`.
    force : bool
        Prepare again even when the input has not changed.

    Returns
    -------
    recsys.app.preparation.PreparationJob
        Follow it with :func:`preparation_view` (every page's sidebar shows it too).
    """
    folder = Path(dataset if dataset is not None else current_dataset())
    return preparation.start_preparation(folder, force=force)


def ensure_demo(*, users: int = 1000, tracks: int = 5000, seed: int = 0) -> preparation.PreparationJob | None:
    """Use the demo dataset; generate it (when absent) and prepare it in the background first.

    Parameters
    ----------
    users, tracks : int
        Size of the generated data.
    seed : int
        Seed of the generator.

    Returns
    -------
    recsys.app.preparation.PreparationJob or None
        The background job generating and preparing it, or ``None`` when it is already prepared. The
        demo is the dataset in use from the next run on (call ``st.rerun()``).
    """
    folder = workspace.dataset_folder(workspace.DEMO_NAME)
    set_dataset(folder)
    info = workspace.dataset_info(folder, workspace.data_root())
    if info.prepared and not info.missing:
        return None

    def generate(progress: object) -> None:
        if workspace.dataset_info(folder).missing:
            generate_dataset(folder, users=users, tracks=tracks, seed=seed, progress=progress)

    return preparation.start_preparation(folder, setup=generate)


def save_upload(uploaded: Sequence[UploadedFile], name: str, *, max_bytes: int) -> workspace.DatasetInfo:
    """Validate and save uploaded JSON-lines files as a new dataset, prepare it, and use it.

    Validation is the pipeline itself, so it runs here, with a progress bar, and its errors come back
    at once. The new dataset is the one in use from the next run on (the caller reruns, so the Home
    card shows it at once); :func:`show_flash` then says it was saved.

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
        The saved dataset.
    """
    # The UploadedFile objects themselves: the library copies them to disk in chunks, never a second
    # whole copy in memory (getvalue() would duplicate every file), and checks the total size.
    files = {f.name: f for f in uploaded}
    with StreamlitProgress(f"Validating and preparing {name}") as bar:
        info = save_uploaded_dataset(files, workspace.data_root(), name, max_bytes=max_bytes, progress=bar)
    set_dataset(info.path)
    st.session_state[FLASH_KEY] = (f"Saved and prepared **{escape_markdown(info.name)}**; it is now the "
                                   "dataset in use.")
    return info


def show_flash() -> None:
    """Show (once) the success message an action left before its rerun."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def use_dataset(name: str) -> preparation.PreparationJob | None:
    """Use the dataset folder ``<data root>/<name>`` from the next run on, preparing it in the
    background when needed.

    Parameters
    ----------
    name : str
        The dataset's folder name.

    Returns
    -------
    recsys.app.preparation.PreparationJob or None
        The preparation started (or running), ``None`` when the dataset is prepared.

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
    set_dataset(info.path)
    return None if info.prepared else prepare_dataset(info.path)


def preparation_of(name: str) -> preparation.PreparationJob | None:
    """The preparation of dataset ``name`` worth showing: running, or failed (its error is shown)."""
    job = preparation.get_preparation(name)
    if job is None or (job.finished and job.status != "failed"):
        return None
    return job


def preparation_view(job: preparation.PreparationJob, where: object = None) -> None:
    """A progress bar of a background preparation (or its error once it failed).

    Parameters
    ----------
    job : recsys.app.preparation.PreparationJob
        The preparation.
    where : streamlit container, optional
        Where to draw (default: the main area).
    """
    area = where if where is not None else st
    if job.status == "failed":
        area.error(preparation.preparation_text(job), icon=":material/error:")
    else:
        area.progress(job.fraction, text=preparation.preparation_text(job))


def require_prepared(page: str) -> Prepared:
    """The prepared data in use; otherwise where its preparation stands, and ``st.stop()``.

    A dataset being prepared shows its progress (the page opens by itself when it is done: the sidebar
    reruns it); a raw one offers to prepare it here; a failed preparation shows why. Errors while loading
    are shown with ``st.error`` (then the page stops too).

    Parameters
    ----------
    page : str
        The calling page's short name (prefixes the widget keys).

    Returns
    -------
    recsys.data.prepared.Prepared
    """
    info = dataset_info()
    job = preparation.get_preparation(info.name)
    running = job is not None and not job.finished
    if running or not info.prepared:
        name = escape_markdown(info.name)
        if running:
            st.info(f"**{name}** is being prepared: this page opens as soon as it is done (you can use "
                    "other pages meanwhile).", icon=":material/hourglass_top:")
            preparation_view(job)
        elif info.missing:
            st.info(f"The dataset **{name}** is not prepared yet: it is missing {', '.join(info.missing)}. "
                    "Generate the demo data or pick another dataset on the Home page.",
                    icon=":material/info:")
            st.page_link(HOME_PAGE, label="Go to Home", icon=":material/home:")
        else:
            if job is not None and job.status == "failed":
                preparation_view(job)
            st.info(f"The dataset **{name}** is not prepared yet ({info.status}).", icon=":material/info:")
            if st.button("Prepare it now", key=key(page, "prepare_now"), type="primary",
                         icon=":material/play_arrow:"):
                with show_error("Could not prepare the data"):
                    prepare_dataset(info.path)
                    st.rerun()
        st.stop()
    with show_error("Could not load the prepared data"):
        return load_prepared()
    st.stop()
