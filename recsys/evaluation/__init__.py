"""Evaluation: top-k ranking, per-user metrics, the group protocol, statistics and comparisons."""

from recsys.evaluation.metrics import (
    METRICS,
    all_metrics,
    average_precision_at_k,
    hit_rate_at_k,
    hits,
    n_relevant,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    reciprocal_rank_at_k,
)
from recsys.evaluation.ranking import top_k

__all__ = [
    "METRICS",
    "all_metrics",
    "average_precision_at_k",
    "hit_rate_at_k",
    "hits",
    "n_relevant",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
    "reciprocal_rank_at_k",
    "top_k",
]
