"""Generated demo data in the Pozytywka format, with planted structure and realistic dirt.

:func:`generate_dataset` writes the five files of a Pozytywka release (``sessions.jsonl``,
``tracks.jsonl``, ``users.jsonl``, ``artists.jsonl``, ``track_storage.jsonl``) with the same fields and
value formats as the real releases (22-character base62 ids for tracks and artists, integer user and
session ids, ISO timestamps, ``advertisment`` events with a null track id).

What a model can learn from it (all scaled by ``taste_strength``):

- users mostly play tracks of their favourite genres;
- play counts are long-tailed (Zipf-like), and the 0-100 ``popularity`` field follows them;
- each user has a personal rotation of tracks that they re-listen to;
- skips are likelier off-taste, likes follow plays of tracks the user loves.

At ``taste_strength=0`` every play is a uniform draw from the catalogue, skips and likes are independent
of taste: a release with nothing to learn. The dirt (null ids, null event types, unknown track ids,
exact duplicate lines, two spellings of advertisement) gives the cleaning step work.

Everything is drawn from one ``numpy.random.default_rng(seed)``: the same arguments give the same bytes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from recsys.data.demo_listeners import (
    AD,
    AD2,
    EVENT_NAMES,
    GENRES,
    fit_lines,
    make_users,
    session_lines,
    simulate_plays,
)
from recsys.errors import ConfigError

__all__ = ["generate_dataset", "GENRES", "FILES", "DIRT_RATES"]

#: Files written by :func:`generate_dataset`, in writing order.
FILES: tuple[str, ...] = (
    "artists.jsonl", "tracks.jsonl", "track_storage.jsonl", "users.jsonl", "sessions.jsonl",
)  # fmt: skip

#: Share of sessions.jsonl lines that carry each kind of dirt (the duplicates are extra lines).
DIRT_RATES: dict[str, float] = {
    "null_user_id": 0.01,
    "null_track_id": 0.01,
    "null_event_type": 0.01,
    "unknown_track_id": 0.005,
    "duplicate": 0.003,
}

_BASE62 = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
_START = np.datetime64("2023-01-02T00:00:00", "ms")
_EVENTS_PER_USER = 300
_CHUNK = 250_000

_WORDS = (
    "Night Summer Heart Fire Dream Light City Road Love Rain Gold Blue Wild Neon Ocean Moon Star Echo "
    "Shadow River Silver Midnight Paper Glass Velvet Electric Golden Broken Lost Young Sweet Cold Hot "
    "Dance Secret Storm Sky Wave Road Home Ghost Magic Crystal Sun Dust Thunder Honey Stone Mirror"
).split()


def _check(users: int, tracks: int, events: int, taste_strength: float) -> None:
    if not isinstance(users, (int, np.integer)) or users < 1:
        raise ConfigError(f"users must be a positive integer, got {users!r}")
    if not isinstance(tracks, (int, np.integer)) or tracks < 10:
        raise ConfigError(f"tracks must be an integer of at least 10, got {tracks!r}")
    if not isinstance(events, (int, np.integer)) or events < 2 * users:
        raise ConfigError(f"events must be an integer of at least 2 per user ({2 * users}), got {events!r}")
    if not isinstance(taste_strength, (int, float)) or not 0.0 <= float(taste_strength) <= 1.0:
        raise ConfigError(f"taste_strength must be a number in [0, 1], got {taste_strength!r}")


def _ids(rng: np.random.Generator, n: int, taken: set[str] | None = None) -> np.ndarray:
    """``n`` distinct 22-character base62 ids (distinct from ``taken`` too)."""
    taken = set() if taken is None else taken
    out: list[str] = []
    seen = set(taken)
    while len(out) < n:
        chars = _BASE62[rng.integers(0, 62, size=(n - len(out), 22))]
        for s in ("".join(row) for row in chars):
            if s not in seen:
                seen.add(s)
                out.append(s)
    return np.array(out, dtype=object)


def _zipf_weights(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Zipf-like weights 1/(rank+2)^exponent in a random order, summing to 1."""
    w = 1.0 / (np.arange(n) + 2.0) ** exponent
    w = w[rng.permutation(n)]
    return w / w.sum()


