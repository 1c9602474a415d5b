"""In Chromium: build a group, click a track of the WMF list, read why it is there and for whom; compare
every strategy and click one in the chart."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import LiveApp, ensure_small_wmf, screenshot, wait_idle

pytestmark = pytest.mark.browser

HEADER_PX, ROW_PX = 35, 35  # Streamlit's data grid: header and row heights at the default font size


def test_click_a_track_to_see_why(live_app: LiveApp, browser_page: object) -> None:
    from playwright.sync_api import expect

    # the explanation of a WMF list names the member's own tracks
    ensure_small_wmf(live_app)

    expect.set_options(timeout=90_000)
    page = browser_page
    page.goto(f"{live_app.url}/Group_builder")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Group builder")).to_be_visible()
    wait_idle(page)
    page.get_by_role("button", name=re.compile("^Similar")).click()  # type: ignore[attr-defined]
    expect(page.get_by_text(re.compile(r"tracks are on both lists"))).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("heading", name="wmf", exact=True)).to_be_visible()
    assert page.get_by_text(re.compile(r"^Why “")).count() == 0  # type: ignore[attr-defined]

    # click the row marker of the WMF list's second track (the grid is a canvas: click by position)
    grid = page.locator('[data-testid="stDataFrame"]').nth(2)  # type: ignore[attr-defined]
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + HEADER_PX + ROW_PX * 1.5)  # type: ignore[attr-defined]
    wait_idle(page)

    title = page.get_by_text(re.compile(r"^Why “.+” \(#2\) · serves .+ best$"))  # type: ignore[attr-defined]
    expect(title).to_be_visible()
    # one line per member: "for <member>: because they listened to A, B, C"
    lines = page.get_by_text(re.compile(r"^for .+: because they listened to .+"))  # type: ignore[attr-defined]
    expect(lines.first).to_be_visible()
    assert lines.count() == 3
    title.scroll_into_view_if_needed()
    screenshot(page, "group-why")

    # every strategy side by side: the chart and the table, then a click on a bar picks a strategy
    page.get_by_text("Compare every aggregation strategy").click()  # type: ignore[attr-defined]
    wait_idle(page)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first  # type: ignore[attr-defined]
    expect(chart).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Average: ")).first).to_be_visible()
    chart.scroll_into_view_if_needed()
    # click GFAR's bar (small charts are SVG, each bar labelled for screen readers): its list shows
    page.locator('[data-testid="stVegaLiteChart"] path[aria-label*="strategy: GFAR"]').first.click()  # type: ignore[attr-defined]
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"^GFAR: Aims for every member")).first).to_be_visible()
    screenshot(page, "group-strategies")


def test_evaluate_click_a_user_to_open_them(live_app: LiveApp, browser_page: object) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=90_000)
    page = browser_page
    page.goto(f"{live_app.url}/Evaluate")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Evaluate")).to_be_visible()
    wait_idle(page)
    dots = page.locator('[data-testid="stVegaLiteChart"] path[aria-label*="user_id"]')  # type: ignore[attr-defined]
    expect(dots.first).to_be_visible()
    top = dots.last  # drawn last, so no other dot covers it
    user = re.search(r"user_id: (\d+)", top.get_attribute("aria-label")).group(1)
    top.click()
    wait_idle(page)
    expect(page.get_by_text(f"User {user}", exact=True)).to_be_visible()
    expect(page.get_by_text("Listened to (training)")).to_be_visible()
    expect(page.get_by_text(re.compile(r"recommends$")).first).to_be_visible()
    page.get_by_text(f"User {user}", exact=True).scroll_into_view_if_needed()  # type: ignore[attr-defined]
    screenshot(page, "evaluate-user")
