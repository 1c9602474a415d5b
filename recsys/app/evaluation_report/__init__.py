"""The Evaluate page's view-models: models evaluated side by side, the per-user table, comparisons.

Built on :func:`recsys.evaluation.evaluate.evaluate_model` (per-user metrics, bootstrap intervals and
the analytic random baseline) and :func:`recsys.evaluation.stats.paired_comparison`; these modules only
run, join, filter and lay out their results for the dashboard:

* :mod:`.runs`: evaluations of saved model files (what the page caches per data version);
* :mod:`.tables`: headline cards, the per-user table and its filters;
* :mod:`.comparison`: models against each other and against a random list;
* :mod:`.regimes`: both regimes side by side, the question each answers and the winner in each;
* :mod:`.groups`: the group-kinds study of saved models, and one user's history and recommendations.

Every public name is importable from this package.
"""

from recsys.app.evaluation_report.comparison import (
    against_random,
    comparison_sentence,
    lift_arrow,
    lift_text,
    paired,
)
from recsys.app.evaluation_report.groups import UserDetail, group_study_of_saved, study_table, user_detail
from recsys.app.evaluation_report.regimes import (
    DEFAULT_REGIME,
    REGIME_QUESTIONS,
    RegimeResult,
    evaluate_both_regimes,
    regime_results,
    regime_table,
    regime_verdict,
)
from recsys.app.evaluation_report.runs import (
    REGIMES,
    SAMPLE_USERS,
    SPLITS,
    beyond_table,
    beyond_table_of,
    evaluable_models,
    evaluate_models,
    evaluate_regimes,
    evaluate_saved,
    group_protocol,
    sample_users,
    split_users,
    user_overlap_of,
)
from recsys.app.evaluation_report.tables import (
    PAGE_ROWS,
    MetricCard,
    filter_columns,
    filter_per_user,
    metric_cards,
    metric_long,
    metric_names,
    page_of,
    per_user_csv,
    per_user_table,
)

__all__ = [
    "DEFAULT_REGIME",
    "PAGE_ROWS",
    "REGIMES",
    "REGIME_QUESTIONS",
    "SAMPLE_USERS",
    "SPLITS",
    "MetricCard",
    "RegimeResult",
    "UserDetail",
    "against_random",
    "beyond_table",
    "beyond_table_of",
    "comparison_sentence",
    "evaluable_models",
    "evaluate_both_regimes",
    "evaluate_models",
    "evaluate_regimes",
    "evaluate_saved",
    "filter_columns",
    "filter_per_user",
    "group_protocol",
    "group_study_of_saved",
    "lift_arrow",
    "lift_text",
    "metric_cards",
    "metric_long",
    "metric_names",
    "page_of",
    "paired",
    "per_user_csv",
    "per_user_table",
    "regime_results",
    "regime_table",
    "regime_verdict",
    "sample_users",
    "split_users",
    "study_table",
    "user_detail",
    "user_overlap_of",
]
