"""The evaluate and compare commands end to end on a small generated dataset: keys and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recsys.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 and "--json" in argv else {}), err


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    w = tmp_path_factory.mktemp("cli_eval")
    assert (
        main(["generate", "--out", str(w / "raw"), "--users", "200", "--tracks", "800", "--seed", "3"]) == 0
    )
    assert main(["prepare", "--data", str(w / "raw"), "--out", str(w / "prep")]) == 0
    paths = {"data": w / "prep"}
    for kind in ("popularity", "random"):
        paths[kind] = w / f"{kind}.pt"
        assert main(["train", "--data", str(w / "prep"), "--model", kind, "--out", str(paths[kind])]) == 0
    return paths


def test_evaluate_json_keys_both_regimes(
    trained: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    for extra in ([], ["--exclude-seen"]):
        code, d, _ = _run(
            capsys,
            "evaluate",
            "--data",
            str(trained["data"]),
            "--model",
            str(trained["popularity"]),
            "--k",
            "5",
            "10",
            "--n-boot",
            "100",
            "--json",
            *extra,
        )
        assert code == 0
        assert {"model", "split", "regime", "users", "metrics", "ci", "random", "beyond"} <= set(d)
        assert d["regime"] == ("discovery" if extra else "all") and d["split"] == "val"
        names = [
            f"{m}@{k}" for k in (5, 10) for m in ("precision", "recall", "ndcg", "map", "mrr", "hit_rate")
        ]
        assert list(d["metrics"]) == names and set(d["ci"]) == set(names) and set(d["random"]) == set(names)
        assert d["users"] > 0
        for name in names:
            lo, hi = d["ci"][name]
            assert lo <= d["metrics"][name] <= hi
            assert 0 <= d["random"][name] <= 1
        assert 0 < d["beyond"]["coverage@10"] <= 1


def test_compare_json_on_users_and_groups(
    trained: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code, d, _ = _run(
        capsys,
        "compare",
        "--data",
        str(trained["data"]),
        "--models",
        str(trained["popularity"]),
        str(trained["random"]),
        "--groups",
        "30",
        "--group-size",
        "3",
        "--n-boot",
        "100",
        "--n-perm",
        "200",
        "--json",
    )
    assert code == 0
    assert set(d["models"]) == {"popularity", "random"}
    nd = d["per_user"]["ndcg@10"]
    assert nd["diff"] == pytest.approx(nd["popularity"] - nd["random"])
    assert 0 < nd["p_value"] <= 1 and nd["ci"][0] <= nd["diff"] <= nd["ci"][1]
    assert d["groups"]["n"] == 30 and d["groups"]["size"] == 3
    assert "precision@10" in d["groups"]["metrics"]
    assert 0 < nd["expected_random"] < nd["popularity"]


def test_bad_input_exits_2_without_traceback(
    trained: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    capsys.readouterr()
    bad = tmp_path / "corrupt.pt"
    bad.write_text("not a model")
    code, _, err = _run(capsys, "evaluate", "--data", str(trained["data"]), "--model", str(bad), "--json")
    assert code == 2 and "Traceback" not in err
    code, _, err = _run(
        capsys, "evaluate", "--data", str(trained["data"]), "--model", str(tmp_path / "none.pt")
    )
    assert code == 2
    # A number out of its bounds is a usage error: argparse exits 2 before anything is read.
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--data", str(trained["data"]), "--model", str(trained["popularity"]), "--k", "0"])
    assert exit_info.value.code == 2 and "argument --k: must be an integer from 1" in capsys.readouterr().err
    # Beyond the catalogue (800 tracks) once the model is read: a clear error, not a 373 GiB allocation.
    code, _, err = _run(
        capsys, "evaluate", "--data", str(trained["data"]), "--model", str(trained["popularity"]),
        "--k", "1000000",
    )
    assert code == 2 and "k=1000000 is larger than the catalogue" in err
    code, _, err = _run(
        capsys,
        "compare",
        "--data",
        str(trained["data"]),
        "--models",
        str(trained["popularity"]),
        str(trained["random"]),
        "--groups",
        "5",
        "--group-size",
        "900",
    )
    assert code == 2 and "groups of 900" in err


def test_compare_group_metrics_and_protocols(
    trained: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    base = ["compare", "--data", str(trained["data"]), "--models", str(trained["popularity"]),
            str(trained["random"]), "--groups", "20", "--group-size", "3", "--n-boot", "50",
            "--n-perm", "100", "--strategy", "gfar", "--json"]
    results = {}
    for protocol in ("coupled", "decoupled"):
        code, d, err = _run(capsys, *base, "--protocol", protocol)
        assert code == 0, err
        results[protocol] = d["groups"]
    for protocol, groups in results.items():
        assert groups["protocol"] == protocol and groups["strategy"] == "gfar"
        names = ["precision", "ndcg_mean", "ndcg_min", "ndcg_minmax", "ndcg_jain", "recall_mean",
                 "recall_min", "zero_recall", "dfh"]
        assert list(groups["metrics"]) == [f"{n}@10" for n in names]
        for name, m in groups["metrics"].items():
            keys = {"popularity", "random", "diff", "ci", "p_value", "p_wilcoxon", "expected_random"}
            assert keys <= set(m)
            assert 0 <= m["popularity"] <= 1 and 0 < m["p_value"] <= 1, name
            assert m["ci"][0] <= m["diff"] <= m["ci"][1]
        # a random list's expectation has a closed form for these, and the comparison against it too
        assert {"recall_mean@10", "zero_recall@10", "dfh@10"} <= set(groups["vs_random"]["popularity"])
    # decoupled: the random model's group list is judged by the random model's own lists, so it is not
    # hopeless there while it is on held-out plays
    assert results["decoupled"]["metrics"]["ndcg_mean@10"]["random"] > results["coupled"]["metrics"][
        "ndcg_mean@10"]["random"]
