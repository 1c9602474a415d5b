"""The models of the data on screen: which saved models a page may use, the others with the dataset they
were trained on and a one-click "train these settings on this data", and the default models trained in
the background (with progress) where none fits.

The matching itself (fingerprints, dataset names, new model names) is :mod:`recsys.app.model_fit`; the
training is the one driver's, started through :func:`recsys.app.jobs.start_training`.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from recsys.app import jobs, model_fit, training, workspace
from recsys.app.formatting import escape_markdown
from recsys.app.model_catalog import ModelEntry, list_models
from recsys.data.prepared import Prepared
from recsys.models import create_model
from recsys.ui.cache import cached
from recsys.ui.feedback import show_error
from recsys.ui.state import dataset_name, key

__all__ = [
    "data_models",
    "missing_models_offer",
    "models_section",
    "other_data_models",
    "retrain",
    "train_defaults",
    "trainings_on",
    "trainings_view",
]

POLL_SECONDS = 1.0
"""How often the progress of trainings on this data is redrawn."""


def data_models(prepared: Prepared | None = None) -> model_fit.ModelsForData:
    """The saved models split into those trained on the data in use and the others (with their data).

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared, optional
        The data in use; ``None`` when it is not prepared (then no model fits).

    Returns
    -------
    recsys.app.model_fit.ModelsForData
    """
    fingerprint = str(prepared.fingerprint) if prepared is not None else None
    names = model_fit.dataset_names(workspace.list_datasets())
    return model_fit.models_for_data(list_models(workspace.model_root()), fingerprint, dataset_name(), names)


def trainings_on(fingerprint: str | None) -> list[jobs.TrainingJob]:
    """The trainings running now on the data with ``fingerprint``, newest first."""
    running = jobs.list_jobs(running_only=True)
    return [job for job in running if fingerprint and job.fingerprint == fingerprint]


def _taken(found: model_fit.ModelsForData) -> set[str]:
    """Names a new model must not take: saved files and running jobs."""
    return set(found.all_names) | {job.name for job in jobs.list_jobs(running_only=True)}


def train_defaults(prepared: Prepared, kinds: Sequence[str]) -> list[jobs.TrainingJob]:
    """Train the default models ``kinds`` on ``prepared`` in the background, as ``python -m recsys
    bootstrap`` does.

    Each is saved under its kind's name, or ``<kind>-<dataset>`` where a model of that name was trained
    on other data (:func:`recsys.app.model_fit.default_model_name`): another dataset's model is never
    overwritten.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        The data in use.
    kinds : sequence of str
        Keys of :data:`recsys.models.MODELS`.

    Returns
    -------
    list of recsys.app.jobs.TrainingJob
        The jobs started; :func:`trainings_view` shows their progress.
    """
    found = data_models(prepared)
    train, val = cached(training.training_matrices, prepared)
    started = []
    for kind in kinds:
        name = model_fit.default_model_name(kind, found, _taken(found))
        model = create_model(kind)
        started.append(jobs.start_training(name, model, train, val=val, out_dir=workspace.model_root(),
                                           fingerprint=str(prepared.fingerprint)))
    return started


def retrain(entry: ModelEntry, prepared: Prepared) -> jobs.TrainingJob:
    """Train the settings of ``entry`` (a model of other data) on ``prepared``, in the background.

    The new model is ``<name>-<dataset>`` (:func:`recsys.app.model_fit.retrain_name`), so the other
    dataset keeps its model.

    Parameters
    ----------
    entry : recsys.app.model_catalog.ModelEntry
        The model whose kind and settings are used.
    prepared : recsys.data.prepared.Prepared
        The data in use.

    Returns
    -------
    recsys.app.jobs.TrainingJob

    Raises
    ------
    recsys.errors.RecsysError
        Settings the model kind no longer accepts, or no valid name.
    """
    found = data_models(prepared)
    name = model_fit.retrain_name(entry.name, found.dataset, _taken(found))
    model = create_model(str(entry.kind), **entry.config)
    train, val = cached(training.training_matrices, prepared)
    return jobs.start_training(name, model, train, val=val, out_dir=workspace.model_root(),
                               fingerprint=str(prepared.fingerprint))


def trainings_view(page: str, fingerprint: str | None) -> None:
    """Progress bars of the trainings running on this data, redrawn every second; the page reruns once
    when they end, so the new models are listed.

    Parameters
    ----------
    page : str
        The calling page's short name (prefixes the widget keys).
    fingerprint : str or None
        The data in use.
    """
    running = trainings_on(fingerprint)
    if not running:
        return
    watched = {(job.name, job.started_at) for job in running}

    @st.fragment(run_every=POLL_SECONDS)
    def _view() -> None:
        ended = False
        for job in jobs.list_jobs():
            if (job.name, job.started_at) in watched:
                st.progress(job.progress().fraction, text=f"Training {jobs.progress_text(job)}")
                ended |= job.finished
        if ended:
            st.rerun(scope="app")

    _view()


def missing_models_offer(
    page: str,
    prepared: Prepared,
    found: model_fit.ModelsForData,
    kinds: Sequence[str] = model_fit.DEFAULT_KINDS,
) -> list[str]:
    """Say which default models this data lacks and offer to train them in the background.

    Parameters
    ----------
    page : str
        The calling page's short name (the button is ``<page>.bootstrap``).
    prepared : recsys.data.prepared.Prepared
        The data in use.
    found : recsys.app.model_fit.ModelsForData
        :func:`data_models` of it.
    kinds : sequence of str
        The default kinds the page wants.

    Returns
    -------
    list of str
        The kinds still missing (none being trained).
    """
    busy = {job.kind for job in trainings_on(found.fingerprint)}
    missing = [kind for kind in model_fit.missing_defaults(found, kinds) if kind not in busy]
    if not missing:
        return []
    dataset = escape_markdown(found.dataset)
    if not found.fitting:
        st.info(f"No saved models trained on **{dataset}** yet. Train the default {' and '.join(kinds)} "
                "models here (in the background: you can use other pages meanwhile), or any model on the "
                "Train page.", icon=":material/info:")
    else:
        files = " or ".join(f"`{model_fit.default_model_name(k, found, _taken(found))}.pt`" for k in missing)
        st.warning(f"No {' or '.join(missing)} model trained on **{dataset}** yet (it would be saved as "
                   f"{files}): the dashboard compares the basic model with WMF.",
                   icon=":material/warning:")
    plural = "s" if len(missing) > 1 else ""
    if st.button(f"Train the default {' and '.join(missing)} model{plural}", key=key(page, "bootstrap"),
                 icon=":material/model_training:", type="primary" if not found.fitting else "secondary"):
        with show_error("Could not start training the default models"):
            train_defaults(prepared, missing)
            st.rerun()
    return missing


def other_data_models(page: str, prepared: Prepared, found: model_fit.ModelsForData) -> None:
    """The models trained on other data, each with the dataset it was trained on and a button training
    its settings on this data (in the background, under a new name).

    Parameters
    ----------
    page : str
        The calling page's short name (prefixes the widget keys).
    prepared : recsys.data.prepared.Prepared
        The data in use.
    found : recsys.app.model_fit.ModelsForData
        :func:`data_models` of it.
    """
    if not found.others:
        return
    here = {(e.kind, tuple(sorted(map(str, e.config.items())))): e.name for e in found.fitting}
    with st.expander(f"Models trained on other data ({len(found.others)}): not used here",
                     icon=":material/dataset_linked:"):
        for other in found.others:
            entry = other.entry
            text_col, button_col = st.columns([3, 2], vertical_alignment="center")
            text_col.markdown(f"**{escape_markdown(entry.name)}** ({entry.kind}) — "
                              f"{escape_markdown(other.trained_on)}")
            twin = here.get((entry.kind, tuple(sorted(map(str, entry.config.items())))))
            if twin is not None:
                button_col.caption(f"Its settings are trained on this data as {escape_markdown(twin)}.")
                continue
            if button_col.button("Train these settings on this data", key=key(page, f"retrain.{entry.name}"),
                                 icon=":material/model_training:"):
                with show_error(f"Could not train {entry.name}'s settings on this data"):
                    job = retrain(entry, prepared)
                    st.toast(f"Training {job.name} on {found.dataset} in the background",
                             icon=":material/model_training:")
                    st.rerun()


def models_section(
    page: str, prepared: Prepared, kinds: Sequence[str] = model_fit.DEFAULT_KINDS
) -> model_fit.ModelsForData:
    """Everything a page shows about its models: trainings on this data in progress, the default models
    it lacks (with a button training them), and the models of other data.

    Parameters
    ----------
    page : str
        The calling page's short name.
    prepared : recsys.data.prepared.Prepared
        The data in use.
    kinds : sequence of str
        The default kinds the page wants.

    Returns
    -------
    recsys.app.model_fit.ModelsForData
        The page uses ``.names`` (models trained on this data) only.
    """
    found = data_models(prepared)
    trainings_view(page, found.fingerprint)
    missing_models_offer(page, prepared, found, kinds)
    other_data_models(page, prepared, found)
    return found
