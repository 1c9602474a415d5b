"""The demo's listeners: who they are and what they play (the taste model behind the generated sessions).

:func:`make_users` draws the users (names, cities, favourite genres, a personal rotation of tracks);
:func:`simulate_plays` draws their listening from that taste (``taste_strength`` 0 gives none),
popularity and re-listening; :func:`session_lines` / :func:`fit_lines` turn plays into the event lines
of ``sessions.jsonl`` (:mod:`recsys.data.demo` writes them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "AD",
    "AD2",
    "DAYS",
    "EVENT_NAMES",
    "GENRES",
    "LIKE",
    "NULL_EVENT",
    "PLAY",
    "SKIP",
    "fit_lines",
    "make_users",
    "session_lines",
    "simulate_plays",
]

#: Genre vocabulary, most common first (the order sets the genre popularity).
GENRES: tuple[str, ...] = (
    "pop", "dance pop", "rap", "rock", "pop rap", "hip hop", "latin", "edm", "trap", "post-teen pop",
    "reggaeton", "indie pop", "modern rock", "tropical house", "r&b", "latin pop", "alternative rock",
    "electropop", "pop dance", "hard rock", "country", "soul", "house", "classic rock", "indie rock",
    "trap latino", "metal", "folk", "jazz", "funk", "k-pop", "polish hip hop", "disco", "blues",
    "art rock", "techno", "punk", "synthpop", "drill", "lo-fi", "classical", "soundtrack",
    "reggae", "afrobeats", "bossa nova", "grunge", "ambient", "shoegaze", "polish pop", "disco polo",
)  # fmt: skip

#: JSON text of each event kind in ``sessions.jsonl`` (both spellings of advertisement occur in releases).
EVENT_NAMES = ('"play"', '"skip"', '"like"', '"advertisment"', '"advertisement"', "null")
#: Event kind codes (indices into :data:`EVENT_NAMES`).
PLAY, SKIP, LIKE, AD, AD2, NULL_EVENT = range(6)
#: Days the generated sessions span.
DAYS = 180
_ROTATION = 30  # tracks in a user's personal rotation
_SESSION_PLAYS = 4.0  # mean plays per session
_FIRST = (
    "Anna Piotr Kasia Tomasz Magda Michał Ola Paweł Zuzanna Jakub Natalia Kamil Julia Marcin Weronika "
    "Bartosz Agnieszka Łukasz Kornelia Dominik Justyna Mateusz Maja Szymon Ewa Adam Marta Krzysztof"
).split()
_LAST = (
    "Nowak Kowalski Wiśniewska Wójcik Kowalczyk Kamińska Lewandowski Zielińska Szymański Woźniak "
    "Dąbrowska Kozłowski Jankowska Mazur Kwiatkowski Krawczyk Piotrowska Grabowski Pawłowska Michalski "
    "Paździora Mszyca Witka Zając Król Wieczorek Jabłońska"
).split()
_CITIES = "Warszawa Kraków Wrocław Poznań Gdańsk Gdynia Łódź Szczecin Lublin Katowice Białystok Toruń".split()
_STREETS = (
    "ul. Krótka", "ul. Długa", "aleja Jabłoniowa", "al. Kościuszki", "ul. Polna", "ul. Leśna",
    "ul. Słoneczna", "ul. Kwiatowa", "pl. Wolności", "ul. Ogrodowa", "ul. Lipowa", "ul. Mickiewicza",
)  # fmt: skip


class _Sampler:
    """Vectorised weighted draws of tracks: from the whole catalogue or from one genre."""

    def __init__(self, genre: np.ndarray, weights: np.ndarray, n_genres: int) -> None:
        self.order = np.argsort(genre, kind="stable")
        cum = np.cumsum(weights[self.order])
        self.cum = cum / cum[-1]
        counts = np.bincount(genre, minlength=n_genres)
        ends = np.cumsum(counts)
        starts = ends - counts
        self.lo = np.where(starts > 0, self.cum[np.maximum(starts - 1, 0)], 0.0)
        self.lo[starts == 0] = 0.0
        self.hi = self.cum[np.maximum(ends - 1, 0)]
        self.counts = counts

    def _pick(self, u: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.cum, u, side="right")
        return self.order[np.minimum(pos, len(self.order) - 1)]

    def any(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self._pick(rng.random(n))

    def in_genre(self, rng: np.random.Generator, genres: np.ndarray) -> np.ndarray:
        lo, hi = self.lo[genres], self.hi[genres]
        return self._pick(lo + rng.random(len(genres)) * (hi - lo))


def make_users(rng: np.random.Generator, n_users: int, cat: dict[str, Any]) -> dict[str, Any]:
    counts = np.bincount(cat["track_genre"], minlength=len(GENRES))
    w = cat["genre_w"] * (counts > 0)
    w = w / w.sum()
    n_fav = rng.integers(2, 5, size=n_users)
    n_fav = np.minimum(n_fav, int((counts > 0).sum()))
    fav = np.full((n_users, 4), -1, dtype=np.int64)
    for u in range(n_users):
        fav[u, : n_fav[u]] = rng.choice(len(GENRES), size=n_fav[u], replace=False, p=w)
    names = [
        f"{f} {la}"
        for f, la in zip(
            np.array(_FIRST)[rng.integers(0, len(_FIRST), n_users)],
            np.array(_LAST)[rng.integers(0, len(_LAST), n_users)],
            strict=True,
        )
    ]
    cities = np.array(_CITIES)[rng.integers(0, len(_CITIES), n_users)]
    streets = [
        f"{s} {n}"
        for s, n in zip(
            np.array(_STREETS)[rng.integers(0, len(_STREETS), n_users)],
            rng.integers(1, 800, n_users),
            strict=True,
        )
    ]
    premium = rng.random(n_users) < 0.2
    activity = rng.lognormal(0.0, 0.7, n_users)
    return {
        "ids": np.arange(101, 101 + n_users),
        "fav": fav,
        "n_fav": n_fav,
        "names": names,
        "cities": cities,
        "streets": streets,
        "premium": premium,
        "activity": activity / activity.sum(),
    }


def _fav_genre(rng: np.random.Generator, users: dict[str, Any], who: np.ndarray) -> np.ndarray:
    """One of each given user's favourite genres, uniformly."""
    k = (rng.random(len(who)) * users["n_fav"][who]).astype(np.int64)
    return users["fav"][who, k]


