"""Bounds on every number of the CLI, a quiet end when the reader closes the pipe, and bad model files or
data that does not fit a model: exit 2 with one line, never a traceback or a runaway allocation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from recsys.cli import main
from recsys.data.demo import generate_dataset
from recsys.data.prepare import prepare
from recsys.models import create_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bounds")
    generate_dataset(root / "raw", users=40, tracks=2500, seed=2)
    prepare(root / "raw", root / "prep")
    from recsys.data.prepared import load_prepared

    prepared = load_prepared(root / "prep")
    model = create_model("popularity").fit(prepared.matrix("train"))
    model.fingerprint = prepared.fingerprint
    model.save(root / "pop.pt")
    return {"root": root, "prep": root / "prep", "model": root / "pop.pt"}


# (command line after the data and model options, the option named in the message, the allowed range)
OUT_OF_BOUNDS = [
    (["evaluate", "--k", "0"], "--k", "from 1 to 1,000,000"),
    (["evaluate", "--k", "1e9"], "--k", "from 1 to 1,000,000"),
    (["evaluate", "--threshold", "nan"], "--threshold", "a finite number"),
    (["evaluate", "--threshold", "inf"], "--threshold", "a finite number"),
    (["evaluate", "--n-boot", "-1"], "--n-boot", "from 0 to 100,000"),
    (["evaluate", "--n-boot", "10000000"], "--n-boot", "from 0 to 100,000"),
    (["evaluate", "--seed", "-5"], "--seed", "from 0 to 4,294,967,295"),
    (["compare", "--groups", "1000000"], "--groups", "from 0 to 100,000"),
    (["compare", "--group-size", "0"], "--group-size", "from 1 to 1,000"),
    (["compare", "--n-perm", "-3"], "--n-perm", "from 0 to 1,000,000"),
    (["compare", "--threshold=-inf"], "--threshold", "a finite number"),
    (["recommend", "--users", "101", "--n", "0"], "--n", "from 1 to 1,000,000"),
    (["recommend", "--users", "101", "--threshold", "nan"], "--threshold", "a finite number"),
    (["diagnose", "--n-boot", "5"], "--n-boot", "from 10 to 10,000"),
    (["train", "--model", "wmf", "--embedding-dim", "100000"], "--embedding-dim", "from 1 to 1,024"),
    (["train", "--model", "wmf", "--epochs", "0"], "--epochs", "from 1 to 10,000"),
    (["train", "--model", "wmf", "--reg", "-1"], "--reg", "at least 0"),
    (["train", "--model", "wmf", "--alpha", "nan"], "--alpha", "at least 0"),
    (["train", "--model", "wmf", "--learning-rate", "0"], "--learning-rate", "above 0"),
    (["train", "--model", "wmf", "--eps", "inf"], "--eps", "above 0"),
    (["train", "--model", "wmf", "--patience", "0"], "--patience", "from 1 to 10,000"),
    (["prepare", "--val-frac", "nan"], "--val-frac", "a fraction from 0 to 1"),
    (["prepare", "--test-frac", "2"], "--test-frac", "a fraction from 0 to 1"),
    (["generate", "--users", "0"], "--users", "from 1 to 1,000,000"),
    (["generate", "--events", "10000000000"], "--events", "from 1 to 100,000,000"),
    (["generate", "--taste-strength", "inf"], "--taste-strength", "at least 0"),
    (["bootstrap", "--tracks", "-1"], "--tracks", "from 1 to 1,000,000"),
]


def _argv(work: dict[str, Path], args: list[str]) -> list[str]:
    command, rest = args[0], args[1:]
    if command == "generate":
        return [command, "--out", str(work["root"] / "gen"), *rest]
    if command in ("prepare", "bootstrap"):
        return [command, "--data", str(work["root"] / "raw"), *rest]
    if command == "train":
        return [command, "--data", str(work["prep"]), *rest]
    if command == "compare":
        models = [str(work["model"]), str(work["model"])]
        return [command, "--data", str(work["prep"]), "--models", *models, *rest]
    if command == "diagnose":
        return [command, "--data", str(work["prep"]), *rest]
    return [command, "--data", str(work["prep"]), "--model", str(work["model"]), *rest]


@pytest.mark.parametrize(
    ("args", "option", "allowed"), OUT_OF_BOUNDS, ids=[" ".join(a) for a, _, _ in OUT_OF_BOUNDS]
)
def test_numbers_out_of_bounds_are_usage_errors(work, capsys, args, option, allowed) -> None:
    with pytest.raises(SystemExit) as info:
        main(_argv(work, args))
    err = capsys.readouterr().err
    assert info.value.code == 2 and "Traceback" not in err
    assert f"error: argument {option}: must be" in err and allowed in err
    assert not (work["root"] / "gen").exists()


def test_k_and_n_beyond_the_catalogue_are_refused_once_the_data_is_known(work, capsys) -> None:
    capsys.readouterr()
    assert main(_argv(work, ["evaluate", "--k", "1000000"])) == 2
    assert "cut-off k=1000000 is larger than the catalogue (2500 tracks)" in capsys.readouterr().err
    assert main(_argv(work, ["recommend", "--users", "101", "--n", "2501"])) == 2
    assert "n=2501 is larger than the catalogue (2500 tracks)" in capsys.readouterr().err
    assert main(_argv(work, ["compare", "--groups", "3", "--group-size", "900", "--n-boot", "10"])) == 2
    assert "groups of 900 need at least 900 users" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly(work) -> None:
    """``... --json | head -c 100``: the reader stops early; no BrokenPipe traceback, exit 0."""
    args = _argv(work, ["recommend", "--users", "101", "102", "--n", "2500"])
    command = [sys.executable, "-m", "recsys", *args, "--json"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    head = proc.stdout.read(100)
    proc.stdout.close()  # what `head -c 100` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert head.startswith(b'{"model": ') and "Traceback" not in err and "BrokenPipe" not in err


def test_a_model_with_nan_factors_is_exit_2_not_evaluated(work, capsys, tmp_path) -> None:
    payload = torch.load(work["model"], weights_only=True)
    payload["train"]["data"] = payload["train"]["data"].clone()
    payload["train"]["data"][0] = float("nan")
    bad = tmp_path / "nan.pt"
    torch.save(payload, bad)
    capsys.readouterr()
    assert main([*_argv(work, ["evaluate"])[:3], "--model", str(bad), "--json"]) == 2
    err = capsys.readouterr().err
    reason = "training matrix 'data' holds NaN or infinite values"
    assert err == f"error: {bad} is not a readable model file: {reason}\n"


def test_diagnose_with_a_model_of_other_users_reports_it_unavailable(work, capsys, tmp_path) -> None:
    other = tmp_path / "other"
    generate_dataset(other, users=20, tracks=2500, seed=5)
    for name in ("sessions.jsonl", "users.jsonl"):  # the same tracks, but none of the model's users
        rows = [json.loads(line) for line in (other / name).read_text().splitlines()]
        for row in rows:
            if row.get("user_id") is not None:
                row["user_id"] += 10_000
        (other / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    capsys.readouterr()
    code = main(["diagnose", "--data", str(other), "--model", str(work["model"]), "--n-boot", "20", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    check = next(r for r in json.loads(captured.out)["reasons"] if r["name"] == "model_vs_random")
    assert check["status"] == "unavailable" and "no user of the models" in check["meaning"]
