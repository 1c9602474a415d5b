"""The look every dashboard figure shares: a left-aligned title, tight margins, theme-neutral colours.

Figures leave the template alone (no hard-coded backgrounds or font colours), so Streamlit's theme
makes them readable in light and dark mode; :data:`HEATMAP_SCALE` reads on both.
"""

from __future__ import annotations

import plotly.graph_objects as go

__all__ = ["HEATMAP_SCALE", "MARGIN", "titled"]

HEATMAP_SCALE = "Viridis"
"""The colour scale of every heatmap (readable on light and dark backgrounds)."""

MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
"""Figure margins in pixels: the title sits inside the top margin, the rest is tight."""


def titled(fig: go.Figure, title: str, *, height: int = 320, **kwargs: object) -> go.Figure:
    """Give ``fig`` its title, height and the shared margins (further layout settings as keywords).

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig`` itself, for chaining.
    """
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"}, height=height, margin=MARGIN, **kwargs
    )
    return fig
