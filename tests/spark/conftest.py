"""One Spark session for every Spark test (``local[2]``, quiet, few shuffle partitions), and small data.

Starting the JVM takes seconds, so the session is session-scoped and every test reuses it: the library's
``spark_session()`` returns the running session when it is asked for no particular settings or for these.
A machine without Java or pyspark skips these tests locally and fails them in CI (``CI=true``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recsys.data.demo import generate_dataset
from recsys.data.prepare import prepare
from recsys.data.prepared import Prepared, load_prepared
from recsys.errors import EngineError
from tests.conftest import require

# local[2]: the 2-core CI machine; 2 shuffle partitions keep each small job's tasks few
SETTINGS_CONF = ("spark.sql.shuffle.partitions=2", "spark.default.parallelism=2")


@pytest.fixture(scope="session")
def spark():
    """The shared ``local[2]`` session (stopped at the end of the test run)."""
    from recsys.data.spark_session import SparkSettings, spark_session, stop_session

    try:
        import pyspark  # noqa: F401
    except ImportError:
        require(False, "pyspark is not installed (pip install -r requirements.txt)")
    try:
        session = spark_session(SparkSettings("local[2]", SETTINGS_CONF))
    except EngineError as exc:
        require(False, f"Spark cannot start here: {exc}")
    yield session
    stop_session()


@pytest.fixture(scope="session")
def spark_settings():
    """The settings of the shared session (passing them reuses it)."""
    from recsys.data.spark_session import SparkSettings

    return SparkSettings("local[2]", SETTINGS_CONF)


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated Pozytywka folder: 120 users, 600 tracks, all the dirt of a release (seed 5)."""
    folder = tmp_path_factory.mktemp("spark-demo") / "raw"
    generate_dataset(folder, users=120, tracks=600, seed=5)
    return folder


@pytest.fixture(scope="session")
def demo_prepared(demo_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """``demo_raw`` prepared by the local engine."""
    out = tmp_path_factory.mktemp("spark-demo-prepared") / "prepared"
    prepare(demo_raw, out)
    return load_prepared(out)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``spark`` (``-m "not spark"`` leaves them out locally)."""
    here = Path(__file__).parent
    for item in items:
        if Path(item.path).is_relative_to(here):
            item.add_marker(pytest.mark.spark)
