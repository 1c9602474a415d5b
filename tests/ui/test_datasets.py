"""The dataset helpers inside a real Streamlit script: generate and prepare the demo, switch datasets."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest


def _demo_script() -> None:
    import streamlit as st

    from recsys import ui

    ui.sidebar()  # what app.py draws on every page: the dataset picker bound to ?dataset=
    if st.button("demo", key="make_demo"):
        ui.ensure_demo(users=30, tracks=120, seed=1)
        st.rerun()
    info = ui.dataset_info()
    st.write(f"{ui.dataset_name()} {info.status}")
    with ui.show_error("Could not use it"):
        ui.use_dataset("../elsewhere")


def test_ensure_demo_generates_prepares_and_uses_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from recsys.app.preparation import get_preparation

    monkeypatch.setenv("RECSYS_DATA_ROOT", str(tmp_path))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "users.jsonl").write_text("")  # a dataset folder, not complete
    at = AppTest.from_function(_demo_script, default_timeout=120).run()
    assert not at.exception, at.exception
    assert at.markdown[0].value == "other incomplete"  # no demo yet: the first dataset folder
    at.button(key="make_demo").click().run()
    # generated and prepared in the background: the job outlives the script run that started it
    job = get_preparation("demo")
    assert job is not None and job.wait(120) and job.status == "done", job and job.error
    at.run()
    assert not at.exception, at.exception
    assert at.markdown[0].value == "demo prepared"
    assert at.selectbox(key="dataset").value == "demo"
    assert (tmp_path / "processed" / "demo" / "manifest.json").is_file()
    # a name that is not a folder name is refused with a message, not a traceback
    assert len(at.error) == 1 and "invalid dataset name" in at.error[0].value
