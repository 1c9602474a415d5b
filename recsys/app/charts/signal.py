"""Small charts of the signal check's data (:mod:`recsys.evaluation.diagnostics`), for the Data page's
signal card: one per check that has data to show (:data:`SIGNAL_CHARTS`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from recsys.app.charts.style import titled
from recsys.evaluation.diagnostics import Check

__all__ = [
    "MAX_POINTS", "SIGNAL_CHARTS", "genre_affinity_chart", "popularity_dispersion_chart", "relistening_chart",
]

MAX_POINTS = 2_000
"""Users drawn at most in a per-user scatter (a seeded sample beyond it, said in the title): 50,000 SVG
points take Chromium ten seconds to draw and show nothing more than 2,000 do."""


def _small(fig: go.Figure, title: str, **kwargs: object) -> go.Figure:
    """A card-sized figure: short, with the legend below."""
    return titled(fig, title, height=260, legend={"orientation": "h", "y": -0.25}, **kwargs)


def genre_affinity_chart(check: Check) -> go.Figure:
    """Per favourite genre: the share of its fans' plays in it, against independent plays and the
    catalogue share (:func:`recsys.evaluation.diagnostics.genre_affinity`'s ``tables["genres"]``)."""
    table = check.tables.get("genres", pd.DataFrame())
    table = table.head(12)
    fig = go.Figure(
        [
            go.Bar(x=table["genre"], y=table["observed"], name="fans' plays",
                   hovertemplate="%{x}: %{y:.1%} of fans' plays<extra></extra>"),
            go.Bar(x=table["genre"], y=table["independent"], name="if independent",
                   hovertemplate="%{x}: %{y:.1%} of all plays<extra></extra>"),
            go.Bar(x=table["genre"], y=table["catalogue"], name="catalogue share",
                   hovertemplate="%{x}: %{y:.1%} of tracks<extra></extra>"),
        ]
    )
    return _small(fig, "Genre affinity", barmode="group", yaxis={"tickformat": ".0%"})


def popularity_dispersion_chart(check: Check) -> go.Figure:
    """Tracks per play count against a Poisson spread (the popularity dispersion check's histogram)."""
    table = check.tables.get("histogram", pd.DataFrame())
    fig = go.Figure(
        [
            go.Bar(x=table["plays"], y=table["tracks"], name="tracks",
                   hovertemplate="%{y:,} tracks with %{x} plays<extra></extra>"),
            go.Scatter(x=table["plays"], y=table["poisson"], name="if plays were random", mode="lines",
                       hovertemplate="%{y:,.1f} expected with %{x} plays<extra></extra>"),
        ]
    )
    # The Poisson tail falls to 1e-100 and below: show from a tenth of a track up.
    top = float(max(table["tracks"].max(), table["poisson"].max())) if len(table) else 1.0
    return _small(fig, "Plays per track", xaxis={"title": "plays"},
                  yaxis={"type": "log", "title": "tracks", "range": [-1, np.log10(max(top, 1.0)) + 0.2]})


def relistening_chart(check: Check) -> go.Figure:
    """Per user: the share of validation pairs heard in training against the share expected if they
    were independent of the user (:func:`recsys.evaluation.diagnostics.relistening`); above the diagonal means
    people re-listen."""
    table = check.tables.get("users", pd.DataFrame())
    title = "Re-listening"
    if len(table) > MAX_POINTS:
        title = f"Re-listening (a seeded sample of {MAX_POINTS:,} of {len(table):,} users)"
        table = table.sample(n=MAX_POINTS, random_state=0).sort_index()
    pairs = np.maximum(table["pairs"].to_numpy(dtype=float), 1.0) if len(table) else np.array([])
    observed = table["heard"].to_numpy(dtype=float) / pairs if len(table) else pairs
    expected = table["expected"].to_numpy(dtype=float) / pairs if len(table) else pairs
    top = float(max(observed.max(initial=0.0), expected.max(initial=0.0), 0.05))
    fig = go.Figure(
        [
            go.Scatter(x=expected, y=observed, mode="markers", name="users",
                       marker={"size": 5, "opacity": 0.6},
                       hovertemplate="expected %{x:.1%}, heard %{y:.1%}<extra></extra>"),
            go.Scatter(x=[0, top], y=[0, top], mode="lines", name="independence",
                       line={"dash": "dash"}, hoverinfo="skip"),
        ]
    )
    return _small(
        fig, title,
        xaxis={"title": "expected if independent", "tickformat": ".0%"},
        yaxis={"title": "heard in training", "tickformat": ".0%"},
    )


SIGNAL_CHARTS: dict[str, Callable[[Check], go.Figure]] = {
    "genre_affinity": genre_affinity_chart,
    "relistening": relistening_chart,
    "popularity_dispersion": popularity_dispersion_chart,
}
"""Check name -> small chart of its data, for the Data page's signal card."""
