"""AppTest of the Group builder page: build a group, two lists side by side, missing default models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

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
    at = page(PAGE).run()
    at.button(key="group.bootstrap").click().run(timeout=300)
    assert not at.exception and not at.error
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
