"""Models against each other (a paired test on the users both evaluated) and against a random list,
with a plain-language reading of the result for the Evaluate page."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from recsys.app.evaluation_report.tables import MetricCard, metric_cards
from recsys.app.formatting import escape_markdown, interval_text, metric_label, p_value_text
from recsys.evaluation.evaluate import Evaluation
from recsys.evaluation.stats import PairedResult, paired_comparison

__all__ = ["against_random", "comparison_sentence", "lift_arrow", "lift_text", "paired"]


def paired(a: Evaluation, b: Evaluation, metric: str, *, seed: int = 0) -> PairedResult:
    """Paired comparison of two evaluations on the users both evaluated.

    Returns
    -------
    recsys.evaluation.stats.PairedResult
        ``diff = mean(a - b)`` with its bootstrap interval and permutation / Wilcoxon p-values.
    """
    joined = a.per_user[["user_id", metric]].merge(b.per_user[["user_id", metric]], on="user_id")
    return paired_comparison(
        joined[f"{metric}_x"].to_numpy(), joined[f"{metric}_y"].to_numpy(), seed=seed
    )


def against_random(evaluations: Mapping[str, Evaluation], metric: str) -> pd.DataFrame:
    """Every model against a random recommender's analytic expectation on the same users.

    Returns
    -------
    pandas.DataFrame
        ``model, mean, ci_low, ci_high, random, lift, above_random`` (the interval's low end above the
        random expectation).
    """
    rows = []
    for card in metric_cards(evaluations, [metric]):
        rows.append(
            {
                "model": card.model,
                "mean": card.mean,
                "ci_low": card.ci_low,
                "ci_high": card.ci_high,
                "random": card.random,
                "lift": card.lift,
                "above_random": bool(card.ci_low > card.random),
            }
        )
    columns = ["model", "mean", "ci_low", "ci_high", "random", "lift", "above_random"]
    return pd.DataFrame(rows, columns=columns)


def lift_text(card: MetricCard) -> str | None:
    """``"x3.2 random"`` for a card, or ``None`` when the random expectation is unknown or zero."""
    return f"x{card.lift:.1f} random" if np.isfinite(card.lift) else None


def lift_arrow(card: MetricCard) -> str:
    """The card's arrow: ``"up"`` only when the model is above random (its interval's low end above the
    random expectation), else ``"off"`` (an up arrow beside "x0.9 random" would say the opposite)."""
    return "up" if np.isfinite(card.random) and card.ci_low > card.random else "off"


def comparison_sentence(result: PairedResult, a: str, b: str, metric: str, *, alpha: float = 0.05) -> str:
    """A plain-language reading of ``paired(b, a)``: which model is better, by how much, how sure."""
    a, b = escape_markdown(a), escape_markdown(b)
    if result.n == 0:
        return f"No user was evaluated by both {a} and {b}."
    label = metric_label(metric)
    better, worse = (b, a) if result.diff > 0 else (a, b)
    interval = interval_text(result.ci_low, result.ci_high, signed=True)
    if result.ci_low > 0 or result.ci_high < 0:
        return (
            f"**{better}** beats **{worse}** on {label} by {abs(result.diff):.3f} on average over "
            f"{result.n:,} users (95% confidence interval of {b} − {a}: {interval}; "
            f"{p_value_text(result.p_value)}): a real difference."
        )
    return (
        f"No clear difference on {label}: {b} − {a} = {result.diff:+.3f}, and its 95% confidence interval "
        f"({interval}) includes 0 ({p_value_text(result.p_value)}, {result.n:,} users)."
    )
