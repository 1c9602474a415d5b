"""Altair chart builders (their selections), the selection readers, and the Evaluate page's group views."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from recsys.app import evaluation_report as er
from recsys.app.altair_charts import (
    brush_bounds,
    clicked,
    group_study_chart,
    metric_label,
    per_user_chart,
    strategy_chart,
    users_in_range,
)
from recsys.data.interactions import Interactions
from recsys.errors import ConfigError, UnknownUserError
from recsys.models import create_model


def _params(chart) -> dict:
    spec = chart.to_dict()
    found = {p["name"]: p for p in spec.get("params", [])}
    for sub in spec.get("spec", {}).get("layer", []) + spec.get("layer", []):
        found.update({p["name"]: p for p in sub.get("params", [])})
    found.update({p["name"]: p for p in spec.get("spec", {}).get("params", [])})
    return found


def test_strategy_chart_selects_a_strategy() -> None:
    summary = pd.DataFrame({"strategy": ["average", "gfar"], "label": ["Average", "GFAR"],
                            "least_satisfied": [0.2, 0.5], "min_max": [0.3, 0.8], "help": ["a", "b"]})
    spec = strategy_chart(summary, selected="gfar").to_dict()
    pick = _params(strategy_chart(summary, selected="gfar"))["strategy"]
    assert pick["select"]["fields"] == ["strategy"] and pick["value"] == [{"strategy": "gfar"}]
    # one bar per strategy and measure, in the summary's order
    values = pd.DataFrame(spec["datasets"][spec["data"]["name"]])
    assert len(values) == 4 and values["label"].unique().tolist() == ["Average", "GFAR"]
    assert spec["encoding"]["x"]["sort"] == ["Average", "GFAR"]
    with pytest.raises(ConfigError, match="lacks columns"):
        strategy_chart(summary.drop(columns="min_max"))


def test_group_study_chart_panels_and_intervals() -> None:
    rows = [dict(model=m, strategy=s, kind=k, size=z, metric=me, mean=0.3, ci_low=0.2, ci_high=0.4, groups=5)
            for m in ("basic", "wmf") for s in ("average", "gfar") for k in ("random", "outlier")
            for z in (2, 3) for me in ("ndcg_min@10", "zero_recall@10")]
    spec = group_study_chart(pd.DataFrame(rows)).to_dict()
    assert spec["facet"]["row"]["field"] == "metric_label"
    assert spec["facet"]["column"]["field"] == "kind_label"
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in spec["spec"]["layer"]]
    assert marks == ["line", "errorbar"]
    data = pd.DataFrame(spec["datasets"][spec["data"]["name"]])
    assert set(data["kind_label"]) == {"Random", "One outlier"}
    assert metric_label("zero_recall@10") == "Share of members with nothing relevant (top 10)"


def test_per_user_chart_brush_and_click() -> None:
    long = pd.DataFrame({"model": ["a", "a", "b"], "user_id": [1, 2, 1], "value": [0.1, 0.6, 0.9]})
    params = _params(per_user_chart(long, "ndcg@10"))
    assert params["range"]["select"]["type"] == "interval" and params["range"]["select"]["encodings"] == ["x"]
    assert params["user"]["select"]["fields"] == ["user_id"]
    # the same seed draws the same jitter
    first, again = (per_user_chart(long, "ndcg@10", seed=3).to_dict() for _ in range(2))
    assert first["datasets"] == again["datasets"]
    # what Streamlit returns as the selection, read back
    selection = {"range": {"value": [0.8, 0.05]}, "user": [{"user_id": 2}, {"user_id": 2}]}
    assert brush_bounds(selection) == (0.05, 0.8)
    assert clicked(selection, "user", "user_id") == [2]
    assert users_in_range(long, (0.05, 0.8)) == {1, 2} and users_in_range(long, (0.7, 1.0)) == {1}
    assert brush_bounds({"range": {}}) is None and brush_bounds(None) is None
    assert users_in_range(long, None) is None and clicked({}, "user", "user_id") == []


def test_study_table_in_plain_words() -> None:
    study = pd.DataFrame([
        dict(model="wmf", strategy="gfar", kind="outlier", size=3, metric="ndcg_min@10", mean=0.25,
             ci_low=0.2, ci_high=0.31, groups=40),
        dict(model="wmf", strategy="gfar", kind="outlier", size=3, metric="zero_recall@10", mean=0.5,
             ci_low=0.4, ci_high=0.6, groups=40),
    ])
    table = er.study_table(study)
    assert table.to_dict("records") == [{
        "model": "wmf", "strategy": "GFAR", "group kind": "one outlier", "group size": 3,
        "Worst-served member's NDCG (top 10)": 0.25,
        "Worst-served member's NDCG (top 10), 95% interval": "[0.200, 0.310]",
        "Share of members with nothing relevant (top 10)": 0.5,
        "Share of members with nothing relevant (top 10), 95% interval": "[0.400, 0.600]",
    }]


def test_user_detail_history_and_lists() -> None:
    items = np.array(["t1", "t2", "t3", "t4"], dtype=object)
    train = pd.DataFrame({"user_id": [1, 1, 1, 2], "track_id": ["t1", "t2", "t1", "t3"],
                          "score": [1.0, 2.0, 2.0, 1.0]})
    val = pd.DataFrame({"user_id": [1, 1], "track_id": ["t3", "t4"], "score": [1.0, 0.0]})
    tracks = pd.DataFrame({"id": list(items), "name": ["A", "B", "C", "D"], "artist_name": ["x"] * 4})
    prepared = SimpleNamespace(train=train, tracks=tracks, split=lambda name: {"val": val}[name])
    model = create_model("popularity").fit(Interactions.from_frame(train, item_ids=items))
    detail = er.user_detail(prepared, {"pop": model}, 1, n=2)
    # t1 played twice (1 + 2 = 3) comes before t2 (2)
    assert detail.history.to_dict("records") == [{"name": "A", "artist": "x", "score": 3.0},
                                                 {"name": "B", "artist": "x", "score": 2.0}]
    assert detail.heldout["name"].tolist() == ["C"]  # the skip-only t4 is not a later play
    # popularity: t1 (users 1), t2 (1), t3 (2) all one user: ties to the lower index
    assert detail.recommendations["pop"].to_dict("list") == {
        "rank": [1, 2], "name": ["A", "B"], "artist": ["x", "x"], "held_out": [False, False]}
    discovery = er.user_detail(prepared, {"pop": model}, 1, n=2, exclude_seen=True)
    assert discovery.recommendations["pop"]["name"].tolist() == ["C", "D"]
    assert discovery.recommendations["pop"]["held_out"].tolist() == [True, False]
    with pytest.raises(UnknownUserError, match="no training plays"):
        er.user_detail(prepared, {"pop": model}, 99)


def test_per_user_chart_draws_a_seeded_sample_of_a_large_set_of_users() -> None:
    from recsys.app.altair_charts import per_user_chart

    long = pd.DataFrame({"model": ["a"] * 300 + ["b"] * 300, "user_id": list(range(300)) * 2,
                         "value": np.linspace(0, 1, 600)})
    chart = per_user_chart(long, "ndcg@10", max_users=50)
    drawn = chart.data
    assert drawn["user_id"].nunique() == 50 and len(drawn) == 100  # the same users for both models
    assert "a seeded sample of 50 of 300 users" in chart.title
    again = per_user_chart(long, "ndcg@10", max_users=50).data
    assert drawn["user_id"].tolist() == again["user_id"].tolist()
    assert len(per_user_chart(long, "ndcg@10").data) == 600  # small: every user
