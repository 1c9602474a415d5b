"""The test run's one Spark session is the one the library uses: no second JVM, no second start-up."""

from __future__ import annotations

from recsys.data.spark_session import SparkSettings, spark_session


def test_the_running_session_is_reused(spark, spark_settings):
    assert spark_session() is spark
    assert spark_session(spark_settings) is spark
    assert spark_session(SparkSettings("local[2]")) is spark  # the CLI's --spark-master local[2]
    conf = spark.sparkContext.getConf()
    assert spark.sparkContext.master == "local[2]"
    assert conf.get("spark.ui.enabled") == "false" and conf.get("spark.sql.shuffle.partitions") == "2"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"  # recsys timestamps are naive UTC
