"""Altair charts for the dashboard's linked views (selections that drive other parts of the page).

Plotly draws the dashboard's static figures (:mod:`recsys.app.charts`); these charts are Altair because
Streamlit returns an Altair chart's selections to the page (``st.altair_chart(..., on_select="rerun")``),
which is what links a chart to a table:

* :func:`strategy_chart` (Group builder): every strategy's least-satisfied member and min/max ratio;
  clicking a strategy (selection ``strategy``) highlights it and shows its list;
* :func:`group_study_chart` (Evaluate): min-NDCG and zero-recall per group size, kind, strategy and
  model, with 95% intervals; the legend highlights a strategy;
* :func:`per_user_chart` (Evaluate): the per-user distribution of a metric; a brush (selection
  ``range``) filters the per-user table, a click on a user (selection ``user``) opens their history and
  recommendations.

:func:`brush_bounds` and :func:`clicked` read those selections out of what Streamlit returns (a plain
mapping ``param -> value``), so pages never parse it themselves. Charts set no colours of their own
beyond scheme names: Streamlit's theme keeps them readable in light and dark mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from recsys.errors import ConfigError

__all__ = [
    "METRIC_LABELS",
    "PER_USER_DOTS",
    "brush_bounds",
    "clicked",
    "group_study_chart",
    "metric_label",
    "per_user_chart",
    "strategy_chart",
    "users_in_range",
]

METRIC_LABELS: dict[str, str] = {
    "ndcg_min": "Worst-served member's NDCG",
    "ndcg_mean": "Members' mean NDCG",
    "ndcg_minmax": "Worst over best member's NDCG",
    "ndcg_jain": "Evenness of the members' NDCG (Jain)",
    "recall_mean": "Members' mean recall",
    "recall_min": "Worst-served member's recall",
    "zero_recall": "Share of members with nothing relevant",
    "dfh": "How early each member's first hit comes",
    "precision": "Share of the list relevant to someone",
}
"""Plain words for the group metrics (without their cut-off)."""

_KIND_LABELS = {"random": "Random", "similar": "Similar tastes", "divergent": "Divergent tastes",
                "outlier": "One outlier"}


def metric_label(metric: str) -> str:
    """``"ndcg_min@10"`` -> ``"Worst-served member's NDCG (top 10)"``."""
    name, _, k = metric.partition("@")
    text = METRIC_LABELS.get(name, name.replace("_", " "))
    return f"{text} (top {k})" if k else text


def strategy_chart(summary: pd.DataFrame, selected: str | None = None) -> alt.Chart:
    """Grouped bars: each strategy's least-satisfied member's affinity and min/max ratio.

    Parameters
    ----------
    summary : pandas.DataFrame
        :attr:`recsys.app.group_builder.strategies.StrategyComparison.summary` (``strategy``,
        ``label``, ``least_satisfied``, ``min_max``, ``help``).
    selected : str, optional
        The strategy selected now (drawn highlighted, the others faded).

    Returns
    -------
    altair.Chart
        With a point selection named ``strategy`` on the field ``strategy``.
    """
    missing = {"strategy", "label", "least_satisfied", "min_max"} - set(summary.columns)
    if missing:
        raise ConfigError(f"the strategy summary lacks columns {sorted(missing)}")
    measures = {"least_satisfied": "Least satisfied member", "min_max": "Worst over best member"}
    long = summary.melt(id_vars=[c for c in ("strategy", "label", "help") if c in summary],
                        value_vars=list(measures), var_name="measure", value_name="value")
    long["measure"] = long["measure"].map(measures)
    pick = alt.selection_point(name="strategy", fields=["strategy"], on="click", clear="dblclick",
                               value=[{"strategy": selected}] if selected else None)
    order = summary["label"].tolist()
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=120)),
            xOffset=alt.XOffset("measure:N", sort=list(measures.values())),
            y=alt.Y("value:Q", title="Affinity (0 to 1)", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("measure:N", title=None, sort=list(measures.values()),
                            legend=alt.Legend(orient="top")),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
            tooltip=[alt.Tooltip("label:N", title="strategy"), alt.Tooltip("measure:N", title="measure"),
                     alt.Tooltip("value:Q", format=".2f"),
                     *([alt.Tooltip("help:N", title="how")] if "help" in long else [])],
        )
        .add_params(pick)
        .properties(height=300, title="How the least-served member fares under each strategy (click one)")
    )


def group_study_chart(study: pd.DataFrame) -> alt.FacetChart:
    """Lines by group size, one panel per metric and group kind, coloured by strategy, with 95% CIs.

    Parameters
    ----------
    study : pandas.DataFrame
        :func:`recsys.evaluation.group_study.group_kinds_study`'s table (``model, strategy, kind, size,
        metric, mean, ci_low, ci_high``); ``strategy_label`` is used when present.

    Returns
    -------
    altair.FacetChart
        Rows: metrics; columns: group kinds; dashes: models. Clicking a legend entry highlights a
        strategy (selection ``highlight``, kept in the chart).
    """
    need = {"model", "strategy", "kind", "size", "metric", "mean", "ci_low", "ci_high"}
    if need - set(study.columns):
        raise ConfigError(f"the group study table lacks columns {sorted(need - set(study.columns))}")
    data = study.copy()
    data["strategy_label"] = data.get("strategy_label", data["strategy"])
    data["metric_label"] = data["metric"].map(metric_label)
    data["kind_label"] = data["kind"].map(lambda k: _KIND_LABELS.get(k, k))
    pick = alt.selection_point(name="highlight", fields=["strategy_label"], bind="legend")
    base = alt.Chart().encode(
        x=alt.X("size:O", title="Group size"),
        color=alt.Color("strategy_label:N", title="Strategy"),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)),
    )
    line = base.mark_line(point=True).encode(
        y=alt.Y("mean:Q", title=None),
        strokeDash=alt.StrokeDash("model:N", title="Model"),
        tooltip=["model:N", alt.Tooltip("strategy_label:N", title="strategy"), "kind_label:N", "size:O",
                 alt.Tooltip("mean:Q", format=".3f"), alt.Tooltip("ci_low:Q", format=".3f", title="CI low"),
                 alt.Tooltip("ci_high:Q", format=".3f", title="CI high")],
    )
    bars = base.mark_errorbar().encode(y="ci_low:Q", y2="ci_high:Q", detail="model:N")
    kinds = [_KIND_LABELS.get(k, k) for k in dict.fromkeys(data["kind"])]
    return (
        alt.layer(line, bars, data=data)
        .add_params(pick)
        .properties(width=170, height=150)
        .facet(row=alt.Row("metric_label:N", title=None),
               column=alt.Column("kind_label:N", title=None, sort=kinds))
        .resolve_scale(y="independent")
    )


PER_USER_DOTS = 4000
"""Users drawn as dots at most (a seeded sample beyond): 50,000 users x 2 models of SVG circles take the
browser many seconds to draw, and the brush filters the table's every user whatever is drawn."""


