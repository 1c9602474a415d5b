"""The two evaluation regimes side by side: what question each answers, and which model wins in each.

*All tracks* ranks every track, repeats included: a model that recommends what the members already
played (the basic model) does well, because people re-listen. *Discovery* removes the tracks a user
heard in training from the ranking and from the relevant set: only finding new tracks counts, which is
what a learned model (WMF) is for. On the demo data the two regimes name different winners, so showing
one of them alone misleads; the Evaluate page shows both, discovery first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.app.evaluation_report.runs import REGIMES, evaluate_regimes
from recsys.app.evaluation_report.tables import metric_cards
from recsys.app.formatting import escape_markdown, number_text
from recsys.data.prepared import Prepared
from recsys.evaluation.evaluate import Evaluation

__all__ = [
    "DEFAULT_REGIME",
    "REGIME_QUESTIONS",
    "RegimeResult",
    "evaluate_both_regimes",
    "regime_results",
    "regime_table",
    "regime_verdict",
]

DEFAULT_REGIME = "discovery"
"""The regime the Evaluate page opens in: finding new tracks is what the advanced model is for."""

REGIME_QUESTIONS: dict[str, str] = {
    "all tracks": "All tracks: how well does it predict what they play next, repeats included?",
    "discovery": "Discovery: how well does it find tracks they have not heard yet?",
}
"""One sentence per regime (a key of :data:`REGIMES`): the question its figures answer."""


@dataclass(frozen=True)
class RegimeResult:
    """One regime's ranking of the models on one metric.

    Attributes
    ----------
    regime : str
        A key of :data:`REGIMES`.
    metric : str
        ``<metric>@<k>``.
    means : dict of str to float
        Model -> mean over users, best first.
    intervals : dict of str to tuple of float
        Model -> 95% bootstrap interval of the mean.
    """

    regime: str
    metric: str
    means: dict[str, float]
    intervals: dict[str, tuple[float, float]]

    @property
    def winner(self) -> str | None:
        """The model with the highest mean (``None`` without models or figures)."""
        return next(iter(self.means), None)

    @property
    def clear(self) -> bool:
        """Whether the winner's interval lies above every other model's (a difference, not noise)."""
        if len(self.means) < 2 or self.winner is None:
            return False
        low = self.intervals[self.winner][0]
        return all(low > high for name, (_, high) in self.intervals.items() if name != self.winner)


def evaluate_both_regimes(
    prepared: Prepared,
    paths: tuple[str, ...],
    versions: tuple[int, ...],
    split: str = "val",
    k: tuple[int, ...] = (5, 10, 30),
    threshold: float = 1.0,
    sample: int | None = None,
) -> dict[str, dict[str, Evaluation]]:
    """:func:`~recsys.app.evaluation_report.runs.evaluate_saved` in every regime (on the same seeded sample
    of ``sample`` users when given, else on every user).

    Takes the prepared data first and hashable arguments after it, so the dashboard caches it per data
    version (``versions`` only key that cache).

    Returns
    -------
    dict
        Regime (a key of :data:`REGIMES`, discovery first) -> model -> its evaluation.
    """
    order = sorted(REGIMES, key=lambda regime: regime != DEFAULT_REGIME)
    # each model file read and each truth laid once for both regimes
    runs = evaluate_regimes(prepared, paths, split, k, threshold, [REGIMES[r] for r in order], sample)
    return dict(zip(order, runs, strict=True))


def regime_results(by_regime: Mapping[str, Mapping[str, Evaluation]], metric: str) -> list[RegimeResult]:
    """Each regime's models ranked on ``metric`` (best first).

    Parameters
    ----------
    by_regime : mapping
        :func:`evaluate_both_regimes`.
    metric : str
        ``<metric>@<k>`` (e.g. ``"ndcg@10"``).

    Returns
    -------
    list of RegimeResult
        In the order of ``by_regime``; models without a finite mean are left out.
    """
    out = []
    for regime, evaluations in by_regime.items():
        cards = [c for c in metric_cards(evaluations, [metric]) if np.isfinite(c.mean)]
        cards.sort(key=lambda c: (-c.mean, c.model))
        out.append(RegimeResult(regime=regime, metric=metric, means={c.model: c.mean for c in cards},
                                intervals={c.model: (c.ci_low, c.ci_high) for c in cards}))
    return out


def regime_verdict(results: list[RegimeResult]) -> str:
    """One markdown line naming the winner in each regime.

    E.g. ``"Discovery: **wmf** finds new tracks best (NDCG@10 0.143 against basic's 0.086). All tracks:
    **basic** predicts the next plays best (0.543 against wmf's 0.425)."``; "about even" when the
    intervals overlap.

    Parameters
    ----------
    results : list of RegimeResult
        :func:`regime_results`.

    Returns
    -------
    str
        Empty when there is nothing to compare.
    """
    what = {"discovery": "finds new tracks best", "all tracks": "predicts the next plays best"}
    parts = []
    for result in results:
        winner = result.winner
        if winner is None:
            continue
        label = result.regime.capitalize()
        metric = result.metric.upper() if result.metric.startswith("ndcg") else result.metric
        figure = f"{metric} {number_text(result.means[winner])}"
        if len(result.means) == 1:
            parts.append(f"{label}: **{escape_markdown(winner)}** reaches {figure}.")
            continue
        runner_up = next(name for name in result.means if name != winner)
        against = f"against {escape_markdown(runner_up)}'s {number_text(result.means[runner_up])}"
        if result.clear:
            parts.append(f"{label}: **{escape_markdown(winner)}** {what.get(result.regime, 'wins')} "
                         f"({figure} {against}).")
        else:
            parts.append(f"{label}: about even ({escape_markdown(winner)} {figure} {against}; the 95% "
                         "intervals overlap).")
    return " ".join(parts)


def regime_table(results: list[RegimeResult]) -> pd.DataFrame:
    """The regimes side by side: one row per model, one column per regime (the metric's mean).

    Returns
    -------
    pandas.DataFrame
        ``model`` then one column per regime, models in the first regime's order.
    """
    if not results:
        return pd.DataFrame(columns=["model"])
    models = list(results[0].means)
    for result in results[1:]:
        models += [m for m in result.means if m not in models]
    table = pd.DataFrame({"model": models})
    for result in results:
        table[result.regime] = [result.means.get(m, np.nan) for m in models]
    return table
