"""AppTests of what a stakeholder demo needs on the Evaluate page and the Group builder: both regimes with
their questions and winners, cards that do not mislead, plain labels, the group protocol behind a button,
the signal banner on a structure-free release, a group that grows and stays in the address."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.pages.conftest import DemoRoot, page

EVALUATE = "pages/3_Evaluate.py"
GROUP = "pages/4_Group_builder.py"


@pytest.fixture(scope="module")
def flat_root(demo_root: DemoRoot, tmp_path_factory: pytest.TempPathFactory) -> DemoRoot:
    """The demo root plus ``flat``: a release with no structure (``generate --taste-strength 0``) and a
    basic and a popularity model trained on it."""
    from recsys.app.training import train_and_save
    from recsys.data.demo import generate_dataset
    from recsys.data.prepare import prepare
    from recsys.data.prepared import load_prepared
    from recsys.models import create_model

    base = tmp_path_factory.mktemp("flat-root")
    shutil.copytree(demo_root.data, base / "data")
    shutil.copytree(demo_root.models, base / "models")
    generate_dataset(base / "data" / "flat", users=60, tracks=300, seed=3, taste_strength=0.0)
    prepare(base / "data" / "flat", base / "data" / "processed" / "flat")
    flat = load_prepared(base / "data" / "processed" / "flat")
    for kind in ("basic", "popularity"):
        train_and_save(create_model(kind), flat, base / "models" / f"{kind}-flat.pt")
    return DemoRoot(data=base / "data", models=base / "models")


@pytest.fixture
def flat_env(flat_root: DemoRoot, monkeypatch: pytest.MonkeyPatch) -> DemoRoot:
    import streamlit as st

    monkeypatch.setenv("RECSYS_DATA_ROOT", str(flat_root.data))
    monkeypatch.setenv("RECSYS_MODEL_ROOT", str(flat_root.models))
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    st.cache_data.clear()
    st.cache_resource.clear()
    return flat_root


def test_evaluate_opens_in_discovery_and_names_each_regimes_winner(app_env: DemoRoot) -> None:
    at = page(EVALUATE).run()
    assert not at.exception and not at.error
    assert at.segmented_control(key="evaluate.regime").value == "discovery"
    assert at.multiselect(key="evaluate.models").value == ["basic"]
    assert "Discovery: how well does it find tracks they have not heard yet?" in [c.value for c in at.caption]
    at.multiselect(key="evaluate.models").set_value(["basic", "popularity"]).run()
    verdict = [m.value for m in at.markdown if m.value.startswith("**Which model wins")]
    assert len(verdict) == 1 and "Discovery: " in verdict[0] and "All tracks: " in verdict[0]
    # cards: plain labels, an arrow only above random, the interval on its own line, never cut
    from streamlit.proto.Metric_pb2 import Metric

    cards = at.metric
    assert {m.label for m in cards} >= {"NDCG@10", "Precision@10", "Recall@10", "Hit rate@10"}
    for card in cards:
        lift = float(card.proto.delta.removeprefix("x").split()[0])
        if lift <= 1:  # "x0.9 random" never gets an up arrow
            assert card.proto.direction != Metric.MetricDirection.UP, card.proto
    assert any(card.proto.direction == Metric.MetricDirection.UP for card in cards)
    assert sum(c.value.startswith("95% CI ") for c in at.caption) == 8  # 2 models x 4 cards
    assert not any("[" in c.value for c in at.caption if c.value.startswith("95% CI"))
    at.segmented_control(key="evaluate.regime").set_value("all tracks").run()
    assert "All tracks: how well does it predict what they play next, repeats included?" in [
        c.value for c in at.caption]


def test_comparison_shows_one_explained_p_value_and_the_interval_apart(app_env: DemoRoot) -> None:
    at = page(EVALUATE).run()
    at.multiselect(key="evaluate.models").set_value(["basic", "popularity"]).run()
    at.session_state["evaluate.section"] = "Comparison"
    at.run()
    assert not at.exception and not at.error
    labels = [m.label for m in at.metric]
    assert "Chance it is luck" in labels and not any(label.startswith("p-value") for label in labels)
    luck = next(m for m in at.metric if m.label == "Chance it is luck")
    assert "Wilcoxon" in luck.help
    interval = [c.value for c in at.caption
                if c.value.startswith("95% confidence interval of the difference")]
    assert len(interval) == 1 and " to " in interval[0]


def test_group_protocol_starts_with_a_button_and_keeps_its_table(app_env: DemoRoot) -> None:
    at = page(EVALUATE).run()
    at.session_state["evaluate.section"] = "Groups"
    at.run()
    assert not at.get("toggle") or all(t.key != "evaluate.run_groups" for t in at.toggle)
    at.number_input(key="evaluate.n_groups").set_value(20).run()
    assert not at.dataframe  # nothing computed before the click
    at.button(key="evaluate.run_groups").click().run()
    assert not at.exception and not at.error
    assert at.dataframe[0].value["groups"].tolist() == [20]
    at.number_input(key="evaluate.group_size").set_value(3).run()  # a new setting: the table follows
    assert at.dataframe[0].value["groups"].tolist() == [20] and not at.exception


def test_models_of_other_data_are_never_offered(flat_env: DemoRoot) -> None:
    at = page(EVALUATE)
    at.query_params["dataset"] = "flat"
    at.run()
    assert not at.exception
    assert at.multiselect(key="evaluate.models").options == ["popularity-flat", "basic-flat"]
    assert at.multiselect(key="evaluate.models").value == ["basic-flat"]
    assert any("trained on demo" in m.value for m in at.markdown)  # demo's models, named, not used


def test_structure_free_release_gets_the_banner_on_both_result_pages(flat_env: DemoRoot) -> None:
    for path in (EVALUATE, GROUP):
        at = page(path)
        at.query_params["dataset"] = "flat"
        at.run(timeout=120)
        assert not at.exception, at.exception
        banner = [e.value for e in at.error if e.value.startswith("**No detectable structure in this data**")]
        assert len(banner) == 1, [e.value for e in at.error]
        assert "for a random list" in banner[0] and "best model here" in banner[0]
    demo = page(GROUP).run()  # structured data: no banner
    assert not any("No detectable structure" in e.value for e in demo.error)


def test_similar_grows_the_group_and_random_groups_differ_between_sessions(app_env: DemoRoot) -> None:
    at = page(GROUP).run()
    first = at.dataframe[0].value["user_id"].iloc[0]
    at.multiselect(key="group.members").set_value([first]).run()
    at.button(key="group.similar").click().run()
    members = at.session_state["group.members"]
    assert members[0] == first and len(members) == 3  # grown from the current member, not replaced
    assert any(i.value == "Added 2 similar listeners to the group." for i in at.info)
    draws = set()
    for _ in range(3):
        fresh = page(GROUP).run()
        fresh.button(key="group.random").click().run()
        draws.add(tuple(fresh.session_state["group.members"]))
    assert len(draws) > 1  # each session has its own seed


def test_group_size_out_of_range_says_so(app_env: DemoRoot) -> None:
    at = page(GROUP).run()
    at.number_input(key="group.size").set_value(51).run()
    at.button(key="group.random").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Could not suggest a random group: a group has 2 to 50 members; 51 is out of range"]
    assert not at.session_state["group.members"] if "group.members" in at.session_state else True


def test_an_id_and_enter_adds_that_user_and_searches_are_capped(app_env: DemoRoot) -> None:
    at = page(GROUP).run()
    directory = at.dataframe[0].value
    assert len(directory) == 50  # 60 users: the first 50, and a line saying so
    assert any(c.value == "Showing the first 50 of 60 matches: type more to narrow them." for c in at.caption)
    uid = directory["user_id"].iloc[1]
    at.text_input(key="group.query").input(str(uid)).run()
    assert at.session_state["group.members"] == [uid]  # that user only, not every id starting with it
    assert any(i.value == f"Added user {uid} to the group." for i in at.info)


def test_the_group_and_models_come_back_from_the_address(app_env: DemoRoot) -> None:
    from recsys.app.group_builder import user_directory
    from recsys.data.prepared import load_prepared

    users = user_directory(load_prepared(app_env.data / "processed" / "demo").users)["user_id"].tolist()
    at = page(GROUP)
    at.query_params["members"] = f"{users[3]},{users[7]},nobody"
    at.query_params["group.model_a"] = "popularity"
    at.run()
    assert not at.exception and not at.error
    assert at.session_state["group.members"] == [users[3], users[7]]  # unknown ids left out
    assert at.selectbox(key="group.model_a").value == "popularity"
    # the group goes into the address as it changes
    at.button(key="group.similar").click().run()
    assert at.query_params["members"] == ",".join(str(u) for u in at.session_state["group.members"])


def test_a_large_group_shows_one_member_table_and_a_link_past_the_cap_says_so(app_env: DemoRoot) -> None:
    from recsys.app.group_builder import CARDS_UP_TO, MAX_GROUP_SIZE, user_directory
    from recsys.data.prepared import load_prepared

    users = user_directory(load_prepared(app_env.data / "processed" / "demo").users)["user_id"].tolist()
    assert len(users) > MAX_GROUP_SIZE  # the demo has enough listeners to go past the cap
    at = page(GROUP)
    at.query_params["members"] = ",".join(str(u) for u in users[: MAX_GROUP_SIZE + 3])
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        f"A group has at most {MAX_GROUP_SIZE} members: the link names {MAX_GROUP_SIZE + 3}, so the first "
        f"{MAX_GROUP_SIZE} were kept."]
    assert at.session_state["group.members"] == users[:MAX_GROUP_SIZE]
    # past CARDS_UP_TO members the cards are one table, a row per member, in the group's order
    table = next(d.value for d in at.dataframe if "top_genres" in d.value.columns)
    assert table["user_id"].tolist() == [str(u) for u in users[:MAX_GROUP_SIZE]]
    assert any(c.value.startswith(f"{MAX_GROUP_SIZE} members: one row each (cards up to {CARDS_UP_TO}")
               for c in at.caption)
    assert any(m.value.startswith("####") for m in at.markdown)  # both lists are drawn for 50 members


def test_a_small_group_keeps_its_cards(app_env: DemoRoot) -> None:
    from recsys.app.group_builder import user_directory
    from recsys.data.prepared import load_prepared

    users = user_directory(load_prepared(app_env.data / "processed" / "demo").users)["user_id"].tolist()
    at = page(GROUP)
    at.query_params["members"] = f"{users[0]},{users[1]}"
    at.run()
    assert not at.exception and not at.error
    assert not any("top_genres" in d.value.columns for d in at.dataframe)
    assert sum(c.value.endswith("tracks in their history") for c in at.caption) == 2
