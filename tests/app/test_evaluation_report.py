"""The Evaluate page's tables on hand-made evaluations (and one real evaluate_model run)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from recsys.app import evaluation_report as er
from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.models import create_model


def _ev(users, ndcg, means, lows, highs, randoms) -> SimpleNamespace:
    per_user = pd.DataFrame({"user_id": users, "n_relevant": [2] * len(users), "ndcg@10": ndcg,
                             "precision@10": [0.1] * len(users)})
    summary = pd.DataFrame({"mean": means, "ci_low": lows, "ci_high": highs, "random": randoms},
                           index=["ndcg@10", "precision@10"])
    return SimpleNamespace(per_user=per_user, summary=summary)


@pytest.fixture
def evals() -> dict:
    return {
        "basic": _ev([1, 2, 3], [0.2, 0.4, 0.6], [0.4, 0.1], [0.3, 0.05], [0.5, 0.15], [0.1, 0.05]),
        "wmf": _ev([2, 3, 4], [0.5, 0.9, 0.1], [0.5, 0.2], [0.04, 0.1], [0.9, 0.3], [0.05, 0.05]),
    }


def test_metric_cards(evals) -> None:
    cards = er.metric_cards(evals, ["ndcg@10", "mrr@10"])
    assert [(c.model, c.metric) for c in cards] == [("basic", "ndcg@10"), ("wmf", "ndcg@10")]
    assert cards[0].mean == 0.4 and cards[0].lift == pytest.approx(4.0) and cards[0].users == 3


def test_per_user_table_with_overlap(evals) -> None:
    overlap = pd.DataFrame({"user_id": [1, 2, 9], "val_tracks": [4, 5, 1], "seen_in_train": [1, 5, 0],
                            "share": [0.25, 1.0, 0.0]})
    table = er.per_user_table(evals, overlap, metrics=["ndcg@10"])
    assert table.columns.tolist() == ["user_id", "n_relevant", "overlap_share", "val_tracks", "seen_in_train",
                                      "basic ndcg@10", "wmf ndcg@10"]
    assert table["user_id"].tolist() == [1, 2, 3, 4]
    assert table["basic ndcg@10"].tolist()[:3] == [0.2, 0.4, 0.6] and np.isnan(table["basic ndcg@10"][3])
    assert table["wmf ndcg@10"].tolist()[1:] == [0.5, 0.9, 0.1]
    assert table["overlap_share"].tolist()[:2] == [0.25, 1.0] and np.isnan(table["overlap_share"][2])
    single = er.per_user_table({"basic": evals["basic"]})
    assert single.columns.tolist() == ["user_id", "n_relevant", "ndcg@10", "precision@10"]
    with pytest.raises(ConfigError):
        er.per_user_table({})


def test_filter_per_user(evals) -> None:
    table = pd.DataFrame({"user_id": [101, 102, 210], "ndcg@10": [0.1, 0.5, 0.9]})
    assert er.filter_per_user(table, query="02")["user_id"].tolist() == [102]
    assert er.filter_per_user(table, column="ndcg@10", low=0.5)["user_id"].tolist() == [102, 210]
    assert er.filter_per_user(table, query="1", column="ndcg@10", high=0.5)["user_id"].tolist() == [101, 102]
    with pytest.raises(ConfigError, match="no column 'x'"):
        er.filter_per_user(table, column="x", low=0)
    assert er.per_user_csv(table).decode().splitlines()[0] == "user_id,ndcg@10"


def test_metric_long_paired_and_random(evals) -> None:
    long = er.metric_long(evals, "ndcg@10")
    assert long["model"].tolist() == ["basic"] * 3 + ["wmf"] * 3
    result = er.paired(evals["wmf"], evals["basic"], "ndcg@10")
    # common users 2 and 3: wmf 0.5, 0.9 vs basic 0.4, 0.6 -> differences 0.1 and 0.3
    assert result.n == 2 and result.diff == pytest.approx(0.2)
    table = er.against_random(evals, "ndcg@10")
    assert table["above_random"].tolist() == [True, False]  # wmf's interval starts at 0.04 < 0.05
    assert table["lift"].tolist() == pytest.approx([4.0, 10.0])


def test_evaluate_models_real_run() -> None:
    train_frame = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "track_id": [0, 1, 1, 2, 0], "score": [1.0] * 5})
    val_frame = pd.DataFrame({"user_id": [1, 2, 3], "track_id": [2, 0, 1], "score": [1.0, 1.0, 1.0]})
    train = Interactions.from_frame(train_frame, item_ids=np.arange(5))

    class Prepared:
        def matrix(self, split, like=None):
            return like.align(val_frame if split == "val" else train_frame)

    evs = er.evaluate_models({"pop": create_model("popularity").fit(train)}, Prepared(), k=(1, 2), n_boot=50)
    per_user = evs["pop"].per_user
    # popularity order: 0 (users 1,3), 1 (1,2), then 2, 3, 4; top-1 = track 0 for everyone
    assert per_user["user_id"].tolist() == [1, 2, 3]
    assert per_user["precision@1"].tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(ConfigError, match="unknown split"):
        er.evaluate_models({"pop": create_model("popularity").fit(train)}, Prepared(), split="train")


def test_filter_columns() -> None:
    table = pd.DataFrame(columns=["user_id", "n_relevant", "overlap_share", "a precision@10", "a ndcg@10"])
    assert er.filter_columns(table) == (["overlap_share", "a precision@10", "a ndcg@10"], 2)
    assert er.filter_columns(table, prefer="ndcg@5") == (["overlap_share", "a precision@10", "a ndcg@10"], 0)


def test_evaluable_models_skips_unreadable_and_optionally_other_data() -> None:
    table = pd.DataFrame({"name": ["a", "b", "c"], "error": [None, "unreadable", None],
                          "matches_data": [True, True, None]})
    assert er.evaluable_models(table) == ["a", "c"]
    assert er.evaluable_models(table, matching_only=True) == ["a"]
    assert er.evaluable_models(table.iloc[0:0]) == []


def test_lift_arrow_only_above_random() -> None:
    above = er.MetricCard("wmf", "ndcg@10", mean=0.14, ci_low=0.13, ci_high=0.15, random=0.003, users=10)
    below = er.MetricCard("wmf", "ndcg@10", mean=0.0027, ci_low=0.001, ci_high=0.004, random=0.003, users=10)
    within = er.MetricCard("wmf", "ndcg@10", mean=0.0035, ci_low=0.002, ci_high=0.005, random=0.003, users=10)
    assert (er.lift_text(above), er.lift_arrow(above)) == ("x46.7 random", "up")
    assert (er.lift_text(below), er.lift_arrow(below)) == ("x0.9 random", "off")  # no "↑ x0.9 random"
    assert er.lift_arrow(within) == "off"  # above random on average, but not clearly


def test_page_of_cuts_the_per_user_table_into_pages() -> None:
    table = pd.DataFrame({"user_id": range(25)})
    first, pages = er.page_of(table, 1, rows=10)
    assert pages == 3 and first["user_id"].tolist() == list(range(10))
    last, _ = er.page_of(table, 3, rows=10)
    assert last["user_id"].tolist() == list(range(20, 25))
    assert er.page_of(table, 99, rows=10)[0]["user_id"].tolist() == list(range(20, 25))  # clamped
    assert er.page_of(table, 0, rows=10)[0]["user_id"].tolist() == list(range(10))
    empty, pages = er.page_of(table.iloc[:0], 1)
    assert pages == 1 and empty.empty
    with pytest.raises(ConfigError, match="rows per page"):
        er.page_of(table, 1, rows=0)
