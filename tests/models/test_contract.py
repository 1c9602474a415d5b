"""The one contract every model follows, checked for every kind in MODELS."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from recsys.data.interactions import Interactions
from recsys.errors import UnknownUserError
from recsys.evaluation.validation import ndcg_validator
from recsys.models import MODELS, GroupRecommendation, Recommender, create_model, load_model
from tests.models.conftest import SMALL

KINDS = sorted(MODELS)
GROUP = [1, 2, 5]


def _fit(kind: str, train: Interactions, val: Interactions | None = None, calls: list | None = None):
    model = create_model(kind, **SMALL.get(kind, {}))

    def callback(epoch: int, metrics: dict[str, float]) -> None:
        if calls is not None:
            calls.append((epoch, dict(metrics)))

    validate = ndcg_validator() if val is not None else None
    return model.fit(train, val=val, callback=callback, validate=validate)


@pytest.fixture(scope="module", params=KINDS)
def fitted(request, train, val) -> tuple[str, Recommender, list]:
    calls: list = []
    model = _fit(request.param, train, val, calls)
    return request.param, model, calls


def test_registry_covers_the_four_kinds():
    assert set(MODELS) == {"basic", "popularity", "random", "wmf"}
    for kind, cls in MODELS.items():
        assert cls.kind == kind


def test_fit_calls_callback_every_epoch(fitted):
    kind, model, calls = fitted
    epochs = getattr(model.config, "epochs", 1)
    assert [e for e, _ in calls] == list(range(1, epochs + 1))
    for _, metrics in calls:
        assert metrics["seconds"] >= 0
        assert all(isinstance(v, float) and math.isfinite(v) for v in metrics.values())
    if kind == "wmf":
        assert {"train_loss", "val_loss", "val_ndcg@10"} <= set(calls[0][1])
    assert [h["seconds"] for h in model.history] == [m["seconds"] for _, m in calls]


def test_score_users_shape(fitted, train):
    _, model, _ = fitted
    scores = model.score_users(np.array([0, 3]))
    assert scores.shape == (2, train.n_items)
    assert scores.dtype == np.float32
    assert np.isfinite(scores).all()


def test_recommend_frame(fitted, train):
    _, model, _ = fitted
    rec = model.recommend(GROUP, 7)
    assert isinstance(rec, GroupRecommendation)
    assert rec.ranks.tolist() == list(range(1, 8)) and rec.member_ids == GROUP
    assert rec.member_scores.shape == rec.member_ranks.shape == (len(GROUP), 7)
    assert rec.statuses == {u: "trained" for u in GROUP} and rec.strategy == "average"
    frame = rec.to_frame()  # the display / export table
    expected = ["rank", "track_id", "score"] + [f"{c}[{u}]" for u in GROUP for c in ("score", "rank")]
    assert list(frame.columns) == expected
    assert len(frame) == 7
    assert frame["rank"].tolist() == list(range(1, 8))
    assert frame["track_id"].is_unique
    assert set(frame["track_id"]) <= set(train.item_ids)
    assert (np.diff(frame["score"].to_numpy()) <= 1e-12).all()  # best first
    for u in GROUP:
        assert frame[f"score[{u}]"].between(0, 1).all()
        assert (frame[f"rank[{u}]"] >= 1).all()
    assert frame.attrs["members"] == {u: "trained" for u in GROUP}


def test_same_seed_same_recommendations(fitted, train, val):
    kind, model, _ = fitted
    again = _fit(kind, train, val)
    pd.testing.assert_frame_equal(
        model.recommend(GROUP, 10).to_frame(), again.recommend(GROUP, 10).to_frame()
    )


def test_save_load_round_trip(fitted, train, history, tmp_path):
    kind, model, _ = fitted
    model.fingerprint = "abc123"
    path = model.save(tmp_path / f"{kind}.pt")
    loaded = load_model(path)
    assert type(loaded) is type(model)
    assert loaded.config == model.config
    assert loaded.history == model.history
    assert loaded.fingerprint == "abc123"
    np.testing.assert_array_equal(loaded.item_ids, model.item_ids)
    np.testing.assert_array_equal(loaded.user_ids, model.user_ids)
    for group in (GROUP, [1, 100, 200]):
        pd.testing.assert_frame_equal(
            loaded.recommend(group, 10, history=history).to_frame(),
            model.recommend(group, 10, history=history).to_frame(),
        )
    assert type(loaded).load(path).kind == kind


def test_unknown_user(fitted):
    _, model, _ = fitted
    with pytest.raises(UnknownUserError, match="9999"):
        model.recommend([1, 9999], 5)


def test_empty_group(fitted):
    _, model, _ = fitted
    with pytest.raises(UnknownUserError, match="empty"):
        model.recommend([], 5)


def test_exclude_seen(fitted, train, history):
    _, model, _ = fitted
    group = [1, 2, 100]
    rec = model.recommend(group, 10, history=history, exclude_seen=True)
    seen = set()
    for u in group:
        seen |= set(history.item_ids[history.user_items(int(history.user_index([u])[0]))[0]])
    assert len(rec) == 10
    assert not seen & set(rec.track_ids)
    if model.kind == "basic":  # without the exclusion, the basic model lists the members' own tracks
        assert seen & set(model.recommend(group, 10, history=history).track_ids)


def test_member_statuses(fitted, history):
    _, model, _ = fitted
    rec = model.recommend([1, 100, 200], 5, history=history)
    assert rec.statuses == {1: "trained", 100: "folded_in", 200: "fallback"}
    assert rec.status_of(100) == "folded_in"
    members = model.member_scores([1, 100, 200], history=history)
    assert members.status == ["trained", "folded_in", "fallback"]
    assert sorted(members.seen[1].tolist()) == [1, 3, 5]


@pytest.mark.parametrize("kind", KINDS)
def test_every_model_takes_a_stop_flag(kind, train, val):
    from recsys.models.training import StopFlag

    flag = StopFlag()
    flag.set()  # set before the first epoch: an iterative model still ends after one clean epoch
    epochs: list[int] = []
    model = create_model(kind, **SMALL.get(kind, {}))
    model.fit(train, val=val, callback=lambda e, m: epochs.append(e), stop=flag, validate=ndcg_validator())
    assert epochs == [1]
    assert len(model.recommend([train.user_ids[0]], 3)) == 3
