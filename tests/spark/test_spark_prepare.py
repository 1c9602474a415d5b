"""``prepare --engine spark`` writes what the local engine writes: every table, row for row, and the report.

Checked on a generated release (every kind of dirt), on both real releases, on the three split methods and
on malformed lines, which the local reader judges for both engines.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from recsys.cli import main
from recsys.data.prepare import prepare
from recsys.data.prepared import OUTPUT_FILES
from recsys.data.process import PrepareSettings
from recsys.data.spark_prepare import assign_splits_spark
from recsys.data.splitting import assign_splits
from recsys.errors import DataError

# Not properties of the data: timings, where the output went, which engine, and "now" in the sanity window.
_VOLATILE = {"stage_seconds", "seconds", "out", "engine", "cached", "data"}


def _both(raw: Path, tmp: Path, settings: PrepareSettings | None = None, **options) -> tuple[dict, dict]:
    local = prepare(raw, tmp / "local", settings=settings, **options)
    spark = prepare(raw, tmp / "spark", settings=settings, engine="spark", **options)
    return local, spark


def _assert_same(local: dict, spark: dict) -> None:
    assert spark["engine"] == "spark" and local["engine"] == "local"
    for key, value in local.items():
        if key in _VOLATILE:
            continue
        if key == "sanity":
            value = {k: v for k, v in value.items() if k != "timestamp_window"}
            assert value == {k: v for k, v in spark[key].items() if k != "timestamp_window"}
            continue
        assert spark[key] == value, key
    for name in OUTPUT_FILES:
        # the same rows in the same order with the same types (categories included)
        pd.testing.assert_frame_equal(
            pd.read_parquet(Path(spark["out"]) / name), pd.read_parquet(Path(local["out"]) / name), obj=name
        )


def test_generated_release_gives_the_same_tables_and_report(spark, demo_raw, tmp_path, capsys):
    # through the command line: --engine spark, --spark-master, --json
    local = prepare(demo_raw, tmp_path / "local")
    out = tmp_path / "spark"
    argv = ["prepare", "--data", str(demo_raw), "--out", str(out), "--engine", "spark"]
    argv += ["--spark-master", "local[2]"]
    assert main([*argv, "--json"]) == 0
    spark_report = json.loads(capsys.readouterr().out)
    _assert_same(local, spark_report)
    # the generator's dirt is there, so every cleaning rule was exercised
    rules = ("non_listening", "null_event_type", "null_track", "unknown_track", "duplicate")
    assert all(local["rejected"][rule] > 0 for rule in rules)
    assert local["repaired"]["user_from_session"] > 0
    # an unchanged input is not reprocessed, whichever engine asks
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cached"] is True


@pytest.mark.parametrize("release", ["clean", "dirty"])
def test_real_releases_give_the_same_counts_splits_and_scores(spark, real_data, tmp_path, release):
    local, spark_report = _both(real_data / release, tmp_path)
    _assert_same(local, spark_report)
    expected = {"clean": (26347, 22611), "dirty": (26347, 20370)}[release]
    assert (spark_report["input_rows"], spark_report["kept_rows"]) == expected


def test_other_weights_and_the_random_split_agree(spark, demo_raw, tmp_path):
    settings = PrepareSettings(split="random", seed=3, weights={"play": 1.0, "like": 2.0, "skip": 0.0})
    local, spark_report = _both(demo_raw, tmp_path, settings)
    _assert_same(local, spark_report)


@pytest.mark.parametrize(
    "settings",
    [
        PrepareSettings(),
        PrepareSettings(split="chrono", val_frac=0.1, test_frac=0.25),
        PrepareSettings(split="time"),
        PrepareSettings(split="time", val_frac=0.2, test_frac=0.0),  # a zero fraction moves the cuts' codes
        PrepareSettings(split="random", seed=7),
    ],
    ids=["chrono", "chrono-10-25", "time", "time-no-test", "random"],
)
def test_spark_split_is_assign_splits(spark, demo_prepared, settings):
    # the kept events of a prepared release, with rejected rows among them, split by both
    events = demo_prepared.events
    n = len(events)
    rows = pa.table(
        {
            "line": pa.array(events["line"].to_numpy(), type=pa.int64()),
            "ts": pa.array(events["timestamp"].astype("datetime64[ms]").astype("int64").to_numpy()),
            "fixed_user": pa.array(events["user_id"].to_numpy()),
            "reason": pa.array(np.where(np.arange(n) % 7 == 3, 4, 0), type=pa.int32()),
        }
    )
    got = assign_splits_spark(spark, spark.createDataFrame(rows), settings).select("line", "split").toArrow()
    got = got.take(pc.sort_indices(got, [("line", "ascending")]))
    kept = rows["reason"].to_numpy() == 0
    expected = assign_splits(
        pd.factorize(rows["fixed_user"].to_numpy()[kept])[0], rows["ts"].to_numpy()[kept],
        method=settings.split, val_frac=settings.val_frac, test_frac=settings.test_frac, seed=settings.seed,
    )
    codes = got["split"].to_numpy(zero_copy_only=False)
    np.testing.assert_array_equal(codes[kept].astype(np.int8), expected)
    assert np.isnan(codes[~kept].astype(float)).all()  # rejected rows get no split


def _malformed_folder(tmp_path: Path, demo_raw: Path) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    for name in ("tracks.jsonl", "users.jsonl", "artists.jsonl"):
        (folder / name).write_bytes((demo_raw / name).read_bytes())
    lines = (demo_raw / "sessions.jsonl").read_text().splitlines()[:300]
    lines[10] = "{not json"
    lines[20] = json.dumps({**json.loads(lines[20]), "timestamp": None})
    lines[30] = json.dumps({**json.loads(lines[30]), "user_id": True})
    lines[40] = ""  # a blank line is not a row, and the lines after it keep their numbers
    (folder / "sessions.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_malformed_lines_are_judged_by_the_local_reader(spark, demo_raw, tmp_path):
    folder = _malformed_folder(tmp_path, demo_raw)
    local, spark_report = _both(folder, tmp_path, skip_malformed=True)
    _assert_same(local, spark_report)
    assert spark_report["rejected"]["malformed"] == 3
    bad = pd.read_parquet(Path(spark_report["out"]) / "rejected.parquet")
    bad = bad[bad["reason"] == "malformed"]
    assert bad["line"].tolist() == [11, 21, 31]
    assert bad["field"].isna().tolist() == [True, False, False]  # not JSON: no field to name
    assert bad["field"].tolist()[1:] == ["timestamp", "user_id"]
    with pytest.raises(DataError) as local_error:
        prepare(folder, tmp_path / "local-strict")
    with pytest.raises(DataError) as spark_error:
        prepare(folder, tmp_path / "spark-strict", engine="spark")
    assert str(spark_error.value) == str(local_error.value)
    assert "line 11" in str(spark_error.value)
    assert not (tmp_path / "spark-strict").exists()
