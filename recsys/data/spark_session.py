"""The Spark engine's session: which engines exist, the Spark settings, the Java check, one shared session.

Everything that runs on Spark (``prepare``, the WMF trainer, ``evaluate``) gets its session here, from a
master URL (``local[*]``, ``spark://host:7077``, ``yarn``, ``k8s://...``) and ``KEY=VALUE`` settings. One
session per process is built on first use and reused while the settings agree, because starting the JVM
takes seconds.

``pyspark`` is imported inside the functions only (never at module level), so ``import recsys``, the
dashboard and every local command never pay for it. A missing ``pyspark``, a missing or broken Java runtime
or a Java that is too old is an :class:`~recsys.errors.EngineError` naming what to install, checked before
the JVM is launched (pyspark's own failure is a bare "Java gateway process exited").
"""

from __future__ import annotations

import ctypes.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recsys.errors import ConfigError, EngineError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "CONF_ENV",
    "DEFAULT_MASTER",
    "ENGINES",
    "JAVA_PACKAGE",
    "MASTER_ENV",
    "MIN_JAVA",
    "SparkSettings",
    "check_engine",
    "check_java",
    "default_settings",
    "is_local_master",
    "parse_conf",
    "spark_session",
    "stop_session",
]

ENGINES: tuple[str, ...] = ("local", "spark")
"""Compute engines: this machine's own code (default), or Apache Spark (a local or remote cluster)."""

DEFAULT_MASTER = "local[*]"
"""Spark master when none is given (and ``RECSYS_SPARK_MASTER`` is not set): every core of this machine."""

MASTER_ENV = "RECSYS_SPARK_MASTER"
"""Environment variable with the default Spark master (for the CLI and the dashboard alike)."""

CONF_ENV = "RECSYS_SPARK_CONF"
"""Environment variable with default Spark settings: ``KEY=VALUE`` entries separated by ``;``."""

MIN_JAVA = 17
"""Oldest Java release Spark 4 runs on."""

JAVA_PACKAGE = "openjdk-17-jre-headless"
"""The Debian package ``make`` installs when no Java runtime is present."""

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the recsys package
_SESSION_LOCK = threading.Lock()
_CURRENT: dict[str, Any] = {}  # "session" and "settings" of the session this module built
# Quiet by default: Spark logs every start-up detail at INFO/WARN on stderr, which would bury the CLI's
# own progress bars and messages. Errors still show.
_LOG4J2 = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
"""


def check_engine(engine: str) -> str:
    """Return ``engine`` if it is one of :data:`ENGINES`.

    Raises
    ------
    ConfigError
        Naming the unknown engine and the choices.
    """
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    return engine


def parse_conf(entries: Iterable[str] | Mapping[str, str] | str) -> dict[str, str]:
    """Spark settings from ``KEY=VALUE`` entries (the CLI's repeated ``--spark-conf``).

    Parameters
    ----------
    entries : iterable of str, mapping or str
        ``["spark.executor.memory=8g", ...]``; a mapping is taken as it is; one string may hold several
        entries on separate lines (what a text box gives).

    Returns
    -------
    dict
        Key -> value, in the order given (a later entry of the same key wins).

    Raises
    ------
    ConfigError
        Naming the first entry that is not ``KEY=VALUE`` with a non-empty key.
    """
    if isinstance(entries, Mapping):
        pairs = [(str(k), str(v)) for k, v in entries.items()]
    else:
        if isinstance(entries, str):
            entries = entries.splitlines()
        pairs = []
        for entry in entries:
            if not isinstance(entry, str):
                raise ConfigError(f"a Spark setting must be a KEY=VALUE string, got {entry!r}")
            if not entry.strip():
                continue
            key, sep, value = entry.partition("=")
            if not sep or not key.strip():
                raise ConfigError(
                    f"a Spark setting must be KEY=VALUE (e.g. spark.executor.memory=8g), got {entry!r}"
                )
            pairs.append((key.strip(), value.strip()))
    return dict(pairs)


def is_local_master(master: str) -> bool:
    """Whether ``master`` runs Spark inside this process's JVM (``local``, ``local[4]``, ``local[*]``...)."""
    return master == "local" or master.startswith("local[")


_MASTER = re.compile(r"^(local(\[(\*|\d+)(,\s*\d+)?\])?|spark://\S+|yarn|k8s://\S+|mesos://\S+)$")


@dataclass(frozen=True)
class SparkSettings:
    """Where Spark runs and how it is configured (plain values, stored with what they produced).

    Attributes
    ----------
    master : str
        ``local[*]`` (every core here), ``local[N]``, or a cluster: ``spark://host:7077``, ``yarn``,
        ``k8s://https://host:443``.
    conf : tuple of str
        ``KEY=VALUE`` Spark settings (``spark.executor.memory=8g``...), applied when the session starts.
    """

    master: str = DEFAULT_MASTER
    conf: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.master, str) or not _MASTER.match(self.master.strip()):
            raise ConfigError(
                f"unknown Spark master {self.master!r}: use local[*], local[N], spark://HOST:PORT, yarn or "
                "k8s://URL"
            )
        object.__setattr__(self, "master", self.master.strip())
        conf = parse_conf(self.conf)  # checks every entry
        object.__setattr__(self, "conf", tuple(f"{k}={v}" for k, v in conf.items()))

    def conf_dict(self) -> dict[str, str]:
        """The settings as a key -> value dict."""
        return parse_conf(self.conf)

    def to_dict(self) -> dict[str, Any]:
        """Plain values (for ``--json`` reports and model files)."""
        return {"master": self.master, "conf": list(self.conf)}


