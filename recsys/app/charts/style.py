"""The look every dashboard figure shares: a left-aligned title, tight margins, theme-neutral colours.

Figures leave the template alone (no hard-coded backgrounds or font colours), so Streamlit's theme
makes them readable in light and dark mode; :data:`HEATMAP_SCALE` reads on both.
"""

from __future__ import annotations

import plotly.graph_objects as go

__all__ = ["HEATMAP_SCALE", "LEGEND_BELOW", "MARGIN", "titled"]

HEATMAP_SCALE = "Viridis"
"""The colour scale of every heatmap (readable on light and dark backgrounds)."""

MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
"""Figure margins in pixels: the title sits inside the top margin, the rest is tight (the axes push
them out as far as their labels need: ``automargin``)."""

LEGEND_BELOW = {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0,
                "xanchor": "left", "title": {"text": ""}}
"""A horizontal legend at the very bottom of the figure, under the x axis title (never over it)."""

_LEGEND_ROOM = 36  # px below the x axis title for one row of legend
_AXIS_ROOM = 56  # px for x tick labels and the axis title
_LONG_TITLE = 40  # characters: longer titles get a smaller font, so a half-width chart shows them whole


def titled(fig: go.Figure, title: str, *, height: int = 320, **kwargs: object) -> go.Figure:
    """Give ``fig`` its title, height and the shared margins (further layout settings as keywords).

    Every axis gets ``automargin`` (tick labels such as genre names are never cut); a ``legend`` given
    as a keyword is drawn below the x axis title (:data:`LEGEND_BELOW`) with room kept for it; a long
    title is set smaller so that it is not cut at the chart's edge.

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig`` itself, for chaining.
    """
    margin = dict(MARGIN)
    if "legend" in kwargs:
        kwargs["legend"] = {**LEGEND_BELOW, **_without_position(kwargs["legend"])}
        margin["b"] = MARGIN["b"] + _AXIS_ROOM + _LEGEND_ROOM
        height += _LEGEND_ROOM
    axes = {"xaxis", "yaxis"} | {k for k in kwargs if k[:5] in {"xaxis", "yaxis"} and k[5:].isdigit()}
    for axis in axes:
        given = kwargs.get(axis)
        kwargs[axis] = {**(given if isinstance(given, dict) else {}), "automargin": True}
    font = {"size": 13} if len(title) > _LONG_TITLE else {"size": 16}
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": font}, height=height, margin=margin,
        **kwargs,
    )
    return fig


def _without_position(legend: object) -> dict:
    """A legend's settings without where it goes (the shared place wins)."""
    if not isinstance(legend, dict):
        return {}
    placement = {"orientation", "x", "y", "xanchor", "yanchor", "yref"}
    return {k: v for k, v in legend.items() if k not in placement}
