"""``evaluate --engine spark``: the top-k of every user in blocks on Spark, the local per-user metrics."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from recsys.cli import main
from recsys.errors import ConfigError
from recsys.evaluation.evaluate import evaluate_model
from recsys.evaluation.spark_eval import evaluate_on_spark
from recsys.models import create_model, load_model


@pytest.fixture(scope="module")
def model_file(demo_prepared, tmp_path_factory):
    """A small WMF trained locally on the demo, saved and read back (as the CLI would)."""
    path = tmp_path_factory.mktemp("spark-eval") / "wmf.pt"
    create_model("wmf", embedding_dim=12, epochs=4, seed=2).fit(demo_prepared.matrix("train")).save(path)
    return path


def _assert_same(local, spark) -> None:
    # one per-user table: the same users in the same order, metrics equal within 1e-6
    pd.testing.assert_frame_equal(spark.per_user, local.per_user, check_dtype=False, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(spark.top, local.top)
    pd.testing.assert_frame_equal(spark.summary, local.summary, rtol=0, atol=1e-6)
    assert (spark.regime, spark.k, spark.users) == (local.regime, local.k, local.users)
    assert spark.no_relevant_users == local.no_relevant_users


@pytest.mark.parametrize(("split", "exclude_seen"), [("val", False), ("test", True)])
def test_per_user_metrics_equal_the_local_evaluator(spark, demo_prepared, model_file, split, exclude_seen):
    model = load_model(model_file)
    truth = demo_prepared.matrix(split, like=model.train)
    options = dict(k=(5, 10, 30), exclude_seen=exclude_seen, n_boot=200, seed=1)
    local = evaluate_model(model, truth, **options)
    spark_ev = evaluate_on_spark(model, truth, block_size=64, **options)  # several blocks of users
    _assert_same(local, spark_ev)
    assert local.users > 64 and spark_ev.metrics()["ndcg@10"] > spark_ev.random()["ndcg@10"]


def test_biased_model_and_threshold(spark, demo_prepared):
    model = create_model("wmf", embedding_dim=6, epochs=3, bias=True, seed=3)
    model.fit(demo_prepared.matrix("train"))
    truth = demo_prepared.matrix("val", like=model.train)
    options = dict(k=(10,), threshold=2.0, exclude_seen=True, n_boot=50)
    _assert_same(evaluate_model(model, truth, **options), evaluate_on_spark(model, truth, **options))


def test_cli_evaluate_with_spark_gives_the_local_json(spark, demo_prepared, model_file):
    argv = ["evaluate", "--data", str(demo_prepared.folder), "--model", str(model_file), "--exclude-seen",
            "--k", "10", "--n-boot", "100", "--json"]
    outputs = []
    for extra in ([], ["--engine", "spark", "--spark-master", "local[2]"]):
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            assert main([*argv, *extra]) == 0
        outputs.append(json.loads(stdout.getvalue()))
    local, spark_out = outputs
    assert (local["engine"], spark_out["engine"]) == ("local", "spark")
    for key in ("users", "metrics", "ci", "random", "beyond", "no_relevant_users", "regime"):
        _assert_close(spark_out[key], local[key], key)


def _assert_close(got: object, expected: object, where: str) -> None:
    """Nested JSON values equal, numbers within 1e-6."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected), where
        for key, value in expected.items():
            _assert_close(got[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), where
        for i, value in enumerate(expected):
            _assert_close(got[i], value, f"{where}[{i}]")
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, abs=1e-6, nan_ok=True), where
    else:
        assert got == expected, where


def test_only_factor_models_are_evaluated_on_spark(spark, demo_prepared):
    basic = create_model("basic").fit(demo_prepared.matrix("train"))
    with pytest.raises(ConfigError, match="factor models"):
        evaluate_on_spark(basic, demo_prepared.matrix("val", like=basic.train))