def simulate_plays(
    rng: np.random.Generator, n_plays: int, cat: dict[str, Any], users: dict[str, Any], s: float
) -> dict[str, np.ndarray]:
    """Who plays what, in which session, and how it goes (skip, like, ad), ordered by user/session."""
    n_users = len(users["ids"])
    sampler = _Sampler(cat["track_genre"], cat["play_w"], len(GENRES))
    # Each user's rotation: favourite-genre tracks, drawn by popularity; played with Zipf weights.
    rot_users = np.repeat(np.arange(n_users), _ROTATION)
    rotation = sampler.in_genre(rng, _fav_genre(rng, users, rot_users)).reshape(n_users, _ROTATION)
    rot_cum = np.cumsum(1.0 / (np.arange(_ROTATION) + 1.0))
    rot_cum /= rot_cum[-1]

    floor = min(3, n_plays // n_users)
    per_user = floor + rng.multinomial(n_plays - floor * n_users, users["activity"])
    user = np.repeat(np.arange(n_users), per_user)
    n = len(user)
    # Source of each play: the rotation, a favourite genre, or the whole catalogue (uniform at s=0).
    u = rng.random(n)
    from_rot = u < 0.35 * s
    from_fav = (~from_rot) & (u < 0.80 * s)
    track = sampler.any(rng, n)
    idx = np.flatnonzero(from_fav)
    track[idx] = sampler.in_genre(rng, _fav_genre(rng, users, user[idx]))
    idx = np.flatnonzero(from_rot)
    slot = np.minimum(np.searchsorted(rot_cum, rng.random(len(idx)), side="right"), _ROTATION - 1)
    track[idx] = rotation[user[idx], slot]

    on_taste = (users["fav"][user] == cat["track_genre"][track][:, None]).any(axis=1)
    p_skip = np.where(on_taste, 0.30 - 0.15 * s, 0.30 + 0.35 * s)
    skip = rng.random(n) < p_skip
    p_like = np.where(from_rot, 0.22 + 0.30 * s, np.where(on_taste, 0.22, 0.22 - 0.15 * s))
    p_like = np.where(skip, p_like * 0.4, p_like)
    like = rng.random(n) < p_like
    ad = (rng.random(n) < 0.3) & ~users["premium"][user]

    # Sessions: a new one starts with probability 1/mean at each play (always at a user's first play).
    user_first = np.zeros(n, dtype=bool)
    user_first[np.cumsum(per_user) - per_user] = True
    first = user_first | (rng.random(n) < 1.0 / _SESSION_PLAYS)
    session = np.cumsum(first) - 1
    n_sessions = int(session[-1]) + 1
    start_ms = rng.integers(0, (DAYS - 1) * 86_400_000, n_sessions)

    duration = cat["duration"][track]
    listened = np.where(skip, (rng.uniform(0.02, 0.8, n) * duration).astype(np.int64), duration)
    gap = listened + np.where(skip, 5_000, 0)
    cum = np.cumsum(gap)
    before = cum - gap
    session_first = np.flatnonzero(first)
    offset = before - before[session_first][session]
    t_play = start_ms[session] + offset
    t_like = t_play + (rng.uniform(0.1, 1.0, n) * listened).astype(np.int64)
    return {
        "user": user,
        "track": track,
        "skip": skip,
        "like": like,
        "ad": ad,
        "session": session,
        "t_play": t_play,
        "t_like": t_like,
        "t_skip": t_play + listened,
        "on_taste": on_taste,
        "user_first": user_first,
    }


def session_lines(rng: np.random.Generator, p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Expand plays into event lines: [ad] play [like] [skip], in time order within a session."""
    ad, like, skip = p["ad"].astype(np.int64), p["like"].astype(np.int64), p["skip"].astype(np.int64)
    size = 1 + ad + like + skip
    start = np.cumsum(size) - size
    total = int(size.sum())
    kind = np.empty(total, dtype=np.int64)
    ts = np.empty(total, dtype=np.int64)
    play_of = np.repeat(np.arange(len(size)), size)
    play_pos = start + ad
    kind[play_pos] = PLAY
    ts[play_pos] = p["t_play"]
    i = np.flatnonzero(ad)
    kind[start[i]] = np.where(rng.random(len(i)) < 0.7, AD, AD2)
    ts[start[i]] = p["t_play"][i]
    i = np.flatnonzero(like)
    kind[play_pos[i] + 1] = LIKE
    ts[play_pos[i] + 1] = p["t_like"][i]
    i = np.flatnonzero(skip)
    kind[play_pos[i] + 1 + like[i]] = SKIP
    ts[play_pos[i] + 1 + like[i]] = p["t_skip"][i]
    return {"play_of": play_of, "kind": kind, "ts": ts}


def fit_lines(rng: np.random.Generator, p: dict[str, np.ndarray], target: int) -> dict[str, np.ndarray]:
    """Drop random plays (and then single ad/like lines) until exactly ``target`` lines remain."""
    size = 1 + p["ad"].astype(np.int64) + p["like"] + p["skip"]
    # A user's first play is never dropped, so every user keeps at least one event.
    order = rng.permutation(np.flatnonzero(~p["user_first"]))
    excess = int(size.sum()) - target
    if excess < 0:
        raise ValueError("too few plays")  # internal: the caller draws more plays
    removed = np.cumsum(size[order])
    n_drop = int(np.searchsorted(removed, excess, side="right"))
    keep = np.ones(len(size), dtype=bool)
    keep[order[:n_drop]] = False
    p = {k: v[keep] for k, v in p.items()}
    left = int((1 + p["ad"].astype(np.int64) + p["like"] + p["skip"]).sum()) - target
    for flag in ("ad", "like", "skip"):
        if left <= 0:
            break
        idx = np.flatnonzero(p[flag])[:left]
        p[flag] = p[flag].copy()
        p[flag][idx] = False
        left -= len(idx)
    return p


