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
    code, _, err = _run(
        capsys, "evaluate", "--data", str(trained["data"]), "--model", str(trained["popularity"]), "--k", "0"
    )
    assert code == 2 and "cut-offs" in err
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
        "100000",
    )
    assert code == 2 and "groups of 100000" in err
