"""The Evaluate page's figures, drawn from the tables of :mod:`recsys.app.evaluation_report`."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from recsys.app.charts.style import titled
from recsys.app.formatting import metric_label

__all__ = ["against_random_chart", "metric_distribution_chart"]


def metric_distribution_chart(long: pd.DataFrame, metric: str) -> go.Figure:
    """Per-user distribution of one metric, one box per model (from
    :func:`recsys.app.evaluation_report.metric_long`)."""
    label = metric_label(metric)
    fig = go.Figure()
    for model, part in long.groupby("model", sort=False):
        fig.add_trace(
            go.Box(
                y=part["value"],
                name=str(model),
                boxmean=True,
                boxpoints="outliers",
                customdata=part["user_id"],
                hovertemplate="user %{customdata}<br>" + label + " %{y:.3f}<extra>%{fullData.name}</extra>",
            )
        )
    return titled(fig, f"{label} per user", yaxis={"title": label, "rangemode": "tozero"},
                   showlegend=False)


def against_random_chart(table: pd.DataFrame, metric: str) -> go.Figure:
    """Each model's mean with its 95% interval beside the random expectation (from
    :func:`recsys.app.evaluation_report.against_random`)."""
    fig = go.Figure(
        go.Bar(
            x=table["model"],
            y=table["mean"],
            name="model",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": table["ci_high"] - table["mean"],
                "arrayminus": table["mean"] - table["ci_low"],
            },
            hovertemplate="%{x}<br>mean %{y:.4f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=table["model"],
            y=table["random"],
            mode="markers",
            name="random (expected)",
            marker={"symbol": "line-ew-open", "size": 28, "line": {"width": 3}},
            hovertemplate="random %{y:.4f}<extra></extra>",
        )
    )
    label = metric_label(metric)
    return titled(fig, f"{label}: models against random", yaxis={"title": label, "rangemode": "tozero"},
                   legend={"orientation": "h", "y": -0.2})
