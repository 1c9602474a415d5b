"""The Group builder's explanations and strategy comparison on hand-made listening (values in comments)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from recsys.app import group_builder as gb
from recsys.data.interactions import Interactions
from recsys.errors import ConfigError, UnknownUserError
from recsys.models import create_model
from recsys.models.explain import TrackExplanation
from recsys.models.group import STRATEGIES

ITEMS = np.array(["t1", "t2", "t3", "t4", "t5"], dtype=object)


@pytest.fixture
def tracks() -> pd.DataFrame:
    return pd.DataFrame({
        "id": list(ITEMS), "name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"],
        "artist_name": ["A", "A", "B", "C", "C"], "genres": [["rock"]] * 5,
    })


@pytest.fixture
def basic():
    # training: 101 played t1 3, t3 3, t4 1; 102 t4 2, t5 1; 110 t1 1, t2 1
    # popularity: t1 2, t2 1, t3 1, t4 2, t5 1
    frame = pd.DataFrame({
        "user_id": [101, 101, 101, 102, 102, 110, 110],
        "track_id": ["t1", "t3", "t4", "t4", "t5", "t1", "t2"],
        "score": [3.0, 3.0, 1.0, 2.0, 1.0, 1.0, 1.0],
    })
    return create_model("basic").fit(Interactions.from_frame(frame, item_ids=ITEMS))


LABELS = {101: "Anna", 102: "Jan"}


def test_explain_list_says_why_and_for_whom(basic, tracks) -> None:
    # normalised (the popularity term only breaks ties): Anna t1 1, t3 ~1, t4 1/3, t2 = t5 = 0;
    # Jan t4 1, t5 ~1/2, others ~0 -> averages t4 2/3, t1 ~1/2, t3 ~1/2 (t1 first by popularity)
    rec = basic.recommend([101, 102], 3)
    assert rec.track_ids.tolist() == ["t4", "t1", "t3"]
    why = gb.explain_list(basic, rec, tracks, labels=LABELS)
    delta, alpha, gamma = why
    assert (delta.name, delta.rank, delta.best_member, delta.best_label) == ("Delta", 1, 102, "Jan")
    assert delta.sentences == ["for Anna: they played it themselves", "for Jan: they played it themselves"]
    assert alpha.best_label == "Anna"
    assert alpha.sentences == ["for Anna: they played it themselves",
                               "for Jan: they have not played it: it is here because it is popular"]
    assert alpha.table.columns.tolist() == ["member", "affinity", "own_rank", "reason", "because"]
    assert alpha.table["own_rank"].tolist() == [1, 3]  # Jan: t4, t5, then t1 (the most popular)
    assert alpha.table["because"].tolist() == ["Alpha", ""]
    assert alpha.table["affinity"].iloc[0] == pytest.approx(1.0)
    assert gamma.best_label == "Anna"


def test_reason_text_for_every_kind() -> None:
    def exp(kind: str, ids=(), values=(), status: str = "trained") -> TrackExplanation:
        return TrackExplanation(1, "t1", kind, status, 1.0, 1.0, 0.0, np.array(ids, dtype=object),
                                np.array(values, dtype=float))

    names = {"t3": "Gamma", "t1": "Alpha", "t2": "Beta"}
    # only tracks that raise the score are named, largest first, at most three
    text = gb.reason_text(exp("history", ["t3", "t1", "t2", "t5"], [0.5, 0.2, 0.1, -0.3]), names, top=2)
    assert text == "because they listened to Gamma, Alpha"
    weak = gb.reason_text(exp("history", ["t5"], [-0.1]), names)
    assert weak == "nothing they played points to it strongly"
    assert gb.reason_text(exp("chance"), names) == "picked at random (the random baseline)"
    assert gb.reason_text(exp("popularity", status="fallback"), names).startswith("no listening history")
    assert gb.reason_text(exp("opaque"), names) == "this model does not say why"


def test_serves_best_breaks_ties_by_own_rank(basic) -> None:
    rec = basic.recommend([101, 102], 3)
    assert gb.serves_best(rec).tolist() == [1, 0, 0]


def test_compare_strategies_by_hand(basic, tracks) -> None:
    later = pd.DataFrame({"user_id": [101, 101, 102], "track_id": ["t4", "t3", "t1"], "score": [1.0] * 3})
    heldout = Interactions.from_frame(later, item_ids=ITEMS)
    every = gb.compare_strategies(basic, [101, 102], tracks, n=3, heldout=heldout, labels=LABELS)
    summary = every.summary.set_index("strategy")
    assert summary.index.tolist() == list(STRATEGIES)
    # average [t4, t1, t3]: Anna's satisfaction (1/3 + 1 + 1) / 3 = 7/9, Jan's (1 + 0 + 0) / 3 = 1/3
    assert every.lists["average"]["track_id"].tolist() == ["t4", "t1", "t3"]
    row = summary.loc["average"]
    assert row["least_satisfied"] == pytest.approx(1 / 3, abs=1e-3)
    assert row["min_max"] == pytest.approx((1 / 3) / (7 / 9), abs=1e-3)
    # novelty: -log2((pop + 1) / (3 users + 1)) = 0.415 for t4 and t1, 1 for t3
    assert row["novelty"] == pytest.approx((2 * -math.log2(3 / 4) + 1) / 3)
    # later plays: Anna t4 and t3 (2 on the list), Jan t1 (1)
    assert row["heldout_hits"] == 3.0
    assert every.hits.loc["Average"].tolist() == [2.0, 1.0]
    # least misery: minima t4 1/3, t1 ~0 (Jan), then ties at 0 go to the lower index: t2
    assert every.lists["least_misery"]["track_id"].tolist() == ["t4", "t1", "t2"]
    assert every.hits.loc["Least misery"].tolist() == [1.0, 1.0]
    assert every.overlap.loc["Average", "Least misery"] == 2
    assert np.diag(every.overlap.to_numpy()).tolist() == [3] * len(STRATEGIES)
    assert not summary["weighted"].any() and summary.loc["gfar", "help"]
    sat = every.satisfaction[every.satisfaction["strategy"] == "average"]
    assert sat["member"].tolist() == ["Anna", "Jan"]
    assert sat["satisfaction"].tolist() == pytest.approx([7 / 9, 1 / 3], abs=1e-3)


def test_compare_strategies_weights_and_untrained_members(basic, tracks) -> None:
    history = Interactions.from_frame(
        pd.DataFrame({"user_id": [101, 300], "track_id": ["t1", "t2"], "score": [3.0, 1.0]}),
        user_ids=np.array([101, 102, 300]), item_ids=ITEMS,
    )
    heldout = Interactions.from_frame(
        pd.DataFrame({"user_id": [300], "track_id": ["t2"], "score": [1.0]}), item_ids=ITEMS)
    every = gb.compare_strategies(basic, [101, 300], tracks, n=2, history=history, heldout=heldout,
                                  weights=[1, 3])
    summary = every.summary.set_index("strategy")
    # weights shape every strategy that takes them; least misery and most pleasure make their own list
    unweighted = ("least_misery", "most_pleasure")
    assert summary["weighted"].to_dict() == {s: s not in unweighted for s in STRATEGIES}
    # user 300 was folded in from the very plays that would count as hits: not counted
    assert np.isnan(every.hits["user 300"]).all()
    with pytest.raises(ConfigError, match="one weight per member"):
        gb.compare_strategies(basic, [101, 300], tracks, weights=[1], history=history)
    with pytest.raises(UnknownUserError, match="empty"):
        gb.compare_strategies(basic, [], tracks)


def test_strategy_labels_are_plain_words() -> None:
    assert [gb.strategy_label(s) for s in ("gfar", "epfuzzda", "least_misery")] == [
        "GFAR", "EP-FuzzDA", "Least misery"]
    assert set(gb.STRATEGY_LABELS) == set(STRATEGIES)
    assert all("_" not in label for label in gb.STRATEGY_LABELS.values())
