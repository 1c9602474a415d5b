"""The Spark engine's settings and Java check (no JVM is started here)."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from recsys.data import spark_session as engine
from recsys.data.spark_session import (
    ENGINES,
    JAVA_PACKAGE,
    SparkSettings,
    check_engine,
    check_java,
    is_local_master,
    parse_conf,
)
from recsys.errors import ConfigError, EngineError


def test_engines_and_masters():
    assert ENGINES == ("local", "spark") and check_engine("spark") == "spark"
    with pytest.raises(ConfigError, match="unknown engine 'dask'"):
        check_engine("dask")
    assert is_local_master("local[2]") and is_local_master("local") and not is_local_master("yarn")
    for master in ("local[*]", "local[4]", "spark://head:7077", "yarn", "k8s://https://k8s.example:443"):
        assert SparkSettings(master).master == master
    with pytest.raises(ConfigError, match="unknown Spark master 'sparky://x'"):
        SparkSettings("sparky://x")


def test_conf_entries_are_key_value_pairs():
    entries = ["spark.executor.memory=8g", " a.b = c=d "]
    assert parse_conf(entries) == {"spark.executor.memory": "8g", "a.b": "c=d"}
    assert parse_conf("x=1\n\ny=2") == {"x": "1", "y": "2"}  # a text box's lines
    assert parse_conf({"x": 1}) == {"x": "1"}
    for bad in (["spark.executor.memory"], ["=8g"]):
        with pytest.raises(ConfigError, match="KEY=VALUE"):
            parse_conf(bad)
    settings = SparkSettings("local[2]", ["a=1", "a=2"])  # a later entry of the same key wins
    assert settings.conf == ("a=2",) and settings.to_dict() == {"master": "local[2]", "conf": ["a=2"]}


def _fake_java(tmp_path: Path, body: str) -> Path:
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f"#!/bin/sh\n{body}\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return home


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('echo \'openjdk version "11.0.2" 2019-01-15\' >&2', "needs Java 17 or newer, and .* is Java 11"),
        ('echo \'java version "1.8.0_292"\' >&2', "is Java 8"),
        ("echo 'Error: could not open libjvm.so' >&2; exit 1", r"is broken \(Error: could not open libjvm"),
    ],
)
def test_a_wrong_java_names_what_to_install(tmp_path, monkeypatch, body, message):
    monkeypatch.setenv("JAVA_HOME", str(_fake_java(tmp_path, body)))
    with pytest.raises(EngineError, match=message) as error:
        check_java()
    assert JAVA_PACKAGE in str(error.value)


def test_missing_java(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    with pytest.raises(EngineError, match=f"has no bin/java: .*apt-get install -y {JAVA_PACKAGE}"):
        check_java()
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineError, match="no `java` on PATH"):
        check_java()


def test_a_good_java_is_found(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(_fake_java(tmp_path, 'echo \'openjdk version "21.0.1"\' >&2')))
    assert check_java() == os.path.join(tmp_path, "jdk", "bin", "java")


def test_the_package_is_shipped_to_a_cluster():
    shipped: list[str] = []

    class Context:
        def addPyFile(self, path: str) -> None:  # pyspark's name
            shipped.append(path)

    class Session:
        sparkContext = Context()

    engine._ship_package(Session())  # type: ignore[arg-type]
    with zipfile.ZipFile(shipped[0]) as archive:
        names = set(archive.namelist())
    assert {"recsys/__init__.py", "recsys/evaluation/spark_eval.py", "recsys/models/wmf.py"} <= names


def test_default_settings_come_from_the_environment(monkeypatch):
    from recsys.data.spark_session import CONF_ENV, DEFAULT_MASTER, MASTER_ENV, default_settings

    monkeypatch.delenv(MASTER_ENV, raising=False)
    monkeypatch.delenv(CONF_ENV, raising=False)
    assert default_settings() == SparkSettings(DEFAULT_MASTER)
    monkeypatch.setenv(MASTER_ENV, "spark://head:7077")
    monkeypatch.setenv(CONF_ENV, "spark.executor.memory=8g; spark.executor.cores=4")
    got = default_settings(conf=["spark.executor.cores=8"])  # the command line adds to and overrides it
    assert got.master == "spark://head:7077"
    assert got.conf == ("spark.executor.memory=8g", "spark.executor.cores=8")
    assert default_settings("local[2]").master == "local[2]"


def test_the_local_path_never_imports_pyspark():
    import subprocess
    import sys

    code = (
        "import sys; import recsys.cli, recsys.commands.prepare, recsys.commands.train, "
        "recsys.commands.evaluate, recsys.evaluation, recsys.models, recsys.app.training; "
        "sys.exit('pyspark' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0
