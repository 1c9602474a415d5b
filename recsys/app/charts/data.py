"""The Data page's figures, drawn from the tables of :mod:`recsys.app.exploration`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from recsys.app.charts.style import HEATMAP_SCALE, titled
from recsys.app.exploration import PairOverlap, SparsityMatrix

__all__ = [
    "LONG_TAIL_POINTS",
    "events_by_type_chart",
    "events_over_time_chart",
    "genres_chart",
    "long_tail_chart",
    "overlap_share_chart",
    "overlap_vs_metric_chart",
    "pair_overlap_chart",
    "rejected_chart",
    "sparsity_heatmap",
]


def events_by_type_chart(by_type: pd.DataFrame) -> go.Figure:
    """Bar chart of events per type (from :func:`recsys.app.exploration.events_by_type`)."""
    fig = go.Figure(
        go.Bar(
            x=by_type["event_type"],
            y=by_type["events"],
            text=by_type["events"],
            texttemplate="%{text:,}",
            hovertemplate="%{x}: %{y:,} events<extra></extra>",
        )
    )
    return titled(fig, "Events by type", xaxis_title=None, yaxis_title="events")


def events_over_time_chart(over_time: pd.DataFrame) -> go.Figure:
    """Stacked area of events per period and type (from :func:`recsys.app.exploration.events_over_time`)."""
    fig = go.Figure()
    for event_type, part in over_time.groupby("event_type", sort=True):
        fig.add_trace(
            go.Scatter(
                x=part["period"],
                y=part["events"],
                name=str(event_type),
                mode="lines",
                stackgroup="events",
                hovertemplate="%{x|%Y-%m-%d}: %{y:,} " + str(event_type) + "<extra></extra>",
            )
        )
    return titled(fig, "Events over time", yaxis_title="events", legend_title_text="type")


def long_tail_chart(table: pd.DataFrame, *, noun: str, count: str = "events") -> go.Figure:
    """Rank-frequency plot on log-log axes: the long tail of user activity or track popularity.

    Parameters
    ----------
    table : pandas.DataFrame
        ``rank`` and ``count`` columns (from :func:`recsys.app.exploration.user_activity` or
        :func:`recsys.app.exploration.track_popularity`).
    noun : str
        ``"users"`` or ``"tracks"``, for the titles.
    count : str
        The count column.
    """
    nonzero = table[table[count] > 0]
    zeros = len(table) - len(nonzero)
    nonzero = _log_spaced(nonzero)
    fig = go.Figure(
        go.Scatter(
            x=nonzero["rank"],
            y=nonzero[count],
            mode="lines+markers",
            marker={"size": 4},
            hovertemplate="rank %{x:,}: %{y:,} " + count + "<extra></extra>",
        )
    )
    title = f"{count.capitalize()} per {noun[:-1]} (log-log)"
    if zeros:
        title += f" — {zeros:,} {noun} with none"
    return titled(
        fig,
        title,
        xaxis={"type": "log", "title": f"{noun[:-1]} rank (1 = most)"},
        yaxis={"type": "log", "title": count},
    )


LONG_TAIL_POINTS = 2000
"""Points drawn on a long-tail chart at most: 100,000 tracks as SVG markers took the browser seconds, and
on a log rank axis points beyond the first few thousand overlap anyway."""


def _log_spaced(rows: pd.DataFrame, limit: int = LONG_TAIL_POINTS) -> pd.DataFrame:
    """Every row of a short table; of a long one (sorted by rank), rows at log-spaced positions, the
    first and the last always kept, so the curve's shape on log axes is unchanged."""
    if len(rows) <= limit:
        return rows
    picks = np.unique(np.geomspace(1, len(rows), num=limit).astype(np.int64) - 1)
    return rows.iloc[picks]


def genres_chart(genres: pd.DataFrame) -> go.Figure:
    """Each genre's share of events beside its share of the catalogue (horizontal bars)."""
    order = genres.iloc[::-1]
    fig = go.Figure(
        [
            go.Bar(
                y=order["genre"],
                x=order["event_share"],
                name="share of events",
                orientation="h",
                customdata=order["events"],
                hovertemplate="%{y}: %{x:.1%} of events (%{customdata:,})<extra></extra>",
            ),
            go.Bar(
                y=order["genre"],
                x=order["catalogue_share"],
                name="share of catalogue",
                orientation="h",
                customdata=order["tracks"],
                hovertemplate="%{y}: %{x:.1%} of tracks (%{customdata:,})<extra></extra>",
            ),
        ]
    )
    return titled(
        fig,
        "Genres: listening vs catalogue",
        height=max(320, 22 * len(genres) + 80),
        barmode="group",
        xaxis={"tickformat": ".0%"},
        legend={"orientation": "h", "y": -0.1},
    )


