"""Charts carry exactly the numbers of the tables they draw, on a theme-neutral layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.app import charts
from recsys.app import exploration as ex


def _no_hard_coded_background(fig) -> None:
    # Streamlit's theme (st.plotly_chart(theme="streamlit")) colours the figure in light and dark mode,
    # as long as the figure itself sets no background or font colour.
    assert fig.layout.paper_bgcolor is None
    assert fig.layout.plot_bgcolor is None
    assert fig.layout.font.color is None


def test_events_by_type_chart_values() -> None:
    table = pd.DataFrame({"event_type": ["play", "like"], "events": [7, 2]})
    fig = charts.events_by_type_chart(table)
    assert list(fig.data[0].x) == ["play", "like"]
    assert list(fig.data[0].y) == [7, 2]
    _no_hard_coded_background(fig)


def test_events_over_time_one_stacked_trace_per_type() -> None:
    table = pd.DataFrame(
        {
            "period": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02"]),
            "event_type": ["like", "play", "like", "play"],
            "events": [0, 2, 1, 3],
        }
    )
    fig = charts.events_over_time_chart(table)
    assert [t.name for t in fig.data] == ["like", "play"]
    assert list(fig.data[1].y) == [2, 3]
    assert {t.stackgroup for t in fig.data} == {"events"}


def test_long_tail_chart_is_log_log_and_drops_zeros() -> None:
    table = pd.DataFrame({"track_id": [1, 2, 3], "events": [9, 3, 0], "rank": [1, 2, 3]})
    fig = charts.long_tail_chart(table, noun="tracks")
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert list(fig.data[0].x) == [1, 2]
    assert list(fig.data[0].y) == [9, 3]
    assert "1 tracks with none" in fig.layout.title.text


def test_genres_chart_shares() -> None:
    table = pd.DataFrame(
        {"genre": ["pop", "rock"], "events": [5, 3], "tracks": [2, 1],
         "event_share": [0.625, 0.375], "catalogue_share": [0.5, 0.25]}
    )
    fig = charts.genres_chart(table)
    # horizontal bars listed bottom-up, so the most played genre is on top
    assert list(fig.data[0].y) == ["rock", "pop"]
    assert list(fig.data[0].x) == [0.375, 0.625]
    assert list(fig.data[1].x) == [0.25, 0.5]


def test_sparsity_heatmap_log_colour_and_hover_counts() -> None:
    pairs = pd.DataFrame({"user_id": [1, 1, 1, 2, 2, 3], "track_id": [10, 11, 12, 10, 11, 10]})
    m = ex.sparsity_matrix(pairs, tracks=[10, 11, 12, 13], user_bins=2, track_bins=3)
    fig = charts.sparsity_heatmap(m)
    heat = fig.data[0]
    z = np.array(heat.z, dtype=float)
    # counts [[1, 1, 1], [2, 1, 0]] -> log10, an empty block is a gap (NaN)
    np.testing.assert_allclose(z[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(z[1, :2], [np.log10(2), 0.0])
    assert np.isnan(z[1, 2])
    custom = np.array(heat.customdata, dtype=float)
    assert custom[1, 0, 0] == 2 and custom[1, 0, 1] == 2  # 2 pairs of 2 cells
    assert list(heat.y) == ["users 1", "users 2–3"]
    assert list(heat.x) == ["tracks 1", "tracks 2", "tracks 3–4"]
    assert list(heat.colorbar.ticktext) == ["1", "10"]
    assert "3 users x 4 tracks, 6 pairs (50.00% filled)" in fig.layout.title.text
    _no_hard_coded_background(fig)


def test_pair_overlap_chart() -> None:
    fig = charts.pair_overlap_chart(ex.PairOverlap(train_only=10, val_only=6, both=2))
    assert list(fig.data[0].x) == ["train only", "both", "validation only"]
    assert list(fig.data[0].y) == [10, 2, 6]
    assert "25.0% of validation pairs" in fig.layout.title.text


def test_overlap_share_histogram_over_unit_interval() -> None:
    # binned before it is sent: one bar per bin (the last bin closed, so a share of 1 counts), not a point
    # per user
    fig = charts.overlap_share_chart(pd.DataFrame({"share": [0.0, 0.1, 0.5, 1.0, np.nan]}), bins=4)
    assert list(fig.data[0].x) == pytest.approx([0.125, 0.375, 0.625, 0.875])
    assert list(fig.data[0].y) == [2, 0, 1, 1]
    assert fig.data[0].customdata[2].tolist() == pytest.approx([0.5, 0.75])


def test_sparsity_heatmap_sends_float32_cells() -> None:
    matrix = ex.sparsity_matrix(pd.DataFrame({"user_id": [1, 1, 2], "track_id": ["a", "b", "a"],
                                              "score": [1.0, 1.0, 1.0]}), user_bins=2, track_bins=2)
    fig = charts.sparsity_heatmap(matrix)
    assert np.asarray(fig.data[0].z).dtype == np.float32
    assert np.asarray(fig.data[0].customdata).dtype == np.float32
    assert np.nansum(10 ** np.asarray(fig.data[0].z, dtype=float)) == pytest.approx(3.0)


def test_overlap_vs_metric_chart_reports_correlation() -> None:
    joined = pd.DataFrame(
        {"user_id": [1, 2, 3, 4], "share": [0.0, 0.25, 0.5, 1.0], "val_tracks": [4, 4, 2, 1],
         "ndcg@10": [0.0, 0.25, 0.5, 1.0]}
    )
    fig = charts.overlap_vs_metric_chart(joined, "ndcg@10", "wmf")
    assert list(fig.data[0].y) == [0.0, 0.25, 0.5, 1.0]
    assert fig.layout.title.text == "Overlap vs ndcg@10 (wmf) — correlation 1.00"


def test_training_curves_grow_with_history() -> None:
    history = [
        {"epoch": 1, "train_loss": 0.9, "val_loss": 0.8, "val_ndcg@10": 0.1},
        {"epoch": 2, "train_loss": 0.7, "val_loss": 0.75, "val_ndcg@10": 0.12},
    ]
    fig = charts.training_curves(history)
    assert [t.name for t in fig.data] == ["train loss", "validation loss", "validation NDCG@10"]
    assert list(fig.data[0].y) == [0.9, 0.7]
    assert fig.data[2].yaxis == "y2"
    assert len(charts.training_curves([]).data) == 0


def test_training_curves_say_the_validation_sample_size() -> None:
    history = [
        {"epoch": 1, "train_loss": 0.9, "val_loss": 0.8, "val_ndcg@10": 0.1, "val_users": 2000.0},
        {"epoch": 2, "train_loss": 0.7, "val_loss": 0.75, "val_ndcg@10": 0.12, "val_users": 2000.0},
    ]
    names = [t.name for t in charts.training_curves(history).data]
    assert names[-1] == "validation NDCG@10 (2,000 users)"


def test_axes_make_room_for_their_labels_and_legends_go_below() -> None:
    table = pd.DataFrame(
        {"genre": ["progressive metal", "rock"], "events": [5, 3], "tracks": [2, 1],
         "event_share": [0.625, 0.375], "catalogue_share": [0.5, 0.25]}
    )
    fig = charts.genres_chart(table)
    # long genre names are never cut to their first letters
    assert fig.layout.yaxis.automargin is True and fig.layout.xaxis.automargin is True
    # the legend sits at the very bottom of the figure, below the x axis title, with room kept for it
    assert fig.layout.legend.yref == "container" and fig.layout.legend.y == 0
    assert fig.layout.legend.orientation == "h" and fig.layout.margin.b > 60
    curves = charts.training_curves([{"epoch": 1, "train_loss": 2.0, "val_loss": 2.5, "val_ndcg@10": 0.1}])
    assert curves.layout.yaxis2.automargin is True and curves.layout.legend.yref == "container"


def test_long_titles_are_set_smaller_to_fit() -> None:
    short = charts.events_by_type_chart(pd.DataFrame({"event_type": ["play"], "events": [1]}))
    assert short.layout.title.font.size == 16
    long = charts.pair_overlap_chart(ex.PairOverlap(train_only=10, val_only=6, both=2))
    assert len(long.layout.title.text) > 40 and long.layout.title.font.size == 13


def test_long_tail_chart_draws_log_spaced_points_of_a_long_table() -> None:
    from recsys.app.charts.data import LONG_TAIL_POINTS

    n = 50_000
    table = pd.DataFrame({"rank": np.arange(1, n + 1), "events": np.arange(n, 0, -1)})
    x = np.asarray(charts.long_tail_chart(table, noun="tracks").data[0].x)
    assert len(x) <= LONG_TAIL_POINTS and x[0] == 1 and x[-1] == n
    assert np.all(np.diff(x) > 0) and (x <= 100).sum() >= 95  # the head is drawn point by point
    short = table.head(30)
    assert len(charts.long_tail_chart(short, noun="tracks").data[0].x) == 30