def _names(rng: np.random.Generator, n: int, words: int) -> list[str]:
    w = np.array(_WORDS, dtype=object)
    parts = [w[rng.integers(0, len(w), n)] for _ in range(words)]
    return [" ".join(p) for p in zip(*parts, strict=True)]


def _catalogue(rng: np.random.Generator, n_tracks: int, strength: float) -> dict[str, Any]:
    n_genres = len(GENRES)
    genre_w = 1.0 / (np.arange(n_genres) + 3.0)  # fixed order: "pop" the most common
    genre_w /= genre_w.sum()
    n_artists = max(5, n_tracks // 12)
    artist_ids = _ids(rng, n_artists)
    primary = rng.choice(n_genres, size=n_artists, p=genre_w)
    n_extra = rng.integers(0, 4, size=n_artists)
    artist_genres: list[list[str]] = []
    for a in range(n_artists):
        extra = rng.choice(n_genres, size=n_extra[a], replace=False, p=genre_w)
        gs = [int(primary[a])] + [int(g) for g in extra if g != primary[a]]
        artist_genres.append([GENRES[g] for g in dict.fromkeys(gs)])
    artist_names = _names(rng, n_artists, 2)

    # Tracks: artist by a Zipf-like share, so some artists have many tracks.
    track_artist = rng.choice(n_artists, size=n_tracks, p=_zipf_weights(rng, n_artists, 0.7))
    track_ids = _ids(rng, n_tracks, set(artist_ids.tolist()))
    track_genre = primary[track_artist]
    # Play weights: long-tailed at strength 1, uniform at 0 (the exponent scales with strength).
    base_w = _zipf_weights(rng, n_tracks, 0.9)
    play_w = base_w**strength
    play_w /= play_w.sum()
    z = np.log(base_w / base_w.max())
    z = (z - z.mean()) / (z.std() + 1e-12)
    popularity = np.clip(np.round(55 + 14 * z + rng.normal(0, 6, n_tracks)), 0, 100).astype(int)
    duration = np.clip(rng.lognormal(np.log(215_000), 0.25, n_tracks), 60_000, 900_000).astype(np.int64)
    return {
        "artist_ids": artist_ids,
        "artist_names": artist_names,
        "artist_genres": artist_genres,
        "track_ids": track_ids,
        "track_artist": track_artist,
        "track_genre": track_genre,
        "play_w": play_w,
        "popularity": popularity,
        "duration": duration,
        "genre_w": genre_w,
    }


def _fmt_ts(ms: np.ndarray) -> np.ndarray:
    t = (_START + ms.astype("timedelta64[ms]")).astype("datetime64[ms]")
    return np.char.add(np.datetime_as_string(t, unit="ms").astype(object), "000")


def _write_sessions(
    rng: np.random.Generator,
    path: Path,
    p: dict[str, np.ndarray],
    lines: dict[str, np.ndarray],
    cat: dict[str, Any],
    users: dict[str, Any],
    n_dup: int,
) -> dict[str, int]:
    """Apply dirt, duplicate some lines and write sessions.jsonl; returns the dirt counts."""
    n = len(lines["kind"])
    play_of = lines["play_of"]
    kind = lines["kind"]
    is_ad = (kind == AD) | (kind == AD2)
    track_js = np.array([f'"{t}"' for t in cat["track_ids"]] + ["null"], dtype=object)
    null_track = len(cat["track_ids"])
    track = np.where(is_ad, null_track, p["track"][play_of])
    track_col = track_js[track]

    dirt: dict[str, int] = {}
    listen = np.flatnonzero(~is_ad)
    pick = rng.choice(listen, size=round(DIRT_RATES["unknown_track_id"] * n), replace=False)
    unknown = _ids(rng, len(pick), set(cat["track_ids"].tolist()) | set(cat["artist_ids"].tolist()))
    track_col[pick] = np.array([f'"{t}"' for t in unknown], dtype=object)
    dirt["unknown_track_id"] = len(pick)
    rest = np.setdiff1d(listen, pick)
    pick = rng.choice(rest, size=round(DIRT_RATES["null_track_id"] * n), replace=False)
    track_col[pick] = "null"
    dirt["null_track_id"] = len(pick)

    event_col = np.array(EVENT_NAMES, dtype=object)[kind]
    pick = rng.choice(n, size=round(DIRT_RATES["null_event_type"] * n), replace=False)
    event_col[pick] = "null"
    dirt["null_event_type"] = len(pick)

    user_col = users["ids"][p["user"][play_of]].astype(str).astype(object)
    pick = rng.choice(n, size=round(DIRT_RATES["null_user_id"] * n), replace=False)
    user_col[pick] = "null"
    dirt["null_user_id"] = len(pick)

    session_col = (p["session"][play_of] + 1).astype(str).astype(object)
    ts_col = _fmt_ts(lines["ts"])

    reps = np.ones(n, dtype=np.int64)
    reps[rng.choice(n, size=n_dup, replace=False)] = 2
    dirt["duplicate"] = n_dup
    # Written in chunks so that the text of 3 million lines is never held at once.
    with open(path, "w", encoding="ascii", newline="\n") as fh:
        for lo in range(0, n, _CHUNK):
            hi = min(lo + _CHUNK, n)
            rows = [
                f'{{"session_id": {s}, "timestamp": "{t}", "user_id": {u}, "track_id": {tr}, '
                f'"event_type": {e}}}\n'
                for s, t, u, tr, e in zip(
                    session_col[lo:hi], ts_col[lo:hi], user_col[lo:hi], track_col[lo:hi], event_col[lo:hi],
                    strict=True,
                )
            ]
            fh.write("".join(np.repeat(np.array(rows, dtype=object), reps[lo:hi])))
    return dirt


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="ascii", newline="\n") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in records))


