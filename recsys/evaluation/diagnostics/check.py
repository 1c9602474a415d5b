"""What every diagnostic returns (:class:`Check`, :class:`Diagnosis`) and how a check's status is read.

A check's effect is *detected* when its 95% bootstrap CI excludes the null value, and *clear* when the
CI's lower end clears the null by a margin (the smallest effect worth acting on, :data:`MARGINS`). The
bootstrap helpers live here too, so every check resamples and reads its intervals the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recsys.errors import ConfigError
from recsys.jsonable import to_plain

__all__ = ["MARGINS", "MAX_BOOT", "Check", "Diagnosis"]

MARGINS: dict[str, float] = {
    "popularity_dispersion": 0.5,  # variance at least 1.5 x the Poisson variance
    "genre_affinity": 0.05,  # 5 points more of a user's plays in their favourite genres
    "relistening": 0.02,  # 2 points more of validation pairs already heard
    "popularity_vs_random": 0.01,  # NDCG@10 one hundredth above random
    "model_vs_random": 0.01,  # likewise, for the best trained model
}
_LEVEL = 0.95  # of every interval


@dataclass
class Check:
    """One diagnostic: a figure against its no-structure baseline, with confidence intervals.

    Attributes
    ----------
    name : str
        The check's name (a key of :data:`MARGINS`).
    figure : float
        The observed value.
    ci : tuple of float
        95% bootstrap confidence interval of ``figure``.
    baseline : float
        The value expected with no structure.
    effect : float
        ``figure - baseline`` (the quantity tested).
    effect_ci : tuple of float
        95% bootstrap confidence interval of ``effect``.
    margin : float
        The smallest effect counted as clear.
    status : str
        ``clear`` (CI lower end above ``margin``), ``detected`` (above 0), ``not detected``, or
        ``unavailable`` (the data lacks what the check needs).
    personal : bool
        Whether the check measures per-user structure (counts towards the verdict).
    meaning : str
        One plain sentence saying what the figure means.
    details : dict
        Further figures (JSON-able).
    tables : dict of str to DataFrame
        The data behind the check's charts.
    """

    name: str
    figure: float
    ci: tuple[float, float]
    baseline: float
    effect: float
    effect_ci: tuple[float, float]
    margin: float
    status: str
    personal: bool
    meaning: str
    details: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of the check, without its tables."""
        d = asdict(self)
        d.pop("tables")
        return to_plain(d)

    @classmethod
    def measured(
        cls,
        name: str,
        *,
        figure: float,
        ci: tuple[float, float],
        baseline: float,
        effect_ci: tuple[float, float],
        personal: bool,
        meaning: str,
        details: dict[str, Any] | None = None,
        tables: dict[str, pd.DataFrame] | None = None,
    ) -> Check:
        """A check with a figure: the effect, the margin and the status follow from the figures."""
        margin = MARGINS[name]
        return cls(name, figure, ci, baseline, figure - baseline, effect_ci, margin,
                   _status(effect_ci, margin), personal, meaning, details or {}, tables or {})  # fmt: skip

    @classmethod
    def unavailable(cls, name: str, *, personal: bool, meaning: str, baseline: float = float("nan")) -> Check:
        """A check the data lacks what it needs for."""
        nan, nan2 = float("nan"), (float("nan"), float("nan"))
        return cls(name, nan, nan2, baseline, nan, nan2, MARGINS[name], "unavailable", personal, meaning, {})


@dataclass
class Diagnosis:
    """The verdict on a dataset and the checks behind it.

    Attributes
    ----------
    verdict : str
        ``structured``, ``weak`` or ``none``.
    reasons : list of Check
        Every check run, personal ones first.
    figures : dict
        Summary numbers (users, tracks, plays, ...).
    """

    verdict: str
    reasons: list[Check]
    figures: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict: ``verdict``, ``reasons`` (each a :meth:`Check.to_dict`), ``figures``."""
        return {
            "verdict": self.verdict,
            "reasons": [r.to_dict() for r in self.reasons],
            "figures": to_plain(self.figures),
        }


def _status(effect_ci: tuple[float, float], margin: float) -> str:
    lo = effect_ci[0]
    if not np.isfinite(lo):
        return "unavailable"
    if lo > margin:
        return "clear"
    if lo > 0:
        return "detected"
    return "not detected"


def _ci(samples: np.ndarray) -> tuple[float, float]:
    a = (1 - _LEVEL) / 2
    if len(samples) == 0 or not np.isfinite(samples).any():
        return (float("nan"), float("nan"))
    lo, hi = np.nanquantile(samples, [a, 1 - a])
    return (float(lo), float(hi))


#: Most bootstrap replicates of a check: each one is a row of a (replicates x users) matrix in memory.
MAX_BOOT = 10_000


def _check_boot(n_boot: int) -> None:
    if not isinstance(n_boot, (int, np.integer)) or not 10 <= n_boot <= MAX_BOOT:
        raise ConfigError(f"n_boot must be an integer from 10 to {MAX_BOOT}, got {n_boot!r}")


def _boot_weights(rng: np.random.Generator, n: int, n_boot: int) -> np.ndarray:
    """``(n_boot, n)`` resampling counts: row b says how often each unit is drawn in replicate b.

    Counted from ``n`` uniform draws per replicate (the multinomial's own definition): numpy's
    ``multinomial`` over 50,000 units took 1.5-2 s per check at 50,000 users, the draws and one
    ``bincount`` take a tenth of that.
    """
    out = np.empty((n_boot, n), dtype=np.float64)
    chunk = max(1, (1 << 22) // max(n, 1))  # bounds the int64 draws held at once
    for lo in range(0, n_boot, chunk):
        hi = min(n_boot, lo + chunk)
        draws = rng.integers(0, n, size=(hi - lo, n)) + np.arange(hi - lo, dtype=np.int64)[:, None] * n
        out[lo:hi] = np.bincount(draws.ravel(), minlength=(hi - lo) * n).reshape(hi - lo, n)
    return out
