"""In Chromium: train a model, watch its loss chart grow, stop it; build a 3-member group, see both lists."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.browser.conftest import LiveApp, ensure_small_wmf, screenshot, wait_idle

pytestmark = pytest.mark.browser

def _set_number(page: object, label: str, value: int) -> None:
    box = page.get_by_role("spinbutton", name=label, exact=True)  # type: ignore[attr-defined]
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def _points(page: object) -> int:
    """Marker points drawn in the live training chart (one per epoch and curve)."""
    chart = page.locator(".js-plotly-plot").first  # type: ignore[attr-defined]
    return chart.locator(".scatterlayer path.point").count()


EPOCHS = 1000
"""The most epochs the Train page accepts (100,000 were accepted before: "about 21 h left"); at about
60 ms an epoch here, far more than the test waits for: it runs until Stop."""


def test_live_training_chart_grows_then_stops(live_app: LiveApp, browser_page: object) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=90_000)
    page = browser_page
    page.goto(f"{live_app.url}/Train")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Train", exact=True)).to_be_visible()
    wait_idle(page)
    _set_number(page, "embedding dim", 8)
    # far more epochs than the test waits for: it runs until Stop
    _set_number(page, "epochs", EPOCHS)
    name_box = page.get_by_role("textbox", name="Save as")  # type: ignore[attr-defined]
    name_box.fill("browser-wmf")
    name_box.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name=re.compile("Start training")).click()  # type: ignore[attr-defined]

    # the fragment re-draws every second: the number of plotted points rises while training runs
    counts: list[int] = []
    epochs: list[int] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len({c for c in counts if c > 0}) < 3:
        counts.append(_points(page))
        text = page.locator('[data-testid="stProgress"]').first.inner_text()  # type: ignore[attr-defined]
        found = re.search(rf"epoch (\d+)/{EPOCHS}", text)
        if found:
            epochs.append(int(found.group(1)))
        time.sleep(1.0)
    positive = [c for c in counts if c > 0]
    assert len(set(positive)) >= 3, f"the loss chart did not grow: points seen {counts}"
    assert positive == sorted(positive), f"points went down: {counts}"
    assert epochs and epochs[-1] > epochs[0], f"epochs did not advance: {epochs}"
    expect(page.get_by_text(re.compile(rf"epoch \d+/{EPOCHS} · .* left"))).to_be_visible()
    screenshot(page, "train-live")

    page.get_by_role("button", name=re.compile("Stop")).click()  # type: ignore[attr-defined]
    stopped = page.get_by_text(re.compile(rf"browser-wmf \(wmf\): epoch \d+/{EPOCHS} · stopped"))  # type: ignore[attr-defined]
    expect(stopped.first).to_be_visible()
    wait_idle(page)
    # the saved-models table (a canvas grid; its cells are in the DOM for accessibility) lists it
    expect(page.locator("td", has_text=re.compile(r"^browser-wmf$"))).to_have_count(1)
    assert (live_app.data.models / "browser-wmf.pt").is_file()
    screenshot(page, "train-stopped")


def test_group_builder_two_lists(live_app: LiveApp, browser_page: object) -> None:
    from playwright.sync_api import expect

    # the side-by-side view compares basic with WMF
    ensure_small_wmf(live_app)

    expect.set_options(timeout=90_000)
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 2150})  # type: ignore[attr-defined]
    page.goto(f"{live_app.url}/Group_builder")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Group builder")).to_be_visible()
    wait_idle(page)
    page.get_by_role("button", name=re.compile("Random")).click()  # type: ignore[attr-defined]
    expect(page.get_by_text(re.compile(r"tracks are on both lists"))).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("heading", name="basic", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="wmf", exact=True)).to_be_visible()
    # the search table + the two lists, and each list's affinity heatmap with three member rows
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(3)
    heatmaps = page.locator(".js-plotly-plot")  # type: ignore[attr-defined]
    expect(heatmaps).to_have_count(2)
    assert page.get_by_text("tracks in their history").count() == 3  # type: ignore[attr-defined]
    expect(page.get_by_role("button", name=re.compile("Playlist CSV")).first).to_be_visible()
    path = screenshot(page, "group-builder")
    assert Path(path).stat().st_size > 10_000
