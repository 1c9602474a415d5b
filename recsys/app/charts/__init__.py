"""Plotly figures for the dashboard, built from the tables of :mod:`recsys.app.exploration`,
:mod:`recsys.evaluation.diagnostics` and :mod:`recsys.app.evaluation_report`.

One module per page: :mod:`.data` (the Data page), :mod:`.signal` (the Data page's signal card),
:mod:`.training` (the Train page), :mod:`.evaluation` (the Evaluate page), :mod:`.group` (the Group
builder); :mod:`.style` holds the look they share. Every figure leaves the template alone (no
hard-coded backgrounds or font colours), so Streamlit's theme makes it readable in light and dark mode.
Every public name is importable from this package.
"""

from recsys.app.charts.data import (
    events_by_type_chart,
    events_over_time_chart,
    genres_chart,
    long_tail_chart,
    overlap_share_chart,
    overlap_vs_metric_chart,
    pair_overlap_chart,
    rejected_chart,
    sparsity_heatmap,
)
from recsys.app.charts.evaluation import against_random_chart, metric_distribution_chart
from recsys.app.charts.group import affinity_heatmap, overlap_styler
from recsys.app.charts.signal import (
    SIGNAL_CHARTS,
    genre_affinity_chart,
    popularity_dispersion_chart,
    relistening_chart,
)
from recsys.app.charts.style import HEATMAP_SCALE
from recsys.app.charts.training import training_curves

__all__ = [
    "HEATMAP_SCALE",
    "SIGNAL_CHARTS",
    "affinity_heatmap",
    "against_random_chart",
    "events_by_type_chart",
    "events_over_time_chart",
    "genre_affinity_chart",
    "genres_chart",
    "long_tail_chart",
    "metric_distribution_chart",
    "overlap_share_chart",
    "overlap_styler",
    "overlap_vs_metric_chart",
    "pair_overlap_chart",
    "popularity_dispersion_chart",
    "rejected_chart",
    "relistening_chart",
    "sparsity_heatmap",
    "training_curves",
]