def _release_dates(rng: np.random.Generator, n: int) -> list[str]:
    year = rng.integers(1960, 2024, n) if n else np.array([], dtype=np.int64)
    year = np.where(rng.random(n) < 0.7, rng.integers(2005, 2024, n), year)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    form = rng.random(n)
    return [
        f"{y}" if f < 0.07 else (f"{y}-{m:02d}" if f < 0.075 else f"{y}-{m:02d}-{d:02d}")
        for y, m, d, f in zip(year, month, day, form, strict=True)
    ]


def _write_catalogue(rng: np.random.Generator, out: Path, cat: dict[str, Any], users: dict[str, Any]) -> None:
    _write_jsonl(
        out / "artists.jsonl",
        [
            {"id": i, "name": nm, "genres": g}
            for i, nm, g in zip(cat["artist_ids"], cat["artist_names"], cat["artist_genres"], strict=True)
        ],
    )
    n = len(cat["track_ids"])
    names = _names(rng, n, 3)
    rd = _release_dates(rng, n)
    feats = {
        "danceability": rng.beta(5, 3.3, n),
        "energy": rng.beta(4, 2.2, n),
        "key": rng.integers(0, 12, n),
        "loudness": np.minimum(rng.normal(-7.2, 3.2, n), 0.5),
        "speechiness": rng.beta(1.1, 12, n),
        "acousticness": rng.beta(0.7, 1.9, n),
        "instrumentalness": rng.beta(0.08, 2, n),
        "liveness": rng.beta(2, 8, n),
        "valence": rng.beta(2.5, 2.3, n),
        "tempo": np.clip(rng.normal(122, 28, n), 50, 220),
    }
    explicit = (rng.random(n) < 0.17).astype(int)
    rounded = {k: (v.tolist() if k == "key" else np.round(v, 4).tolist()) for k, v in feats.items()}
    tracks = []
    for i in range(n):
        rec: dict[str, Any] = {
            "id": cat["track_ids"][i],
            "name": names[i],
            "popularity": int(cat["popularity"][i]),
            "duration_ms": int(cat["duration"][i]),
            "explicit": int(explicit[i]),
            "id_artist": cat["artist_ids"][cat["track_artist"][i]],
            "release_date": rd[i],
        }
        for k, v in rounded.items():
            rec[k] = v[i]
        tracks.append(rec)
    _write_jsonl(out / "tracks.jsonl", tracks)

    storage = np.where(cat["popularity"] >= 85, "fast", np.where(cat["popularity"] >= 68, "medium", "slow"))
    cost = np.round(rng.lognormal(np.log(0.0115), 0.3, n), 8).tolist()
    _write_jsonl(
        out / "track_storage.jsonl",
        [
            {"track_id": t, "storage_class": str(c), "daily_cost": d}
            for t, c, d in zip(cat["track_ids"], storage, cost, strict=True)
        ],
    )
    _write_jsonl(
        out / "users.jsonl",
        [
            {
                "user_id": int(users["ids"][u]),
                "name": users["names"][u],
                "city": str(users["cities"][u]),
                "street": users["streets"][u],
                "favourite_genres": [GENRES[g] for g in users["fav"][u, : users["n_fav"][u]]],
                "premium_user": bool(users["premium"][u]),
            }
            for u in range(len(users["ids"]))
        ],
    )


