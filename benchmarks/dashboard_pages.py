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
_BUSY_STATES = (None, "initial", "running", "rerunRequested")  # the app root's script states while busy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_root: Path, model_root: Path) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run app.py`` on a free port over these roots; the process and its address.

    Returns once the server answers its health check (at most 90 s); the caller stops the process.
    """
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


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server :func:`start_server` started (killed if it does not stop within 20 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


def launch_chromium(playwright: object) -> object:
    """Debian's headless Chromium through Playwright (the browser every dashboard benchmark uses)."""
    return playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
    )


def wait_rendered(page: object, quiet_s: float = 1.5, timeout_s: float = 120.0) -> float:
    """Wait until the script has finished and nothing new has been drawn for ``quiet_s``.

    Returns the ``time.perf_counter()`` of the last change seen: the moment the page was complete.
    "Finished" is the app root's script state (``data-test-script-state`` on ``stApp``: not ``initial``,
    ``running`` or ``rerunRequested``) and no running indicator; the indicator alone is not enough (it
    is drawn late, and can be absent before the script starts).
    """
    deadline = time.perf_counter() + timeout_s
    last_count, last_change = -1, time.perf_counter()
    while time.perf_counter() < deadline:
        state = page.locator('[data-testid="stApp"]').first.get_attribute("data-test-script-state")  # type: ignore[attr-defined]
        running = state in _BUSY_STATES or page.locator('[data-testid="stStatusWidget"]').count() > 0  # type: ignore[attr-defined]
        count = page.locator('[data-testid="stElementContainer"], .js-plotly-plot .main-svg').count()  # type: ignore[attr-defined]
        now = time.perf_counter()
        if running or count != last_count:
            last_count, last_change = count, now
        elif now - last_change >= quiet_s:
            return last_change
        time.sleep(0.1)
    raise TimeoutError(f"the page did not finish rendering within {timeout_s:.0f} s")


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
        browser = launch_chromium(p)
        for name, path in PAGES.items():
            proc, url = start_server(args.data_root.resolve(), args.model_root.resolve())
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1800})
                page.goto(url)  # warm the server's imports on Home, as a user arriving would
                wait_rendered(page)
                start = time.perf_counter()
                page.goto(f"{url}/{path}")
                first = wait_rendered(page) - start
                if name == "Group builder":
                    page.get_by_role("button", name="Random").first.click()
                    page.get_by_text("tracks are on both lists").wait_for(timeout=120_000)
                    wait_rendered(page)
                shot = args.shots / f"{name.lower().replace(' ', '-')}.png"
                page.screenshot(path=str(shot), full_page=True)
                start = time.perf_counter()
                page.reload()
                again = wait_rendered(page) - start
                rows.append((name, first, again))
                page.close()
            finally:
                stop_server(proc)
        browser.close()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    print("| page | first render (fresh server) s | reload s |\n|---|---|---|")
    for name, first, again in rows:
        print(f"| {name} | {first:.2f} | {again:.2f} |")


if __name__ == "__main__":
    main()
