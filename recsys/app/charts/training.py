"""The training curves of the Train page (live, and of a loaded model)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from recsys.app.charts.style import titled

__all__ = ["training_curves"]


def training_curves(history: Sequence[Mapping[str, float]]) -> go.Figure:
    """Train / validation loss per epoch, with validation NDCG@10 on a second axis when present."""
    frame = pd.DataFrame(list(history))
    fig = go.Figure()
    if not frame.empty:
        for name, label in (("train_loss", "train loss"), ("val_loss", "validation loss")):
            if name in frame:
                fig.add_trace(go.Scatter(x=frame["epoch"], y=frame[name], name=label, mode="lines+markers"))
        if "val_ndcg@10" in frame:
            # the per-epoch NDCG is measured on a sample of validation users: the legend says how many
            users = frame["val_users"].dropna() if "val_users" in frame else frame["val_ndcg@10"].iloc[:0]
            sample = f" ({int(users.iloc[-1]):,} users)" if len(users) else ""
            fig.add_trace(
                go.Scatter(
                    x=frame["epoch"],
                    y=frame["val_ndcg@10"],
                    name=f"validation NDCG@10{sample}",
                    mode="lines+markers",
                    line={"dash": "dot"},
                    yaxis="y2",
                )
            )
    return titled(
        fig,
        "Training",
        xaxis={"title": "epoch", "rangemode": "tozero"},
        yaxis={"title": "loss"},
        yaxis2={"title": "NDCG@10", "overlaying": "y", "side": "right", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
    )
