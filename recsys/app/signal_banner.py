"""The Data page's signal verdict carried to the pages that show model results (Evaluate, Group builder).

On a release with no detectable structure every model scores like random: its playlists and heatmaps
look as confident as anywhere else, and only the Data page would say they mean nothing. The banner puts
the verdict where the results are, with the figure that makes it concrete: the best model trained on this
data against a random list (:func:`recsys.evaluation.diagnostics.versus_random.best_model_vs_random`),
or, with no model yet, the most-played tracks against random (the diagnosis' own check).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from recsys.app.formatting import escape_markdown, number_text
from recsys.app.workspace import load_model
from recsys.data.prepared import Prepared
from recsys.evaluation.diagnostics import Diagnosis
from recsys.evaluation.diagnostics.check import Check
from recsys.evaluation.diagnostics.versus_random import best_model_vs_random

__all__ = ["SignalBanner", "model_vs_random_of", "signal_banner"]

_HEADLINES = {
    "none": "No detectable structure in this data",
    "weak": "Weak structure in this data",
}
_CONSEQUENCES = {
    "none": "every model scores like random here: its playlists, heatmaps and differences between models are "
            "noise, not taste.",
    "weak": "some taste to learn, but treat differences between models with care.",
}


@dataclass(frozen=True)
class SignalBanner:
    """What the banner says.

    Attributes
    ----------
    verdict : str
        The diagnostics' verdict (``weak`` or ``none``; structured data gets no banner).
    text : str
        The markdown of the banner (names escaped).
    """

    verdict: str
    text: str


def model_vs_random_of(prepared: Prepared, paths: tuple[str, ...], versions: tuple[int, ...]) -> Check:
    """:func:`~recsys.evaluation.diagnostics.versus_random.best_model_vs_random` of saved model files.

    Takes the prepared data first and hashable arguments after it, so the dashboard caches it per data
    version; ``versions`` (the files' modification times) only key that cache.
    """
    models = {Path(p).stem: load_model(p) for p in paths}
    return best_model_vs_random(models, prepared)


def _figure_text(check: Check | None) -> str:
    """``"the best model, wmf, reaches NDCG@10 0.012 against 0.011 for a random list (x1.1)"``."""
    if check is None or not math.isfinite(check.figure) or not math.isfinite(check.baseline):
        return ""
    k = check.details.get("k", 10)
    lift = f" (x{check.figure / check.baseline:.1f})" if check.baseline > 0 else ""
    if check.name == "model_vs_random":
        who = f"the best model here, {escape_markdown(check.details.get('model', ''))},"
    else:
        who = "the most-played tracks"
    return (f"{who} reach{'es' if check.name == 'model_vs_random' else ''} NDCG@{k} "
            f"{number_text(check.figure)} against {number_text(check.baseline)} for a random list{lift}")


def signal_banner(diagnosis: Diagnosis, model_check: Check | None = None) -> SignalBanner | None:
    """The banner for data with a ``weak`` or ``none`` verdict (``None`` for structured data).

    Parameters
    ----------
    diagnosis : recsys.evaluation.diagnostics.Diagnosis
        The data's diagnosis (the Data page's signal check).
    model_check : Check, optional
        :func:`model_vs_random_of` the models trained on this data; without it (or when it is
        unavailable) the diagnosis' popularity-against-random check gives the figure.

    Returns
    -------
    SignalBanner or None
    """
    if diagnosis.verdict not in _HEADLINES:
        return None
    check = model_check if model_check is not None and math.isfinite(model_check.figure) else None
    if check is None:
        check = next((c for c in diagnosis.reasons if c.name == "popularity_vs_random"), None)
    figure = _figure_text(check)
    text = f"**{_HEADLINES[diagnosis.verdict]}** (the signal check on the Data page): "
    text += _CONSEQUENCES[diagnosis.verdict]
    if figure:
        text += f" For scale: {figure}."
    return SignalBanner(verdict=diagnosis.verdict, text=text)
