"""Cached loading: prepared data, models, the model table and per-dataset computations.

Streamlit re-runs a page's script on every click; these caches make a re-run cheap. Each is keyed by a
version token of the files it reads (:mod:`recsys.app.versions`), so a rewritten dataset or model file
is read again and nothing stale is shown. Data and models are shared between sessions
(``st.cache_resource``): callers must not mutate what they get.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar, cast

import pandas as pd
import streamlit as st

from recsys.app import workspace
from recsys.app.exploration import Overview, overview_cached
from recsys.app.model_catalog import catalog_table
from recsys.app.model_fit import dataset_names
from recsys.app.versions import folder_listing, prepared_version
from recsys.data.prepared import Prepared
from recsys.data.prepared import load_prepared as read_prepared
from recsys.errors import ModelError
from recsys.evaluation.diagnostics import Diagnosis, diagnose_cached
from recsys.models import Recommender
from recsys.ui.state import current_dataset

__all__ = [
    "cached",
    "cached_diagnosis",
    "cached_overview",
    "clear_caches",
    "load_model",
    "load_prepared",
    "model_table",
    "signal_verdict",
]

T = TypeVar("T")


# -- prepared data -----------------------------------------------------------------------------
@st.cache_resource(show_spinner="Loading the prepared data...", max_entries=4)
def _load_prepared(folder: str, version: str) -> Prepared:
    return read_prepared(folder)


def load_prepared(dataset: str | Path | None = None) -> Prepared:
    """The :class:`~recsys.data.prepared.Prepared` data of a dataset, loaded once per data version.

    Parameters
    ----------
    dataset : path, optional
        A raw dataset folder (default: :func:`~recsys.ui.state.current_dataset`). Its prepared folder
        (:func:`recsys.app.workspace.prepared_folder`) must exist.

    Returns
    -------
    recsys.data.prepared.Prepared

    Raises
    ------
    recsys.errors.DataError
        The dataset has not been prepared, or its prepared files are unreadable.
    """
    folder = workspace.prepared_folder(dataset if dataset is not None else current_dataset())
    return _load_prepared(str(folder), prepared_version(folder))


# -- models ------------------------------------------------------------------------------------
@st.cache_resource(show_spinner="Loading the model...", max_entries=16)
def _load_model(path: str, mtime_ns: int) -> Recommender:
    return workspace.load_model(Path(path))


def load_model(name: str) -> Recommender:
    """The saved model ``name`` from the model root, loaded once per file version.

    Parameters
    ----------
    name : str
        The model's store name (``wmf`` for ``<model root>/wmf.pt``).

    Returns
    -------
    recsys.models.Recommender
        Shared between sessions: callers must not mutate it.

    Raises
    ------
    recsys.errors.ModelError
        No such model, or an unreadable file.
    """
    path = workspace.model_path(name)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise ModelError(f"no model named {name!r} in {workspace.model_root()}") from exc
    return _load_model(str(path), mtime)


# The listing key already catches every added, removed or rewritten file; the ttl only stops the entries
# of old listings from piling up.
@st.cache_data(show_spinner=False, ttl=30)
def _model_table(
    folder: str,
    fingerprint: str | None,
    listing: tuple[tuple[str, int], ...],
    datasets: tuple[tuple[str, str], ...],
) -> pd.DataFrame:
    return catalog_table(folder, fingerprint=fingerprint, datasets=dict(datasets))


def model_table(fingerprint: str | None = None, *, fitting_only: bool = False) -> pd.DataFrame:
    """The saved models in the model root, as :func:`recsys.app.model_catalog.catalog_table` lists them,
    with the name of the dataset each was trained on (``trained_on``).

    Cached until a model file is added, removed or rewritten, or a dataset is prepared.

    Parameters
    ----------
    fingerprint : str, optional
        The fingerprint of the data in use (fills the ``matches_data`` column).
    fitting_only : bool
        Keep only the models trained on that data.

    Returns
    -------
    pandas.DataFrame
        One row per model file.
    """
    folder = workspace.model_root()
    listing = folder_listing(folder, f"*{workspace.MODEL_SUFFIX}")
    datasets = tuple(sorted(dataset_names(workspace.list_datasets()).items()))
    table = _model_table(str(folder), fingerprint, listing, datasets).copy()
    # a time for people ("2024-05-01 12:00"), not the file's ISO text
    table["created"] = pd.to_datetime(table["created"], errors="coerce", utc=True)
    if fitting_only:
        table = table[table["matches_data"].fillna(False).astype(bool)].reset_index(drop=True)
    return table


# -- computations on prepared data -------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=128)
def _cached_call(
    name: str,
    folder: str,
    fingerprint: str,
    args: tuple[Hashable, ...],
    kwargs: tuple[tuple[str, Hashable], ...],
    _fn: Callable[..., object],
    _prepared: Prepared,
) -> object:
    # The leading underscore keeps Streamlit from hashing the function and the data: `name`, `folder`
    # and `fingerprint` stand for them in the cache key.
    return _fn(_prepared, *args, **dict(kwargs))


def cached(fn: Callable[..., T], prepared: Prepared, *args: Hashable, **kwargs: Hashable) -> T:
    """``fn(prepared, *args, **kwargs)``, computed once per dataset version and arguments.

    The result is shared between sessions (``st.cache_resource``): callers must not mutate it.

    Parameters
    ----------
    fn : callable
        A ``recsys`` function whose first argument is a :class:`~recsys.data.prepared.Prepared`.
    prepared : recsys.data.prepared.Prepared
        The data; its folder and fingerprint key the cache.
    *args, **kwargs
        Further hashable arguments (numbers, strings, tuples).

    Returns
    -------
    object
        What ``fn`` returns.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"
    result = _cached_call(
        name,
        str(prepared.folder),
        str(prepared.fingerprint),
        tuple(args),
        tuple(sorted(kwargs.items())),
        _fn=fn,
        _prepared=prepared,
    )
    return cast(T, result)


def cached_overview(prepared: Prepared) -> Overview:
    """:func:`recsys.app.exploration.overview` of the data, once per data version (stored beside the
    prepared tables by :func:`recsys.app.exploration.overview_cached`, so a fresh server reads it back)."""
    return cached(overview_cached, prepared)


def cached_diagnosis(prepared: Prepared) -> Diagnosis:
    """The signal diagnostics (:func:`recsys.evaluation.diagnostics.diagnose_cached`), once per data
    version."""
    return cached(diagnose_cached, prepared)


def signal_verdict(prepared: Prepared) -> str:
    """The diagnostics' verdict on the data (``structured``, ``weak`` or ``none``), cached per dataset."""
    return cached_diagnosis(prepared).verdict


def clear_caches() -> None:
    """Forget every cached dataset and computation (after a dataset is rewritten or deleted)."""
    st.cache_resource.clear()
    st.cache_data.clear()
