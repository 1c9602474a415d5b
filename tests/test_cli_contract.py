"""The customer's CLI contract check (../shared/checks/cli-contract): train and recommend.

The train step trains on the folder the prepare step writes, so prepare (and generate) run too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, require

SCRIPT = Path(__file__).resolve().parents[2] / "shared" / "checks" / "cli-contract"


def test_cli_contract_train_and_recommend():
    require(SCRIPT.is_file(), f"contract check not found at {SCRIPT}")
    env = {**os.environ, "PY": sys.executable}
    done = subprocess.run(
        ["bash", str(SCRIPT), "prepare", "train", "recommend"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,  # twelve CLI processes; slow on a loaded 2-core machine
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "FAIL" not in report and "0 failed" in report, report
    assert report.count("ok ") >= 11, report  # generate 2, prepare 1, train 4, recommend 4
