"""Tests of the demo-data generator (recsys/demo.py) and the ``generate`` command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.cli import main
from recsys.data.demo import DIRT_RATES, FILES, generate_dataset
from recsys.errors import ConfigError

SMALL = {"users": 200, "tracks": 1500, "events": 40_000}
FIELDS = {
    "sessions.jsonl": ["session_id", "timestamp", "user_id", "track_id", "event_type"],
    "tracks.jsonl": [
        "id", "name", "popularity", "duration_ms", "explicit", "id_artist", "release_date", "danceability",
        "energy", "key", "loudness", "speechiness", "acousticness", "instrumentalness", "liveness",
        "valence", "tempo",
    ],
    "users.jsonl": ["user_id", "name", "city", "street", "favourite_genres", "premium_user"],
    "artists.jsonl": ["id", "name", "genres"],
    "track_storage.jsonl": ["track_id", "storage_class", "daily_cost"],
}  # fmt: skip
BASE62_ID = re.compile(r"^[0-9A-Za-z]{22}$")


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_json(folder / name, lines=True, dtype=False) for name in FILES}


@pytest.fixture(scope="module")
def strong(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict[str, pd.DataFrame]]:
    out = tmp_path_factory.mktemp("strong")
    summary = generate_dataset(out, seed=3, taste_strength=1.0, **SMALL)
    return summary, _read(out)


@pytest.fixture(scope="module")
def noise(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict[str, pd.DataFrame]]:
    out = tmp_path_factory.mktemp("noise")
    summary = generate_dataset(out, seed=3, taste_strength=0.0, **SMALL)
    return summary, _read(out)


def _plays(data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Clean plays (known user, known track) with the track's genres and the user's favourites."""
    s = data["sessions.jsonl"]
    s = s[(s["event_type"] == "play") & s["user_id"].notna()]
    tracks = data["tracks.jsonl"].merge(
        data["artists.jsonl"].rename(columns={"id": "id_artist", "name": "artist"}), on="id_artist"
    )
    s = s.merge(tracks[["id", "genres", "popularity"]], left_on="track_id", right_on="id")
    return s.merge(data["users.jsonl"][["user_id", "favourite_genres"]], on="user_id")


