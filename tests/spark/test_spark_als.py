"""``train --model wmf --engine spark``: Spark MLlib's ALS, saved as an ordinary WMF model file.

The objective mapping is checked through ALS's own fixed point: Spark's last half-iteration solves every
user exactly against the final track factors, so our exact ALS-WR solve of each user
(:meth:`WMF.fold_in_factors_many` of a ``reg_scaling="count"`` model) against Spark's track factors must
give back Spark's user factors. That holds only if confidence, preference and the count-scaled ridge are
the same on both sides.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

from recsys.app.training import fit_and_save, training_matrices
from recsys.cli import main
from recsys.data.interactions import Interactions
from recsys.errors import TrainingCancelled
from recsys.models import WMF, create_model, load_model
from recsys.models.training import StopFlag


@pytest.fixture(scope="module")
def trained(spark, demo_prepared, tmp_path_factory) -> tuple[dict, Path]:
    """The CLI's ``train --engine spark`` report and model file (4 iterations, 8 factors)."""
    out = tmp_path_factory.mktemp("spark-als") / "wmf-spark.pt"
    argv = [
        "train", "--data", str(demo_prepared.folder), "--model", "wmf", "--engine", "spark",
        "--spark-master", "local[2]", "--epochs", "4", "--embedding-dim", "8", "--reg", "0.05",
        "--out", str(out), "--json",
    ]
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(argv) == 0
    return json.loads(stdout.getvalue()), out


def _solved_users(model: WMF) -> np.ndarray:
    """Every trained user re-solved exactly against the model's track factors (our ALS-WR solve)."""
    train = model.train
    histories = [train.user_items(row) for row in range(train.n_users)]
    return model.fold_in_factors_many(histories).numpy()


def test_cli_writes_an_ordinary_wmf_model_with_spark_settings(trained, demo_prepared):
    report, path = trained
    assert report["model"] == str(path) and report["epochs"] == 4 and report["stopped"] is False
    config = report["config"]
    assert (config["engine"], config["reg_scaling"], config["spark_master"]) == ("spark", "count", "local[2]")
    history = report["history"]
    # one report per Spark iteration, read from its jobs while it ran; the losses with the last one
    assert len(history) == 4
    assert all(row["seconds"] > 0 for row in history)
    assert {"train_loss", "val_loss", "val_ndcg@10"} <= set(history[-1])
    assert "train_loss" not in history[0]
    model = load_model(path)
    assert isinstance(model, WMF) and model.config.engine == "spark"
    assert model.fingerprint == demo_prepared.fingerprint
    train = demo_prepared.matrix("train")
    assert model.user_factors.shape == (train.n_users, 8) and model.item_factors.shape == (train.n_items, 8)
    # tracks nobody played in training have no factors in Spark: zero, their ALS-WR minimiser
    unplayed = np.diff(train.matrix.tocsc().indptr) == 0
    assert unplayed.any() and not model.item_factors.numpy()[unplayed].any()
    assert 0 < model.metrics["ndcg@10"] <= 1
    members = list(train.user_ids[:3])
    group = model.recommend(members, n=5, history=demo_prepared.history(), exclude_seen=True)
    assert len(group.track_ids) == 5


def test_spark_factors_are_our_count_scaled_alternating_solution(trained):
    model = load_model(trained[1])
    users = model.user_factors.numpy()
    np.testing.assert_allclose(_solved_users(model), users, rtol=1e-3, atol=1e-4 * np.abs(users).max())


def test_log_confidence_and_threshold_map_to_spark_ratings(spark, demo_prepared):
    # from memory this time (no Parquet source), log confidence, and scores below the threshold (p = 0)
    frame = demo_prepared.train[demo_prepared.train["score"] > 0]
    train = Interactions.from_frame(frame, item_ids=demo_prepared.track_ids)
    assert train.source is None and (train.matrix.data < 2).any()
    model = create_model(
        "wmf", engine="spark", reg_scaling="count", confidence="log", alpha=2.0, eps=1.0, threshold=2.0,
        reg=0.1, embedding_dim=6, epochs=3, seed=1,
    )
    model.fit(train)
    users = model.user_factors.numpy()
    np.testing.assert_allclose(_solved_users(model), users, rtol=1e-3, atol=1e-4 * np.abs(users).max())
    from recsys.models.spark_als import spark_ratings

    ratings = spark_ratings(spark, train, model.config).toArrow()
    got = dict(zip(zip(ratings["u"].to_pylist(), ratings["i"].to_pylist(), strict=True),
                   ratings["r"].to_pylist(), strict=True))
    coo = train.matrix.tocoo()
    for u, i, s in list(zip(coo.row, coo.col, coo.data, strict=True))[:200]:
        # 1 + alpha |r| is our confidence, and r > 0 exactly where p = 1
        expected = np.log1p(s) if s >= 2.0 else -np.log1p(s)
        assert got[(int(u), int(i))] == pytest.approx(expected, rel=1e-6)


def test_stop_cancels_the_spark_job_and_saves_nothing(spark, demo_prepared, tmp_path):
    train, val = training_matrices(demo_prepared)
    model = create_model("wmf", engine="spark", reg_scaling="count", reg=0.05, embedding_dim=4, epochs=60)
    stop = StopFlag()
    seen: list[int] = []

    def callback(epoch: int, metrics: dict[str, float]) -> None:
        seen.append(epoch)
        stop.set()  # the Stop button, pressed as the first iteration is reported

    out = tmp_path / "stopped.pt"
    report = fit_and_save(model, train, val, out, callback=callback, stop=stop)
    assert report["stopped"] is True and report["model"] is None and not out.exists()
    assert 1 <= report["epochs"] < 60 and seen[0] == 1
    with pytest.raises(TrainingCancelled, match="cancelled"):
        create_model("wmf", engine="spark", reg_scaling="count", epochs=60).fit(train, stop=stop)
