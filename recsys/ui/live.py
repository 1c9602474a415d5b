"""Views that redraw while something runs: a chart fed point by point, and the training-job monitor."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from recsys.app import charts, jobs
from recsys.ui.state import key

__all__ = ["LiveChart", "job_monitor"]


class LiveChart:
    """A chart that redraws in place as new points arrive (e.g. loss curves fed by a training callback).

    Parameters
    ----------
    make_figure : callable
        ``make_figure(history) -> plotly Figure``, from :mod:`recsys.app.charts`.
    container : streamlit.delta_generator.DeltaGenerator, optional
        Where to draw (default: the main area).
    key : str, optional
        Element key prefix, so several live charts can share a page.
    """

    def __init__(
        self,
        make_figure: Callable[[Sequence[Mapping[str, float]]], go.Figure],
        container: DeltaGenerator | None = None,
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


def job_monitor(page: str, name: str, *, poll_seconds: float = 1.0) -> None:
    """Live view of the training job ``name``: progress bar with time left, loss and NDCG@10 curves, and
    a Stop button.

    While the job runs the view re-draws itself every ``poll_seconds`` (a fragment, so the rest of the
    page is not re-run); when the job ends, the whole page re-runs once so the saved-models table shows
    the new file.

    Parameters
    ----------
    page : str
        The calling page's short name (prefixes the widget keys).
    name : str
        The job's (and future model's) name.
    poll_seconds : float
        Seconds between redraws while the job runs.
    """
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
        # Once per job: the fragment alone cannot refresh the saved-models table outside it.
        if current.finished and running and not st.session_state.get(seen_key):
            st.session_state[seen_key] = True
            st.rerun(scope="app")

    _view()
