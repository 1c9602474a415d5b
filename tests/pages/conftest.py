"""Fixtures for the dashboard's AppTests: a small generated, prepared dataset and trained models in tmp.

``demo_root`` builds, once per test session, a data root holding ``demo/`` (60 users, 400 tracks) and its
prepared tables in ``processed/demo/``, and a model root with small ``basic`` and ``popularity`` models.
``app_env`` points ``RECSYS_DATA_ROOT`` / ``RECSYS_MODEL_ROOT`` at them for one test, so no test touches
the real ``data_files/`` or ``model_files/``. The browser tests reuse :func:`build_demo_root`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_USERS, APP_TRACKS, APP_SEED = 60, 400, 0
APP_MODELS = ("basic", "popularity")


@dataclass(frozen=True)
class DemoRoot:
    """Where the test data lives."""

    data: Path
    models: Path

    @property
    def dataset(self) -> Path:
        """The raw demo folder."""
        return self.data / "demo"


def build_demo_root(base: Path, *, users: int = APP_USERS, tracks: int = APP_TRACKS,
                    models: tuple[str, ...] = APP_MODELS) -> DemoRoot:
    """Generate, prepare and train into ``base/data`` and ``base/models``.

    Parameters
    ----------
    base : pathlib.Path
        An empty folder.
    users, tracks : int
        Size of the generated dataset (about 300 events per user).
    models : tuple of str
        Model kinds to train with their default settings, each saved as ``<kind>.pt``.
    """
    from recsys.app.training import train_and_save
    from recsys.data.demo import generate_dataset
    from recsys.data.prepare import prepare
    from recsys.data.prepared import load_prepared
    from recsys.models import create_model

    data, model_dir = base / "data", base / "models"
    generate_dataset(data / "demo", users=users, tracks=tracks, seed=APP_SEED)
    prepare(data / "demo", data / "processed" / "demo")
    prepared = load_prepared(data / "processed" / "demo")
    model_dir.mkdir(parents=True)
    for kind in models:
        train_and_save(create_model(kind), prepared, model_dir / f"{kind}.pt")
    return DemoRoot(data=data, models=model_dir)


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> DemoRoot:
    """The session's small prepared demo dataset and trained models."""
    return build_demo_root(tmp_path_factory.mktemp("app-demo"))


@pytest.fixture
def app_env(demo_root: DemoRoot, monkeypatch: pytest.MonkeyPatch) -> DemoRoot:
    """Point the dashboard at the test data for one test (and start from empty Streamlit caches)."""
    import streamlit as st

    monkeypatch.setenv("RECSYS_DATA_ROOT", str(demo_root.data))
    monkeypatch.setenv("RECSYS_MODEL_ROOT", str(demo_root.models))
    monkeypatch.chdir(ROOT)
    st.cache_data.clear()
    st.cache_resource.clear()
    return demo_root


def page(path: str, timeout: float = 60):
    """An ``AppTest`` of the page at ``path`` (relative to the project root), run as the multipage app
    does: ``app.py`` is the entry point (so links to Home resolve) and ``path`` the page shown."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    return at if path == "app.py" else at.switch_page(path)
