"""Tests of the signal diagnostics (recsys/evaluation/diagnostics/) and the ``diagnose`` command."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from recsys import fileio
from recsys.data.demo import generate_dataset
from recsys.errors import ConfigError
from recsys.evaluation.diagnostics import (
    Check,
    best_model_vs_random,
    diagnose,
    diagnose_cached,
    genre_affinity,
    gini,
    popularity_dispersion,
    popularity_vs_random,
    relistening,
    straddling_pairs,
)
from recsys.evaluation.diagnostics.verdict import _verdict
from recsys.evaluation.stats import random_expectations
from tests.conftest import require

SIZE = {"users": 200, "tracks": 1000, "events": 30_000}


def _prepared(folder: Path, *, shuffle_seed: int | None = None) -> SimpleNamespace:
    """A minimal prepared dataset built here (independently of the pipeline): the attributes diagnose reads.

    Cleaning as the pipeline's rules: exact duplicates, non-listening events, null user/track/type and
    unknown tracks dropped; per-user chronological 70/15/15 split; play and like score 1, skip 0.
    With ``shuffle_seed`` the track ids are permuted across all events first.
    """
    s = pd.read_json(folder / "sessions.jsonl", lines=True, dtype=False).drop_duplicates()
    tracks = pd.read_json(folder / "tracks.jsonl", lines=True, dtype=False)
    artists = pd.read_json(folder / "artists.jsonl", lines=True, dtype=False)
    users = pd.read_json(folder / "users.jsonl", lines=True, dtype=False)
    s = s[s["event_type"].isin(["play", "skip", "like"]) & s["user_id"].notna()]
    s = s[s["track_id"].isin(set(tracks["id"]))].copy()
    if shuffle_seed is not None:
        s["track_id"] = np.random.default_rng(shuffle_seed).permutation(s["track_id"].to_numpy())
    s["timestamp"] = pd.to_datetime(s["timestamp"], format="ISO8601")
    s = s.sort_values(["user_id", "timestamp"], kind="stable")
    rank = s.groupby("user_id").cumcount() / s.groupby("user_id")["user_id"].transform("size")
    s["split"] = np.where(rank < 0.7, "train", np.where(rank < 0.85, "val", "test"))
    s["score"] = (s["event_type"] != "skip").astype(float)

    def pairs(split: str) -> pd.DataFrame:
        return s[s["split"] == split].groupby(["user_id", "track_id"], as_index=False)["score"].sum()

    tracks = tracks.merge(artists.rename(columns={"id": "id_artist", "name": "artist_name"}), on="id_artist")
    return SimpleNamespace(
        events=s, train=pairs("train"), val=pairs("val"), test=pairs("test"),
        tracks=tracks, users=users, artists=artists,
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_dataset(out, seed=4, **SIZE)
    return out


# --------------------------------------------------------------------------- both ways on demo data


def test_demo_data_is_structured(demo_dir: Path) -> None:
    d = diagnose(_prepared(demo_dir), seed=0, n_boot=200)
    assert d.verdict == "structured"
    by = {c.name: c for c in d.reasons}
    assert by["genre_affinity"].status == "clear" and by["relistening"].status == "clear"
    assert by["popularity_dispersion"].status == "clear"
    assert by["genre_affinity"].ci[0] > by["genre_affinity"].baseline + 0.3
    out = d.to_dict()
    json.dumps(out)  # JSON-able
    assert out["verdict"] == "structured" and len(out["reasons"]) == 4
    assert {"name", "figure", "ci", "baseline", "effect_ci", "status", "meaning"} <= set(out["reasons"][0])


def test_shuffled_track_ids_give_none(demo_dir: Path) -> None:
    d = diagnose(_prepared(demo_dir, shuffle_seed=0), seed=0, n_boot=200)
    assert d.verdict == "none"
    by = {c.name: c for c in d.reasons}
    assert by["genre_affinity"].status == "not detected" and by["relistening"].status == "not detected"
    # Shuffling keeps every track's play count: popularity skew remains, and is reported as such.
    assert by["popularity_dispersion"].status == "clear" and d.figures["popularity_only"]


def test_taste_strength_zero_gives_none(tmp_path: Path) -> None:
    generate_dataset(tmp_path, seed=4, taste_strength=0.0, **SIZE)
    d = diagnose(_prepared(tmp_path), seed=0, n_boot=200)
    assert d.verdict == "none"
    assert all(c.status in ("not detected", "unavailable") for c in d.reasons)


def test_same_seed_same_diagnosis(demo_dir: Path) -> None:
    p = _prepared(demo_dir)
    assert diagnose(p, seed=3, n_boot=50).to_dict() == diagnose(p, seed=3, n_boot=50).to_dict()
    with pytest.raises(ConfigError):
        diagnose(p, n_boot=1)


# --------------------------------------------------------------------------- each check by hand


def test_gini_known_values() -> None:
    assert gini(np.array([1, 1, 1, 1]))[()] == pytest.approx(0.0)
    assert gini(np.array([0, 0, 0, 4]))[()] == pytest.approx(0.75)
    # sorted [0, 1, 3]: 2 * (0 + 2 + 9) / (3 * 4) - 4 / 3 = 0.5
    assert gini(np.array([3, 0, 1]))[()] == pytest.approx(0.5)
    assert math.isnan(gini(np.zeros(3))[()])


def test_popularity_dispersion_by_hand() -> None:
    # counts over the catalogue a..d: 3, 1, 0, 0 -> mean 1, variance 1.5 -> index 1.5
    c = popularity_dispersion(pd.Series(["a", "a", "b", "a"]), ["a", "b", "c", "d"], n_boot=50)
    assert c.figure == pytest.approx(1.5) and c.baseline == 1.0 and c.effect == pytest.approx(0.5)
    assert c.details["gini"] == pytest.approx(2 * (1 * 3 + 3 * 4) / (4 * 4) - 5 / 4)
    h = c.tables["histogram"].set_index("plays")
    assert h.loc[0, "tracks"] == 2 and h.loc[1, "tracks"] == 1 and h.loc[3, "tracks"] == 1
    assert h.loc[0, "poisson"] == pytest.approx(4 * math.exp(-1))
    assert h["poisson"].sum() == pytest.approx(4.0)


def test_genre_affinity_by_hand() -> None:
    genres = [["rock"], ["pop"], ["jazz"], ["rock", "pop"]]
    tracks = pd.DataFrame({"id": ["t1", "t2", "t3", "t4"], "genres": genres})
    users = pd.DataFrame({"user_id": [1, 2], "favourite_genres": [["rock"], ["pop"]]})
    plays = pd.DataFrame({
        "user_id": [1] * 5 + [2] * 5,
        "track_id": ["t1", "t1", "t4", "t2", "t1", "t2", "t2", "t4", "t3", "t1"],
    })  # fmt: skip
    c = genre_affinity(plays, tracks, users, min_plays=5, n_boot=50)
    # user 1: 4 of 5 plays in rock; user 2: 3 of 5 in pop -> 0.7
    assert c.figure == pytest.approx(0.7)
    # independence: user 1 against user 2's plays (2 of 5 rock), user 2 against user 1's (2 of 5 pop)
    assert c.baseline == pytest.approx(0.4) and c.effect == pytest.approx(0.3)
    assert c.details["catalogue_share"] == pytest.approx(0.5)
    g = c.tables["genres"].set_index("genre")
    assert g.loc["rock", "observed"] == pytest.approx(0.8) and g.loc["pop", "observed"] == pytest.approx(0.6)
    assert g.loc["rock", "independent"] == pytest.approx(0.6)
    assert g.loc["rock", "catalogue"] == pytest.approx(0.5)
    u = c.tables["users"].set_index("user_id")
    assert u.loc[1, "observed"] == pytest.approx(0.8) and u.loc[2, "independent"] == pytest.approx(0.4)


def test_genre_affinity_from_artists_and_too_few_users() -> None:
    tracks = pd.DataFrame({"id": ["t1", "t2"], "id_artist": ["A", "B"]})
    artists = pd.DataFrame({"id": ["A", "B"], "genres": [["rock"], ["pop"]]})
    users = pd.DataFrame({"user_id": [1], "favourite_genres": [["rock"]]})
    plays = pd.DataFrame({"user_id": [1] * 5, "track_id": ["t1"] * 5})
    c = genre_affinity(plays, tracks, users, artists=artists, n_boot=50)
    assert c.status == "unavailable" and c.personal


def test_relistening_by_hand() -> None:
    train = pd.DataFrame({"user_id": [1, 1, 2, 3], "track_id": ["a", "b", "c", "a"], "score": 1.0})
    val = pd.DataFrame({"user_id": [1, 1, 2, 3, 3], "track_id": ["a", "d", "a", "e", "b"],
                        "score": [1.0, 1.0, 1.0, 1.0, 0.0]})  # fmt: skip
    c = relistening(train, val, n_boot=50)
    # positive validation pairs: 1:{a,d} 2:{a} 3:{e}; heard: user 1's a -> 1 of 4
    assert c.figure == pytest.approx(0.25)
    # expected: user 1: 2 * (c(a)+c(b) - own 1) / (4 - 2) = 1; user 2: 0; user 3: 1 * 2 / 3
    assert c.baseline == pytest.approx((1 + 0 + 2 / 3) / 4)
    t = c.tables["users"].set_index("user_id")
    assert t.loc[1, "heard"] == 1 and t.loc[3, "expected"] == pytest.approx(2 / 3)


def test_random_ndcg_and_popularity_vs_random_by_hand() -> None:
    # one relevant item among 10, k = 10: every position equally likely -> mean discount / 1
    disc = 1 / np.log2(np.arange(2, 12))
    expected = random_expectations(np.array([1, 10]), np.array([10, 10]), 10)["ndcg@10"]
    assert expected[0] == pytest.approx(disc.sum() / 10)
    assert expected[1] == pytest.approx(1.0)
    train = pd.DataFrame({"user_id": [1, 2, 3, 1, 2, 3], "track_id": ["a", "a", "a", "b", "b", "c"],
                          "score": 1.0})  # fmt: skip
    val = pd.DataFrame({"user_id": [1, 2], "track_id": ["a", "c"], "score": 1.0})
    c = popularity_vs_random(train, val, ["a", "b", "c", "d", "e"], k=2, n_boot=50)
    assert c.figure == pytest.approx(0.5)  # top-2 [a, b]: user 1 NDCG 1, user 2 NDCG 0
    assert c.baseline == pytest.approx(0.2 * (1 + 1 / np.log2(3)))


def _check(name: str, status: str, personal: bool = True) -> Check:
    return Check(name, 0.0, (0.0, 0.0), 0.0, 0.0, (0.0, 0.0), 0.0, status, personal, "")


def test_verdict_rules() -> None:
    pop = _check("popularity_dispersion", "clear", personal=False)
    assert _verdict([_check("g", "clear"), _check("r", "detected"), pop]) == "structured"
    assert _verdict([_check("g", "detected"), _check("r", "detected"), pop]) == "weak"
    assert _verdict([_check("g", "clear"), _check("r", "not detected"), pop]) == "weak"
    assert _verdict([_check("g", "not detected"), _check("r", "not detected"), pop]) == "none"
    assert _verdict([_check("g", "clear"), _check("r", "unavailable")]) == "structured"
    assert _verdict([_check("g", "unavailable"), pop]) == "none"


# --------------------------------------------------------------------------- command


def test_diagnose_command_on_prepared_demo(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline = "recsys.data.prepare (the data pipeline)"
    require(importlib.util.find_spec("recsys.data.prepare") is not None, pipeline)
    from recsys.cli import main
    from recsys.data.prepare import prepare

    prepare(demo_dir, tmp_path / "prep")
    assert main(["diagnose", "--data", str(tmp_path / "prep"), "--n-boot", "100", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "structured"
    for r in out["reasons"]:
        assert {"name", "figure", "ci", "baseline", "status", "meaning"} <= set(r)


def test_straddling_pairs_leave_the_split_boundary_out() -> None:
    events = pd.DataFrame({
        "session_id": [1, 1, 1, 2, 3],
        "user_id": [7, 7, 7, 7, 7],
        "track_id": ["a", "a", "b", "b", "b"],
        "split": ["train", "val", "val", "train", "val"],
    })  # fmt: skip
    # a: played in training and liked in validation within session 1 -> straddles; b: other sessions
    assert straddling_pairs(events).to_dict("list") == {"user_id": [7], "track_id": ["a"]}
    train = pd.DataFrame({"user_id": [7, 7, 8], "track_id": ["a", "b", "c"], "score": 1.0})
    val = pd.DataFrame({"user_id": [7, 7, 8], "track_id": ["a", "b", "d"], "score": 1.0})
    assert relistening(train, val, n_boot=50).figure == pytest.approx(2 / 3)
    assert relistening(train, val, exclude=straddling_pairs(events), n_boot=50).figure == pytest.approx(1 / 2)


def test_cached_diagnosis_is_stored_and_equal(tmp_path) -> None:
    """The stored diagnosis reads back equal to a fresh one, tables included, and is keyed by seed."""
    from recsys.data.demo import generate_dataset
    from recsys.data.prepare import prepare
    from recsys.data.prepared import load_prepared
    generate_dataset(tmp_path / "raw", users=80, tracks=400, seed=3)
    prepare(tmp_path / "raw", tmp_path / "prep")
    prepared = load_prepared(tmp_path / "prep")
    fresh = diagnose(prepared, seed=0, n_boot=50)
    first = diagnose_cached(prepared, seed=0, n_boot=50)
    assert (tmp_path / "prep" / "diagnostics" / "diagnosis.json").is_file()
    again = diagnose_cached(prepared, seed=0, n_boot=50)
    assert again.to_dict() == fresh.to_dict() == first.to_dict()
    for a, b in zip(again.reasons, fresh.reasons, strict=True):
        assert a.tables.keys() == b.tables.keys()
        for name in a.tables:
            pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_dtype=False)
    other_seed = diagnose_cached(prepared, seed=1, n_boot=50)
    assert other_seed.figures["seed"] == 1


def test_best_model_vs_random_picks_the_best_and_beats_random(tmp_path, capsys) -> None:
    from recsys.cli import main
    from recsys.data.prepare import prepare
    from recsys.data.prepared import load_prepared
    from recsys.models import create_model

    generate_dataset(tmp_path / "raw", users=120, tracks=600, seed=4)
    prepare(tmp_path / "raw", tmp_path / "prep")
    prepared = load_prepared(tmp_path / "prep")
    train = prepared.matrix("train")
    models = {kind: create_model(kind).fit(train) for kind in ("basic", "random")}
    check = best_model_vs_random(models, prepared, n_boot=100)
    assert check.details["model"] == "basic"
    assert check.details["ndcg"]["basic"] > check.details["ndcg"]["random"]
    assert check.figure == pytest.approx(check.details["ndcg"]["basic"])
    assert check.status == "clear" and check.effect_ci[0] > 0 and not check.personal
    # the random model itself is no better than random's analytic expectation
    alone = best_model_vs_random({"random": models["random"]}, prepared, n_boot=100)
    assert alone.effect_ci[0] < 0.01 and alone.status != "clear"
    # the CLI: --model adds the check beside the data checks
    for kind, model in models.items():
        model.save(tmp_path / f"{kind}.pt")
    code = main(["diagnose", "--data", str(tmp_path / "prep"), "--model", str(tmp_path / "basic.pt"),
                 "--model", str(tmp_path / "random.pt"), "--n-boot", "50", "--json"])  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    reason = {r["name"]: r for r in out["reasons"]}["model_vs_random"]
    assert reason["details"]["model"] == "basic" and out["verdict"] == "structured"


def test_cache_is_swapped_in_whole_and_skipped_when_unwritable(
    demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache format (``diagnosis.json`` + Parquet tables), written through recsys.fileio's swap."""
    prepared = _prepared(demo_dir)
    prepared.folder, prepared.fingerprint = tmp_path, "f1"
    first = diagnose_cached(prepared, seed=0, n_boot=20)
    payload = json.loads((tmp_path / "diagnostics" / "diagnosis.json").read_text())
    assert payload["key"] == {"fingerprint": "f1", "seed": 0, "n_boot": 20}
    assert payload["diagnosis"] == first.to_dict()
    files = {f for tables in payload["tables"].values() for f in tables.values()}
    assert files and all((tmp_path / "diagnostics" / f).is_file() for f in files)
    # a new key replaces the folder whole, and no staging or old folder is left behind
    diagnose_cached(prepared, seed=1, n_boot=20)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diagnostics"]
    assert json.loads((tmp_path / "diagnostics" / "diagnosis.json").read_text())["key"]["seed"] == 1

    def refuse(staged: Path, target: Path) -> None:
        raise PermissionError("read-only release")

    monkeypatch.setattr(fileio, "swap_dir", refuse)  # the one swap every kept folder goes through
    prepared.fingerprint = "f2"
    assert diagnose_cached(prepared, seed=0, n_boot=20).to_dict() == first.to_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diagnostics"]  # the staging folder is gone
    assert json.loads((tmp_path / "diagnostics" / "diagnosis.json").read_text())["key"]["fingerprint"] == "f1"


