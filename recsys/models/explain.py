"""Why a track is on a member's list: each member's score of a track split into their own history.

WMF (Hu, Koren & Volinsky 2008, section 5). With the track factors ``Y`` fixed, a member's exact
least-squares factors solve ``(Y^T C_u Y + reg I) x_u = Y^T C_u p_u`` (our objective: confidence
``c = 1 + alpha * score`` or the log form, preference ``p = 1`` where the score reaches the model's
threshold, ``reg`` on the factors; see :mod:`recsys.models.wmf_loss`). With ``W_u = (Y^T C_u Y +
reg I)^-1`` the score of track ``i`` is therefore::

    s_ui = y_i^T x_u = sum_j s_ij c_uj p_uj,        s_ij = y_i^T W_u y_j

a sum over the member's history tracks ``j`` (``p_uj = 0`` elsewhere): ``s_ij c_uj p_uj`` is what
history track ``j`` contributes to track ``i``. ``W_u`` depends on the member, so the same pair of
tracks can weigh differently for two members. With ``bias=True`` the factors are ``[y_i, 1]`` against
``[x_u, b_u]`` and the track bias ``b_i`` is a fixed offset (as in :mod:`recsys.models.als`); the
offset's share, ``b_i - g_i^T W_u G^T C_u b``, belongs to no history track and is reported as the
``baseline``. The contributions plus the baseline are exactly the score of the member's exact
least-squares factors (what :meth:`~recsys.models.wmf.WMF.fold_in` gives a new member; a trained
member's stored factors equal it up to the trainer's convergence, exactly with ``solver="cholesky"``).

Basic model: a member's score is their own score of the track plus a small popularity term
(:class:`~recsys.models.baselines.BasicModel`): a track the member played is explained by that play
(``own_plays``), any other by popularity (``popularity``). The popularity model explains everything by
popularity and the random model by chance; a member with no usable history is scored by popularity
whatever the model (their status is ``fallback``).

Which history: a trained member's training row (what the model learned them from), a folded-in
member's row of ``history``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from recsys.data.interactions import Interactions
from recsys.errors import UnknownUserError
from recsys.models.base import Recommender
from recsys.models.baselines import BasicModel, PopularityModel, RandomModel
from recsys.models.recommendation import GroupRecommendation
from recsys.models.wmf import WMF
from recsys.models.wmf_loss import weighted_cells

__all__ = ["EXPLANATION_KINDS", "TrackExplanation", "explain_recommendation", "explain_tracks"]

EXPLANATION_KINDS: tuple[str, ...] = ("history", "own_plays", "popularity", "chance", "opaque")
"""``history``: WMF, split over the member's history tracks; ``own_plays``: basic, the member played it;
``popularity``: nothing of the member's own (basic on a track they never played, the popularity model,
or a member with no history); ``chance``: the random model; ``opaque``: a model that cannot say why."""


@dataclass(frozen=True, eq=False)
class TrackExplanation:
    """One member's score of one track, split into what their history contributes.

    Attributes
    ----------
    user_id, track_id : hashable
        The member and the track.
    kind : str
        One of :data:`EXPLANATION_KINDS`.
    status : str
        How the model knew the member (``trained``, ``folded_in``, ``fallback``).
    score : float
        The explained score: ``baseline + contributions.sum()`` (for WMF the score of the member's
        exact least-squares factors).
    model_score : float
        The score the model ranked the track by (equal to ``score`` up to float32 rounding and, for a
        trained WMF member, the trainer's convergence).
    baseline : float
        The part of the score owed to no history track (biases, the popularity term).
    history_ids : numpy.ndarray
        The member's history tracks with a non-zero contribution, largest contribution first.
    contributions : numpy.ndarray
        ``float64`` their contributions, in that order.
    """

    user_id: Hashable
    track_id: Hashable
    kind: str
    status: str
    score: float
    model_score: float
    baseline: float
    history_ids: np.ndarray
    contributions: np.ndarray

    def because(self, top: int = 3) -> list[tuple[Hashable, float]]:
        """The ``top`` history tracks that raise the score most (positive contributions only).

        Parameters
        ----------
        top : int
            How many at most.

        Returns
        -------
        list of tuple
            ``(track_id, contribution)``, largest first.
        """
        keep = self.contributions > 0
        ids, values = self.history_ids[keep][:top].tolist(), self.contributions[keep][:top].tolist()
        return list(zip(ids, values, strict=True))


def explain_recommendation(
    model: Recommender, recommendation: GroupRecommendation, *, history: Interactions | None = None
) -> dict[Hashable, list[TrackExplanation]]:
    """Explain every track of a group list for every member.

    Parameters
    ----------
    model : Recommender
        The model that made the list.
    recommendation : GroupRecommendation
        Its list.
    history : Interactions, optional
        The history the list was made with (for members the model was not trained on).

    Returns
    -------
    dict
        Member id -> one :class:`TrackExplanation` per track, in the list's order.
    """
    return explain_tracks(model, recommendation.member_ids, list(recommendation.track_ids), history=history)


def explain_tracks(
    model: Recommender,
    user_ids: Sequence[Hashable],
    track_ids: Sequence[Hashable],
    *,
    history: Interactions | None = None,
) -> dict[Hashable, list[TrackExplanation]]:
    """Explain each member's score of each track.

    Parameters
    ----------
    model : Recommender
        A trained model.
    user_ids : sequence
        The members.
    track_ids : sequence
        The tracks (original ids).
    history : Interactions, optional
        Known listening of members the model was not trained on (see
        :meth:`~recsys.models.base.Recommender.member_scores`).

    Returns
    -------
    dict
        Member id -> one :class:`TrackExplanation` per track, in the order given.

    Raises
    ------
    UnknownUserError
        A member unknown to the model and the history, or a track not in the model's catalogue.
    """
    train = model._fitted()
    cols = train.item_index(list(track_ids))
    if (cols < 0).any():
        bad = list(track_ids)[int(np.flatnonzero(cols < 0)[0])]
        raise UnknownUserError(f"track {bad!r} is not in the model's catalogue")
    if history is not None and not np.array_equal(history.item_ids, train.item_ids):
        history = Interactions.from_frame(
            history.to_frame(), user_ids=history.user_ids, item_ids=train.item_ids
        )
    members = model.member_scores(list(user_ids), history=history)
    out: dict[Hashable, list[TrackExplanation]] = {}
    for k, uid in enumerate(members.user_ids):
        status = members.status[k]
        items, scores = _member_history(train, history, uid, status)
        model_scores = members.scores[k, cols].astype(np.float64)
        parts = _decompose(model, items, scores, cols, model_scores, status)
        out[uid] = [
            TrackExplanation(
                user_id=uid,
                track_id=track_ids[t],
                kind=parts.kinds[t],
                status=status,
                score=float(parts.baseline[t] + parts.contrib[t].sum()),
                model_score=float(model_scores[t]),
                baseline=float(parts.baseline[t]),
                history_ids=train.item_ids[parts.items[parts.order[t]]],
                contributions=parts.contrib[t][parts.order[t]],
            )
            for t in range(len(cols))
        ]
    return out


def _member_history(
    train: Interactions, history: Interactions | None, uid: Hashable, status: str
) -> tuple[np.ndarray, np.ndarray]:
    """The history a member was scored from: training row, history row, or nothing (fallback)."""
    if status == "trained":
        return train.user_items(int(train.user_index([uid])[0]))
    if status == "folded_in" and history is not None:
        return history.user_items(int(history.user_index([uid])[0]))
    return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)


@dataclass(frozen=True)
class _Parts:
    kinds: list[str]  # per listed track
    items: np.ndarray  # (d,) history track indices
    contrib: np.ndarray  # (n, d) each history track's contribution to each listed track
    baseline: np.ndarray  # (n,)

    @property
    def order(self) -> list[np.ndarray]:
        # per listed track: the non-zero contributions, largest first (ties: lower track index)
        return [
            np.array([j for j in np.lexsort((self.items, -row)) if row[j] != 0], dtype=np.int64)
            for row in self.contrib
        ]


def _decompose(
    model: Recommender,
    items: np.ndarray,
    scores: np.ndarray,
    cols: np.ndarray,
    model_scores: np.ndarray,
    status: str,
) -> _Parts:
    n = len(cols)
    none = np.empty(0, dtype=np.int64)
    if status == "fallback" or isinstance(model, PopularityModel):
        return _Parts(["popularity"] * n, none, np.zeros((n, 0)), model_scores)
    if isinstance(model, RandomModel):
        return _Parts(["chance"] * n, none, np.zeros((n, 0)), model_scores)
    if isinstance(model, WMF):
        return _wmf_parts(model, items, scores, cols)
    if isinstance(model, BasicModel):
        return _basic_parts(items, scores, cols, model_scores)
    return _Parts(["opaque"] * n, none, np.zeros((n, 0)), model_scores)


def _basic_parts(items: np.ndarray, scores: np.ndarray, cols: np.ndarray, model_scores: np.ndarray) -> _Parts:
    # The basic score is the member's own (summed) score of the track plus the popularity term.
    own = np.zeros(len(cols))
    where = {int(t): k for k, t in enumerate(cols.tolist())}
    for item, score in zip(np.asarray(items).tolist(), np.asarray(scores, dtype=np.float64).tolist(),
                           strict=True):
        if item in where:
            own[where[item]] += score
    kinds = ["own_plays" if v > 0 else "popularity" for v in own]
    # one column per listed track: a play of the track itself is its own reason
    return _Parts(kinds, np.asarray(cols, dtype=np.int64), np.diag(own), model_scores - own)


def _wmf_parts(model: WMF, items: np.ndarray, scores: np.ndarray, cols: np.ndarray) -> _Parts:
    cfg = model.config
    y = model.item_factors.double()  # type: ignore[union-attr]
    n_items = y.shape[0]
    g = y if model.item_bias is None else torch.column_stack([y, torch.ones(n_items, dtype=y.dtype)])
    offset = None if model.item_bias is None else model.item_bias.double()
    row = sp.csr_matrix(
        (np.asarray(scores, dtype=np.float64), (np.zeros(len(items), dtype=np.int64), np.asarray(items))),
        shape=(1, n_items),
    )
    row.sum_duplicates()
    cells = weighted_cells(row, alpha=cfg.alpha, eps=cfg.eps, kind=cfg.confidence, threshold=cfg.threshold,
                           dtype=torch.float64)
    hist = cells.cols
    c, p = cells.conf, cells.pref
    gh = g[hist]  # (d, f)
    f = g.shape[1]
    # Y^T C_u Y + reg I = Y^T Y + Y^T (C_u - I) Y + reg I: unobserved tracks have confidence 1
    a = g.T @ g + gh.T @ ((c - 1.0).unsqueeze(1) * gh) + float(cfg.reg) * torch.eye(f, dtype=g.dtype)
    listed = g[torch.as_tensor(np.asarray(cols, dtype=np.int64))]  # (n, f)
    w_listed = torch.linalg.solve(a, listed.T).T  # rows: (W_u g_i)^T, W_u symmetric
    s = w_listed @ gh.T  # (n, d): s_ij = g_i^T W_u g_j
    contrib = (s * (c * p).unsqueeze(0)).numpy()
    baseline = np.zeros(len(cols))
    if offset is not None:
        # the track-bias offset: b_i - g_i^T W_u G^T C_u b, with G^T C_u b = G^T b + G_h^T (C_h - 1) b_h
        gcb = g.T @ offset + gh.T @ ((c - 1.0) * offset[hist])
        baseline = (offset[torch.as_tensor(np.asarray(cols, dtype=np.int64))] - w_listed @ gcb).numpy()
    return _Parts(["history"] * len(cols), hist.numpy().astype(np.int64), contrib, baseline)
