"""The dashboard's exposure settings (.streamlit/config.toml): local by default, no tracebacks in the
browser, uploads bounded (the widget's limit is the library's)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from recsys.app.datasets import DEFAULT_MAX_BYTES, DEFAULT_MAX_TOTAL_BYTES

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def test_the_dashboard_listens_on_this_machine_only_and_hides_tracebacks() -> None:
    config = tomllib.loads(CONFIG.read_text())
    assert config["server"]["address"] == "localhost"
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["browser"]["gatherUsageStats"] is False


def test_upload_limits_agree_with_the_library() -> None:
    config = tomllib.loads(CONFIG.read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == DEFAULT_MAX_BYTES
    assert DEFAULT_MAX_BYTES < DEFAULT_MAX_TOTAL_BYTES == 2**30