def default_settings(master: str | None = None, conf: Iterable[str] = ()) -> SparkSettings:
    """Settings from the environment (:data:`MASTER_ENV`, :data:`CONF_ENV`), overridden by what is given.

    Parameters
    ----------
    master : str, optional
        A master URL that replaces ``RECSYS_SPARK_MASTER`` (and :data:`DEFAULT_MASTER`).
    conf : iterable of str
        ``KEY=VALUE`` entries added to (and overriding) ``RECSYS_SPARK_CONF``'s.

    Returns
    -------
    SparkSettings
    """
    base = [e for e in os.environ.get(CONF_ENV, "").split(";") if e.strip()]
    merged = {**parse_conf(base), **parse_conf(list(conf))}
    chosen = master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER
    return SparkSettings(chosen, tuple(f"{k}={v}" for k, v in merged.items()))


def check_java() -> str:
    """Find a Java runtime Spark can use, the way pyspark looks for it (``JAVA_HOME``, else ``PATH``).

    Returns
    -------
    str
        The ``java`` executable.

    Raises
    ------
    EngineError
        No Java, a Java that does not run, or one older than :data:`MIN_JAVA`; the message says what to
        install.
    """
    install = (
        f"install a Java runtime {MIN_JAVA} or newer (on Debian/Ubuntu: apt-get install -y {JAVA_PACKAGE}, "
        "which `make` does when it runs as root) or point JAVA_HOME at one"
    )
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if java is None:
        raise EngineError(f"the Spark engine needs Java, and there is no `java` on PATH: {install}")
    if not Path(java).is_file():
        raise EngineError(f"the Spark engine needs Java, and JAVA_HOME={home} has no bin/java: {install}")
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise EngineError(f"the Java runtime {java} does not run ({exc}): {install}") from None
    text = (done.stderr or "") + (done.stdout or "")
    found = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if done.returncode != 0 or found is None:
        first = text.strip().splitlines()[0] if text.strip() else f"exit code {done.returncode}"
        raise EngineError(f"the Java runtime {java} is broken ({first}): {install}")
    major = int(found.group(1))
    if major == 1 and found.group(2):  # "1.8.0_292" is Java 8
        major = int(found.group(2))
    if major < MIN_JAVA:
        raise EngineError(f"Spark 4 needs Java {MIN_JAVA} or newer, and {java} is Java {major}: {install}")
    return java


def _pyspark() -> Any:
    try:
        # why here: pyspark (and its JVM) is needed by the Spark engine only; the local path never imports it
        import pyspark
    except ImportError:
        raise EngineError(
            "the Spark engine needs pyspark, which is not installed: pip install -r requirements.txt "
            "(it pins pyspark==4.3.0)"
        ) from None
    return pyspark


def _same(running: SparkSession, settings: SparkSettings) -> bool:
    conf = running.sparkContext.getConf()
    if running.sparkContext.master != settings.master:
        return False
    return all(conf.get(k) == v for k, v in settings.conf_dict().items())


def _alive(session: SparkSession) -> bool:
    sc = session.sparkContext
    return getattr(sc, "_jsc", None) is not None