def _fav_share(data: dict[str, pd.DataFrame]) -> tuple[float, float]:
    """Mean over users of (share of plays in favourite genres, share of the catalogue in them)."""
    plays = _plays(data)
    pairs = zip(plays["genres"], plays["favourite_genres"], strict=True)
    plays["in_fav"] = [bool(set(g) & set(f)) for g, f in pairs]
    tracks = data["tracks.jsonl"].merge(data["artists.jsonl"], left_on="id_artist", right_on="id")
    genres = [set(g) for g in tracks["genres"]]
    observed = plays.groupby("user_id")["in_fav"].mean()
    users = data["users.jsonl"].set_index("user_id").loc[observed.index]
    expected = [np.mean([bool(g & set(f)) for g in genres]) for f in users["favourite_genres"]]
    return float(observed.mean()), float(np.mean(expected))


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    args = {"users": 50, "tracks": 300, "events": 5_000}
    generate_dataset(tmp_path / "a", seed=11, **args)
    generate_dataset(tmp_path / "b", seed=11, **args)
    generate_dataset(tmp_path / "c", seed=12, **args)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    for name in ("sessions.jsonl", "tracks.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes(), name


def test_files_parse_with_the_real_layout_and_sizes(strong: tuple[dict, dict[str, pd.DataFrame]]) -> None:
    summary, data = strong
    for name, fields in FIELDS.items():
        assert list(data[name].columns) == fields, name
    s, t, u, a = (data[n] for n in ("sessions.jsonl", "tracks.jsonl", "users.jsonl", "artists.jsonl"))
    assert len(s) == SMALL["events"] == summary["events"]
    assert len(t) == SMALL["tracks"] and t["id"].is_unique
    assert len(u) == SMALL["users"] and u["user_id"].tolist() == list(range(101, 101 + SMALL["users"]))
    assert set(s["user_id"].dropna().astype(int)) == set(u["user_id"])  # every user has events
    assert t["id"].map(BASE62_ID.match).all() and a["id"].map(BASE62_ID.match).all()
    assert set(t["id_artist"]) <= set(a["id"])
    assert s["session_id"].map(type).eq(int).all()
    assert pd.to_datetime(s["timestamp"], format="ISO8601").notna().all()
    assert t["popularity"].between(0, 100).all() and t["duration_ms"].gt(0).all()
    assert u["favourite_genres"].map(len).between(2, 4).all()
    assert a["genres"].map(len).ge(1).all()
    genres = {g for gs in a["genres"] for g in gs}
    assert 40 <= len(genres) <= 60
    ts = pd.to_datetime(s["timestamp"], format="ISO8601")
    assert (ts.max() - ts.min()).days >= 90  # several months
    # Consecutive events of a session are minutes apart, never backwards.
    gaps = ts.groupby(s["session_id"]).diff().dropna().dt.total_seconds()
    assert gaps.ge(0).all() and gaps.median() < 600
    assert summary["files"] == {n: (Path(summary["out"]) / n).stat().st_size for n in FILES}


def test_dirt_is_present_in_the_expected_amounts(strong: tuple[dict, dict[str, pd.DataFrame]]) -> None:
    summary, data = strong
    s = data["sessions.jsonl"]
    n = len(s)
    dup = s.duplicated()
    assert dup.sum() == summary["dirt"]["duplicate"] == round(DIRT_RATES["duplicate"] * n)
    u = s[~dup]
    base = n - dup.sum()
    ads = u["event_type"].isin(["advertisment", "advertisement"])
    assert ads.sum() > 0.05 * base and u.loc[ads, "track_id"].isna().all()
    assert (u["event_type"] == "advertisment").sum() > (u["event_type"] == "advertisement").sum() > 0
    assert summary["dirt"]["null_user_id"] == round(DIRT_RATES["null_user_id"] * base)
    assert u["user_id"].isna().sum() == summary["dirt"]["null_user_id"]
    assert u["event_type"].isna().sum() == summary["dirt"]["null_event_type"]
    # Null track ids on listening events (an event whose type was nulled too can't be told from an ad).
    listening_null = u["track_id"].isna() & u["event_type"].isin(["play", "skip", "like"])
    assert summary["dirt"]["null_track_id"] == round(DIRT_RATES["null_track_id"] * base)
    assert 0.95 * summary["dirt"]["null_track_id"] <= listening_null.sum() <= summary["dirt"]["null_track_id"]
    known = set(data["tracks.jsonl"]["id"])
    unknown = u["track_id"].notna() & ~u["track_id"].isin(known)
    assert unknown.sum() == summary["dirt"]["unknown_track_id"] > 0
    # Null user ids are repairable: almost all sit in a session with a known user.
    sess_known = set(u.loc[u["user_id"].notna(), "session_id"])
    assert u.loc[u["user_id"].isna(), "session_id"].isin(sess_known).mean() > 0.9


def test_genre_affinity_is_planted_at_strength_one_and_absent_at_zero(
    strong: tuple[dict, dict[str, pd.DataFrame]], noise: tuple[dict, dict[str, pd.DataFrame]]
) -> None:
    observed, expected = _fav_share(strong[1])
    assert observed > 0.75 and observed > expected + 0.35
    observed0, expected0 = _fav_share(noise[1])
    assert abs(observed0 - expected0) < 0.03


def test_popularity_is_long_tailed_only_with_structure(
    strong: tuple[dict, dict[str, pd.DataFrame]], noise: tuple[dict, dict[str, pd.DataFrame]]
) -> None:
    def top_decile_share(data: dict[str, pd.DataFrame]) -> float:
        counts = _plays(data)["track_id"].value_counts().reindex(data["tracks.jsonl"]["id"], fill_value=0)
        top = np.sort(counts.to_numpy())[::-1][: len(counts) // 10]
        return top.sum() / counts.sum()

    assert top_decile_share(strong[1]) > 0.4
    assert top_decile_share(noise[1]) < 0.2
    # The 0-100 field follows the actual play frequency.
    plays = _plays(strong[1])
    counts = plays["track_id"].value_counts()
    pop = strong[1]["tracks.jsonl"].set_index("id").loc[counts.index, "popularity"]
    assert pd.Series(counts.to_numpy()).corr(pd.Series(pop.to_numpy()), method="spearman") > 0.3


def test_relistening_and_taste_driven_skips(
    strong: tuple[dict, dict[str, pd.DataFrame]], noise: tuple[dict, dict[str, pd.DataFrame]]
) -> None:
    def repeat_share(data: dict[str, pd.DataFrame]) -> float:
        p = _plays(data)
        return float(p.duplicated(["user_id", "track_id"]).mean())

    assert repeat_share(strong[1]) > 0.3
    assert repeat_share(noise[1]) < 0.15

    def skip_rates(data: dict[str, pd.DataFrame]) -> tuple[float, float]:
        s = data["sessions.jsonl"]
        s = s[s["user_id"].notna() & s["event_type"].isin(["play", "skip"])]
        t = data["tracks.jsonl"].merge(data["artists.jsonl"], left_on="id_artist", right_on="id")
        s = s.merge(t[["id_x", "genres"]], left_on="track_id", right_on="id_x")
        s = s.merge(data["users.jsonl"][["user_id", "favourite_genres"]], on="user_id")
        pairs = zip(s["genres"], s["favourite_genres"], strict=True)
        on = np.array([bool(set(g) & set(f)) for g, f in pairs])
        skip = (s["event_type"] == "skip").to_numpy()
        play = ~skip
        return skip[on].sum() / play[on].sum(), skip[~on].sum() / play[~on].sum()

    on, off = skip_rates(strong[1])
    assert off > on + 0.2
    on0, off0 = skip_rates(noise[1])
    assert abs(off0 - on0) < 0.05


@pytest.mark.parametrize(
    "kwargs",
    [
        {"users": 0},
        {"users": 2.5},
        {"tracks": 5},
        {"events": 10},
        {"taste_strength": 1.5},
        {"taste_strength": -0.1},
    ],
)
def test_bad_arguments_raise_config_error(tmp_path: Path, kwargs: dict) -> None:
    args = {"users": 20, "tracks": 100, "events": 1000} | kwargs
    with pytest.raises(ConfigError):
        generate_dataset(tmp_path, **args)


def test_generate_command_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    code = main(["generate", "--out", str(out), "--users", "30", "--tracks", "200", "--events", "3000",
                 "--seed", "5", "--json"])  # fmt: skip
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert {"out", "users", "tracks", "events", "seconds", "files"} <= set(result)
    assert result["users"] == 30 and result["tracks"] == 200 and result["events"] == 3000
    assert sum(1 for _ in open(out / "sessions.jsonl")) == 3000
    assert main(["generate", "--out", str(out), "--taste-strength", "2"]) == 2
