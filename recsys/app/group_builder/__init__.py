"""The group builder's logic: finding users, forming a group, member cards, two models side by side.

The Group builder page is a UI over these functions. They work on the plain tables of the prepared data
(``users``, ``tracks`` with ``artist_name`` and ``genres``, and a ``user_id, track_id, score`` history),
so they are tested with hand-made frames; models come in through their one contract
(:meth:`~recsys.models.base.Recommender.recommend`, a typed
:class:`~recsys.models.recommendation.GroupRecommendation`). One module per concept:

* :mod:`~recsys.app.group_builder.search`: the user directory and its search (``SEARCH_FIELDS``);
* :mod:`~recsys.app.group_builder.suggest`: suggested groups (the evaluation's ``GROUP_KINDS``), adding
  members;
* :mod:`~recsys.app.group_builder.grow`: growing the current group with similar or divergent listeners,
  and the group sizes the page allows;
* :mod:`~recsys.app.group_builder.members`: member cards and labels;
* :mod:`~recsys.app.group_builder.tracks`: track names, artists and genres on a list;
* :mod:`~recsys.app.group_builder.comparison`: two models' lists side by side, affinity and statuses;
* :mod:`~recsys.app.group_builder.explain`: why each track is on the list, and for whom;
* :mod:`~recsys.app.group_builder.strategies`: every aggregation strategy side by side for the group;
* :mod:`~recsys.app.group_builder.export`: playlist CSV and JSON;
* :mod:`~recsys.app.group_builder.sources`: the page's data from the prepared data (cached by the UI).

``from recsys.app import group_builder as gb; gb.compare_models(...)`` reaches every one of them.
"""

from recsys.app.group_builder.comparison import (
    Comparison,
    GroupList,
    affinity_matrix,
    compare_models,
    default_pair,
    display_table,
    member_status_table,
    status_text,
)
from recsys.app.group_builder.explain import TrackWhy, explain_list, reason_text, serves_best
from recsys.app.group_builder.export import member_score_columns, playlist_csv, playlist_json
from recsys.app.group_builder.grow import MAX_GROUP_SIZE, MIN_GROUP_SIZE, check_group_size, grow_group
from recsys.app.group_builder.members import (
    CARDS_UP_TO,
    MemberCard,
    MemberHistory,
    member_card,
    member_cards,
    member_history,
    member_labels,
    member_table,
)
from recsys.app.group_builder.search import (
    PICKER_USERS,
    SEARCH_FIELDS,
    SEARCH_LIMIT,
    SearchIndex,
    exact_user,
    picker_options,
    search_index,
    search_users,
    user_directory,
    user_labels,
)
from recsys.app.group_builder.sources import (
    directory_index_of,
    heldout_matrix,
    history_frame,
    history_matrix,
    search_index_of,
    track_info_of,
    user_directory_of,
    user_labels_of,
)
from recsys.app.group_builder.strategies import (
    STRATEGY_LABELS,
    StrategyComparison,
    compare_strategies,
    strategy_label,
)
from recsys.app.group_builder.suggest import GROUP_KINDS, add_members, suggest_group
from recsys.app.group_builder.tracks import enrich_tracks, track_info

__all__ = [
    "GROUP_KINDS",
    "SEARCH_FIELDS",
    "user_directory",
    "search_users",
    "SearchIndex",
    "search_index",
    "search_index_of",
    "track_info_of",
    "suggest_group",
    "MemberCard",
    "member_card",
    "member_cards",
    "member_table",
    "CARDS_UP_TO",
    "MemberHistory",
    "member_history",
    "directory_index_of",
    "enrich_tracks",
    "track_info",
    "affinity_matrix",
    "member_status_table",
    "GroupList",
    "Comparison",
    "compare_models",
    "playlist_csv",
    "playlist_json",
    "history_frame",
    "history_matrix",
    "heldout_matrix",
    "member_labels",
    "user_labels",
    "user_directory_of",
    "user_labels_of",
    "add_members",
    "display_table",
    "status_text",
    "default_pair",
    "TrackWhy",
    "explain_list",
    "reason_text",
    "serves_best",
    "STRATEGY_LABELS",
    "StrategyComparison",
    "compare_strategies",
    "strategy_label",
    "MAX_GROUP_SIZE",
    "MIN_GROUP_SIZE",
    "check_group_size",
    "grow_group",
    "SEARCH_LIMIT",
    "exact_user",
    "member_score_columns",
    "PICKER_USERS",
    "picker_options",
]
