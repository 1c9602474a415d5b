"""Dashboard first-render times in a real browser, and the README's screenshots.

Starts ``streamlit run app.py`` on a prepared dataset folder with trained models (what ``make run``
leaves: ``python -m recsys bootstrap``), opens each page in Debian's Chromium through Playwright in a
fresh server (cold caches: a new process per page), and times from navigation until Streamlit has
finished the script and drawn every chart. Writes the screenshots to ``--shots`` and prints a
Markdown table.

Usage::

    .venv/bin/python benchmarks/dashboard_pages.py --data-root data_files --model-root model_files \
        --shots docs
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "Home": "", "Data": "Data", "Train": "Train", "Evaluate": "Evaluate", "Group builder": "Group_builder",
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(data_root: Path, model_root: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "RECSYS_DATA_ROOT": str(data_root), "RECSYS_MODEL_ROOT": str(model_root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(180):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("streamlit did not start")


def _wait_rendered(page: object, quiet_s: float = 1.5, timeout_s: float = 120.0) -> float:
    """Wait until the script has finished and nothing new has been drawn for ``quiet_s``.

    Returns the ``time.perf_counter()`` of the last change seen: the moment the page was complete.
    Streamlit's running indicator alone is not enough (it can be absent before the script starts).
    """
    deadline = time.perf_counter() + timeout_s
    last_count, last_change = -1, time.perf_counter()
    while time.perf_counter() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0  # type: ignore[attr-defined]
        count = page.locator('[data-testid="stElementContainer"], .js-plotly-plot .main-svg').count()  # type: ignore[attr-defined]
        now = time.perf_counter()
        if running or count != last_count:
            last_count, last_change = count, now
        elif now - last_change >= quiet_s:
            return last_change
        time.sleep(0.1)
    raise SystemExit("page did not finish rendering")


def main(argv: list[str] | None = None) -> None:
    """Time each page's first render in a fresh server and save screenshots."""
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-root", type=Path, default=ROOT / "data_files")
    ap.add_argument("--model-root", type=Path, default=ROOT / "model_files")
    ap.add_argument("--shots", type=Path, default=ROOT / "tests" / "artifacts")
    args = ap.parse_args(argv)
    args.shots.mkdir(parents=True, exist_ok=True)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        for name, path in PAGES.items():
            proc, url = _start(args.data_root.resolve(), args.model_root.resolve())
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1800})
                page.goto(url)  # warm the server's imports on Home, as a user arriving would
                _wait_rendered(page)
                start = time.perf_counter()
                page.goto(f"{url}/{path}")
                first = _wait_rendered(page) - start
                if name == "Group builder":
                    page.get_by_role("button", name="Random").first.click()
                    page.get_by_text("tracks are on both lists").wait_for(timeout=120_000)
                    _wait_rendered(page)
                shot = args.shots / f"{name.lower().replace(' ', '-')}.png"
                page.screenshot(path=str(shot), full_page=True)
                start = time.perf_counter()
                page.reload()
                again = _wait_rendered(page) - start
                rows.append((name, first, again))
                page.close()
            finally:
                proc.terminate()
                proc.wait(timeout=20)
        browser.close()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    print("| page | first render (fresh server) s | reload s |\n|---|---|---|")
    for name, first, again in rows:
        print(f"| {name} | {first:.2f} | {again:.2f} |")


if __name__ == "__main__":
    main()