def rejected_chart(rejected: pd.DataFrame) -> go.Figure:
    """Rows removed per cleaning rule (from :func:`recsys.app.exploration.rejected_by_reason`)."""
    order = rejected.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            y=order["reason"],
            x=order["rows"],
            orientation="h",
            text=order["rows"],
            texttemplate="%{text:,}",
            hovertemplate="%{y}: %{x:,} rows<extra></extra>",
        )
    )
    return titled(fig, "Rows removed per cleaning rule", height=max(200, 32 * len(rejected) + 80))


def sparsity_heatmap(matrix: SparsityMatrix) -> go.Figure:
    """The binned user x track matrix with a log colour scale; hover shows counts and rank ranges.

    Empty blocks are left blank (transparent) so the sparsity shows against either theme.
    """
    with np.errstate(divide="ignore"):
        z = np.where(matrix.counts > 0, np.log10(np.maximum(matrix.counts, 1)), np.nan)
    # float32: the figure travels as base64 numbers (80,000 cells x 4 values), half the bytes of float64
    z = z.astype(np.float32)
    custom = np.stack([matrix.counts, matrix.cells, 100.0 * matrix.density], axis=-1).astype(np.float32)
    top = int(np.ceil(np.nanmax(z))) if np.isfinite(z).any() else 1
    ticks = list(range(0, max(top, 1) + 1))
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=matrix.track_labels(),
            y=matrix.user_labels(),
            customdata=custom,
            colorscale=HEATMAP_SCALE,
            zmin=0,
            zmax=max(top, 1),
            colorbar={
                "title": {"text": "pairs"},
                "tickvals": ticks,
                "ticktext": [f"{10**t:,}" for t in ticks],
            },
            hovertemplate=(
                "%{y}<br>%{x}<br>pairs: %{customdata[0]:,} of %{customdata[1]:,} cells"
                " (%{customdata[2]:.2f}%)<extra></extra>"
            ),
            hoverongaps=False,
        )
    )
    title = (
        f"User x track matrix: {matrix.n_users:,} users x {matrix.n_tracks:,} tracks, "
        f"{matrix.n_pairs:,} pairs ({matrix.overall_density:.2%} filled)"
    )
    return titled(
        fig,
        title,
        height=520,
        xaxis={"title": "tracks by popularity →", "showticklabels": False},
        yaxis={"title": "users by activity →", "showticklabels": False, "autorange": "reversed"},
    )


def pair_overlap_chart(overlap: PairOverlap) -> go.Figure:
    """Distinct (user, track) pairs in training only, in both, and in validation only."""
    names = ["train only", "both", "validation only"]
    values = [overlap.train_only, overlap.both, overlap.val_only]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=values,
            text=values,
            texttemplate="%{text:,}",
            hovertemplate="%{x}: %{y:,} pairs<extra></extra>",
        )
    )
    title = f"Train/validation pairs — {overlap.val_share_seen:.1%} of validation pairs heard in training"
    return titled(fig, title, yaxis_title="(user, track) pairs")


def overlap_share_chart(user_overlap: pd.DataFrame, bins: int = 20) -> go.Figure:
    """Histogram of the per-user share of validation tracks already heard in training.

    Binned here (``bins`` equal bins over 0-100 %, the last one closed), so the browser gets ``bins``
    bars and not one value per user (50,000 users are 600 kB of figure otherwise).
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    share = user_overlap["share"].to_numpy(dtype=float)
    counts, _ = np.histogram(share[np.isfinite(share)], bins=edges)
    fig = go.Figure(
        go.Bar(
            x=(edges[:-1] + edges[1:]) / 2,
            y=counts,
            width=(1.0 / bins) * 0.95,
            customdata=np.stack([edges[:-1], edges[1:]], axis=-1),
            hovertemplate="share %{customdata[0]:.0%} to %{customdata[1]:.0%}: %{y:,} users<extra></extra>",
        )
    )
    return titled(
        fig,
        "Per user: share of validation tracks already heard in training",
        xaxis={"title": "share", "tickformat": ".0%", "range": [0, 1]},
        yaxis_title="users",
    )


def overlap_vs_metric_chart(joined: pd.DataFrame, metric: str = "ndcg@10", model: str = "") -> go.Figure:
    """Scatter of each user's overlap share against a per-user metric (the notebook's finding)."""
    fig = go.Figure(
        go.Scatter(
            x=joined["share"],
            y=joined[metric],
            mode="markers",
            marker={"size": 6, "opacity": 0.6},
            customdata=np.stack([joined["user_id"].astype(str), joined["val_tracks"]], axis=-1),
            hovertemplate=(
                "user %{customdata[0]}<br>overlap %{x:.0%} of %{customdata[1]} validation tracks"
                "<br>" + metric + " %{y:.3f}<extra></extra>"
            ),
        )
    )
    corr = joined["share"].corr(joined[metric]) if len(joined) > 2 else float("nan")
    title = f"Overlap vs {metric}" + (f" ({model})" if model else "")
    if np.isfinite(corr):
        title += f" — correlation {corr:.2f}"
    return titled(
        fig,
        title,
        xaxis={"title": "share of validation tracks heard in training", "tickformat": ".0%"},
        yaxis={"title": metric},
    )
