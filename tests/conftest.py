"""Shared test fixtures: paths to the real release and small synthetic tables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "data" / "pozytywka-23z-50u"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip locally when a resource is absent, but fail in CI (CI must run every test)."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real Pozytywka release in ../shared/data (dirty/ and clean/)."""
    require(REAL_DATA.is_dir(), f"real data not found at {REAL_DATA}")
    return REAL_DATA
