"""Explanations: each member's score of a track split into their history (hand-computed and exact)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from recsys.data.interactions import Interactions
from recsys.errors import UnknownUserError
from recsys.models import create_model
from recsys.models.explain import explain_recommendation, explain_tracks
from recsys.models.wmf import WMF, WMFConfig

from .conftest import ITEMS


def _hand_wmf() -> tuple[WMF, Interactions]:
    """One factor, tracks a, b, c with y = 1, 2, 0; reg 1; linear confidence c = 1 + score."""
    frame = pd.DataFrame({"user_id": [7, 7], "track_id": ["a", "b"], "score": [1.0, 2.0]})
    train = Interactions.from_frame(frame, item_ids=np.array(["a", "b", "c"], dtype=object))
    model = WMF(WMFConfig(embedding_dim=1, reg=1.0, alpha=1.0, confidence="linear", epochs=1))
    model.train = train
    model._set_state({"user_factors": torch.zeros(1, 1), "item_factors": torch.tensor([[1.0], [2.0], [0.0]])})
    return model, train


def test_wmf_contributions_by_hand() -> None:
    model, _ = _hand_wmf()
    # Y^T C Y + reg I = (1 + 4 + 0) + (2 - 1) * 1 + (3 - 1) * 4 + 1 = 15, so W = 1/15;
    # track b (y = 2): from a 2 * (1/15) * 1 * c_a = 4/15, from b 2 * (1/15) * 2 * c_b = 12/15
    ex = explain_tracks(model, [7], ["b", "a", "c"])[7]
    b, a, c = ex
    assert b.kind == "history" and b.status == "trained"
    assert b.history_ids.tolist() == ["b", "a"]
    np.testing.assert_allclose(b.contributions, [12 / 15, 4 / 15])
    assert b.score == pytest.approx(16 / 15) and b.baseline == 0.0
    # track a (y = 1): half of track b's
    np.testing.assert_allclose(a.contributions, [6 / 15, 2 / 15])
    # track c has no factor: nothing contributes
    assert c.history_ids.size == 0 and c.score == 0.0
    assert b.because(1) == [("b", pytest.approx(12 / 15))]


def _dense_least_squares(model: WMF, items: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The member's exact factors by brute force over every track (dense C_u), in float64."""
    cfg = model.config
    y = model.item_factors.double().numpy()
    conf = np.ones(y.shape[0])
    pref = np.zeros(y.shape[0])
    conf[items] = 1 + cfg.alpha * scores
    pref[items] = (scores >= cfg.threshold).astype(float)
    a = y.T @ (conf[:, None] * y) + cfg.reg * np.eye(y.shape[1])
    x = np.linalg.solve(a, y.T @ (conf * pref))
    return y @ x


@pytest.mark.parametrize("solver", ["cg", "cholesky"])
def test_wmf_contributions_sum_to_the_exact_least_squares_score(train, history, solver) -> None:
    model = create_model("wmf", embedding_dim=8, epochs=4, seed=0, solver=solver).fit(train)
    tracks = list(ITEMS[:12])
    ex = explain_tracks(model, [1, 2, 100], tracks, history=history)
    for uid in (1, 2, 100):
        source = history if uid == 100 else train
        items, scores = source.user_items(int(source.user_index([uid])[0]))
        exact = _dense_least_squares(model, items, scores.astype(np.float64))
        cols = train.item_index(tracks)
        for e, want in zip(ex[uid], exact[cols], strict=True):
            assert e.baseline + e.contributions.sum() == pytest.approx(e.score, abs=1e-12)
            assert e.score == pytest.approx(want, abs=1e-4)
    assert {e.status for e in ex[100]} == {"folded_in"}
    # the folded-in member is scored by exactly those factors: the model's own score agrees
    assert all(e.model_score == pytest.approx(e.score, abs=1e-4) for e in ex[100])
    if solver == "cholesky":  # users are solved last and exactly: stored factors are the exact ones
        assert all(e.model_score == pytest.approx(e.score, abs=1e-4) for e in ex[1])


def test_wmf_with_biases_puts_the_rest_in_the_baseline(train, history) -> None:
    model = create_model("wmf", embedding_dim=6, epochs=3, seed=1, bias=True, solver="cholesky").fit(train)
    ex = explain_tracks(model, [3, 100], list(ITEMS[:10]), history=history)
    folded = model.fold_in(*history.user_items(int(history.user_index([100])[0])))
    for e, want in zip(ex[100], folded[:10], strict=True):
        assert e.score == pytest.approx(float(want), abs=1e-4)
        assert e.baseline != 0.0
    for e in ex[3]:
        assert e.score == pytest.approx(e.model_score, abs=1e-4)


def test_basic_model_explains_by_own_plays_or_popularity(train, history) -> None:
    model = create_model("basic").fit(train)
    items, scores = train.user_items(int(train.user_index([1])[0]))
    played, unplayed = ITEMS[items[0]], next(t for t in ITEMS if t not in set(ITEMS[items]))
    ex = explain_tracks(model, [1, 200], [played, unplayed], history=history)
    own, other = ex[1]
    assert own.kind == "own_plays" and own.because() == [(played, pytest.approx(float(scores[0])))]
    assert own.score == pytest.approx(own.model_score, rel=1e-6)
    assert 0 < own.baseline < 1e-3  # the popularity term only breaks ties
    assert other.kind == "popularity" and other.because() == [] and other.baseline == other.score
    # user 200 has no history: popularity stands in, and the explanation says so
    assert {(e.kind, e.status) for e in ex[200]} == {("popularity", "fallback")}


def test_baselines_and_unknown_tracks(train) -> None:
    pop = create_model("popularity").fit(train)
    rnd = create_model("random", seed=3).fit(train)
    assert explain_tracks(pop, [1], ["t00"])[1][0].kind == "popularity"
    assert explain_tracks(rnd, [1], ["t00"])[1][0].kind == "chance"
    with pytest.raises(UnknownUserError, match="'nope' is not in the model's catalogue"):
        explain_tracks(pop, [1], ["nope"])


def test_explain_recommendation_covers_every_member_and_track(train, history) -> None:
    model = create_model("wmf", embedding_dim=8, epochs=3, seed=0).fit(train)
    rec = model.recommend([1, 2, 100], 5, history=history)
    ex = explain_recommendation(model, rec, history=history)
    assert list(ex) == [1, 2, 100]
    for uid in ex:
        assert [e.track_id for e in ex[uid]] == rec.track_ids.tolist()
        contributions = [e.because(3) for e in ex[uid]]
        assert all(len(c) <= 3 and all(v > 0 for _, v in c) for c in contributions)
        # largest first
        assert all([v for _, v in c] == sorted((v for _, v in c), reverse=True) for c in contributions)
