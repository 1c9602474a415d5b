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
from recsys.ui.group import member_card_view, playlist_columns

__all__ = [
    "HOME_PAGE",
    "navigation",
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
    "dataset_info",
    "list_datasets",
    "prepare_dataset",
    "ensure_demo",
    "save_upload",
    "require_prepared",
    "use_dataset",
    "cached_overview",
    "date_range_text",
    "days_text",
    "model_table_columns",
    "model_table",
    "store_per_user_metrics",
    "per_user_metrics",
    "load_prepared",
    "cached",
    "clear_caches",
    "show_error",
    "StreamlitProgress",
    "LiveChart",
    "load_model",
    "settings_inputs",
    "job_monitor",
    "member_card_view",
    "train_defaults",
    "file_version",
    "signal_verdict",
    "playlist_columns",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
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


def dataset_info(dataset: str | Path | None = None) -> Any:
    """:class:`~recsys.app.datasets.DatasetInfo` of a dataset folder (default: the one in use)."""
    from recsys.app.datasets import dataset_info as _info

    return _info(dataset if dataset is not None else current_dataset(), data_root())


def list_datasets() -> list[Any]:
    """The dataset folders under :func:`data_root` (:func:`recsys.app.datasets.list_datasets`)."""
    from recsys.app.datasets import list_datasets as _list

    return _list(data_root())


def prepare_dataset(dataset: str | Path | None = None, *, force: bool = False) -> dict:
    """Prepare a raw dataset folder (default: the one in use) with a progress bar; return the report.

    Unchanged input is not reprocessed (the pipeline compares fingerprints) unless ``force``.
    """
    from recsys.data.prepare import prepare

    folder = Path(dataset if dataset is not None else current_dataset())
    with StreamlitProgress(f"Preparing {folder.name}") as bar:
        report = prepare(folder, prepared_folder(folder), force=force, progress=bar)
    return report


def ensure_demo(*, users: int = 1000, tracks: int = 5000, seed: int = 0) -> Path:
    """Generate the demo dataset if it is absent (with a progress bar), prepare it, and use it.

    Returns
    -------
    pathlib.Path
        The demo's raw folder.
    """
    from recsys.data.demo import generate_dataset

    folder = data_root() / DEMO_NAME
    if not (folder / "sessions.jsonl").is_file():
        with StreamlitProgress("Generating the demo data") as bar:
            generate_dataset(folder, users=users, tracks=tracks, seed=seed, progress=bar)
    prepare_dataset(folder)
    set_dataset(folder)
    return folder


def save_upload(uploaded: Sequence[Any], name: str, *, max_bytes: int) -> Any:
    """Validate and save uploaded JSON-lines files as a new dataset, prepare it, and use it.

    Parameters
    ----------
    uploaded : sequence of streamlit UploadedFile
        The files from ``st.file_uploader(accept_multiple_files=True)``.
    name : str
        Folder name of the new dataset.
    max_bytes : int
        Largest accepted file.

    Returns
    -------
    recsys.app.datasets.DatasetInfo
    """
    from recsys.app.datasets import save_uploaded_dataset

    files = {f.name: f.getvalue() for f in uploaded}
    with StreamlitProgress(f"Validating and preparing {name}") as bar:
        info = save_uploaded_dataset(files, data_root(), name, max_bytes=max_bytes, progress=bar)
    set_dataset(info.path)
    return info


def use_dataset(name: str) -> Path:
    """Use the dataset folder ``<data root>/<name>``, preparing it first (with progress) when needed."""
    from recsys.errors import DataError

    info = dataset_info(data_root() / name)
    if info.missing:
        raise DataError(f"dataset {name!r} is missing {', '.join(info.missing)}", file=str(info.path))
    if not info.prepared:
        prepare_dataset(info.path)
    set_dataset(info.path)
    return info.path


def cached_overview(prepared: Any) -> Any:
    """:func:`recsys.app.exploration.overview` of the data, once per data version."""
    from recsys.app.exploration import overview

    return cached(overview, prepared)


def date_range_text(start: Any, end: Any) -> str:
    """``"2024-01-03 – 2024-06-30"`` for two timestamps (``"—"`` when absent)."""
    if start is None or end is None:
        return "—"
    return f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"


def days_text(start: Any, end: Any) -> str:
    """Whole days from ``start`` to ``end`` inclusive (``"182 days"``; ``"—"`` when absent), short enough
    for a metric card."""
    if start is None or end is None:
        return "—"
    return f"{(end.normalize() - start.normalize()).days + 1:,} days"


def model_table_columns(table: Any) -> dict[str, Any]:
    """``st.dataframe`` column settings for :func:`model_table`: metrics to 4 decimals, readable names."""
    from recsys.app.model_catalog import HEADLINE_METRICS

    config: dict[str, Any] = {
        m: st.column_config.NumberColumn(m, format="%.4f") for m in HEADLINE_METRICS if m in table.columns
    }
    config["matches_data"] = st.column_config.CheckboxColumn("fits data", help="trained on the data in use")
    config["size_mb"] = st.column_config.NumberColumn("MiB", format="%.2f")
    return config


def require_prepared(page: str) -> Any:
    """The prepared data in use, or a message with a link Home and ``st.stop()`` when there is none.

    Errors while loading are shown with ``st.error`` (then the page stops too).
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


@st.cache_data(show_spinner=False, ttl=30)
def _model_table(folder: str, fingerprint: str | None, listing: tuple) -> Any:
    from recsys.app.model_catalog import catalog_table

    return catalog_table(folder, fingerprint=fingerprint)


def model_table(fingerprint: str | None = None) -> Any:
    """The saved models in :func:`model_root` (:func:`recsys.app.model_catalog.catalog_table`), cached
    until a file is added, removed or rewritten."""
    folder = model_root()
    listing = tuple(
        sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.pt")) if folder.is_dir() else ()
    )
    return _model_table(str(folder), fingerprint, listing)


# -- per-user metrics shared between pages -----------------------------------------------------
_PER_USER_KEY = "shared.per_user_metrics"


def store_per_user_metrics(model: str, fingerprint: str, per_user: Any) -> None:
    """Remember a model's per-user metric table (the Evaluate page calls this) for the Data page."""
    st.session_state.setdefault(_PER_USER_KEY, {})[(model, fingerprint)] = per_user


def per_user_metrics(fingerprint: str) -> dict[str, Any]:
    """Per-user metric tables stored this session for the data ``fingerprint``: model name -> table."""
    stored = st.session_state.get(_PER_USER_KEY, {})
    return {model: table for (model, fp), table in stored.items() if fp == fingerprint}


# -- cached loading ----------------------------------------------------------------------------
def _version(folder: Path) -> str:
    """A cheap token that changes whenever the prepared folder is rewritten (its manifest's mtime)."""
    return str(file_version(folder / "manifest.json"))


@st.cache_resource(show_spinner="Loading the prepared data...", max_entries=4)
def _load_prepared(folder: str, version: str) -> Any:
    from recsys.data.prepare import load_prepared as _load

    return _load(folder)


def load_prepared(dataset: str | Path | None = None) -> Any:
    """The :class:`~recsys.data.prepare.Prepared` data of a dataset, loaded once per data version.

    Parameters
    ----------
    dataset : path, optional
        A raw dataset folder (default: :func:`current_dataset`). Its prepared folder must exist.

    Returns
    -------
    recsys.data.prepare.Prepared

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
        A ``recsys`` function whose first argument is a :class:`~recsys.data.prepare.Prepared`.
    prepared : recsys.data.prepare.Prepared
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

    def __call__(self, *args: str | float) -> None:
        """Report progress: ``(done, total)``, ``(fraction)``, ``(done, total, message)`` or
        ``(message, done, total)``; a string argument becomes the label, the numbers are taken in order.
        """
        numbers = [a for a in args if not isinstance(a, str)]
        for text in (a for a in args if isinstance(a, str)):
            self.text = text
        if len(numbers) >= 2 and numbers[1]:
            self.total = int(numbers[1])
        if numbers:
            self.done = numbers[0]
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
        ``make_figure(history) -> plotly Figure``, from :mod:`recsys.app.charts`.
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


# -- Data page sections ------------------------------------------------------------------------
def cleaning_report(prepared: Any, overview: Any) -> None:
    """The cleaning report: input/kept/removed/repaired counts, rows per rule, rejected rows download."""
    from recsys.app import charts
    from recsys.app.exploration import cleaning_table, rejected_csv

    report = overview.report
    table = cleaning_table(report)
    removed = int(table.loc[table["action"] == "removed", "rows"].sum())
    repaired = int(table.loc[table["action"] == "repaired", "rows"].sum())
    cols = st.columns(4)
    cols[0].metric("Input rows", f"{int(report.get('input_rows', 0)):,}")
    cols[1].metric("Kept", f"{int(report.get('kept_rows', 0)):,}")
    cols[2].metric("Removed", f"{removed:,}")
    cols[3].metric("Repaired", f"{repaired:,}", help="kept after a fix (e.g. user id taken from the session)")
    left, right = st.columns([3, 2])
    chart_rows = table[table["action"] == "removed"].rename(columns={"rule": "reason"})
    left.plotly_chart(charts.rejected_chart(chart_rows), key=key("data", "rejected_chart"))
    right.dataframe(table, hide_index=True, key=key("data", "cleaning_table"))
    rejected = prepared.rejected
    right.download_button(
        f"Download the {len(rejected):,} rejected rows (CSV)",
        data=cached(lambda p: rejected_csv(p.rejected), prepared),
        file_name=f"{Path(str(prepared.folder)).name}-rejected.csv",
        mime="text/csv",
        key=key("data", "rejected_download"),
        disabled=rejected is None or len(rejected) == 0,
        icon=":material/download:",
    )


def overlap_vs_ndcg_section(page: str, prepared: Any, user_overlap: Any, metric: str = "ndcg@10") -> None:
    """The overlap-vs-NDCG scatter: from per-user metrics the Evaluate page stored this session, or by
    evaluating a saved model here on request."""
    from recsys.app import charts
    from recsys.app.exploration import overlap_vs_metric

    tables = dict(per_user_metrics(str(prepared.fingerprint)))
    saved = model_table(str(prepared.fingerprint))
    usable = saved[(saved["error"].isna()) & (saved["matches_data"].fillna(False))] if len(saved) else saved
    options = sorted(set(tables) | set(usable["name"] if len(usable) else []))
    if not options:
        st.info("Train a model on this dataset (Train page) to compare each user's overlap with its NDCG.",
                icon=":material/info:")
        return
    choice = st.selectbox("Model", options, key=key(page, "overlap_model"))
    if choice not in tables:
        path = model_root() / f"{choice}.pt"
        if not st.button(f"Evaluate {choice} on the validation split", key=key(page, "overlap_eval")):
            return
        from recsys.app.evaluation_report import evaluate_saved

        with st.spinner(f"Evaluating {choice}..."):
            # The Evaluate page's evaluation of saved models: validation split, all tracks, threshold 1.
            evaluations = cached(evaluate_saved, prepared, (str(path),), (file_version(path),), "val", (10,))
            tables[choice] = evaluations[choice].per_user
        store_per_user_metrics(choice, str(prepared.fingerprint), tables[choice])
    joined = overlap_vs_metric(user_overlap, tables[choice], metric)
    st.plotly_chart(charts.overlap_vs_metric_chart(joined, metric, choice), key=key(page, "overlap_vs"))


# -- Train, Evaluate and Group builder pages -----------------------------------------------------
@st.cache_resource(show_spinner="Loading the model...", max_entries=16)
def _load_model(path: str, mtime_ns: int) -> Any:
    from recsys.models import load_model as _load

    return _load(path)


def load_model(name: str) -> Any:
    """The saved model ``name`` from :func:`model_root`, loaded once per file version (shared between
    sessions: callers must not mutate it).

    Raises
    ------
    recsys.errors.ModelError
        No such model, or an unreadable file.
    """
    from recsys.app.model_catalog import model_path
    from recsys.errors import ModelError

    path = model_path(name, model_root())
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise ModelError(f"no model named {name!r} in {model_root()}") from exc
    return _load_model(str(path), mtime)


def settings_inputs(kind: str, page: str) -> dict[str, Any]:
    """Widgets for a model kind's hyperparameters (:func:`recsys.app.hyperparameters.settings_for`).

    Main settings are drawn in two columns, the others in an "Advanced settings" expander; settings
    the chosen WMF trainer does not use are disabled.

    Returns
    -------
    dict
        Setting name -> value, ready for :func:`recsys.models.create_model`.
    """
    from recsys.app.hyperparameters import NOTEBOOK_SETTINGS, settings_for

    specs = settings_for(kind)
    if kind == "wmf":
        widget = {s.name: key(page, f"{kind}.{s.name}") for s in specs}
        notebook = {widget[n]: v for n, v in NOTEBOOK_SETTINGS.items() if n in widget}
        defaults = {widget[s.name]: s.default for s in specs}
        presets = st.container(horizontal=True)
        # Callbacks run before the widgets are drawn, so they may set the widgets' values.
        presets.button("Notebook's settings", key=key(page, "preset_notebook"), on_click=_set_state,
                    args=(notebook,), help="The customer's notebook: AdamW, 32 factors, log confidence "
                    "(alpha 40), weight decay 0.005", icon=":material/history_edu:")  # fmt: skip
        presets.button("Defaults", key=key(page, "preset_defaults"), on_click=_set_state,
                       args=(defaults,), help="ALS, 64 factors, linear confidence (alpha 1), reg 10: the "
                       "best discovery NDCG@10 on the demo data", icon=":material/restart_alt:")  # fmt: skip
    values: dict[str, Any] = {}
    trainer_spec = next((s for s in specs if s.name == "trainer"), None)
    trainer = None
    if trainer_spec is not None:
        trainer = st.segmented_control(
            "Trainer", trainer_spec.choices, default=trainer_spec.default, help=trainer_spec.help,
            key=key(page, f"{kind}.trainer"),
        ) or trainer_spec.default
        values["trainer"] = trainer
    main = [s for s in specs if not s.advanced and s.name != "trainer"]
    cols = st.columns(2)
    for i, spec in enumerate(main):
        values[spec.name] = _setting_widget(cols[i % 2], spec, kind, page, trainer)
    advanced = [s for s in specs if s.advanced]
    if advanced:
        with st.expander("Advanced settings"):
            for spec in advanced:
                values[spec.name] = _setting_widget(st, spec, kind, page, trainer)
    return values


def _set_state(values: dict[str, Any]) -> None:
    st.session_state.update(values)


def _setting_widget(where: Any, spec: Any, kind: str, page: str, trainer: str | None) -> Any:
    label = spec.name.replace("_", " ")
    disabled = spec.trainer is not None and trainer is not None and spec.trainer != trainer
    help_text = spec.help + (f" Used by the {spec.trainer} trainer only." if spec.trainer else "")
    widget_key = key(page, f"{kind}.{spec.name}")
    if spec.name == "sigmoid":
        # The notebook's key is kept for its config, but WMF's squared loss needs raw scores.
        return where.checkbox(label, value=False, disabled=True, help=help_text, key=widget_key)
    if spec.type == "bool":
        return where.checkbox(label, value=bool(spec.default), disabled=disabled, help=help_text,
                              key=widget_key)
    if spec.type == "choice":
        index = spec.choices.index(spec.default) if spec.default in spec.choices else 0
        return where.selectbox(label, spec.choices, index=index, disabled=disabled, help=help_text,
                               key=widget_key)
    if spec.type == "int":
        return int(where.number_input(label, value=int(spec.default), step=1, disabled=disabled,
                                      help=help_text, key=widget_key))
    if spec.type == "optional_int":
        value = where.number_input(label, value=spec.default, min_value=1, step=1, disabled=disabled,
                                   help=help_text + " Leave empty for none.", placeholder="none",
                                   key=widget_key)
        return None if value is None else int(value)
    if spec.type == "float":
        return float(where.number_input(label, value=float(spec.default), format="%g", disabled=disabled,
                                        help=help_text, key=widget_key))
    return where.text_input(label, value=str(spec.default), disabled=disabled, help=help_text, key=widget_key)


def job_monitor(page: str, name: str, *, poll_seconds: float = 1.0) -> None:
    """Live view of the training job ``name``: progress bar with time left, loss and NDCG@10 curves, and
    a Stop button. While the job runs the view re-draws itself every ``poll_seconds`` (a fragment); when
    the job ends, the whole page re-runs once so the saved-models table shows the new file."""
    from recsys.app import charts, jobs

    job = jobs.get_job(name)
    if job is None:
        return
    seen_key = key(page, f"monitor.{name}.{job.started_at}")
    running = not job.finished

    @st.fragment(run_every=poll_seconds if running else None)
    def _view() -> None:
        current = jobs.get_job(name)
        if current is None:
            return
        prog = current.progress()
        st.progress(prog.fraction, text=jobs.progress_text(current))
        st.plotly_chart(charts.training_curves(current.history()), key=key(page, f"curves.{name}"))
        if not current.finished:
            st.button("Stop", key=key(page, f"stop.{name}"), icon=":material/stop_circle:",
                      on_click=current.stop, disabled=current.stop_requested,
                      help="End training cleanly after the current epoch (the model is saved).")
        elif current.status == "failed":
            st.error(f"Training {name} failed: {current.error}", icon=":material/error:")
        elif current.saved:
            st.success(f"{jobs.progress_text(current)} — saved to `{current.path}`",
                       icon=":material/check_circle:")
        if current.finished and running and not st.session_state.get(seen_key):
            st.session_state[seen_key] = True
            st.rerun(scope="app")

    _view()


# -- Data page: signal check card --------------------------------------------------------------
_VERDICTS = {
    "structured": (st.success, ":material/check_circle:", "structured — there is taste to learn"),
    "weak": (st.warning, ":material/warning:", "weak — some structure, treat model differences with care"),
    "none": (st.error, ":material/block:", "no detectable structure — differences between models are noise"),
}
_STATUS_ICONS = {
    "clear": ":green[:material/check_circle:]",
    "detected": ":orange[:material/check:]",
    "not detected": ":red[:material/cancel:]",
    "unavailable": ":gray[:material/remove:]",
}


def signal_check_card(prepared: Any) -> Any:
    """The Data page's signal card: the diagnostics' verdict, each check's meaning, and small charts.

    Returns
    -------
    recsys.evaluation.diagnostics.Diagnosis
    """
    from recsys.app import charts
    from recsys.evaluation.diagnostics import diagnose_cached

    with st.spinner("Checking the data for learnable structure..."):
        diagnosis = cached(diagnose_cached, prepared)
    show, icon, text = _VERDICTS.get(diagnosis.verdict, (st.info, ":material/help:", diagnosis.verdict))
    with st.container(border=True):
        show(f"**Signal check: {text}**", icon=icon)
        for check in diagnosis.reasons:
            low, high = check.effect_ci
            st.markdown(
                f"{_STATUS_ICONS.get(check.status, '')} **{check.name.replace('_', ' ')}** ({check.status}): "
                f"{check.meaning}; effect {check.effect:+.3f} (95% CI {low:+.3f} to {high:+.3f})"
            )
        drawn = [c for c in diagnosis.reasons if c.name in charts.SIGNAL_CHARTS and c.tables]
        for column, check in zip(st.columns(max(len(drawn), 1)), drawn, strict=False):
            figure = charts.SIGNAL_CHARTS[check.name](check)
            column.plotly_chart(figure, key=key("data", f"signal_{check.name}"))
    return diagnosis


def train_defaults(prepared: Any, kinds: Sequence[str]) -> None:
    """Train the default models ``kinds`` (default settings) on ``prepared`` into :func:`model_root`,
    as ``python -m recsys bootstrap`` does, with a progress bar."""
    from recsys.commands.train import train_and_save
    from recsys.models import create_model

    with StreamlitProgress("Training the default models", total=len(kinds)) as bar:
        for kind in kinds:
            bar.set_description(f"Training the default {kind} model")
            train_and_save(create_model(kind), prepared, model_root() / f"{kind}.pt", progress=False)
            bar.update(1)


def file_version(path: str | Path) -> int:
    """A file's modification time in ns (0 when missing): a cache key that changes when it is rewritten."""
    try:
        return Path(path).stat().st_mtime_ns
    except OSError:
        return 0


def signal_verdict(prepared: Any) -> str:
    """The diagnostics' verdict on the data (``structured``, ``weak`` or ``none``), cached per dataset."""
    from recsys.evaluation.diagnostics import diagnose_cached

    return cached(diagnose_cached, prepared).verdict


HOME_PAGE = "pages/0_Home.py"


def navigation() -> Any:
    """The dashboard's pages, Home first, for ``app.py`` to run (``st.navigation``).

    Declared here rather than discovered from ``pages/`` so that the entry page is called "Home" in the
    sidebar and every page keeps a short address (``/Data``, ``/Group_builder``).
    """
    return st.navigation([
        st.Page(HOME_PAGE, title="Home", icon=":material/home:", default=True),
        st.Page("pages/1_Data.py", title="Data", icon=":material/bar_chart:", url_path="Data"),
        st.Page("pages/2_Train.py", title="Train", icon=":material/model_training:", url_path="Train"),
        st.Page("pages/3_Evaluate.py", title="Evaluate", icon=":material/analytics:", url_path="Evaluate"),
        st.Page("pages/4_Group_builder.py", title="Group builder", icon=":material/groups:",
                url_path="Group_builder"),
    ])
