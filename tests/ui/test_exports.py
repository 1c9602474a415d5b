"""The Streamlit adapter's shape: ``ui.<name>`` keeps working for every name the pages use, the package
is split into small modules, and paths come from the workspace only."""

from __future__ import annotations

import re
from pathlib import Path

from recsys import ui
from recsys.app import workspace

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "recsys" / "ui"


def _used_names() -> set[str]:
    """Every ``ui.<name>`` written in the pages, ``app.py`` and the tests."""
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "tests").rglob("*.py")]
    found = set()
    for path in files:
        found |= set(re.findall(r"(?<![.\w])ui\.([A-Za-z]\w*)", path.read_text(encoding="utf-8")))
    return found


def test_every_name_the_pages_use_is_exported() -> None:
    used = _used_names()
    assert {"key", "cached", "show_error", "require_prepared", "navigation"} <= used
    missing = sorted(name for name in used if name not in ui.__all__)
    assert not missing, f"ui.__all__ lacks {missing}"
    assert all(hasattr(ui, name) for name in ui.__all__)


def test_modules_are_small() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in UI.glob("*.py")}
    assert len(sizes) >= 8
    assert not {name: n for name, n in sizes.items() if n > 400}


def test_paths_are_the_workspace_s() -> None:
    # re-exported, not redefined: one owner of the roots and the prepared-folder rule
    assert ui.data_root is workspace.data_root
    assert ui.model_root is workspace.model_root
    assert ui.prepared_folder is workspace.prepared_folder
    for path in UI.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "os.environ" not in text and '"processed"' not in text, path.name
