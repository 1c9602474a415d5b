"""The Data page's verdict as a banner on the result pages, with the model-against-random figure."""

from __future__ import annotations

from recsys.app.signal_banner import signal_banner
from recsys.evaluation.diagnostics import Diagnosis
from recsys.evaluation.diagnostics.check import Check


def _check(name: str, figure: float, baseline: float, **details: object) -> Check:
    return Check.measured(name, figure=figure, ci=(figure, figure), baseline=baseline,
                          effect_ci=(figure - baseline, figure - baseline), personal=False, meaning="",
                          details={"k": 10, **details})


POPULARITY = _check("popularity_vs_random", 0.0246, 0.0123)


def test_structured_data_gets_no_banner() -> None:
    assert signal_banner(Diagnosis("structured", [POPULARITY], {})) is None


def test_no_structure_names_the_best_model_against_random() -> None:
    model = _check("model_vs_random", 0.0132, 0.0120, model="wmf$1")
    banner = signal_banner(Diagnosis("none", [POPULARITY], {}), model)
    assert banner is not None and banner.verdict == "none"
    assert banner.text.startswith("**No detectable structure in this data**")
    assert "noise" in banner.text
    # the figure: hand-computed lift 0.0132 / 0.0120 = 1.1; the model's name escaped for markdown
    assert r"the best model here, wmf\$1, reaches NDCG@10 0.0132 against 0.012 for a random list (x1.1)" in (
        banner.text)


def test_without_a_model_the_popularity_check_gives_the_figure() -> None:
    unavailable = Check.unavailable("model_vs_random", personal=False, meaning="no users")
    banner = signal_banner(Diagnosis("weak", [POPULARITY], {}), unavailable)
    assert banner is not None and banner.text.startswith("**Weak structure in this data**")
    figure = "the most-played tracks reach NDCG@10 0.0246 against 0.0123 for a random list (x2.0)"
    assert figure in banner.text
