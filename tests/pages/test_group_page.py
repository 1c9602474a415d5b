"""AppTest of the Group builder page: build a group, two lists side by side, missing default models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.pages.conftest import DemoRoot, page

PAGE = "pages/4_Group_builder.py"


def test_renders_and_asks_for_members(app_env: DemoRoot) -> None:
    at = page(PAGE).run()
    assert not at.exception and not at.error
    assert any("Add members" in i.value for i in at.info)
    # the test root has basic and popularity models but no wmf: the page says so and offers training
    assert any("wmf.pt" in w.value for w in at.warning)
    assert at.button(key="group.bootstrap").label.startswith("Train the default wmf")


def test_random_group_gives_two_lists(app_env: DemoRoot) -> None:
    at = page(PAGE).run()
    at.button(key="group.random").click().run()
    assert not at.exception and not at.error
    members = at.session_state["group.members"]
    assert len(members) == 3 and len(set(members)) == 3
    # member cards
    assert sum("tracks in their history" in c.value for c in at.caption) == 3
    # the two models' lists, side by side, with n = 10 tracks each
    assert at.selectbox(key="group.model_a").value == "basic"
    assert at.selectbox(key="group.model_b").value == "popularity"
    lists = [df.value for df in at.dataframe][1:]  # the first table is the user search
    assert len(lists) == 2
    for table in lists:
        assert len(table) == 10
        assert list(table.columns) == ["rank", "name", "artist", "genres", "score", "in_both"]
    both = set(lists[0].loc[lists[0]["in_both"], "name"])
    assert both == set(lists[1].loc[lists[1]["in_both"], "name"])
    assert any(f"**{len(both)} of 10**" in c.value for c in at.caption)
    assert sum("trained on" in c.value for c in at.caption) == 2


def test_strategy_search_and_add(app_env: DemoRoot) -> None:
    at = page(PAGE).run()
    first_user = at.dataframe[0].value["user_id"].iloc[0]
    at.text_input(key="group.query").input(str(first_user)).run()
    hits = at.dataframe[0].value
    assert hits["user_id"].iloc[0] == first_user  # exact id first
    at.multiselect(key="group.members").set_value([first_user]).run()
    at.selectbox(key="group.strategy").select("least_misery").run()
    assert not at.exception and not at.error
    assert len(at.dataframe) == 3
    at.button(key="group.similar").click().run()
    assert len(at.session_state["group.members"]) == 3
    assert not at.exception and not at.error


def test_train_missing_defaults(app_env: DemoRoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "models"
    shutil.copytree(app_env.models, folder)
    monkeypatch.setenv("RECSYS_MODEL_ROOT", str(folder))
    from recsys.app import jobs

    at = page(PAGE).run()
    at.button(key="group.bootstrap").click().run()
    assert not at.exception and not at.error
    # trained in the background (the page shows its progress): wait for the job, then look again
    job = jobs.get_job("wmf")
    assert job is not None and job.wait(300) and job.status == "done", job and job.error
    at.run()
    assert (folder / "wmf.pt").is_file()
    assert not any("wmf.pt" in w.value for w in at.warning)
    at.button(key="group.divergent").click().run()
    assert at.selectbox(key="group.model_b").value == "wmf"
    assert len(at.dataframe) == 3 and not at.exception


def test_playlist_download_payloads(app_env: DemoRoot) -> None:
    from recsys.app import group_builder as gb
    from recsys.data.prepared import load_prepared
    from recsys.models import load_model

    prepared = load_prepared(app_env.data / "processed" / "demo")
    members = gb.suggest_group(prepared.history(), "random", size=3, seed=1)
    cmp = gb.compare_models({"basic": load_model(app_env.models / "basic.pt")}, members, prepared.tracks,
                            n=5, history=prepared.history())
    data = json.loads(gb.playlist_json(cmp.lists[0].table, model="basic"))
    assert [t["rank"] for t in data["tracks"]] == [1, 2, 3, 4, 5]
    assert all(t["name"] and t["artist"] for t in data["tracks"])
    assert {m["status"] for m in data["members"]} <= {"trained", "folded_in", "fallback"}
    # the export and the typed list agree
    rec = cmp.lists[0].recommendation
    assert [t["track_id"] for t in data["tracks"]] == rec.track_ids.tolist()
    assert {m["user_id"]: m["status"] for m in data["members"]} == rec.statuses


def test_click_a_track_to_see_why_and_for_whom(app_env: DemoRoot) -> None:
    at = page(PAGE).run()
    at.button(key="group.outlier").click().run()  # the one-outlier kind has its button too
    members = at.session_state["group.members"]
    assert len(members) == 3
    assert not any(m.value.startswith("**Why") for m in at.markdown)
    # a click on the second track of the left list (what the browser's row selection sets)
    at.session_state["group.list.basic"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception and not at.error
    second = at.dataframe[1].value["name"].iloc[1]
    why = [m.value for m in at.markdown if m.value.startswith("**Why")]
    assert len(why) == 1 and f"“{second}” (#2)" in why[0] and "serves **" in why[0]
    lines = [m.value for m in at.markdown if m.value.startswith("- for ")]
    assert len(lines) == 3
    # the basic model explains by the member's own plays or by popularity, in words
    assert all(("played it themselves" in v) or ("popular" in v) for v in lines)
    table = at.dataframe[2].value  # search, left list, then the explanation's table
    assert table.columns.tolist() == ["member", "affinity", "own_rank", "because"]
    assert table["affinity"].between(0, 1).all()


def test_member_weights_and_every_strategy(app_env: DemoRoot) -> None:
    at = page(PAGE).run()
    at.button(key="group.random").click().run()
    members = at.session_state["group.members"]
    before = at.dataframe[1].value["name"].tolist()
    # one member counts three times as much as the others: the average list follows them
    at.slider(key=f"group.weight.{members[0]}").set_value(3.0).run()
    at.slider(key=f"group.weight.{members[1]}").set_value(0.0).run()
    assert not at.exception and not at.error
    assert at.dataframe[1].value["name"].tolist() != before
    at.selectbox(key="group.strategy").select("least_misery").run()
    assert any("weights do not change it" in c.value for c in at.caption)
    assert not at.exception and not at.error
    # every strategy side by side
    at.toggle(key="group.all_strategies").set_value(True).run()
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) == 1
    assert at.session_state["group.strategies.chosen"] == "average"  # the first until one is clicked
    summary, chosen_list, overlap, hits = (t.value for t in at.dataframe[-4:])
    assert summary["strategy name"].tolist() == ["Average", "Least misery", "Most pleasure", "Multiplicative",
                                                 "Borda count", "Average without misery", "Taking turns",
                                                 "GFAR", "EP-FuzzDA"]
    assert summary["least satisfied member"].between(0, 1).all()
    assert summary["uses weights"].sum() == 7  # weights were set; two strategies take none
    assert len(chosen_list) == 10
    assert overlap.shape == (9, 9) and (np.diag(overlap.to_numpy()) == 10).all()
    assert hits.shape == (9, 3)  # strategies x members
