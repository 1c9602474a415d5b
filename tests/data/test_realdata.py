"""The real Pozytywka release (dirty and clean): exact counts per cleaning rule, computed here
independently with plain ``json`` and Python loops, compared with what ``prepare`` reports and writes."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pytest

from recsys.data.prepare import prepare
from recsys.data.prepared import load_prepared

pytestmark = pytest.mark.realdata

LISTENING = {"play", "skip", "like"}


def expected_cleaning(folder: Path) -> tuple[dict[str, int], int, int]:
    """Rule counts, repairs and kept rows by the documented rules, written without the library."""
    rows = [json.loads(line) for line in (folder / "sessions.jsonl").read_text().splitlines() if line.strip()]
    catalogue = {
        json.loads(line)["id"] for line in (folder / "tracks.jsonl").read_text().splitlines() if line.strip()
    }
    session_users: dict = defaultdict(set)
    for row in rows:
        if row["user_id"] is not None:
            session_users[row["session_id"]].add(row["user_id"])
    counts = Counter()
    repaired = 0
    seen = set()
    kept = 0
    for row in rows:
        kind = row["event_type"]
        kind = None if kind is None else kind.lower().replace("advertisment", "advertisement")
        track = row["track_id"] or None
        user = row["user_id"]
        if kind is not None and kind not in LISTENING:
            counts["non_listening"] += 1
            continue
        if kind is None:
            counts["null_event_type"] += 1
            continue
        if track is None:
            counts["null_track"] += 1
            continue
        if track not in catalogue:
            counts["unknown_track"] += 1
            continue
        if user is None:
            candidates = session_users.get(row["session_id"], set())
            if len(candidates) != 1:
                counts["null_user"] += 1
                continue
            user = next(iter(candidates))
            repaired += 1
        key = (row["session_id"], row["timestamp"], user, track, kind)
        if key in seen:
            counts["duplicate"] += 1
            continue
        seen.add(key)
        kept += 1
    return dict(counts), repaired, kept


@pytest.fixture(scope="module")
def prepared(real_data, tmp_path_factory):
    out = {}
    for release in ("dirty", "clean"):
        target = tmp_path_factory.mktemp(release)
        out[release] = (prepare(real_data / release, target), target)
    return out


@pytest.mark.parametrize("release", ["dirty", "clean"])
def test_counts_per_rule_match_an_independent_count(real_data, prepared, release):
    report, _ = prepared[release]
    counts, repaired, kept = expected_cleaning(real_data / release)
    lines = sum(
        1 for line in (real_data / release / "sessions.jsonl").read_text().splitlines() if line.strip()
    )
    assert report["input_rows"] == lines
    assert report["kept_rows"] == kept
    assert {k: v for k, v in report["rejected"].items() if v} == counts
    assert report["rejected"]["malformed"] == 0
    assert report["repaired"] == {"user_from_session": repaired}
    assert report["input_rows"] == report["kept_rows"] + sum(report["rejected"].values())


def test_the_dirty_release_has_the_documented_dirt(real_data, prepared):
    # ../shared/data/README.md: nulls in user_id (1,309), track_id (4,846), event_type (1,333).
    report, _ = prepared["dirty"]
    rows = [json.loads(line) for line in (real_data / "dirty" / "sessions.jsonl").read_text().splitlines()]
    assert sum(r["user_id"] is None for r in rows) == 1309
    assert sum(r["track_id"] is None for r in rows) == 4846
    assert report["rejected"]["null_event_type"] == sum(r["event_type"] is None for r in rows) == 1333
    assert report["rejected"]["non_listening"] == sum(r["event_type"] == "advertisment" for r in rows)


def test_clean_release_loses_only_advertisements(real_data, prepared):
    report, _ = prepared["clean"]
    rows = [json.loads(line) for line in (real_data / "clean" / "sessions.jsonl").read_text().splitlines()]
    ads = sum(r["event_type"] == "advertisment" for r in rows)
    assert report["rejected"]["non_listening"] == ads
    assert report["kept_rows"] == len(rows) - ads - report["rejected"]["duplicate"]


@pytest.mark.parametrize("release", ["dirty", "clean"])
def test_written_tables_agree_with_the_report(prepared, release):
    report, folder = prepared[release]
    data = load_prepared(folder)
    rejected = data.rejected["reason"].value_counts().to_dict()
    assert rejected == {k: v for k, v in report["rejected"].items() if v}
    assert len(data.events) == report["kept_rows"]
    for name in ("train", "val", "test"):
        split = data.split(name)
        assert len(split) == report["splits"][name]["pairs"]
        assert (data.events["split"] == name).sum() == report["splits"][name]["events"]
    assert data.tracks["id"].is_unique and len(data.tracks) == 22412


def test_chrono_split_puts_each_users_future_in_test(real_data, prepared):
    _, folder = prepared["clean"]
    events = pd.read_parquet(folder / "events.parquet")
    for _, user in events.groupby("user_id"):
        train_last = user.loc[user["split"] == "train", "timestamp"].max()
        test_first = user.loc[user["split"] == "test", "timestamp"].min()
        assert train_last <= test_first
        n = len(user)
        assert (user["split"] == "test").sum() == int(n * 0.15 + 1e-9)


def test_pair_scores_match_an_independent_aggregation(real_data, prepared):
    # Clean release: no repairs, so the kept events are the listening lines; sum play/like per pair.
    _, folder = prepared["clean"]
    events = pd.read_parquet(folder / "events.parquet")
    train_lines = set(events.loc[events["split"] == "train", "line"])
    scores: Counter = Counter()
    for number, line in enumerate((real_data / "clean" / "sessions.jsonl").read_text().splitlines(), 1):
        if number in train_lines:
            row = json.loads(line)
            scores[(row["user_id"], row["track_id"])] += 1.0 if row["event_type"] in ("play", "like") else 0.0
    train = pd.read_parquet(folder / "train.parquet")
    got = {(u, t): s for u, t, s in train.itertuples(index=False)}
    assert got == dict(scores)
