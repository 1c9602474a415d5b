"""The Evaluate page's figures, drawn from the tables of :mod:`recsys.app.evaluation_report`."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from recsys.app.charts.style import titled

__all__ = ["against_random_chart", "metric_distribution_chart"]


def metric_distribution_chart(long: pd.DataFrame, metric: str) -> go.Figure:
    """Per-user distribution of one metric, one box per model (from
    :func:`recsys.app.evaluation_report.metric_long`)."""
    fig = go.Figure()
    for model, part in long.groupby("model", sort=False):
        fig.add_trace(
            go.Box(
                y=part["value"],
                name=str(model),
                boxmean=True,
                boxpoints="outliers",
                customdata=part["user_id"],
                hovertemplate="user %{customdata}<br>" + metric + " %{y:.3f}<extra>%{fullData.name}</extra>",
            )
        )
    return titled(fig, f"{metric} per user", yaxis={"title": metric, "rangemode": "tozero"},
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
    return titled(fig, f"{metric}: models against random", yaxis={"title": metric, "rangemode": "tozero"},
                   legend={"orientation": "h", "y": -0.2})
