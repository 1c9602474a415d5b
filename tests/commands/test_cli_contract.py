"""The customer's CLI contract check (../shared/checks/cli-contract), every step.

generate, prepare, real (the dirty and clean releases), train, recommend, evaluate, compare, diagnose.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, require

SCRIPT = Path(__file__).resolve().parents[3] / "shared" / "checks" / "cli-contract"


def test_cli_contract_every_step():
    require(SCRIPT.is_file(), f"contract check not found at {SCRIPT}")
    env = {**os.environ, "PY": sys.executable}
    done = subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,  # about twenty CLI processes; slow on a loaded 2-core machine
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "FAIL" not in report and "0 failed" in report, report
    # generate 2, prepare 4 (demo, dirty, clean, missing folder), train 4, recommend 4, evaluate 3, diagnose 1
    assert report.count("ok ") >= 18, report
