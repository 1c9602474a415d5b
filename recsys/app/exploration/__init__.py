"""Exploratory summaries of a prepared dataset, as plain tables for the Data page's charts.

Pure pandas / numpy, no plotting: :mod:`recsys.app.charts` draws what these functions compute, and each
function is tested on hand-made inputs. One module per section of the page:

* :mod:`.summary`: headline counts, events by type and over time, the long tails, genres;
* :mod:`.cleaning`: the cleaning report and the rejected rows;
* :mod:`.sparsity`: the binned user x track matrix;
* :mod:`.overlap`: train / validation overlap, and its join with a per-user metric;
* :mod:`.overview`: the bundle of summary tables the dashboard caches per dataset version;
* :mod:`.stored`: that bundle stored beside the prepared tables (a fresh server reads it back);
* :mod:`.sanity`: the data sanity checks (repeated ids, unknown users, implausible times) and their rows.

The functions taking a ``prepared`` argument are thin wrappers over the table-level ones, so the
dashboard can cache them per dataset version. Every public name is importable from this package.
"""

from recsys.app.exploration.cleaning import (
    CLEANING_ACTIONS,
    action_totals,
    cleaning_table,
    prepared_rejected_csv,
    rejected_by_reason,
    rejected_csv,
    removed_by_rule,
)
from recsys.app.exploration.overlap import (
    PairOverlap,
    overlap_vs_metric,
    pair_overlap,
    prepared_overlap,
    user_overlap,
)
from recsys.app.exploration.overview import Overview, overview
from recsys.app.exploration.sanity import SANITY_CHECKS, prepared_flagged_csv, sanity_table
from recsys.app.exploration.sparsity import SparsityMatrix, prepared_sparsity, sparsity_matrix
from recsys.app.exploration.stored import (
    overview_cached,
    stored_history,
    stored_overlap,
    stored_sparsity,
    stored_table,
)
from recsys.app.exploration.summary import (
    DatasetSummary,
    dataset_summary,
    events_by_type,
    events_over_time,
    genre_counts,
    track_popularity,
    user_activity,
)

__all__ = [
    "CLEANING_ACTIONS",
    "DatasetSummary",
    "Overview",
    "PairOverlap",
    "SANITY_CHECKS",
    "SparsityMatrix",
    "action_totals",
    "cleaning_table",
    "dataset_summary",
    "events_by_type",
    "events_over_time",
    "genre_counts",
    "overlap_vs_metric",
    "overview",
    "overview_cached",
    "stored_history",
    "stored_overlap",
    "stored_sparsity",
    "stored_table",
    "pair_overlap",
    "prepared_overlap",
    "prepared_flagged_csv",
    "prepared_rejected_csv",
    "prepared_sparsity",
    "rejected_by_reason",
    "rejected_csv",
    "removed_by_rule",
    "sanity_table",
    "sparsity_matrix",
    "track_popularity",
    "user_activity",
    "user_overlap",
]
