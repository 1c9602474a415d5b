"""In Chromium: open the app, see Home, open the Data page, see the signal card and the sparsity heatmap."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import LiveApp, screenshot, wait_idle

pytestmark = pytest.mark.browser


def test_home_then_data_page(live_app: LiveApp, browser_page: object) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    page = browser_page
    page.goto(live_app.url)  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Pozytywka group recommendations")).to_be_visible()
    expect(page.get_by_text("Saved models")).to_be_visible()
    expect(page.get_by_text("prepared", exact=True).first).to_be_visible()
    expect(page.get_by_role("tab", name="Upload files")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    wait_idle(page)
    screenshot(page, "home")

    page.get_by_role("link", name=re.compile(r"^Data$")).first.click()
    expect(page.get_by_text(re.compile(r"Signal check: structured"))).to_be_visible()
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible()
    wait_idle(page)
    # the signal card's small charts are drawn
    expect(page.locator(".js-plotly-plot").nth(2)).to_be_visible()
    screenshot(page, "data")

    page.get_by_role("tab", name="Data sanity").click()  # the demo data is clean: nothing to flag
    expect(page.get_by_text(re.compile(r"^Nothing odd found: no repeated ids"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"Download the 0 flagged rows"))).to_be_disabled()

    page.get_by_role("tab", name="Sparsity").click()
    heatmap = page.locator('[role="tabpanel"]:visible .js-plotly-plot').first
    expect(heatmap).to_be_visible()
    expect(heatmap.locator(".heatmaplayer image")).to_have_count(1)
    expect(heatmap.get_by_text(re.compile(r"User x track matrix: 60 users"))).to_be_visible()
    heatmap.scroll_into_view_if_needed()
    screenshot(page, "data-sparsity")

    page.get_by_role("tab", name="Train/validation overlap").click()
    expect(page.get_by_text(re.compile(r"of validation pairs heard in training"))).to_be_visible()
    screenshot(page, "data-overlap")
