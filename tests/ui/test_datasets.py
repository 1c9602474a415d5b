"""The dataset helpers inside a real Streamlit script: generate and prepare the demo, switch datasets."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest


def _demo_script() -> None:
    import streamlit as st

    from recsys import ui

    folder = ui.ensure_demo(users=30, tracks=120, seed=1)
    info = ui.dataset_info()
    st.write(f"{folder.name} {info.status} {ui.current_dataset() == folder}")
    with ui.show_error("Could not use it"):
        ui.use_dataset("../elsewhere")


def test_ensure_demo_generates_prepares_and_uses_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECSYS_DATA_ROOT", str(tmp_path))
    at = AppTest.from_function(_demo_script, default_timeout=120).run()
    assert not at.exception, at.exception
    assert at.markdown[0].value == "demo prepared True"
    assert (tmp_path / "processed" / "demo" / "manifest.json").is_file()
    # a name that is not a folder name is refused with a message, not a traceback
    assert len(at.error) == 1 and "invalid dataset name" in at.error[0].value
