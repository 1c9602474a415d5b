"""WMF: both trainers, the per-epoch hook, stopping, fold-in, persistence and failure modes."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import torch

from recsys.data.interactions import Interactions
from recsys.errors import ConfigError, TrainingError
from recsys.evaluation.validation import ndcg_validator
from recsys.models.als import ALSTrainer
from recsys.models.training import EarlyStopping, StopFlag
from recsys.models.wmf import WMF, WMFConfig
from recsys.models.wmf_loss import confidence

KEYS = {"train_loss", "val_loss", "val_ndcg@10", "val_users", "seconds", "fit_seconds"}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _planted(seed: int, n_users: int = 30, n_items: int = 40, rank: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n_users, rank)) @ rng.normal(size=(n_items, rank)).T
    logits += rng.gumbel(size=logits.shape)
    r, c = np.nonzero(logits > np.quantile(logits, 0.8))
    return pd.DataFrame({"user_id": r, "track_id": c, "score": rng.integers(0, 4, size=r.size).astype(float)})


@pytest.fixture(scope="module")
def tiny() -> tuple[Interactions, Interactions]:
    frame = _planted(0)
    held = np.random.default_rng(5).random(len(frame)) < 0.25
    train = Interactions.from_frame(frame[~held], user_ids=np.arange(30), item_ids=np.arange(40))
    return train, train.align(frame[held])


def _fit(train, val=None, **cfg) -> WMF:
    # The notebook's log confidence: these tests were sized on its strong first-epoch drop.
    settings = {"embedding_dim": 4, "epochs": 5, "reg": 1.0, "alpha": 40.0, "confidence": "log"}
    settings |= {"device": "cpu"} | cfg
    validate = ndcg_validator() if val is not None else None
    return WMF(WMFConfig(**settings)).fit(train, val=val, validate=validate)


@pytest.mark.parametrize("trainer", ["als", "adamw"])
def test_loss_decreases_and_callback_runs_once_per_epoch(tiny, trainer):
    train, val = tiny
    calls: list[tuple[int, dict]] = []
    extra = {"learning_rate": 0.05, "batch_size": 8} if trainer == "adamw" else {}
    model = WMF(WMFConfig(embedding_dim=4, epochs=6, reg=1.0, alpha=40.0, confidence="log", trainer=trainer,
                          device="cpu", **extra))
    model.fit(train, val=val, callback=lambda epoch, m: calls.append((epoch, m)), validate=ndcg_validator())
    assert [e for e, _ in calls] == [1, 2, 3, 4, 5, 6]
    assert all(set(m) == KEYS for _, m in calls)
    assert all(np.isfinite(list(m.values())).all() for _, m in calls)
    assert model.history == [m for _, m in calls]
    losses = [m["train_loss"] for _, m in calls]
    assert losses[-1] < 0.5 * losses[0]
    if trainer == "als":  # each exact half-step can only lower the objective
        assert all(b <= a * (1 + 1e-6) for a, b in itertools.pairwise(losses))
    assert 0.0 <= calls[-1][1]["val_ndcg@10"] <= 1.0


def test_default_config_lowers_the_loss_every_als_epoch(tiny):
    train, val = tiny
    losses = [m["train_loss"] for m in WMF(WMFConfig(embedding_dim=4, epochs=6, device="cpu")).fit(
        train, val=val).history]
    assert losses[-1] < losses[0]
    assert all(b <= a * (1 + 1e-6) for a, b in itertools.pairwise(losses))


def test_without_val_the_callback_gets_train_loss_and_seconds(tiny):
    seen = []
    WMF(WMFConfig(embedding_dim=4, epochs=2, device="cpu")).fit(tiny[0], callback=lambda e, m: seen.append(m))
    assert [set(m) for m in seen] == [{"train_loss", "seconds", "fit_seconds"}] * 2


def test_stop_flag_ends_training_after_the_current_epoch(tiny):
    flag = StopFlag()
    epochs = []

    def callback(epoch, metrics):
        epochs.append(epoch)
        if epoch == 2:
            flag.set()

    model = WMF(WMFConfig(embedding_dim=4, epochs=10, device="cpu"))
    model.fit(tiny[0], callback=callback, stop=flag)
    assert epochs == [1, 2]
    assert len(model.history) == 2
    assert model.score_users(np.arange(3)).shape == (3, 40)


def test_early_stopping_counts_epochs_without_improvement():
    early = EarlyStopping(2, mode="max")
    assert [early.update(e, v) for e, v in enumerate([0.1, 0.3, 0.3, 0.2], start=1)] == [
        True,
        True,
        False,
        False,
    ]
    assert early.should_stop and early.best == 0.3 and early.best_epoch == 2
    with pytest.raises(ConfigError, match="patience"):
        EarlyStopping(0)


def test_early_stopping_keeps_the_best_epoch(tiny):
    train, val = tiny
    model = _fit(train, val, trainer="adamw", learning_rate=0.3, batch_size=30, epochs=40, patience=2)
    ndcg = [h["val_ndcg@10"] for h in model.history]
    best = int(model.metrics["best_epoch"])
    assert len(ndcg) < 40, "the run must have stopped early"
    assert len(ndcg) == best + 2
    assert ndcg[best - 1] == max(ndcg)
    assert ndcg[best - 1] > max(ndcg[best:])  # the two later epochs did not improve
    # the kept factors are the best epoch's, not the last one's
    assert ndcg_validator()(model.score_users, train, val)["val_ndcg@10"] == pytest.approx(ndcg[best - 1])


def test_patience_needs_validation_data(tiny):
    with pytest.raises(ConfigError, match="val"):
        _fit(tiny[0], patience=2)
    with pytest.raises(ConfigError, match="validate"):  # a matrix without a metric to watch
        WMF(WMFConfig(embedding_dim=4, epochs=3, patience=2, device="cpu")).fit(tiny[0], val=tiny[1])


def test_val_without_validate_reports_the_loss_only(tiny):
    train, val = tiny
    seen = []
    model = WMF(WMFConfig(embedding_dim=4, epochs=2, device="cpu"))
    model.fit(train, val=val, callback=lambda e, m: seen.append(m))
    assert [set(m) for m in seen] == [{"train_loss", "val_loss", "seconds", "fit_seconds"}] * 2


def test_validate_sees_the_current_factors_every_epoch(tiny):
    # the scorer handed to validate scores with this epoch's factors, biases included
    train, val = tiny
    calls = []

    def spy(scorer, tr, va):
        assert tr is train and np.array_equal(va.item_ids, train.item_ids)
        calls.append(scorer(np.array([0, 4])))
        return {"val_custom": float(len(calls)), "val_other": 1.0}

    model = WMF(WMFConfig(embedding_dim=4, epochs=3, bias=True, device="cpu"))
    model.fit(train, val=val, validate=spy)
    assert [h["val_custom"] for h in model.history] == [1.0, 2.0, 3.0]
    assert all(c.dtype == np.float32 and c.shape == (2, 40) for c in calls)
    np.testing.assert_allclose(calls[-1], model.score_users(np.array([0, 4])), rtol=1e-6, atol=1e-6)
    assert not np.allclose(calls[0], calls[-1])


def test_als_and_adamw_reach_the_same_loss(tiny):
    # same objective, two optimisers: linear confidence keeps the tiny problem well conditioned
    train = tiny[0]
    settings = dict(embedding_dim=2, reg=1.0, confidence="linear", alpha=2.0, solver="cholesky")
    als = _fit(train, **settings, epochs=60)
    del settings["solver"]
    adamw = _fit(
        train, **settings, epochs=600, trainer="adamw", learning_rate=0.05, batch_size=30, init_scale=0.1
    )
    assert adamw.history[-1]["train_loss"] == pytest.approx(als.history[-1]["train_loss"], rel=1e-4)
    np.testing.assert_allclose(adamw.score_users(np.arange(30)), als.score_users(np.arange(30)), atol=0.02)


@pytest.mark.parametrize("bias", [False, True])
def test_fold_in_reproduces_a_trained_users_factors(tiny, bias):
    # with the exact solver the last half-epoch is the very solve fold-in makes
    train = tiny[0]
    model = _fit(train, bias=bias, epochs=4, solver="cholesky")
    for row in (0, 7, 21):
        items, scores = train.user_items(row)
        vec = model.fold_in_factors(items, scores)
        # training solves in float32 (its sums run in the trainer's degree order), fold-in in float64:
        # they agree to float32 rounding, ~1e-5 on factors of size ~1
        np.testing.assert_allclose(vec[:4].numpy(), model.user_factors[row].numpy(), rtol=1e-4, atol=5e-5)
        if bias:
            assert float(vec[4]) == pytest.approx(float(model.user_bias[row]), rel=1e-4, abs=1e-5)
        np.testing.assert_allclose(
            model.fold_in(items, scores), model.score_users(np.array([row]))[0], rtol=1e-4, atol=1e-4
        )


def test_fold_in_is_close_after_warm_started_cg(tiny):
    # the default CG solver is not exact per sweep, but its warm start converges over the epochs
    # (here: mean relative error 0.7%, worst user 7.7% after 40 epochs)
    train = tiny[0]
    model = _fit(train, epochs=40)
    rows = np.arange(30)
    folded = np.stack([model.fold_in_factors(*train.user_items(r)).numpy() for r in rows])
    trained = model.user_factors[rows].numpy()
    error = np.linalg.norm(folded - trained, axis=1) / np.linalg.norm(trained, axis=1)
    assert error.mean() < 0.02
    assert error.max() < 0.1


def _dense_fold_in(model: WMF, items: np.ndarray, scores: np.ndarray) -> np.ndarray:
    # reference: the k x k normal equations built densely over every track
    cfg = model.config
    y = model.item_factors.double().numpy()
    total = np.zeros(y.shape[0])
    np.add.at(total, items, scores)
    stored = np.zeros(y.shape[0], dtype=bool)
    stored[items] = True
    conf = np.where(stored, confidence(total, alpha=cfg.alpha, eps=cfg.eps, kind=cfg.confidence), 1.0)
    pref = (stored & (total >= cfg.threshold)).astype(float)
    a = y.T @ (conf[:, None] * y) + cfg.reg * np.eye(y.shape[1])
    return np.linalg.solve(a, y.T @ (conf * pref))


@pytest.mark.parametrize("confidence_kind", ["linear", "log"])
def test_fold_in_many_solves_every_user_exactly_in_one_batch(tiny, confidence_kind):
    train = tiny[0]
    alpha = 1.0 if confidence_kind == "linear" else 40.0
    model = _fit(train, epochs=3, confidence=confidence_kind, alpha=alpha)
    histories = [
        train.user_items(0),  # a few tracks: push-through (d < k = 4)
        (np.arange(0, 30, 2), np.full(15, 2.0)),  # d >= k: the k x k solve
        (np.array([2, 2, 7]), np.array([1.0, 2.0, 3.0])),  # a repeated track: scores add up
        (np.array([5]), np.array([0.5])),  # below the threshold: confidence without preference
        train.user_items(9),
    ]
    got = model.fold_in_factors_many(histories).numpy()
    want = np.stack([_dense_fold_in(model, np.asarray(it), np.asarray(sc, float)) for it, sc in histories])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    scores = model.fold_in_many(histories)
    assert scores.dtype == np.float32 and scores.shape == (5, 40)
    np.testing.assert_allclose(scores, want @ model.item_factors.double().numpy().T, rtol=1e-4, atol=1e-5)
    # the single-user call is the same solve
    np.testing.assert_allclose(model.fold_in(*histories[1]), scores[1], rtol=1e-5, atol=1e-6)


def test_fold_in_many_with_biases_matches_one_call_per_user(tiny):
    train = tiny[0]
    model = _fit(train, bias=True, epochs=3)
    histories = [train.user_items(r) for r in (1, 4, 11)] + [(np.arange(20), np.ones(20))]
    many = model.fold_in_factors_many(histories)
    one = torch.stack([model.fold_in_factors(it, sc) for it, sc in histories])
    torch.testing.assert_close(many, one, rtol=1e-5, atol=1e-6)
    assert many.shape == (4, 5)


def test_fold_in_cache_follows_the_factors(tiny):
    train = tiny[0]
    model = _fit(train, epochs=2)
    items, scores = train.user_items(2)
    before = model.fold_in(items, scores)
    model._set_state({"user_factors": model.user_factors, "item_factors": model.item_factors * 2})
    after = model.fold_in(items, scores)
    want = _dense_fold_in(model, items, scores) @ model.item_factors.double().numpy().T
    np.testing.assert_allclose(after, want, rtol=1e-4, atol=1e-5)
    assert not np.allclose(before, after)


def test_group_with_several_folded_in_members_scores_each_like_alone(tiny):
    train = tiny[0]
    model = _fit(train, solver="cholesky")
    extra = [(90, *train.user_items(3)), (91, *train.user_items(8))]
    frame = pd.concat(
        [train.to_frame()]
        + [pd.DataFrame({"user_id": uid, "track_id": it, "score": sc}) for uid, it, sc in extra]
    )
    history = Interactions.from_frame(frame, item_ids=train.item_ids)
    members = model.member_scores([90, 3, 91, 8, 5], history=history)
    assert members.status == ["folded_in", "trained", "folded_in", "trained", "trained"]
    np.testing.assert_allclose(members.scores[[1, 3, 4]], model.score_users(np.array([3, 8, 5])), rtol=1e-6)
    for k, (_, it, sc) in zip((0, 2), extra, strict=True):
        np.testing.assert_allclose(members.scores[k], model.fold_in(it, sc), rtol=1e-6, atol=1e-7)
    # a folded-in user's scores are its trained self's (exact solver)
    np.testing.assert_allclose(members.scores[0], members.scores[1], rtol=1e-4, atol=1e-4)


def test_unseen_member_is_folded_in(tiny):
    train = tiny[0]
    model = _fit(train, solver="cholesky")
    items, scores = train.user_items(3)
    frame = pd.concat(
        [train.to_frame(), pd.DataFrame({"user_id": [99] * len(items), "track_id": items, "score": scores})]
    )
    history = Interactions.from_frame(frame, item_ids=train.item_ids)
    members = model.member_scores([3, 99], history=history)
    assert members.status == ["trained", "folded_in"]
    np.testing.assert_allclose(members.scores[1], members.scores[0], rtol=1e-4, atol=1e-4)


def test_score_users_is_the_dot_product_plus_biases(tiny):
    model = _fit(tiny[0], bias=True, epochs=2)
    rows = np.array([4, 0])
    want = model.user_factors[rows] @ model.item_factors.T + model.user_bias[rows, None] + model.item_bias
    got = model.score_users(rows)
    assert got.dtype == np.float32 and got.shape == (2, 40)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("trainer", ["als", "adamw"])
def test_same_seed_same_factors(tiny, trainer):
    train = tiny[0]
    extra = {"dropout_rate": 0.2, "batch_size": 8} if trainer == "adamw" else {}
    a = _fit(train, trainer=trainer, seed=3, epochs=3, **extra)
    b = _fit(train, trainer=trainer, seed=3, epochs=3, **extra)
    c = _fit(train, trainer=trainer, seed=4, epochs=3, **extra)
    assert torch.equal(a.user_factors, b.user_factors) and torch.equal(a.item_factors, b.item_factors)
    assert not torch.equal(a.item_factors, c.item_factors)


def test_save_and_load_give_identical_recommendations(tiny, tmp_path):
    train, val = tiny
    model = _fit(train, val, bias=True, epochs=3)
    path = model.save(tmp_path / "wmf.pt")
    loaded = WMF.load(path)
    assert isinstance(loaded, WMF) and loaded.config == model.config
    for name, tensor in model._state().items():
        assert torch.equal(loaded._state()[name], tensor)
    assert loaded.history == model.history
    for group in ([0], [0, 5, 9]):
        pd.testing.assert_frame_equal(
            loaded.recommend(group, 10).to_frame(), model.recommend(group, 10).to_frame()
        )


def test_nan_factors_raise_a_training_error(tiny, monkeypatch):
    def poisoned(self):
        self.y[0, 0] = float("nan")

    monkeypatch.setattr(ALSTrainer, "epoch", poisoned)
    with pytest.raises(TrainingError, match="epoch 1: item_factors contain NaN"):
        _fit(tiny[0])


def test_diverging_adamw_raises_a_training_error(tiny):
    with pytest.raises(TrainingError, match="diverged at epoch 1"):
        _fit(tiny[0], trainer="adamw", learning_rate=1e7, batch_size=8)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"sigmoid": True}, "sigmoid"),
        ({"dropout_rate": 0.1}, "dropout_rate"),
        ({"weight_decay": 0.01}, "weight_decay"),
        ({"trainer": "sgd"}, "trainer"),
        ({"confidence": "cube"}, "confidence"),
        ({"threshold": 0.0}, "threshold"),
        ({"embedding_dim": 0}, "embedding_dim"),
        ({"patience": 0}, "patience"),
    ],
)
def test_meaningless_settings_are_refused(settings, match):
    with pytest.raises(ConfigError, match=match):
        WMFConfig(**settings)
