"""The engine flags of ``prepare``, ``train`` and ``evaluate``: wrong uses and a missing Java are exit 2,
with a message that says what to do (the Spark runs themselves are in ``tests/spark``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from recsys.cli import main
from recsys.data.demo import generate_dataset
from recsys.data.prepare import prepare
from recsys.data.spark_session import JAVA_PACKAGE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, Path]:
    """A raw folder of 20 users and its prepared folder."""
    raw = tmp_path_factory.mktemp("engine") / "raw"
    generate_dataset(raw, users=20, tracks=100, seed=1)
    prepared = raw.parent / "prepared"
    prepare(raw, prepared)
    return raw, prepared


@pytest.mark.parametrize("command", ["prepare", "train", "evaluate"])
def test_every_heavy_command_has_the_engine_flags(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    for flag in ("--engine {local,spark}", "--spark-master URL", "--spark-conf KEY=VALUE"):
        assert flag in text


def test_spark_flags_need_the_spark_engine(tiny, tmp_path, capsys):
    raw, _ = tiny
    code = main(["prepare", "--data", str(raw), "--out", str(tmp_path / "out"), "--spark-conf", "a=1"])
    assert code == 2
    assert "--spark-conf applies to --engine spark only" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_bad_spark_settings_are_usage_errors(tiny, tmp_path, capsys):
    raw, prepared = tiny
    spark_prepare = ["prepare", "--data", str(raw), "--out", str(tmp_path / "o"), "--engine", "spark"]
    cases = [
        ([*spark_prepare, "--spark-master", "x"], "unknown Spark master 'x'"),
        ([*spark_prepare, "--spark-conf", "oops"], "KEY=VALUE"),
        (["train", "--data", str(prepared), "--model", "basic", "--engine", "spark"],
         "--engine spark trains the wmf model"),
        (["train", "--data", str(prepared), "--model", "wmf", "--engine", "spark", "--reg-scaling", "none"],
         "engine='spark' needs reg_scaling='count'"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["prepare", "train"])
def test_missing_java_is_exit_2_naming_what_to_install(tiny, tmp_path, command):
    raw, prepared = tiny
    argv = {
        "prepare": ["prepare", "--data", str(raw), "--out", str(tmp_path / "out"), "--force"],
        "train": ["train", "--data", str(prepared), "--model", "wmf", "--epochs", "1",
                  "--out", str(tmp_path / "m.pt")],
    }[command]
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java-here")}
    done = subprocess.run(
        [sys.executable, "-m", "recsys", *argv, "--engine", "spark", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert JAVA_PACKAGE in done.stderr and "JAVA_HOME" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
