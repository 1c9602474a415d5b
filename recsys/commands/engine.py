"""The engine flags of the heavy commands (``prepare``, ``train``, ``evaluate``): local, or Apache Spark.

``--engine local|spark`` (default local), ``--spark-master`` (default ``$RECSYS_SPARK_MASTER``, else
``local[*]``: every core here; a ``spark://HOST:PORT``, ``yarn`` or ``k8s://URL`` for a cluster) and
``--spark-conf KEY=VALUE`` (repeatable, on top of ``$RECSYS_SPARK_CONF``). The Spark flags without
``--engine spark`` are a usage error rather than silently ignored.
"""

from __future__ import annotations

import argparse

from recsys.data.spark_session import DEFAULT_MASTER, ENGINES, MASTER_ENV, SparkSettings, default_settings
from recsys.errors import ConfigError

__all__ = ["add_engine_arguments", "spark_settings"]


def add_engine_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--engine``, ``--spark-master`` and ``--spark-conf`` to ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    what : str
        What Spark does for this command, for the help text.
    """
    parser.add_argument(
        "--engine", choices=ENGINES, default="local",
        help=f"where to compute: here (default) or on Apache Spark ({what})",
    )
    parser.add_argument(
        "--spark-master", default=None, metavar="URL",
        help=f"with --engine spark: {DEFAULT_MASTER} (default, every core here, or ${MASTER_ENV}), "
             "local[N], spark://HOST:PORT, yarn or k8s://URL",
    )
    parser.add_argument(
        "--spark-conf", action="append", default=[], metavar="KEY=VALUE",
        help="with --engine spark: a Spark setting, repeatable (--spark-conf spark.executor.memory=8g); "
             "added to $RECSYS_SPARK_CONF's",
    )


def spark_settings(args: argparse.Namespace) -> SparkSettings | None:
    """The Spark master and settings of the command line (``None`` with ``--engine local``).

    Raises
    ------
    ConfigError
        A Spark flag without ``--engine spark``, an unknown master or a setting that is not ``KEY=VALUE``.
    """
    if args.engine != "spark":
        flags = (("--spark-master", args.spark_master), ("--spark-conf", args.spark_conf))
        given = [flag for flag, value in flags if value]
        if given:
            raise ConfigError(f"{given[0]} applies to --engine spark only (the engine is {args.engine!r})")
        return None
    return default_settings(args.spark_master, args.spark_conf)