def per_user_chart(
    long: pd.DataFrame, metric: str, seed: int = 0, max_users: int = PER_USER_DOTS
) -> alt.Chart:
    """Each user as a dot at their metric value, one row per model: brush a range, click a user.

    Parameters
    ----------
    long : pandas.DataFrame
        ``model, user_id, value`` (:func:`recsys.app.evaluation_report.metric_long`).
    metric : str
        The metric's name, e.g. ``"ndcg@10"`` (the axis title).
    seed : int
        Seed of the vertical jitter that keeps dots apart, and of the sample of users drawn (the same
        seed draws the same chart).
    max_users : int
        Draw at most this many users (the same ones for every model); the title says when it is a sample.

    Returns
    -------
    altair.Chart
        Selections ``range`` (an interval on ``value``) and ``user`` (a point on ``user_id``).
    """
    missing = {"model", "user_id", "value"} - set(long.columns)
    if missing:
        raise ConfigError(f"the per-user values lack columns {sorted(missing)}")
    data = long[["model", "user_id", "value"]].copy()
    users = pd.unique(data["user_id"])
    title = "Each dot is a user: drag to filter the table, click a dot to open the user"
    if len(users) > max_users:
        drawn = np.random.default_rng([seed, 1]).choice(len(users), size=max_users, replace=False)
        data = data[data["user_id"].isin(users[drawn])].reset_index(drop=True)
        title += f" (a seeded sample of {max_users:,} of {len(users):,} users; the brush filters them all)"
    data["jitter"] = np.random.default_rng(seed).uniform(-0.35, 0.35, len(data))
    brush = alt.selection_interval(name="range", encodings=["x"])
    user = alt.selection_point(name="user", fields=["user_id"], on="click", clear="dblclick")
    n_models = max(1, data["model"].nunique())
    return (
        alt.Chart(data)
        .mark_circle()
        .encode(
            x=alt.X("value:Q", title=metric),
            y=alt.Y("model:N", title=None),
            yOffset=alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-0.5, 0.5])),
            color=alt.condition(brush, alt.Color("model:N", legend=None), alt.value("lightgray")),
            size=alt.condition(user, alt.value(110), alt.value(30)),
            tooltip=["user_id:N", "model:N", alt.Tooltip("value:Q", format=".3f")],
        )
        .add_params(brush, user)
        .properties(height=70 + 70 * n_models, title=title)
    )


def users_in_range(long: pd.DataFrame, bounds: tuple[float, float] | None) -> set[Any] | None:
    """The users with a value inside ``bounds`` for any model (None: no brush, keep everyone).

    Parameters
    ----------
    long : pandas.DataFrame
        ``model, user_id, value``.
    bounds : tuple of float or None
        From :func:`brush_bounds`.

    Returns
    -------
    set or None
    """
    if bounds is None:
        return None
    low, high = bounds
    inside = long["value"].between(low, high)
    return set(long.loc[inside, "user_id"].tolist())


def brush_bounds(selection: Mapping[str, Any] | None, param: str = "range",
                 field: str = "value") -> tuple[float, float] | None:
    """The ``(low, high)`` of an interval selection, or None when nothing is brushed.

    Parameters
    ----------
    selection : mapping or None
        What Streamlit returns as the chart's ``selection`` (``param`` -> value).
    param, field : str
        The selection's name and the brushed field.

    Returns
    -------
    tuple of float or None
    """
    value = (selection or {}).get(param) or {}
    bounds = value.get(field) if isinstance(value, Mapping) else None
    if not bounds or len(bounds) != 2:
        return None
    low, high = sorted(float(b) for b in bounds)
    return low, high


def clicked(selection: Mapping[str, Any] | None, param: str, field: str) -> list[Any]:
    """The values of ``field`` in a point selection (empty when nothing is clicked).

    Parameters
    ----------
    selection : mapping or None
        What Streamlit returns as the chart's ``selection``.
    param, field : str
        The selection's name and the field it holds.

    Returns
    -------
    list
        In click order, without repeats.
    """
    points = (selection or {}).get(param) or []
    if isinstance(points, Mapping):  # some versions give one point as a mapping
        points = [points]
    values = [p[field] for p in points if isinstance(p, Mapping) and field in p]
    return list(dict.fromkeys(values))
