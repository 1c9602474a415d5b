"""The training driver's per-epoch validation sample: a setting honoured end to end, seeded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.app import jobs, training
from recsys.data.interactions import Interactions
from recsys.errors import ConfigError
from recsys.evaluation import validation
from recsys.evaluation.validation import validation_users
from recsys.models import create_model


@pytest.fixture(scope="module")
def split() -> tuple[Interactions, Interactions]:
    """80 users x 60 tracks, 12 pairs each, 30% of them held out for validation (seeded)."""
    rng = np.random.default_rng(7)
    rows = [(u, t, float(rng.integers(1, 4))) for u in range(80) for t in rng.choice(60, 12, replace=False)]
    pairs = pd.DataFrame(rows, columns=["user_id", "track_id", "score"])
    held = rng.random(len(pairs)) < 0.3
    train = Interactions.from_frame(pairs[~held], item_ids=np.arange(60))
    return train, train.align(pairs[held])


@pytest.mark.parametrize(
    ("value", "want"),
    [
        (2000, 2000), ("15", 15), (" all ", None), ("ALL", None), (None, None), ("auto", "auto"),
        (" Auto", "auto"),
    ],
)
def test_val_users_setting_reads_numbers_auto_and_all(value, want) -> None:
    assert training.val_users_setting(value) == want


@pytest.mark.parametrize("bad", [0, -3, "0", "some", 2.5, True, ""])
def test_val_users_setting_names_a_bad_value(bad) -> None:
    with pytest.raises(ConfigError, match="validation users must be a positive integer, 'auto' or 'all'"):
        training.val_users_setting(bad)


def test_the_sample_size_is_honoured_and_reported(split, tmp_path: Path) -> None:
    train, val = split
    eligible = len(validation_users(train, val, sample_users=None))
    assert eligible > 30
    small = training.fit_and_save(create_model("wmf", epochs=2), train, val, tmp_path / "a.pt", val_users=25)
    assert small["val_users"] == 25
    assert [row["val_users"] for row in small["history"]] == [25.0, 25.0]
    every = training.fit_and_save(
        create_model("wmf", epochs=2), train, val, tmp_path / "b.pt", val_users="all"
    )
    assert every["val_users"] == "all"
    assert [row["val_users"] for row in every["history"]] == [float(eligible)] * 2
    # the final headline metrics always measure every validation user, whatever the sample
    assert small["metrics"]["final_users"] == every["metrics"]["final_users"] == eligible
    assert small["metrics"]["ndcg@10"] == every["metrics"]["ndcg@10"]
    assert small["final_seconds"] >= 0.0


def test_auto_measures_a_twentieth_of_the_users_at_least_50_and_reports_the_number(
    split, tmp_path: Path, monkeypatch
) -> None:
    train, val = split
    eligible = len(validation_users(train, val, sample_users=None))
    assert eligible > 50
    # 80 users, 20 + of them eligible: a twentieth is under the floor of 50, so "auto" (the default)
    # measures 50 of them
    report = training.fit_and_save(create_model("wmf", epochs=2), train, val, tmp_path / "a.pt")
    assert report["val_users"] == 50
    assert [row["val_users"] for row in report["history"]] == [50.0, 50.0]
    # with a floor of 1 the share decides: a twentieth of the eligible users, rounded up
    monkeypatch.setattr(validation, "_FLOOR", 1)
    share = -(-eligible // 20)
    small = training.fit_and_save(
        create_model("wmf", epochs=2), train, val, tmp_path / "b.pt", val_users="auto"
    )
    assert small["val_users"] == share
    assert [row["val_users"] for row in small["history"]] == [float(share)] * 2
    assert validation.auto_sample_size(eligible) == share


def test_auto_sample_size_is_a_twentieth_between_50_and_2000() -> None:
    assert [validation.auto_sample_size(n) for n in (0, 40, 1000, 1001, 5000, 39_980, 40_001, 50_000)] == [
        50, 50, 50, 51, 250, 1999, 2000, 2000
    ]


def test_same_seed_same_sample_same_curve(split, tmp_path: Path) -> None:
    train, val = split
    runs = [
        training.fit_and_save(create_model("wmf", epochs=2), train, val, tmp_path / f"{i}.pt", val_users=20)
        for i in range(2)
    ]
    curves = [[row["val_ndcg@10"] for row in run["history"]] for run in runs]
    assert curves[0] == curves[1]
    # a different sample (all users) measures a different set, so (here) a different value
    every = training.fit_and_save(
        create_model("wmf", epochs=2), train, val, tmp_path / "all.pt", val_users=None
    )
    assert [row["val_ndcg@10"] for row in every["history"]] != curves[0]


def test_a_bad_sample_size_stops_a_dashboard_job_before_it_starts(split, tmp_path: Path) -> None:
    train, val = split
    with pytest.raises(ConfigError, match="got 0"):
        jobs.start_training("bad-sample", create_model("popularity"), train, val=val, out_dir=tmp_path,
                            val_users=0)
    assert jobs.get_job("bad-sample") is None