def test_genre_affinity_on_a_seeded_sample_says_so_and_matches_the_full_figures() -> None:
    """The per-user figures of a sample are the full computation's figures for those users."""
    rng = np.random.default_rng(11)
    vocab = ["rock", "pop", "jazz", "folk", "metal", "rap"]
    tracks = pd.DataFrame({
        "id": [f"t{i}" for i in range(60)],
        "genres": [list(rng.choice(vocab, size=rng.integers(1, 3), replace=False)) for _ in range(60)],
    })  # fmt: skip
    users = pd.DataFrame({
        "user_id": np.arange(300),
        "favourite_genres": [list(rng.choice(vocab, size=2, replace=False)) for _ in range(300)],
    })  # fmt: skip
    plays = pd.DataFrame(
        {"user_id": np.repeat(np.arange(300), 8), "track_id": rng.choice(tracks["id"], 2400)}
    )
    full = genre_affinity(plays, tracks, users, n_boot=50, sample_users=None)
    part = genre_affinity(plays, tracks, users, n_boot=50, sample_users=40, seed=3)
    assert full.details["users"] == full.details["eligible_users"] == 300
    assert full.details["sample"] == "every user (300)"
    assert (part.details["users"], part.details["eligible_users"]) == (40, 300)
    assert part.details["sample"] == "a seeded sample of 40 of 300 users"
    assert part.meaning.endswith("(a seeded sample of 40 of 300 users)")
    sample = part.tables["users"].set_index("user_id")
    assert len(sample) == 40
    whole = full.tables["users"].set_index("user_id").loc[sample.index]
    for column in ("plays", "observed", "independent", "catalogue"):
        np.testing.assert_allclose(sample[column], whole[column], rtol=1e-12)
    assert part.figure == pytest.approx(sample["observed"].mean())
    # the per-genre table uses every eligible user, sampled or not
    pd.testing.assert_frame_equal(part.tables["genres"], full.tables["genres"])
    again = genre_affinity(plays, tracks, users, n_boot=50, sample_users=40, seed=3)
    assert again.to_dict() == part.to_dict()
    other = genre_affinity(plays, tracks, users, n_boot=50, sample_users=40, seed=4)
    assert set(other.tables["users"]["user_id"]) != set(sample.index)
    with pytest.raises(ConfigError, match="sample_users"):
        genre_affinity(plays, tracks, users, sample_users=1)


def test_every_check_says_what_it_measured(demo_dir: Path) -> None:
    d = diagnose(_prepared(demo_dir), seed=0, n_boot=50)
    for check in d.reasons:
        assert check.details["sample"].startswith("every "), check.name