def _log_config() -> str:
    path = Path(tempfile.gettempdir()) / "recsys-spark-log4j2.properties"
    if not path.is_file() or path.read_text() != _LOG4J2:
        path.write_text(_LOG4J2)
    return path.as_uri()


def _defaults(settings: SparkSettings) -> dict[str, str]:
    """Settings applied unless the caller gives its own value."""
    options = f"-Dlog4j2.configurationFile={_log_config()}"
    if ctypes.util.find_library("blas") is None:
        # MLlib's BLAS tries a native libblas first and, without one, prints two dlopen failures on stderr
        # before using its Java code: go to the Java code at once (a machine with libblas keeps it)
        options += "".join(f" -Ddev.ludovic.netlib.{lib}.allowNative=false" for lib in ("blas", "lapack"))
    out = {
        "spark.ui.showConsoleProgress": "false",  # recsys shows its own progress bars
        "spark.ui.enabled": "false",
        "spark.driver.extraJavaOptions": options,
    }
    if is_local_master(settings.master):
        cores = os.cpu_count() or 2
        match = re.match(r"^local\[(\d+)", settings.master)
        if match:
            cores = int(match.group(1))
        # Spark's 200 shuffle partitions are made for clusters; on one machine they are mostly overhead.
        out["spark.sql.shuffle.partitions"] = str(max(2, 2 * cores))
        # Python workers run beside the JVM here: they need this interpreter (its packages) and this
        # project on their path, whatever the current folder is.
        out["spark.executorEnv.PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
    return out


def spark_session(settings: SparkSettings | None = None) -> SparkSession:
    """The process's Spark session: the running one when it fits ``settings``, else a new one.

    Parameters
    ----------
    settings : SparkSettings, optional
        Master and settings. ``None`` takes the running session whatever its settings (tests share one
        ``local[2]`` session this way), or starts one with :func:`default_settings` (the environment's
        ``RECSYS_SPARK_MASTER`` and ``RECSYS_SPARK_CONF``, else :data:`DEFAULT_MASTER`).

    Returns
    -------
    pyspark.sql.SparkSession
        With the session time zone set to UTC (timestamps are naive UTC throughout recsys).

    Raises
    ------
    EngineError
        pyspark is missing, Java is missing, broken or too old, or Spark failed to start (naming why).
    """
    with _SESSION_LOCK:
        # pyspark 4.3 warns that it is not tested with pandas 3; recsys hands it Arrow, never pandas frames
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        _pyspark()
        from pyspark.sql import SparkSession

        running = SparkSession.getActiveSession() or _CURRENT.get("session")
        if running is not None and not _alive(running):
            running = None
        if running is not None and (settings is None or _same(running, settings)):
            running.conf.set("spark.sql.session.timeZone", "UTC")
            return running
        if running is not None:
            running.stop()  # static settings (master, memory) cannot change on a running session
        settings = settings or default_settings()
        check_java()
        # Python workers must run this interpreter (pyspark's default is whatever `python3` is on PATH).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        builder = SparkSession.builder.master(settings.master).appName("recsys")
        given = settings.conf_dict()
        for key, value in {**_defaults(settings), **given}.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # pyspark raises its own runtime errors for a JVM that did not start
            raise EngineError(
                f"Spark did not start on master {settings.master!r}: {str(exc).strip().splitlines()[0]} "
                f"(check the master URL and that Java {MIN_JAVA}+ works)"
            ) from None
        session.sparkContext.setLogLevel("ERROR")
        # Timestamps are naive UTC in every recsys table; Spark would otherwise read them in local time.
        session.conf.set("spark.sql.session.timeZone", "UTC")
        if not is_local_master(settings.master):
            _ship_package(session)
        _CURRENT.update(session=session, settings=settings)
        return session


def stop_session() -> None:
    """Stop the session this module started (if any); the next :func:`spark_session` starts a new one."""
    with _SESSION_LOCK:
        session = _CURRENT.pop("session", None)
        _CURRENT.pop("settings", None)
        if session is not None and _alive(session):
            session.stop()


def _ship_package(session: SparkSession) -> None:
    """Send the ``recsys`` package to a cluster's executors (their Python workers import it)."""
    folder = Path(tempfile.mkdtemp(prefix="recsys-spark-"))
    archive = folder / "recsys.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((_PACKAGE_ROOT / "recsys").rglob("*.py")):
            zf.write(path, path.relative_to(_PACKAGE_ROOT).as_posix())
    session.sparkContext.addPyFile(str(archive))
