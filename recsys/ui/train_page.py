"""The Train page's widgets: hyperparameter inputs drawn from the model configs, starting a background
training, training the default models, and the saved-models table's columns."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.elements.lib.column_types import ColumnConfig

from recsys.app import jobs, training, workspace
from recsys.app.hyperparameters import NOTEBOOK_SETTINGS, Setting, SettingValue, settings_for
from recsys.data.prepared import Prepared
from recsys.errors import ConfigError
from recsys.models import create_model
from recsys.ui.cache import cached
from recsys.ui.feedback import StreamlitProgress
from recsys.ui.state import key

__all__ = ["model_table_columns", "running_job", "settings_inputs", "start_training", "train_defaults"]


def settings_inputs(kind: str, page: str) -> dict[str, SettingValue]:
    """Widgets for a model kind's hyperparameters (:func:`recsys.app.hyperparameters.settings_for`).

    Main settings are drawn in two columns, the others in an "Advanced settings" expander; settings
    the chosen WMF trainer does not use are disabled. WMF also gets two preset buttons (the notebook's
    settings, and the defaults).

    Parameters
    ----------
    kind : str
        A key of :data:`recsys.models.MODELS`.
    page : str
        The calling page's short name (prefixes the widget keys).

    Returns
    -------
    dict
        Setting name -> value, ready for :func:`recsys.models.create_model`.
    """
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
    values: dict[str, SettingValue] = {}
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
        expander = st.expander("Advanced settings")
        for spec in advanced:
            values[spec.name] = _setting_widget(expander, spec, kind, page, trainer)
    return values


def _set_state(values: dict[str, SettingValue]) -> None:
    st.session_state.update(values)


def _setting_widget(
    where: DeltaGenerator, spec: Setting, kind: str, page: str, trainer: SettingValue
) -> SettingValue:
    """One setting's widget, chosen by its type; its value as the config wants it."""
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
        return int(where.number_input(label, value=int(spec.default or 0), step=1, disabled=disabled,
                                      help=help_text, key=widget_key))
    if spec.type == "optional_int":
        value = where.number_input(label, value=spec.default, min_value=1, step=1, disabled=disabled,
                                   help=help_text + " Leave empty for none.", placeholder="none",
                                   key=widget_key)
        return None if value is None else int(value)
    if spec.type == "float":
        return float(where.number_input(label, value=float(spec.default or 0.0), format="%g",
                                        disabled=disabled, help=help_text, key=widget_key))
    return where.text_input(label, value=str(spec.default), disabled=disabled, help=help_text, key=widget_key)


def running_job(name: str) -> jobs.TrainingJob | None:
    """The unfinished training job that would write model ``name``, if any.

    Parameters
    ----------
    name : str
        A model name as typed (``wmf`` or ``wmf.pt``).

    Returns
    -------
    recsys.app.jobs.TrainingJob or None
        ``None`` also for an invalid name: starting a training then says why.
    """
    try:
        clean = workspace.check_name(name, "model")
    except ConfigError:
        return None
    job = jobs.get_job(clean)
    return job if job is not None and not job.finished else None


def start_training(
    name: str, kind: str, settings: dict[str, SettingValue], prepared: Prepared
) -> jobs.TrainingJob:
    """Train a new ``kind`` model on ``prepared`` in the background, saved as model ``name``.

    Parameters
    ----------
    name : str
        The model's store name.
    kind : str
        A key of :data:`recsys.models.MODELS`.
    settings : dict
        From :func:`settings_inputs`.
    prepared : recsys.data.prepared.Prepared
        The data in use (its training matrices are cached per data version).

    Returns
    -------
    recsys.app.jobs.TrainingJob

    Raises
    ------
    recsys.errors.RecsysError
        Invalid settings or name, or a job of that name is still running.
    """
    train, val = cached(training.training_matrices, prepared)
    return jobs.start_training(name, create_model(kind, **settings), train, val=val,
                               out_dir=workspace.model_root(), fingerprint=str(prepared.fingerprint))


def train_defaults(prepared: Prepared, kinds: Sequence[str]) -> None:
    """Train the models ``kinds`` with default settings on ``prepared`` into the model root, each saved
    under its kind's name, as ``python -m recsys bootstrap`` does, with a progress bar.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        The data in use.
    kinds : sequence of str
        Keys of :data:`recsys.models.MODELS`.
    """
    with StreamlitProgress("Training the default models", total=len(kinds)) as bar:
        for kind in kinds:
            bar.set_description(f"Training the default {kind} model")
            training.train_and_save(create_model(kind), prepared, workspace.model_path(kind))
            bar.update(1)


def model_table_columns(table: pd.DataFrame) -> dict[str, ColumnConfig]:
    """``st.dataframe`` column settings of the saved-models table: metrics to 4 decimals, readable names.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`recsys.ui.cache.model_table`.

    Returns
    -------
    dict
        Column name -> ``st.column_config`` column.
    """
    config: dict[str, ColumnConfig] = {
        m: st.column_config.NumberColumn(m, format="%.4f")
        for m in training.HEADLINE_METRICS
        if m in table.columns
    }
    config["matches_data"] = st.column_config.CheckboxColumn("fits data", help="trained on the data in use")
    config["size_mb"] = st.column_config.NumberColumn("MiB", format="%.2f")
    return config
