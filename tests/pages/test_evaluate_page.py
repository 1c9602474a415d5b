"""AppTest of the Evaluate page: cards, per-user table with overlap, comparison, groups, beyond accuracy."""

from __future__ import annotations

import pytest

from tests.pages.conftest import DemoRoot, page

PAGE = "pages/3_Evaluate.py"


def test_renders_metrics_and_comparison(app_env: DemoRoot) -> None:
    at = page(PAGE).run()
    assert not at.exception and not at.error
    assert at.multiselect(key="evaluate.models").value == ["basic"]  # wmf is absent from the test root
    at.multiselect(key="evaluate.models").set_value(["basic", "popularity"]).run()
    assert not at.exception and not at.error
    assert at.session_state["evaluate.section"] == "Per-user table"  # lazy tabs: the open one is drawn
    # the per-user table: both models' metrics side by side with the overlap share
    table = at.dataframe[0].value
    assert {"user_id", "basic ndcg@10", "popularity ndcg@10", "overlap_share"} <= set(table.columns)
    assert table["basic ndcg@10"].between(0, 1).all()
    assert table["overlap_share"].dropna().between(0, 1).all()
    # stored for the Data page's overlap-vs-NDCG chart
    stored = at.session_state["shared.per_user_metrics"]
    assert {model for model, _ in stored} == {"basic", "popularity"}
    at.session_state["evaluate.section"] = "Comparison"
    at.run()
    assert not at.exception and not at.error
    labels = [m.label for m in at.metric]
    assert labels.count("NDCG@10") == 2 and "popularity − basic" in labels  # metric names in plain words
    assert any(("beats" in m.value or "No clear difference" in m.value) for m in at.markdown)
    at.session_state["evaluate.section"] = "Distributions"
    at.run()
    assert not at.exception and len(at.get("plotly_chart")) == 1


def test_search_filter_regime_and_groups(app_env: DemoRoot) -> None:
    at = page(PAGE).run()
    full = at.dataframe[0].value
    user = full["user_id"].iloc[0]
    at.text_input(key="evaluate.query").input(str(user)).run()
    assert str(user) in at.dataframe[0].value["user_id"].astype(str).tolist()
    assert len(at.dataframe[0].value) < len(full)
    at.text_input(key="evaluate.query").input("").run()
    at.slider(key="evaluate.range").set_value((0.5, 1.0)).run()
    column = at.selectbox(key="evaluate.filter_col").value
    assert (at.dataframe[0].value[column] >= 0.5).all()
    at.segmented_control(key="evaluate.regime").set_value("discovery").run()
    assert not at.exception and not at.error
    at.session_state["evaluate.section"] = "Groups"
    at.run()
    at.button(key="evaluate.run_groups").click().run()  # a button starts the group protocol
    assert not at.exception and not at.error
    groups = at.dataframe[0].value
    assert groups["groups"].tolist() == [200]
    assert 0 <= groups["precision@10"].iloc[0] <= 1
    assert groups["ndcg_min@10"].iloc[0] <= groups["ndcg_mean@10"].iloc[0]
    at.session_state["evaluate.section"] = "Beyond accuracy"
    at.run()
    assert not at.exception and not at.error
    beyond = at.dataframe[0].value
    assert {"coverage", "novelty", "avg_popularity", "diversity"} <= set(beyond.columns)


def test_no_models_says_so(app_env: DemoRoot, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECSYS_MODEL_ROOT", str(tmp_path))
    at = page(PAGE).run()
    assert not at.exception
    assert any("No saved models" in i.value for i in at.info)


def test_group_metrics_protocols_and_kinds_study(app_env: DemoRoot) -> None:
    at = page(PAGE).run()
    at.multiselect(key="evaluate.models").set_value(["basic", "popularity"]).run()
    at.session_state["evaluate.section"] = "Groups"
    at.run()
    at.number_input(key="evaluate.n_groups").set_value(30).run()
    at.selectbox(key="evaluate.group_protocol").select("decoupled").run()
    at.button(key="evaluate.run_groups").click().run()  # a button starts the group protocol
    assert not at.exception and not at.error
    groups = at.dataframe[0].value
    assert groups["model"].tolist() == ["basic", "popularity"]
    for name in ("ndcg_minmax", "ndcg_jain", "recall_mean", "recall_min", "zero_recall", "dfh"):
        assert groups[f"{name}@10"].between(0, 1).all()
        assert (groups[f"{name}@10 ci_low"] <= groups[f"{name}@10"]).all()
    # the study: two sizes, ten groups each, the four default strategies, both models
    at.multiselect(key="evaluate.study.sizes").set_value([2, 4]).run()
    at.number_input(key="evaluate.study.n").set_value(10).run()
    at.toggle(key="evaluate.study.run").set_value(True).run(timeout=180)
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) == 1
    study = at.dataframe[-1].value
    assert len(study) == 2 * 4 * 4 * 2  # models x strategies x kinds x sizes
    assert set(study["group kind"]) == {"random", "similar tastes", "divergent tastes", "one outlier"}
    assert set(study["strategy"]) == {"Average", "Least misery", "GFAR", "EP-FuzzDA"}
    assert study["Share of members with nothing relevant (top 10)"].between(0, 1).all()
