"""The signal verdict banner on the pages that show model results (Evaluate, Group builder)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from recsys.app import workspace
from recsys.app.signal_banner import SignalBanner, model_vs_random_of
from recsys.app.signal_banner import signal_banner as banner_of
from recsys.app.versions import file_version
from recsys.data.prepared import Prepared
from recsys.ui.cache import cached, cached_diagnosis
from recsys.ui.feedback import show_error

__all__ = ["signal_banner"]


def signal_banner(prepared: Prepared, models: Sequence[str] = ()) -> SignalBanner | None:
    """A banner with the Data page's verdict when the data has weak or no detectable structure.

    Nothing is drawn for structured data. With no structure the banner is an error box (the results
    below are noise) carrying the best of ``models`` against a random list.

    Parameters
    ----------
    prepared : recsys.data.prepared.Prepared
        The data in use.
    models : sequence of str
        Saved models trained on this data (the best one's figure is shown).

    Returns
    -------
    recsys.app.signal_banner.SignalBanner or None
        What was shown.
    """
    with show_error("Could not check the data's signal"):
        diagnosis = cached_diagnosis(prepared)
        if diagnosis.verdict not in {"weak", "none"}:
            return None
        check = None
        if models:
            paths = tuple(str(workspace.model_path(name)) for name in models)
            versions = tuple(file_version(p) for p in paths)
            with st.spinner("Comparing the models with a random list..."):
                check = cached(model_vs_random_of, prepared, paths, versions)
        banner = banner_of(diagnosis, check)
        if banner is not None:
            show = st.error if banner.verdict == "none" else st.warning
            show(banner.text, icon=":material/warning:")
        return banner
    return None
