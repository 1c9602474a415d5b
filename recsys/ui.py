"""The dashboard's glue to Streamlit: the one module of ``recsys`` that imports ``streamlit``.

Pages stay thin by calling these helpers:

* where the data lives (:func:`data_root`, :func:`model_root`; overridable through the
  ``RECSYS_DATA_ROOT`` / ``RECSYS_MODEL_ROOT`` environment variables so tests never touch the real
  ``data_files/``), and which dataset is in use (:func:`current_dataset`, :func:`set_dataset`);
* cached loaders keyed by folder and data version (:func:`load_prepared`, :func:`cached`);
* page-prefixed session-state keys (:func:`key`);
* :func:`show_error`, which turns a :class:`~recsys.errors.RecsysError` into ``st.error``;
* progress adapters (:class:`StreamlitProgress`) and the live-chart adapter (:class:`LiveChart`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import streamlit as st

from recsys.errors import RecsysError

__all__ = [
    "DATA_ROOT_ENV",
    "MODEL_ROOT_ENV",
    "DEMO_NAME",
    "PROJECT_ROOT",
    "data_root",
    "model_root",
    "key",
    "current_dataset",
    "set_dataset",
    "prepared_folder",
    "load_prepared",
    "cached",
    "clear_caches",
    "show_error",
    "StreamlitProgress",
    "LiveChart",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT_ENV = "RECSYS_DATA_ROOT"
MODEL_ROOT_ENV = "RECSYS_MODEL_ROOT"
DEMO_NAME = "demo"
_DATASET_KEY = "app.dataset"


# -- where things live -------------------------------------------------------------------------
def data_root() -> Path:
    """The folder holding the datasets (``data_files/`` unless ``RECSYS_DATA_ROOT`` says otherwise)."""
    return Path(os.environ.get(DATA_ROOT_ENV) or PROJECT_ROOT / "data_files")


def model_root() -> Path:
    """The folder holding saved models (``model_files/`` unless ``RECSYS_MODEL_ROOT`` says otherwise)."""
    return Path(os.environ.get(MODEL_ROOT_ENV) or PROJECT_ROOT / "model_files")


def key(page: str, name: str) -> str:
    """A session-state / widget key private to one page.

    Parameters
    ----------
    page : str
        Short page name (``"home"``, ``"data"``, ``"train"``...).
    name : str
        The value's name within the page.

    Returns
    -------
    str
        ``"<page>.<name>"``, so two pages never overwrite each other's state.
    """
    return f"{page}.{name}"


def current_dataset() -> Path:
    """The raw dataset folder in use this session (the demo data until another is chosen)."""
    chosen = st.session_state.get(_DATASET_KEY)
    return Path(chosen) if chosen else data_root() / DEMO_NAME


def set_dataset(folder: str | Path) -> None:
    """Use ``folder`` (a raw dataset folder) on every page from now on."""
    st.session_state[_DATASET_KEY] = str(folder)


def prepared_folder(dataset: str | Path) -> Path:
    """Where the prepared tables of a raw dataset folder are written: ``<data root>/processed/<name>``."""
    return data_root() / "processed" / Path(dataset).name


# -- cached loading ----------------------------------------------------------------------------
def _version(folder: Path) -> str:
    """A cheap token that changes whenever the prepared folder is rewritten (its manifest's mtime)."""
    manifest = folder / "manifest.json"
    try:
        return str(manifest.stat().st_mtime_ns)
    except OSError:
        return "missing"


@st.cache_resource(show_spinner="Loading the prepared data...", max_entries=4)
def _load_prepared(folder: str, version: str) -> Any:
    from recsys.pipeline import load_prepared as _load

    return _load(folder)


def load_prepared(dataset: str | Path | None = None) -> Any:
    """The :class:`~recsys.pipeline.Prepared` data of a dataset, loaded once per data version.

    Parameters
    ----------
    dataset : path, optional
        A raw dataset folder (default: :func:`current_dataset`). Its prepared folder must exist.

    Returns
    -------
    recsys.pipeline.Prepared

    Raises
    ------
    recsys.errors.DataError
        The dataset has not been prepared, or its prepared files are unreadable.
    """
    folder = prepared_folder(dataset if dataset is not None else current_dataset())
    return _load_prepared(str(folder), _version(folder))


@st.cache_resource(show_spinner=False, max_entries=128)
def _cached_call(
    name: str, folder: str, fingerprint: str, args: tuple, kwargs: tuple, _fn: Callable, _prepared: Any
) -> Any:
    return _fn(_prepared, *args, **dict(kwargs))


def cached(fn: Callable[..., Any], prepared: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(prepared, *args, **kwargs)``, computed once per dataset version and arguments.

    The result is shared between sessions (``st.cache_resource``): callers must not mutate it.

    Parameters
    ----------
    fn : callable
        A ``recsys`` function whose first argument is a :class:`~recsys.pipeline.Prepared`.
    prepared : recsys.pipeline.Prepared
        The data; its folder and fingerprint key the cache.
    *args, **kwargs
        Further hashable arguments (numbers, strings, tuples).
    """
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _cached_call(
        name,
        str(prepared.folder),
        str(prepared.fingerprint),
        tuple(args),
        tuple(sorted(kwargs.items())),
        _fn=fn,
        _prepared=prepared,
    )


def clear_caches() -> None:
    """Forget every cached dataset and computation (after a dataset is rewritten or deleted)."""
    st.cache_resource.clear()
    st.cache_data.clear()


# -- errors ------------------------------------------------------------------------------------
@contextmanager
def show_error(prefix: str | None = None) -> Iterator[None]:
    """Show a :class:`~recsys.errors.RecsysError` raised in the block as ``st.error``, not a traceback.

    Parameters
    ----------
    prefix : str, optional
        What was being done (``"Could not load the data"``), shown before the message.

    Notes
    -----
    Only the ``RecsysError`` family is caught: anything else is a bug and must stay visible.
    """
    try:
        yield
    except RecsysError as exc:
        st.error(f"{prefix}: {exc}" if prefix else str(exc), icon=":material/error:")


# -- progress ----------------------------------------------------------------------------------
class StreamlitProgress:
    """A tqdm-like progress reporter drawing an ``st.progress`` bar.

    Accepts the calling styles the library's progress hooks use: ``progress(done, total)``,
    ``progress(fraction)``, ``progress(done, total, "message")``, and ``update(n)`` /
    ``set_description(text)`` as on a tqdm bar. Use it as a context manager to remove the bar when done.

    Parameters
    ----------
    text : str
        Label shown beside the bar.
    total : int, optional
        Number of steps, when updates come as ``update(n)``.
    container : streamlit container, optional
        Where to draw (default: the main area).
    """

    def __init__(self, text: str, total: int | None = None, container: Any = None) -> None:
        self.text = text
        self.total = total
        self.done = 0
        self._bar = (container or st).progress(0.0, text=text)

    def __call__(self, done: float, total: float | None = None, message: str | None = None) -> None:
        """Report ``done`` of ``total`` steps (or a fraction in ``[0, 1]`` when ``total`` is omitted)."""
        if total is not None:
            self.total = int(total)
        self.done = done
        if message:
            self.text = message
        self._draw()

    def update(self, n: float = 1) -> None:
        """Advance by ``n`` steps (tqdm style)."""
        self.done += n
        self._draw()

    def set_description(self, text: str) -> None:
        """Change the label (tqdm style)."""
        self.text = text
        self._draw()

    def _draw(self) -> None:
        if self.total:
            fraction = self.done / self.total
            label = f"{self.text} ({int(self.done):,}/{int(self.total):,})"
        else:
            fraction, label = float(self.done), self.text
        self._bar.progress(min(max(float(fraction), 0.0), 1.0), text=label)

    def close(self) -> None:
        """Remove the bar."""
        self._bar.empty()

    def __enter__(self) -> StreamlitProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- live charts -------------------------------------------------------------------------------
class LiveChart:
    """A chart that redraws in place as new points arrive (the Train page's loss curves).

    Parameters
    ----------
    make_figure : callable
        ``make_figure(history) -> plotly Figure``, from :mod:`recsys.charts`.
    container : streamlit container, optional
        Where to draw (default: the main area).
    key : str, optional
        Element key prefix, so several live charts can share a page.
    """

    def __init__(
        self, make_figure: Callable[[Sequence[Mapping[str, float]]], Any], container: Any = None,
        key: str | None = None,
    ) -> None:
        self.make_figure = make_figure
        self.history: list[dict[str, float]] = []
        self._slot = (container or st).empty()
        self._key = key

    def push(self, epoch: int, metrics: Mapping[str, float]) -> None:
        """Add one epoch's metrics (a training callback's arguments) and redraw."""
        self.history.append({"epoch": epoch, **metrics})
        self.draw(self.history)

    def draw(self, history: Sequence[Mapping[str, float]]) -> None:
        """Redraw from a full history (e.g. a background job's list of epoch records)."""
        self._slot.plotly_chart(self.make_figure(history), width="stretch")