def generate_dataset(
    out: str | Path,
    *,
    users: int = 1000,
    tracks: int = 5000,
    events: int | None = None,
    seed: int = 0,
    taste_strength: float = 1.0,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Write a complete Pozytywka-format dataset with planted structure and realistic dirt.

    Parameters
    ----------
    out : str or Path
        Output folder, created if needed; existing files of the same names are overwritten.
    users : int, default 1000
        Number of users (ids 101, 102, ...).
    tracks : int, default 5000
        Number of catalogue tracks (at least 10).
    events : int, optional
        Exact number of lines in ``sessions.jsonl`` (dirt and duplicates included);
        default 300 per user.
    seed : int, default 0
        Seed of the one random generator; the same arguments give the same bytes.
    taste_strength : float, default 1.0
        1 plants clear structure (favourite genres, long-tailed popularity, re-listening, taste-driven
        skips); 0 gives uniform noise; values in between interpolate.
    progress : callable, optional
        Called as ``progress(step_name, done, total)`` after each step.

    Returns
    -------
    dict
        ``out``, ``users``, ``tracks``, ``artists``, ``events``, ``sessions``, ``plays``, ``dirt``
        (kind -> lines), ``seed``, ``taste_strength``, ``seconds``, ``files`` (name -> bytes).

    Raises
    ------
    ConfigError
        If a size is not a positive integer, ``events`` is below 2 per user, or ``taste_strength``
        is outside [0, 1].
    """
    t0 = time.perf_counter()
    events = _EVENTS_PER_USER * users if events is None else events
    _check(users, tracks, events, taste_strength)
    users, tracks, events = int(users), int(tracks), int(events)
    s = float(taste_strength)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create output folder {out}: {exc}") from exc
    steps = ("catalogue", "users", "sessions", "write catalogue", "write sessions")

    def tick(i: int) -> None:
        if progress is not None:
            progress(steps[i], i + 1, len(steps))

    rng = np.random.default_rng(seed)
    cat = _catalogue(rng, tracks, s)
    tick(0)
    who = make_users(rng, users, cat)
    tick(1)
    n_dup = round(DIRT_RATES["duplicate"] * events)
    base = events - n_dup
    n_plays = max(int(base / 1.75 * 1.08) + 10, 3 * users)
    while True:
        plays = simulate_plays(rng, n_plays, cat, who, s)
        size = 1 + plays["ad"].astype(np.int64) + plays["like"] + plays["skip"]
        if int(size.sum()) >= base:
            break
        n_plays = int(n_plays * 1.3) + 10
    plays = fit_lines(rng, plays, base)
    lines = session_lines(rng, plays)
    tick(2)
    _write_catalogue(rng, out, cat, who)
    tick(3)
    dirt = _write_sessions(rng, out / "sessions.jsonl", plays, lines, cat, who, n_dup)
    tick(4)
    return {
        "out": str(out),
        "users": users,
        "tracks": tracks,
        "artists": len(cat["artist_ids"]),
        "events": events,
        "sessions": len(np.unique(plays["session"])),
        "plays": len(plays["track"]),
        "dirt": dirt,
        "seed": seed,
        "taste_strength": s,
        "seconds": round(time.perf_counter() - t0, 3),
        "files": {name: (out / name).stat().st_size for name in FILES},
    }
