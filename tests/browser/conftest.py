"""Browser tests: a live ``streamlit run app.py`` on tmp data, driven by Playwright in Debian's Chromium.

``live_app`` builds a small prepared demo dataset and trained models in tmp (the AppTest fixture's
builder), starts Streamlit on a free port with ``RECSYS_DATA_ROOT`` / ``RECSYS_MODEL_ROOT`` pointing at
them, and waits for its health endpoint. ``browser_page`` is a fresh Chromium page. Screenshots go to
``tests/artifacts/`` (git-ignored). A missing Chromium or Playwright skips locally and fails in CI.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require
from tests.pages.conftest import DemoRoot, build_demo_root

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("RECSYS_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "tests" / "artifacts"
START_TIMEOUT_S = 90


@dataclass(frozen=True)
class LiveApp:
    """A running dashboard."""

    url: str
    data: DemoRoot
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"streamlit did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def browser_ready() -> None:
    """Fail in CI / skip locally unless Playwright and Chromium are installed."""
    require(importlib.util.find_spec("playwright") is not None, "the playwright package is not installed")
    require(CHROMIUM.is_file(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="session")
def live_app(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """``streamlit run app.py`` on a free port over a small prepared demo dataset and trained models."""
    data = build_demo_root(tmp_path_factory.mktemp("browser-demo"))
    yield from serve(data, tmp_path_factory)


def serve(data: DemoRoot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """Run ``streamlit run app.py`` over ``data`` on a free port until the generator is closed."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("streamlit-log") / "streamlit.log"
    env = {
        **os.environ,
        "RECSYS_DATA_ROOT": str(data.data),
        "RECSYS_MODEL_ROOT": str(data.models),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(url, proc, log)
        yield LiveApp(url=url, data=data, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium(browser_ready: None) -> Iterator[object]:
    """A headless Chromium (Debian's) driven by Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium: object) -> Iterator[object]:
    """A fresh page, 1400 x 1800, with a generous default timeout for a 2-core machine."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1800})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()


def screenshot(page: object, name: str) -> Path:
    """Save a screenshot of ``page`` as ``tests/artifacts/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def wait_idle(page: object, timeout: float = 90_000) -> None:
    """Wait until Streamlit has finished running the script (no running indicator)."""
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout)  # type: ignore[attr-defined]


def ensure_small_wmf(app: LiveApp) -> None:
    """Give the live app a small WMF model (8 epochs, 16 factors) when it has none: the Group builder's
    side-by-side view and its explanations need one."""
    from recsys.app.training import train_and_save
    from recsys.data.prepared import load_prepared
    from recsys.models import create_model

    wmf = app.data.models / "wmf.pt"
    if not wmf.exists():
        prepared = load_prepared(app.data.data / "processed" / "demo")
        train_and_save(create_model("wmf", embedding_dim=16, epochs=8), prepared, wmf)
