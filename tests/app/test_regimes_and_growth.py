"""Both evaluation regimes and their winners; growing a group from its current members; plain labels."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from recsys.app.evaluation_report.regimes import (
    DEFAULT_REGIME,
    REGIME_QUESTIONS,
    regime_results,
    regime_table,
    regime_verdict,
)
from recsys.app.formatting import metric_label
from recsys.app.group_builder.grow import MAX_GROUP_SIZE, check_group_size, grow_group
from recsys.data.interactions import Interactions
from recsys.errors import ConfigError


def _ev(mean: float, low: float, high: float) -> SimpleNamespace:
    summary = pd.DataFrame({"mean": [mean], "ci_low": [low], "ci_high": [high], "random": [0.003]},
                           index=["ndcg@10"])
    return SimpleNamespace(summary=summary, per_user=pd.DataFrame({"user_id": [1, 2]}))


# the demo data's figures (README): discovery WMF 0.143 vs basic 0.086; all tracks basic 0.543 vs WMF 0.425
BY_REGIME = {
    "discovery": {"basic": _ev(0.086, 0.080, 0.092), "wmf": _ev(0.143, 0.135, 0.151)},
    "all tracks": {"basic": _ev(0.543, 0.530, 0.556), "wmf": _ev(0.425, 0.410, 0.440)},
}


def test_each_regime_answers_one_question_and_discovery_comes_first() -> None:
    assert DEFAULT_REGIME == "discovery"
    assert REGIME_QUESTIONS == {
        "all tracks": "All tracks: how well does it predict what they play next, repeats included?",
        "discovery": "Discovery: how well does it find tracks they have not heard yet?",
    }


def test_the_verdict_names_the_winner_in_each_regime() -> None:
    results = regime_results(BY_REGIME, "ndcg@10")
    assert [(r.regime, r.winner, r.clear) for r in results] == [("discovery", "wmf", True),
                                                               ("all tracks", "basic", True)]
    assert regime_verdict(results) == (
        "Discovery: **wmf** finds new tracks best (NDCG@10 0.143 against basic's 0.086). "
        "All tracks: **basic** predicts the next plays best (NDCG@10 0.543 against wmf's 0.425).")
    table = regime_table(results)
    assert table["model"].tolist() == ["wmf", "basic"]
    assert table["discovery"].tolist() == [0.143, 0.086] and table["all tracks"].tolist() == [0.425, 0.543]


def test_overlapping_intervals_are_about_even() -> None:
    close = {"discovery": {"a": _ev(0.10, 0.05, 0.15), "b": _ev(0.09, 0.04, 0.14)}}
    text = regime_verdict(regime_results(close, "ndcg@10"))
    assert text.startswith("Discovery: about even (a NDCG@10 0.1 against b's 0.09")
    assert regime_verdict(regime_results({"discovery": {"a": _ev(0.1, 0.05, 0.15)}}, "ndcg@10")) == (
        "Discovery: **a** reaches NDCG@10 0.1.")
    assert regime_verdict([]) == ""


@pytest.fixture
def history() -> Interactions:
    # users 1-3 play a and b; 4 and 5 play c and d; 6 plays a and c
    pairs = [(1, "a"), (1, "b"), (2, "a"), (2, "b"), (3, "a"), (3, "b"), (4, "c"), (4, "d"), (5, "c"),
             (5, "d"), (6, "a"), (6, "c")]
    frame = pd.DataFrame(pairs, columns=["user_id", "track_id"]).assign(score=1.0)
    return Interactions.from_frame(frame)


def test_similar_and_divergent_grow_the_current_group(history: Interactions) -> None:
    # hand-computed cosines: 1~2~3 = 1, 1~4 = 1~5 = 0, 1~6 = 0.5
    assert grow_group(history, [1], "similar", size=3) == [1, 2, 3]
    divergent = grow_group(history, [1], "divergent", size=3)
    assert divergent[:2] in ([1, 4], [1, 5])  # the farthest first (4 and 5 tie at 0)
    # one outlier: the close one first, the far one last
    assert grow_group(history, [1, 2], "outlier", size=4)[2:] in ([3, 4], [3, 5])
    # a full group of the chosen size grows by one
    assert grow_group(history, [1, 2, 3], "similar", size=3) == [1, 2, 3, 6]
    # members kept in their order, whatever the kind; numpy ids come back plain
    assert grow_group(history, [np.int64(4)], "similar", size=2) == [4, 5]


def test_random_groups_follow_the_seed_and_sizes_are_checked(history: Interactions) -> None:
    first = grow_group(history, [], "random", size=3, seed=1)
    assert first == grow_group(history, [], "random", size=3, seed=1)
    assert len({tuple(grow_group(history, [], "random", size=3, seed=s)) for s in range(6)}) > 1
    with pytest.raises(ConfigError, match="a group has 2 to 6 members; 50 is out of range"):
        grow_group(history, [1], "similar", size=50)
    assert check_group_size(MAX_GROUP_SIZE) == MAX_GROUP_SIZE
    with pytest.raises(ConfigError, match="2 to 50 members; 1 is out of range"):
        check_group_size(1)
    with pytest.raises(ConfigError, match="unknown group kind"):
        grow_group(history, [1], "cosy", size=3)


def test_metric_labels_in_plain_words() -> None:
    assert metric_label("ndcg@10") == "NDCG@10" and metric_label("hit_rate@5") == "Hit rate@5"
    assert metric_label("basic ndcg@10") == "basic · NDCG@10"
    assert metric_label("ndcg_min@10 ci_low") == "Worst-served member's NDCG@10 (95% CI low)"
    assert metric_label("random precision@10") == "Random list · Precision@10"
    assert metric_label("n_relevant") == "Tracks played later" and metric_label("some_new") == "some new"


def test_an_exact_id_is_one_user() -> None:
    from recsys.app.group_builder import SEARCH_LIMIT, exact_user, search_users

    directory = pd.DataFrame({"user_id": [1, 10, 101, 102], "name": ["a", "b", "c", "d"], "city": [""] * 4,
                              "favourite_genres": [""] * 4})
    assert exact_user(directory, " 10 ") == 10  # not 101 and 102, which only start with it
    assert exact_user(directory, "7") is None and exact_user(directory, "") is None
    assert search_users(directory, "10", field="id")["user_id"].tolist() == [10, 101, 102]
    assert SEARCH_LIMIT == 50
