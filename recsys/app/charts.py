"""Plotly figures for the dashboard, built from the tables of :mod:`recsys.app.exploration`,
:mod:`recsys.evaluation.diagnostics` and :mod:`recsys.evaluation`.

Every figure leaves the template alone (no hard-coded backgrounds or font colours), so Streamlit's
theme makes it readable in light and dark mode; colour scales are ones that read on both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from recsys.app.exploration import PairOverlap, SparsityMatrix

__all__ = [
    "HEATMAP_SCALE",
    "events_by_type_chart",
    "events_over_time_chart",
    "long_tail_chart",
    "genres_chart",
    "rejected_chart",
    "sparsity_heatmap",
    "pair_overlap_chart",
    "overlap_share_chart",
    "overlap_vs_metric_chart",
    "training_curves",
    "genre_affinity_chart",
    "popularity_dispersion_chart",
    "relistening_chart",
    "SIGNAL_CHARTS",
    "affinity_heatmap",
    "metric_distribution_chart",
    "against_random_chart",
    "overlap_styler",
]

HEATMAP_SCALE = "Viridis"
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def _layout(fig: go.Figure, title: str, *, height: int = 320, **kwargs: object) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"}, height=height, margin=_MARGIN, **kwargs
    )
    return fig


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
    return _layout(fig, "Events by type", xaxis_title=None, yaxis_title="events")


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
    return _layout(fig, "Events over time", yaxis_title="events", legend_title_text="type")


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
    return _layout(
        fig,
        title,
        xaxis={"type": "log", "title": f"{noun[:-1]} rank (1 = most)"},
        yaxis={"type": "log", "title": count},
    )


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
    return _layout(
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
    return _layout(fig, "Rows removed per cleaning rule", height=max(200, 32 * len(rejected) + 80))


def sparsity_heatmap(matrix: SparsityMatrix) -> go.Figure:
    """The binned user x track matrix with a log colour scale; hover shows counts and rank ranges.

    Empty blocks are left blank (transparent) so the sparsity shows against either theme.
    """
    with np.errstate(divide="ignore"):
        z = np.where(matrix.counts > 0, np.log10(np.maximum(matrix.counts, 1)), np.nan)
    custom = np.stack([matrix.counts, matrix.cells, 100.0 * matrix.density], axis=-1)
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
    return _layout(
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
    return _layout(fig, title, yaxis_title="(user, track) pairs")


def overlap_share_chart(user_overlap: pd.DataFrame, bins: int = 20) -> go.Figure:
    """Histogram of the per-user share of validation tracks already heard in training."""
    fig = go.Figure(
        go.Histogram(
            x=user_overlap["share"],
            xbins={"start": 0.0, "end": 1.0 + 1e-9, "size": 1.0 / bins},
            hovertemplate="share %{x}: %{y:,} users<extra></extra>",
        )
    )
    return _layout(
        fig,
        "Per user: share of validation tracks already heard in training",
        xaxis={"title": "share", "tickformat": ".0%", "range": [0, 1]},
        yaxis_title="users",
        bargap=0.05,
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
    return _layout(
        fig,
        title,
        xaxis={"title": "share of validation tracks heard in training", "tickformat": ".0%"},
        yaxis={"title": metric},
    )


def training_curves(history: Sequence[Mapping[str, float]]) -> go.Figure:
    """Train / validation loss per epoch, with validation NDCG@10 on a second axis when present."""
    frame = pd.DataFrame(list(history))
    fig = go.Figure()
    if not frame.empty:
        for name, label in (("train_loss", "train loss"), ("val_loss", "validation loss")):
            if name in frame:
                fig.add_trace(go.Scatter(x=frame["epoch"], y=frame[name], name=label, mode="lines+markers"))
        if "val_ndcg@10" in frame:
            fig.add_trace(
                go.Scatter(
                    x=frame["epoch"],
                    y=frame["val_ndcg@10"],
                    name="validation NDCG@10",
                    mode="lines+markers",
                    line={"dash": "dot"},
                    yaxis="y2",
                )
            )
    return _layout(
        fig,
        "Training",
        xaxis={"title": "epoch", "rangemode": "tozero"},
        yaxis={"title": "loss"},
        yaxis2={"title": "NDCG@10", "overlaying": "y", "side": "right", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
    )


# -- signal check (recsys.evaluation.diagnostics) ---------------------------------------------------------
def _small(fig: go.Figure, title: str, **kwargs: object) -> go.Figure:
    return _layout(fig, title, height=260, legend={"orientation": "h", "y": -0.25}, **kwargs)


def genre_affinity_chart(check: object) -> go.Figure:
    """Per favourite genre: the share of its fans' plays in it, against independent plays and the
    catalogue share (:func:`recsys.evaluation.diagnostics.genre_affinity`'s ``tables["genres"]``)."""
    table = check.tables.get("genres", pd.DataFrame())  # type: ignore[attr-defined]
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


def popularity_dispersion_chart(check: object) -> go.Figure:
    """Tracks per play count against a Poisson spread (:func:`recsys.evaluation.diagnostics.popularity_dispersion`)."""
    table = check.tables.get("histogram", pd.DataFrame())  # type: ignore[attr-defined]
    fig = go.Figure(
        [
            go.Bar(x=table["plays"], y=table["tracks"], name="tracks",
                   hovertemplate="%{y:,} tracks with %{x} plays<extra></extra>"),
            go.Scatter(x=table["plays"], y=table["poisson"], name="Poisson (random plays)", mode="lines",
                       hovertemplate="%{y:,.1f} expected with %{x} plays<extra></extra>"),
        ]
    )
    # The Poisson tail falls to 1e-100 and below: show from a tenth of a track up.
    top = float(max(table["tracks"].max(), table["poisson"].max())) if len(table) else 1.0
    return _small(fig, "Plays per track", xaxis={"title": "plays"},
                  yaxis={"type": "log", "title": "tracks", "range": [-1, np.log10(max(top, 1.0)) + 0.2]})


def relistening_chart(check: object) -> go.Figure:
    """Per user: the share of validation pairs heard in training against the share expected if they
    were independent of the user (:func:`recsys.evaluation.diagnostics.relistening`); above the diagonal means
    people re-listen."""
    table = check.tables.get("users", pd.DataFrame())  # type: ignore[attr-defined]
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
        fig, "Re-listening",
        xaxis={"title": "expected if independent", "tickformat": ".0%"},
        yaxis={"title": "heard in training", "tickformat": ".0%"},
    )


SIGNAL_CHARTS = {
    "genre_affinity": genre_affinity_chart,
    "relistening": relistening_chart,
    "popularity_dispersion": popularity_dispersion_chart,
}
"""Check name -> small chart of its data, for the Data page's signal card."""


# -- Evaluate and Group builder pages ------------------------------------------------------------
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
    return _layout(
        fig,
        title,
        height=max(220, 40 * len(affinity.index) + 170),
        xaxis={"tickangle": -35, "automargin": True},
        yaxis={"autorange": "reversed", "automargin": True},
    )


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
    return _layout(fig, f"{metric} per user", yaxis={"title": metric, "rangemode": "tozero"},
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
    return _layout(fig, f"{metric}: models against random", yaxis={"title": metric, "rangemode": "tozero"},
                   legend={"orientation": "h", "y": -0.2})


def overlap_styler(table: pd.DataFrame, column: str = "in_both") -> object:
    """A pandas Styler that highlights the rows of tracks on both lists (readable in both themes)."""
    highlight = "background-color: rgba(255, 176, 0, 0.28); font-weight: 600"

    def _rows(row: pd.Series) -> list[str]:
        return [highlight if bool(row[column]) else ""] * len(row)

    return table.style.apply(_rows, axis=1).format(precision=3)
