"""Progress bars, error messages and the shared session state, run inside a real Streamlit script."""

from __future__ import annotations

from dataclasses import dataclass, field

from streamlit.testing.v1 import AppTest

from recsys.ui.feedback import StreamlitProgress
from recsys.ui.state import key


@dataclass
class _Bar:
    """Records what ``st.progress`` would draw."""

    drawn: list[tuple[float, str]] = field(default_factory=list)
    emptied: bool = False

    def progress(self, value: float, text: str = "") -> _Bar:
        self.drawn.append((value, text))
        return self

    def empty(self) -> None:
        self.emptied = True


def test_progress_accepts_every_calling_style() -> None:
    bar = _Bar()
    with StreamlitProgress("Preparing", container=bar) as progress:  # type: ignore[arg-type]
        progress(1, 4)
        progress(2, 4, "Cleaning")
        progress("Splitting", 3, 4)
        progress.set_description("Writing")
        progress.update(1)
    assert bar.drawn == [
        (0.0, "Preparing"),
        (0.25, "Preparing (1/4)"),
        (0.5, "Cleaning (2/4)"),
        (0.75, "Splitting (3/4)"),
        (0.75, "Writing (3/4)"),
        (1.0, "Writing (4/4)"),
    ]
    assert bar.emptied


def test_progress_fraction_is_clamped() -> None:
    bar = _Bar()
    progress = StreamlitProgress("Loading", container=bar)  # type: ignore[arg-type]
    progress(1.7)
    progress(-0.2)
    assert [value for value, _ in bar.drawn] == [0.0, 1.0, 0.0]


def test_key_is_private_to_a_page() -> None:
    assert key("train", "kind") == "train.kind" != key("data", "kind")


def _errors_script() -> None:
    from recsys import ui
    from recsys.errors import DataError

    with ui.show_error("Could not load"):
        raise DataError("no manifest")
    with ui.show_error():
        raise DataError("plain")
    try:
        with ui.show_error("never shown"):
            raise ValueError("a bug")
    except ValueError:
        import streamlit as st

        st.write("bugs stay exceptions")


def test_show_error_turns_recsys_errors_into_messages() -> None:
    at = AppTest.from_function(_errors_script).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Could not load: no manifest", "plain"]
    assert at.markdown[0].value == "bugs stay exceptions"


def _shared_script() -> None:
    import pandas as pd

    from recsys import ui

    ui.store_per_user_metrics("wmf", "f1", pd.DataFrame({"user_id": [1]}))
    ui.store_per_user_metrics("basic", "f2", pd.DataFrame({"user_id": [2]}))
    ui.set_dataset("/tmp/elsewhere")  # a folder: its name is what the URL will hold


def test_per_user_metrics_are_kept_per_data_fingerprint() -> None:
    at = AppTest.from_function(_shared_script).run()
    assert not at.exception
    stored = at.session_state["shared.per_user_metrics"]
    assert sorted(stored) == [("basic", "f2"), ("wmf", "f1")]
    # taken over by the sidebar's picker (bound to ?dataset=) on the next run
    assert at.session_state["app.pending_dataset"] == "elsewhere"


def _memory_script() -> None:
    from recsys import ui

    with ui.show_error("Could not run the signal check"):
        raise MemoryError


def test_show_error_says_out_of_memory_in_the_page() -> None:
    at = AppTest.from_function(_memory_script).run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith("Could not run the signal check: out of memory")
