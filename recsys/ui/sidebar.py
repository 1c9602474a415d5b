"""What every page shows in the sidebar (``app.py`` draws it before the page): the dataset picker, bound to
the URL, and the work running in the background (preparations and trainings) until it is done.

The picker is drawn from the entry point on purpose: Streamlit clears a page's query parameters when
another page opens, except those of widgets bound to the URL that are drawn on the new page, and a widget
of the entry point is drawn on every page. So ``?dataset=<folder name>`` stays in the address bar from
page to page and across reloads, and a link to a colleague opens the same dataset.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from recsys.app import jobs, preparation, workspace
from recsys.app.formatting import escape_markdown
from recsys.ui.datasets import preparation_view
from recsys.ui.nav import navigation
from recsys.ui.state import DATASET_PARAM, pending_dataset

__all__ = ["POLL_SECONDS", "background_status", "dataset_picker", "require_entry_point", "sidebar"]

POLL_SECONDS = 1.0
"""How often the background status redraws while something runs."""

UNKNOWN_KEY = "app.unknown_dataset"
"""Session-state key of a dataset name from the URL that is not in the data root (shown as a warning)."""

_NOT_THERE = "not generated yet"


def sidebar() -> str:
    """The sidebar of every page: :func:`dataset_picker`, then :func:`background_status`.

    Returns
    -------
    str
        The name of the dataset in use.
    """
    name = dataset_picker()
    background_status()
    return name


def dataset_picker() -> str:
    """The dataset picker: a select box bound to ``?dataset=<name>`` in the URL.

    A dataset chosen by a button since the last run (:func:`recsys.ui.state.set_dataset`) is taken over
    first. A name in the URL that is not a dataset of the data root gives a warning naming it (the
    default dataset is shown instead). Choosing a dataset that is not prepared starts preparing it in the
    background.

    Returns
    -------
    str
        The name of the dataset in use.
    """
    infos = workspace.list_datasets()
    status = {info.name: info.status for info in infos}
    names = [info.name for info in infos]
    default = workspace.DEMO_NAME if (workspace.DEMO_NAME in names or not names) else names[0]
    # The default first: an index of 0 is what the widget treats as "no default given", so a value set
    # through the session state (a button's choice) never clashes with it.
    options = [default, *(n for n in names if n != default)]
    pending = pending_dataset()
    if pending is not None and pending in [*options, workspace.DEMO_NAME]:
        if pending not in options:
            options.append(pending)
        st.session_state[DATASET_PARAM] = pending
        st.session_state.pop(UNKNOWN_KEY, None)
    asked = st.query_params.get(DATASET_PARAM)
    if pending is None and asked and asked not in options:
        st.session_state[UNKNOWN_KEY] = asked

    # No format_func: the URL holds the option's label, which must stay the plain folder name.
    chosen = st.sidebar.selectbox(
        "Dataset", options, key=DATASET_PARAM, bind="query-params", on_change=_picked,
        help="The dataset every page shows. It is part of the page's address: a reload, a bookmark or a "
             "link keeps it.",
    )
    state = status.get(str(chosen), _NOT_THERE)
    job = preparation.get_preparation(str(chosen))
    if state != "prepared" and (job is None or job.finished):  # a running one shows its own progress
        st.sidebar.caption(f"{escape_markdown(chosen)}: {'not prepared yet' if state == 'raw' else state}")
    unknown = st.session_state.get(UNKNOWN_KEY)
    if unknown:
        st.sidebar.warning(f"There is no dataset “{escape_markdown(unknown)}” in the data folder: showing "
                           f"**{escape_markdown(chosen)}** instead.", icon=":material/warning:")
    return str(chosen)


def _picked() -> None:
    """The picker's callback: forget an unknown name from the URL, start preparing a raw dataset."""
    st.session_state.pop(UNKNOWN_KEY, None)
    name = st.session_state.get(DATASET_PARAM)
    if not name:
        return
    info = workspace.dataset_info(workspace.dataset_folder(name), workspace.data_root())
    if not info.missing and not info.prepared:
        preparation.start_preparation(info.path)


def background_status() -> None:
    """Progress of every preparation and training running in this server, redrawn every second.

    When one of them ends, the whole page reruns once, so a dataset that was being prepared opens and a
    model that was being trained is listed.
    """
    preparing = preparation.list_preparations(running_only=True)
    training = jobs.list_jobs(running_only=True)
    if not preparing and not training:
        return
    watched = {("prepare", p.name, p.started_at) for p in preparing} | {
        ("train", j.name, j.started_at) for j in training
    }

    @st.fragment(run_every=POLL_SECONDS)
    def _status() -> None:
        st.caption("Running in the background")
        ended = False
        for job in preparation.list_preparations():
            if ("prepare", job.name, job.started_at) in watched:
                preparation_view(job)
                ended |= job.finished
        for job in jobs.list_jobs():
            if ("train", job.name, job.started_at) in watched:
                st.progress(job.progress().fraction, text=jobs.progress_text(job))
                ended |= job.finished
        if ended:
            st.rerun(scope="app")

    with st.sidebar:
        _status()


def require_entry_point() -> None:
    """Make sure the page runs inside ``app.py``'s navigation (every page calls this first).

    A folder named ``pages/`` beside the entry point makes Streamlit start in its older multipage mode:
    until some session has called ``st.navigation``, a link straight to a page (``/Evaluate?dataset=x``
    as the first request after the server started) runs that page's script alone, without ``app.py`` and
    so without the sidebar's dataset picker that keeps ``?dataset=`` in the URL. Here the page notices
    that, switches the older mode off for the process (what ``st.navigation`` does), and does what
    ``app.py`` does in this same run: the navigation (which resolves this page again from the address),
    the sidebar, and the page; then it stops the outer run. A rerun would be simpler but would lose the
    click that started this run.
    """
    if not PagesManager.uses_pages_directory:
        return
    PagesManager.uses_pages_directory = False
    page = navigation()
    sidebar()
    page.run()
    st.stop()
