"""The Train page's widgets: hyperparameter inputs drawn from the model configs (with their bounds),
starting a background training, and the saved-models table's columns."""

from __future__ import annotations

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
from recsys.ui.state import key

__all__ = [
    "METRIC_LABELS",
    "model_table_columns",
    "running_job",
    "settings_inputs",
    "start_training",
    "val_users_input",
]


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
        presets.button("Original prototype's settings", key=key(page, "preset_notebook"),
                       on_click=_set_state, args=(notebook,), icon=":material/history_edu:",
                       help="The customer's first prototype: AdamW, 32 factors, logarithmic confidence with "
                            "scale 40, weight decay 0.005")
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
    if spec.min_value is not None and spec.max_value is not None:
        help_text += f" From {spec.min_value:,} to {spec.max_value:,}."
    if spec.type == "int":
        return int(where.number_input(label, value=int(spec.default or 0), step=1, disabled=disabled,
                                      min_value=spec.min_value, max_value=spec.max_value,
                                      help=help_text, key=widget_key))
    if spec.type == "optional_int":
        value = where.number_input(label, value=spec.default, step=1, disabled=disabled,
                                   min_value=spec.min_value if spec.min_value is not None else 1,
                                   max_value=spec.max_value, help=help_text + " Leave empty for none.",
                                   placeholder="none", key=widget_key)
        return None if value is None else int(value)
    if spec.type == "float":
        return float(where.number_input(label, value=float(spec.default or 0.0), format="%g",
                                        min_value=spec.min_value, max_value=spec.max_value,
                                        disabled=disabled, help=help_text, key=widget_key))
    if isinstance(spec.default, (tuple, list)):
        # a list of texts (e.g. KEY=VALUE settings): one comma-separated box, back to a tuple
        text = where.text_input(label, value=", ".join(map(str, spec.default)), disabled=disabled,
                                help=help_text + " Separate several with commas.", key=widget_key)
        return tuple(part.strip() for part in text.split(",") if part.strip())
    text = where.text_input(label, value="" if spec.default is None else str(spec.default), disabled=disabled,
                            help=help_text, key=widget_key,
                            placeholder="none" if spec.default is None else "")
    # an empty box means "not set" for a setting whose default is None ("None" would be taken literally)
    return None if spec.default is None and not text.strip() else text


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


def val_users_input(page: str) -> int | str:
    """How many validation users the live NDCG@10 is measured on each epoch: automatic (the default),
    all of them, or a number.

    Parameters
    ----------
    page : str
        The calling page's short name (prefixes the widget key).

    Returns
    -------
    int or str
        ``"auto"``, ``"all"`` or a number of users, for :func:`start_training`.
    """
    choices = {"Automatic: a twentieth, 50 to 2,000": "auto", "All": "all", "A number of users": "number"}
    choice = st.selectbox(
        "Validation users per epoch", list(choices), key=key(page, "val_users_mode"),
        help="The live validation NDCG@10 is measured after every epoch on a fixed, seeded sample of the "
             "validation users, so an epoch stays cheap on a large release: automatically a twentieth of "
             "them (at least 50, at most 2,000), all of them, or the number you give. The final metrics "
             "stored with the model always use every validation user.",
    )  # fmt: skip
    if choices[choice] != "number":
        return choices[choice]
    value = st.number_input("Users per epoch", min_value=1, value=2000, step=500, key=key(page, "val_users"))
    return int(value)


def start_training(
    name: str,
    kind: str,
    settings: dict[str, SettingValue],
    prepared: Prepared,
    val_users: int | str = training.DEFAULT_VAL_USERS,
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
    val_users : int or str
        The per-epoch validation sample (:func:`val_users_input`).

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
                               out_dir=workspace.model_root(), fingerprint=str(prepared.fingerprint),
                               val_users=val_users)


def model_table_columns(table: pd.DataFrame) -> dict[str, ColumnConfig | None]:
    """``st.dataframe`` column settings of the saved-models table: plain labels, metrics to 3 decimals,
    internal columns (fingerprint, error) hidden.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`recsys.ui.cache.model_table`.

    Returns
    -------
    dict
        Column name -> ``st.column_config`` column (``None`` hides it).
    """
    config: dict[str, ColumnConfig | None] = {
        m: st.column_config.NumberColumn(label, format="%.3f", help=_METRIC_HELP.get(m))
        for m, label in METRIC_LABELS.items()
        if m in table.columns
    }
    config.update({
        "name": st.column_config.TextColumn("Model"),
        "kind": st.column_config.TextColumn("Kind"),
        "trained_on": st.column_config.TextColumn("Trained on", help="The dataset the model learned from"),
        "created": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
        "epochs": st.column_config.NumberColumn("Epochs"),
        "users": st.column_config.NumberColumn("Listeners", format="localized"),
        "tracks": st.column_config.NumberColumn("Tracks", format="localized"),
        "matches_data": st.column_config.CheckboxColumn("Fits this data", help="Trained on the data in use"),
        "config": st.column_config.TextColumn("Settings"),
        "size_mb": st.column_config.NumberColumn("Size (MiB)", format="%.2f"),
        "fingerprint": None,
        "error": st.column_config.TextColumn("Problem"),
    })
    if "error" in table.columns and table["error"].isna().all():
        config["error"] = None
    if "matches_data" in table.columns and table["matches_data"].fillna(False).astype(bool).all():
        config["matches_data"] = None  # a table of this data's models only
    return config


METRIC_LABELS: dict[str, str] = {
    "ndcg@10": "NDCG@10",
    "precision@10": "Precision@10",
    "recall@10": "Recall@10",
    "val_ndcg@10": "Last epoch's NDCG@10",
    "val_loss": "Validation loss",
    "train_loss": "Training loss",
}
"""Plain column labels of the headline metrics (:data:`recsys.app.training.HEADLINE_METRICS`)."""

_METRIC_HELP = {
    "ndcg@10": "Ranking quality of the top 10 on every validation listener, new tracks only (1 = perfect)",
    "precision@10": "Share of the top 10 the listener played later, new tracks only",
    "recall@10": "Share of what the listener played later that the top 10 holds, new tracks only",
    "val_ndcg@10": "NDCG@10 measured after the last epoch on a sample of validation listeners",
}
