"""Evaluation: top-k ranking, per-user metrics, the group protocol, statistics and comparisons.

Also the per-epoch validation metric models report while training (:mod:`recsys.evaluation.validation`).
The signal diagnostics (:mod:`recsys.evaluation.diagnostics`) are imported from their own package.
"""

from recsys.evaluation.beyond import (
    average_popularity,
    beyond_accuracy,
    catalog_coverage,
    genre_matrix,
    intra_list_diversity,
    novelty,
)
from recsys.evaluation.compare import Comparison, compare_groups, compare_models, random_per_user
from recsys.evaluation.evaluate import (
    EvalData,
    Evaluation,
    evaluate_model,
    prepare_truth,
    regime_name,
    summarise,
)
from recsys.evaluation.group_lists import (
    PROTOCOLS,
    GroupLists,
    GroupScores,
    build_group_lists,
    score_group_lists,
)
from recsys.evaluation.group_metrics import (
    MEMBER_METRICS,
    discounted_first_hit,
    jain_index,
    member_metric_columns,
    min_max_ratio,
    random_member_expectations,
    zero_share,
)
from recsys.evaluation.group_study import STUDY_COLUMNS, STUDY_SIZES, group_kinds_study
from recsys.evaluation.groups import (
    GROUP_KINDS,
    GroupEvaluation,
    evaluate_groups,
    group_similarity,
    make_groups,
)
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
from recsys.evaluation.spark_eval import evaluate_on_spark  # pyspark itself loads only when it is called
from recsys.evaluation.stats import (
    PairedResult,
    bootstrap_ci,
    bootstrap_cis,
    paired_comparison,
    random_expectations,
    sign_flip_p_value,
)
from recsys.evaluation.validation import ndcg_validator, validation_users

__all__ = [
    "GROUP_KINDS",
    "MEMBER_METRICS",
    "METRICS",
    "PROTOCOLS",
    "STUDY_COLUMNS",
    "STUDY_SIZES",
    "GroupLists",
    "GroupScores",
    "build_group_lists",
    "discounted_first_hit",
    "jain_index",
    "member_metric_columns",
    "min_max_ratio",
    "random_member_expectations",
    "score_group_lists",
    "zero_share",
    "Comparison",
    "EvalData",
    "Evaluation",
    "GroupEvaluation",
    "PairedResult",
    "all_metrics",
    "average_popularity",
    "average_precision_at_k",
    "beyond_accuracy",
    "bootstrap_ci",
    "bootstrap_cis",
    "catalog_coverage",
    "compare_groups",
    "compare_models",
    "evaluate_groups",
    "evaluate_model",
    "evaluate_on_spark",
    "genre_matrix",
    "group_kinds_study",
    "group_similarity",
    "hit_rate_at_k",
    "hits",
    "intra_list_diversity",
    "make_groups",
    "n_relevant",
    "ndcg_at_k",
    "ndcg_validator",
    "novelty",
    "paired_comparison",
    "precision_at_k",
    "prepare_truth",
    "random_expectations",
    "random_per_user",
    "recall_at_k",
    "reciprocal_rank_at_k",
    "regime_name",
    "sign_flip_p_value",
    "summarise",
    "top_k",
    "validation_users",
]
