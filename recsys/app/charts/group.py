"""The Group builder page's figures: who each recommended track serves, and the shared tracks."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from pandas.io.formats.style import Styler

from recsys.app.charts.style import HEATMAP_SCALE, titled

__all__ = ["affinity_heatmap", "overlap_styler"]


def affinity_heatmap(affinity: pd.DataFrame, title: str = "Who each pick serves") -> go.Figure:
    """Members x tracks heatmap of predicted affinity (from :func:`recsys.app.group_builder.affinity_matrix`).

    Values are each member's normalised score of the track (1 = that member's favourite candidate).
    """
    fig = go.Figure(
        go.Heatmap(
            z=affinity.to_numpy(dtype=float),
            x=[str(c) for c in affinity.columns],
            y=[str(i) for i in affinity.index],
            colorscale=HEATMAP_SCALE,
            zmin=0,
            zmax=1,
            colorbar={"title": {"text": "affinity"}},
            hovertemplate="%{y}<br>%{x}<br>affinity %{z:.2f}<extra></extra>",
        )
    )
    return titled(
        fig,
        title,
        height=max(220, 40 * len(affinity.index) + 170),
        xaxis={"tickangle": -35, "automargin": True},
        yaxis={"autorange": "reversed", "automargin": True},
    )


def overlap_styler(table: pd.DataFrame, column: str = "in_both") -> Styler:
    """A pandas Styler that highlights the rows of tracks on both lists (readable in both themes)."""
    highlight = "background-color: rgba(255, 176, 0, 0.28); font-weight: 600"

    def _rows(row: pd.Series) -> list[str]:
        return [highlight if bool(row[column]) else ""] * len(row)

    return table.style.apply(_rows, axis=1).format(precision=3)
