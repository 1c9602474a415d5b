"""In Chromium, with several datasets: the dataset stays chosen (URL, reload, navigation), a preparation
survives navigation, no page shows ``nan`` or a model of other data, and a structure-free release carries
the signal banner to the Group builder.

The data root holds ``demo`` (models ``basic`` and ``popularity`` trained on it), ``rel1`` (a second
release with no model), ``flat`` (a structure-free release: ``generate --taste-strength 0``, with models of
its own) and ``big`` (raw, large enough that preparing it takes a few seconds).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser.conftest import LiveApp, screenshot, serve, wait_idle
from tests.pages.conftest import DemoRoot, build_demo_root

pytestmark = pytest.mark.browser

PAGES = ("", "Data", "Train", "Evaluate", "Group_builder")


@pytest.fixture(scope="module")
def multi_app(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """A live dashboard over four datasets (see the module docstring)."""
    from recsys.app.training import train_and_save
    from recsys.data.demo import generate_dataset
    from recsys.data.prepare import prepare
    from recsys.data.prepared import load_prepared
    from recsys.models import create_model

    root = build_demo_root(tmp_path_factory.mktemp("browser-multi"))
    generate_dataset(root.data / "rel1", users=50, tracks=300, seed=7)
    prepare(root.data / "rel1", root.data / "processed" / "rel1")
    generate_dataset(root.data / "flat", users=60, tracks=300, seed=3, taste_strength=0.0)
    prepare(root.data / "flat", root.data / "processed" / "flat")
    flat = load_prepared(root.data / "processed" / "flat")
    for kind in ("basic", "popularity"):
        train_and_save(create_model(kind), flat, root.models / f"{kind}-flat.pt")
    generate_dataset(root.data / "big", users=2000, tracks=8000, seed=5)
    yield from serve(DemoRoot(data=root.data, models=root.models), tmp_path_factory)


def _open(page: object, url: str) -> None:
    page.goto(url)  # type: ignore[attr-defined]
    page.locator('[data-testid="stSidebar"]').get_by_text("Dataset", exact=True).wait_for()  # type: ignore[attr-defined]
    wait_idle(page)


def _main_text(page: object) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()  # type: ignore[attr-defined]


def _pick_dataset(page: object, name: str) -> None:
    """Choose ``name`` in the sidebar's dataset picker."""
    sidebar = page.locator('[data-testid="stSidebar"]')  # type: ignore[attr-defined]
    sidebar.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=name, exact=True).click()  # type: ignore[attr-defined]


def _nav(page: object, title: str) -> None:
    """Open a page from the sidebar's navigation (what a person clicks)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()  # type: ignore[attr-defined]


def test_the_dataset_stays_in_the_url_across_pages_and_reloads(multi_app: LiveApp,
                                                                browser_page: object) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    page = browser_page
    _open(page, multi_app.url)
    expect(page.locator('[data-testid="stMetric"]').first).to_contain_text("demo")
    _pick_dataset(page, "rel1")
    expect(page).to_have_url(re.compile(r"[?&]dataset=rel1"))
    expect(page.locator('[data-testid="stMetric"]').first).to_contain_text("rel1")
    wait_idle(page)
    # from page to page the dataset stays in the address and on screen
    _nav(page, "Data")
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/Data\?dataset=rel1"))
    expect(page.get_by_text(re.compile(r"^Dataset rel1"))).to_be_visible()
    wait_idle(page)
    # a reload (or the same link sent to a colleague) opens the same dataset
    page.reload()  # type: ignore[attr-defined]
    expect(page.get_by_text(re.compile(r"^Dataset rel1"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"dataset=rel1"))
    fresh = page.context.new_page()  # type: ignore[attr-defined]
    fresh.goto(f"{multi_app.url}/Train?dataset=rel1")
    expect(fresh.get_by_text(re.compile(r"^Dataset rel1"))).to_be_visible()
    fresh.close()
    screenshot(page, "dataset-in-url")


def test_no_page_shows_nan_or_a_model_of_other_data(multi_app: LiveApp, browser_page: object) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    page = browser_page
    for path in PAGES:
        _open(page, f"{multi_app.url}/{path}?dataset=rel1")
        text = _main_text(page)
        assert not re.search(r"\bnan\b", text, re.IGNORECASE), (path, text[:2000])
        assert "Traceback" not in text and page.locator('[data-testid="stException"]').count() == 0, path  # type: ignore[attr-defined]
        if path in ("Evaluate", "Group_builder"):
            # demo's models are not offered on rel1: the page says so and offers to train the defaults
            expect(page.get_by_text(re.compile(r"No saved models trained on rel1"))).to_be_visible()
            train = page.get_by_role("button", name=re.compile(r"^Train the default basic and wmf models"))
            expect(train).to_be_visible()
            # no table of results: on the Group builder only the user search's
            tables = page.locator('[data-testid="stDataFrame"]')  # type: ignore[attr-defined]
            expect(tables).to_have_count(1 if path == "Group_builder" else 0)
            assert page.get_by_text(re.compile(r"Headline metrics|tracks are on both lists")).count() == 0  # type: ignore[attr-defined]
            page.get_by_text(re.compile(r"^Models trained on other data")).click()  # type: ignore[attr-defined]
            expect(page.get_by_text("trained on demo").first).to_be_visible()
    screenshot(page, "group-builder-other-data")


def test_navigating_during_preparation_keeps_the_job(multi_app: LiveApp, browser_page: object) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=120_000)
    page = browser_page
    _open(page, f"{multi_app.url}/Train")
    _pick_dataset(page, "big")  # raw: choosing it starts preparing it in the background
    _nav(page, "Data")  # at once, while it is being prepared
    expect(page).to_have_url(re.compile(r"/Data\?dataset=big"))
    expect(page.get_by_text(re.compile(r"being prepared|Preparing big")).first).to_be_visible()
    screenshot(page, "preparing-in-background")
    # the job went on: the page opens by itself when the data is ready
    expect(page.get_by_text(re.compile(r"^Dataset big"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Signal check: "))).to_be_visible()
    assert (multi_app.data.data / "processed" / "big" / "manifest.json").is_file()


def test_structure_free_release_shows_the_banner_on_the_group_builder(multi_app: LiveApp,
                                                                      browser_page: object) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=90_000)
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 2000})  # type: ignore[attr-defined]
    _open(page, f"{multi_app.url}/Group_builder?dataset=flat")
    banner = page.get_by_text(re.compile(r"^No detectable structure in this data"))
    expect(banner).to_be_visible()
    expect(page.get_by_text(re.compile(r"against [0-9.]+ for a random list"))).to_be_visible()
    page.get_by_role("button", name=re.compile("^Random")).click()  # type: ignore[attr-defined]
    expect(page.get_by_text(re.compile(r"tracks are on both lists"))).to_be_visible()
    wait_idle(page)
    expect(banner).to_be_visible()  # still there above the playlists
    screenshot(page, "group-builder-no-structure")
