"""AppTests of the dataset choice and of the models of the data on screen, with two datasets.

The test root's models (basic, popularity) were trained on ``demo``; ``rel1`` is a second, smaller
release. A page showing ``rel1`` must not use them: it names the data they were trained on and offers to
train their settings (or the defaults) on ``rel1``, in the background, under new names.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from recsys.app import jobs
from tests.pages.conftest import DemoRoot, page


@pytest.fixture(scope="module")
def two_datasets(demo_root: DemoRoot, tmp_path_factory: pytest.TempPathFactory) -> DemoRoot:
    """The demo root's data plus ``rel1`` (prepared), and a copy of its models (so training adds files)."""
    from recsys.data.demo import generate_dataset
    from recsys.data.prepare import prepare

    base = tmp_path_factory.mktemp("two-datasets")
    shutil.copytree(demo_root.data, base / "data")
    shutil.copytree(demo_root.models, base / "models")
    generate_dataset(base / "data" / "rel1", users=40, tracks=200, seed=7)
    prepare(base / "data" / "rel1", base / "data" / "processed" / "rel1")
    return DemoRoot(data=base / "data", models=base / "models")


@pytest.fixture
def env(two_datasets: DemoRoot, monkeypatch: pytest.MonkeyPatch) -> DemoRoot:
    import streamlit as st

    monkeypatch.setenv("RECSYS_DATA_ROOT", str(two_datasets.data))
    monkeypatch.setenv("RECSYS_MODEL_ROOT", str(two_datasets.models))
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    st.cache_data.clear()
    st.cache_resource.clear()
    return two_datasets


def _opened(path: str, dataset: str | None) -> object:
    """``path`` run once, opened with ``?dataset=<dataset>`` (no parameter: ``None``)."""
    at = page(path)
    if dataset is not None:
        at.query_params["dataset"] = dataset
    return at.run()


def test_the_url_chooses_the_dataset_on_every_page(env: DemoRoot) -> None:
    home = _opened("app.py", "rel1")
    assert not home.exception
    assert home.selectbox(key="dataset").value == "rel1"
    assert home.selectbox(key="dataset").options == ["demo", "rel1"]
    assert {m.label: m.value for m in home.metric}["Users"] == "40"
    for path in ("pages/1_Data.py", "pages/2_Train.py"):
        at = _opened(path, "rel1")
        assert not at.exception, at.exception
        # the sidebar's picker is drawn on every page (from app.py), and the page follows it
        assert at.selectbox(key="dataset").value == "rel1"
        assert any("Dataset **rel1**" in c.value for c in at.caption)
    data = _opened("pages/1_Data.py", None)
    assert any("Dataset **demo**" in c.value for c in data.caption)
    # choosing another dataset in the sidebar switches the page over
    data.selectbox(key="dataset").select("rel1").run()
    assert not data.exception and any("Dataset **rel1**" in c.value for c in data.caption)


def test_an_unknown_dataset_in_the_url_is_named_not_a_crash(env: DemoRoot) -> None:
    at = _opened("app.py", "no-such-release")
    assert not at.exception and not at.error
    assert at.selectbox(key="dataset").value == "demo"
    assert [w.value for w in at.sidebar.warning] == [
        "There is no dataset “no-such-release” in the data folder: showing **demo** instead."]
    assert {m.label: m.value for m in at.metric}["Dataset"] == "demo"
    # picking a dataset in the sidebar clears the message
    at.selectbox(key="dataset").select("rel1").run()
    assert not at.sidebar.warning and {m.label: m.value for m in at.metric}["Dataset"] == "rel1"
    # a name that could not even be a folder name is refused the same way
    bad = _opened("pages/1_Data.py", "../etc")
    assert not bad.exception and bad.selectbox(key="dataset").value == "demo"
    assert any("“../etc”" in w.value for w in bad.sidebar.warning)


def test_models_of_other_data_are_named_and_retrained_under_new_names(env: DemoRoot) -> None:
    basic_before = (env.models / "basic.pt").stat().st_mtime_ns
    at = page("app.py")
    at.query_params["dataset"] = "rel1"
    at.run()
    assert not at.exception and not at.error
    # no model fits rel1: no model table, an offer to train the defaults, the others with their data
    assert not at.dataframe
    assert any("No saved models trained on **rel1**" in i.value for i in at.info)
    assert at.button(key="home.bootstrap").label == "Train the default basic and wmf models"
    others = [m.value for m in at.markdown if "trained on demo" in m.value]
    assert sorted(others) == ["**basic** (basic) — trained on demo",
                              "**popularity** (popularity) — trained on demo"]
    at.button(key="home.retrain.popularity").click().run()
    assert not at.exception and not at.error
    job = jobs.get_job("popularity-rel1")
    assert job is not None and job.wait(120) and job.status == "done", job and job.error
    at.run()
    table = at.dataframe[0].value
    assert table["name"].tolist() == ["popularity-rel1"] and table["trained_on"].tolist() == ["rel1"]
    assert (env.models / "basic.pt").stat().st_mtime_ns == basic_before  # demo's models untouched
    # on demo, the new model is listed among the others, as trained on rel1
    demo = page("app.py").run()
    assert sorted(demo.dataframe[0].value["name"]) == ["basic", "popularity"]
    assert any(m.value == "**popularity-rel1** (popularity) — trained on rel1" for m in demo.markdown)


def test_train_page_suggests_names_that_keep_other_datas_models(env: DemoRoot) -> None:
    at = _opened("pages/2_Train.py", "rel1")
    assert not at.exception
    at.selectbox(key="train.kind").select("basic").run()
    # basic.pt is demo's: a basic model of rel1 is saved as basic-rel1
    assert at.text_input(key="train.name.basic").value == "basic-rel1"
