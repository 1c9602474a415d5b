"""AppTest of the Data page on a small prepared demo dataset."""

from __future__ import annotations

from tests.pages.conftest import DemoRoot, page


def test_data_page_renders_every_section(app_env: DemoRoot) -> None:
    at = page("pages/1_Data.py").run()
    assert not at.exception, at.exception
    assert not at.error
    # the signal card: the demo data has planted structure
    assert any("Signal check: structured" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Users"] == "60" and metrics["Tracks"] == "400"
    assert [t.label for t in at.tabs] == [
        "Events", "Long tail", "Genres", "Cleaning report", "Data sanity", "Sparsity",
        "Train/validation overlap",
    ]
    # Tabs are lazy: only the open one is drawn. 3 signal charts always, then per tab its own charts.
    per_tab = {"Events": 2, "Long tail": 2, "Genres": 1, "Cleaning report": 1, "Data sanity": 0,
               "Sparsity": 1, "Train/validation overlap": 2}  # fmt: skip
    assert at.session_state["data.section"] == "Events"
    assert len(at.get("plotly_chart")) == 3 + per_tab["Events"]
    for label, n_charts in per_tab.items():
        at.session_state["data.section"] = label
        at.run()
        assert not at.exception, (label, at.exception)
        assert len(at.get("plotly_chart")) == 3 + n_charts, label
        if label == "Cleaning report":  # the cleaning table lists removed and repaired rules
            assert set(at.dataframe[0].value["action"]) <= {"removed", "repaired"}
        if label == "Data sanity":  # the demo data is clean: every check listed, each at zero
            assert at.dataframe[0].value["rows"].tolist() == [0] * 6
            assert any("Nothing odd found" in s.value for s in at.success)
            assert not at.warning


def test_data_page_overlap_vs_ndcg_after_evaluating(app_env: DemoRoot) -> None:
    at = page("pages/1_Data.py").run()
    at.session_state["data.section"] = "Train/validation overlap"
    at.run()
    at.selectbox(key="data.overlap_model").select("basic").run()
    at.button(key="data.overlap_eval").click().run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 3 + 2 + 1  # signal, overlap, overlap against NDCG
    stored = at.session_state["shared.per_user_metrics"]
    assert list(stored) == [("basic", stored and next(iter(stored))[1])]


def test_data_page_without_prepared_data_points_home(app_env: DemoRoot, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RECSYS_DATA_ROOT", str(tmp_path))
    at = page("pages/1_Data.py").run()
    assert not at.exception, at.exception
    assert "not prepared yet" in at.info[0].value


def test_data_page_shows_what_the_sanity_checks_found(app_env: DemoRoot, tmp_path, monkeypatch) -> None:
    """A release with a repeated user and events of a user missing from users.jsonl: a banner on top, the
    counts and the flagged rows in the Data sanity tab."""
    import json
    import shutil

    from recsys.data.prepare import prepare

    raw = tmp_path / "demo"
    shutil.copytree(app_env.dataset, raw)
    users = (raw / "users.jsonl").read_text().splitlines()
    dropped = json.loads(users[-1])["user_id"]  # its events stay: a user unknown to users.jsonl
    (raw / "users.jsonl").write_text("\n".join([*users[:-1], users[0]]) + "\n")  # and user one twice
    prepare(raw, tmp_path / "processed" / "demo")
    monkeypatch.setenv("RECSYS_DATA_ROOT", str(tmp_path))
    at = page("pages/1_Data.py").run()
    assert not at.exception, at.exception
    banner = at.warning[0].value
    assert banner.startswith("**Data sanity:** 1 line(s) of users.jsonl repeat an id")
    assert str(dropped) in banner
    at.session_state["data.section"] = "Data sanity"
    at.run()
    table = at.dataframe[0].value.set_index("check")["rows"]
    assert table["Repeated users"] == 1 and table["Events of unknown users"] > 0
    assert table["Implausible times"] == 0
    assert len(at.warning) == 1 + 2  # the banner, then each finding in the tab
