"""AppTest of the Home page on a small prepared demo dataset."""

from __future__ import annotations

from recsys.app.preparation import get_preparation
from tests.pages.conftest import DemoRoot, page


def test_home_shows_dataset_models_and_quick_start(app_env: DemoRoot) -> None:
    at = page("app.py").run()
    assert not at.exception, at.exception
    assert not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Dataset"] == "demo"
    assert metrics["Status"] == "prepared"
    assert metrics["Users"] == "60"
    assert metrics["Tracks"] == "400"
    # the saved models are listed, with their kinds
    table = at.dataframe[0].value
    assert sorted(table["name"]) == ["basic", "popularity"]
    assert [t.label for t in at.tabs] == ["Demo data", "Pick a dataset", "Upload files"]
    assert at.selectbox(key="home.pick").options == ["demo (prepared)"]


def test_home_raw_dataset_can_be_prepared(app_env: DemoRoot, tmp_path) -> None:
    import shutil

    raw = app_env.data / "copy"
    shutil.copytree(app_env.dataset, raw)
    try:
        at = page("app.py")
        at.query_params["dataset"] = "copy"  # the dataset in use is the URL's ?dataset=
        at.run()
        assert {m.label: m.value for m in at.metric}["Status"] == "raw"
        at.button(key="home.prepare").click().run()
        assert not at.exception, at.exception
        # prepared in the background: the job outlives the script run that started it
        job = get_preparation("copy")
        assert job is not None and job.wait(120) and job.status == "done", job and job.error
        at.run()
        assert {m.label: m.value for m in at.metric}["Status"] == "prepared"
    finally:
        shutil.rmtree(raw, ignore_errors=True)
        shutil.rmtree(app_env.data / "processed" / "copy", ignore_errors=True)


def test_home_upload_errors_show_as_messages(app_env: DemoRoot) -> None:
    at = page("app.py").run()
    at.text_input(key="home.new_name").input("../evil")
    at.button[-1].click().run()  # the form's submit button, with no files chosen
    assert not at.exception, at.exception
    assert len(at.error) == 1
    assert "Upload rejected" in at.error[0].value and "not allowed" in at.error[0].value
