"""CLI commands train, recommend and bootstrap through recsys.cli.main (small generated data)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from recsys.app.workspace import MODEL_ROOT_ENV
from recsys.cli import main
from recsys.data.demo import generate_dataset
from recsys.data.prepare import prepare


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A scratch folder with raw and prepared data; the CLI writes model_files/ under the working dir."""
    root = tmp_path_factory.mktemp("cli")
    generate_dataset(root / "raw", users=60, tracks=200, seed=1)
    prepare(root / "raw", root / "prep")
    old = Path.cwd()
    old_root = os.environ.get(MODEL_ROOT_ENV)
    os.chdir(root)
    os.environ[MODEL_ROOT_ENV] = "model_files"  # the workspace's model store, relative to the working dir
    yield root
    os.chdir(old)
    if old_root is None:
        os.environ.pop(MODEL_ROOT_ENV, None)
    else:
        os.environ[MODEL_ROOT_ENV] = old_root


def _run(capsys, *argv: str) -> tuple[int, dict | None, str]:
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


@pytest.fixture(scope="module")
def trained(workdir) -> dict[str, dict]:
    """Train basic and a small wmf once for the module (via main, output captured by hand)."""
    import contextlib
    import io

    results = {}
    for kind, extra in (("basic", []), ("wmf", ["--epochs", "2", "--embedding-dim", "8"])):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
            code = main(["train", "--data", "prep", "--model", kind, *extra, "--json"])
        assert code == 0
        results[kind] = json.loads(buf.getvalue())
    return results


def _users(workdir: Path, k: int = 3) -> list[str]:
    prepared = workdir / "prep"
    return [str(u) for u in pd.read_parquet(prepared / "train.parquet")["user_id"].drop_duplicates()[:k]]


def test_train_json(trained, workdir):
    basic, wmf = trained["basic"], trained["wmf"]
    assert basic["model"] == str(Path("model_files") / "basic.pt")
    assert (workdir / basic["model"]).is_file()
    keys = {"model", "kind", "config", "seconds", "history", "metrics", "fingerprint"}
    assert keys <= set(basic) and keys <= set(wmf)
    assert basic["kind"] == "basic" and len(basic["history"]) == 1
    assert wmf["config"]["embedding_dim"] == 8
    assert len(wmf["history"]) == 2
    assert {"train_loss", "val_loss", "val_ndcg@10", "seconds"} <= set(wmf["history"][0])
    assert 0 < wmf["seconds"]
    assert basic["fingerprint"] and basic["fingerprint"] == wmf["fingerprint"]


def test_train_other_models_and_out(workdir, capsys, tmp_path):
    for kind in ("popularity", "random"):
        out = str(tmp_path / "x.pt")
        code, result, err = _run(capsys, "train", "--data", "prep", "--model", kind, "--out", out)
        assert code == 0, err
        assert result["model"] == str(tmp_path / "x.pt") and result["kind"] == kind


def test_train_bad_setting_exit_2(workdir, capsys):
    code, _, err = _run(capsys, "train", "--data", "prep", "--model", "basic", "--epochs", "3")
    assert code == 2 and "no setting 'epochs'" in err and "Traceback" not in err


def test_recommend_json(trained, workdir, capsys):
    users = _users(workdir)
    for kind in ("basic", "wmf"):
        code, result, err = _run(
            capsys, "recommend", "--data", "prep", "--model", f"model_files/{kind}.pt", "--users", *users,
            "--n", "7",
        )
        assert code == 0, err
        assert {"model", "strategy", "members", "recommendations"} <= set(result)
        assert result["members"] == {u: "trained" for u in users}
        recs = result["recommendations"]
        assert [r["rank"] for r in recs] == list(range(1, 8))
        assert len({r["track_id"] for r in recs}) == 7
        first = recs[0]
        assert {"rank", "track_id", "name", "artist", "score", "members"} <= set(first)
        assert isinstance(first["name"], str) and first["name"]
        assert set(first["members"]) == set(users)
        assert set(first["members"][users[0]]) == {"score", "rank"}


def test_recommend_exclude_seen_and_strategy(trained, workdir, capsys):
    users = _users(workdir, 2)
    code, result, err = _run(
        capsys, "recommend", "--data", "prep", "--model", "model_files/basic.pt", "--users", *users,
        "--strategy", "least_misery", "--exclude-seen",
    )
    assert code == 0, err
    assert result["strategy"] == "least_misery" and result["exclude_seen"] is True
    events = pd.read_parquet(workdir / "prep" / "train.parquet")
    heard = set(events[events["user_id"].astype(str).isin(users)]["track_id"])
    assert not heard & {r["track_id"] for r in result["recommendations"]}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "model_files/basic.pt", "--users", "no-such-user"], "no-such-user"),
        (["--model", "model_files/basic.pt", "--users"], "empty"),
        (["--model", "model_files/missing.pt", "--users", "1"], "does not exist"),
        (["--model", "corrupt.pt", "--users", "1"], "corrupt.pt"),
    ],
)
def test_recommend_errors_exit_2(trained, workdir, capsys, argv, message):
    (workdir / "corrupt.pt").write_text("not a model\n")
    code, _, err = _run(capsys, "recommend", "--data", "prep", *argv)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_recommend_warns_about_other_data(trained, workdir, capsys):
    from recsys.models import load_model

    model = load_model("model_files/basic.pt")
    model.fingerprint = "0" * 40
    model.save(workdir / "other.pt")
    user = _users(workdir, 1)[0]
    code, result, err = _run(capsys, "recommend", "--data", "prep", "--model", "other.pt", "--users", user)
    assert code == 0
    assert "other data" in err and result["warnings"] and "other data" in result["warnings"][0]


def test_bootstrap_generates_prepares_trains_then_is_idempotent(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(MODEL_ROOT_ENV, "model_files")  # the model store, inside tmp_path
    # A small demo (the default size is for the dashboard), prepared inside tmp_path.
    small = ["--users", "40", "--tracks", "120", "--prepared", "prep"]
    code, first, err = _run(capsys, "bootstrap", "--data", "demo", *small)
    assert code == 0, err
    assert first["generated"] is True
    assert (tmp_path / "demo" / "sessions.jsonl").is_file()
    # the pages' stored views are ready too: the Data overview, the user directory, the whole history
    prep = tmp_path / "prep"
    assert (prep / "overview" / "overview.json").is_file()
    assert (prep / "stored" / "user-directory").is_dir() and (prep / "stored" / "history").is_dir()
    stamps = {}
    for kind in ("basic", "wmf"):
        assert first["models"][kind]["status"] == "trained"
        stamps[kind] = (tmp_path / "model_files" / f"{kind}.pt").stat().st_mtime_ns
    code, second, err = _run(capsys, "bootstrap", "--data", "demo", *small)
    assert code == 0, err
    assert second["generated"] is False
    for kind in ("basic", "wmf"):
        assert second["models"][kind]["status"] == "exists"
        assert (tmp_path / "model_files" / f"{kind}.pt").stat().st_mtime_ns == stamps[kind]
    assert second["fingerprint"] == first["fingerprint"]


def test_train_wmf_with_the_notebooks_confidence(workdir, capsys, tmp_path):
    out = str(tmp_path / "log.pt")
    code, result, err = _run(
        capsys, "train", "--data", "prep", "--model", "wmf", "--epochs", "2", "--embedding-dim", "8",
        "--confidence", "log", "--alpha", "40", "--eps", "1e-8", "--reg", "1000", "--out", out,
    )  # fmt: skip
    assert code == 0, err
    c = result["config"]
    assert (c["confidence"], c["alpha"], c["eps"], c["reg"]) == ("log", 40.0, 1e-8, 1000.0)
    assert len(result["history"]) == 2


def test_recommend_explain_and_weights(trained, workdir, capsys):
    users = _users(workdir)
    code, result, err = _run(
        capsys, "recommend", "--data", "prep", "--model", "model_files/wmf.pt", "--users", *users,
        "--n", "4", "--strategy", "epfuzzda", "--weights", "1", "1", "2", "--explain", "--explain-top", "2",
    )  # fmt: skip
    assert code == 0, err
    assert result["weights"] == {users[0]: 1.0, users[1]: 1.0, users[2]: 2.0}
    train = pd.read_parquet(workdir / "prep" / "train.parquet")
    names = pd.read_parquet(workdir / "prep" / "tracks.parquet").set_index("id")["name"]
    for rec in result["recommendations"]:
        for uid in users:
            member = rec["members"][uid]
            assert member["explained_by"] == "history"
            because = member["because"]
            assert 1 <= len(because) <= 2
            assert [b["contribution"] for b in because] == sorted((b["contribution"] for b in because),
                                                                  reverse=True)
            heard = set(train.loc[train["user_id"].astype(str) == uid, "track_id"])
            for b in because:
                assert b["track_id"] in heard and b["contribution"] > 0  # their own history, named
                assert b["name"] == names[b["track_id"]]
    # without --explain the keys stay as they were
    code, plain, _ = _run(capsys, "recommend", "--data", "prep", "--model", "model_files/basic.pt",
                          "--users", *users, "--n", "3")
    assert set(plain["recommendations"][0]["members"][users[0]]) == {"score", "rank"}
    assert plain["weights"] is None


def test_recommend_basic_explains_by_own_plays(trained, workdir, capsys):
    user = _users(workdir, 1)[0]
    code, result, err = _run(capsys, "recommend", "--data", "prep", "--model", "model_files/basic.pt",
                             "--users", user, "--n", "1", "--explain")
    assert code == 0, err
    top = result["recommendations"][0]
    member = top["members"][user]
    # a group of one under the basic model gets its most played track: explained by that play itself
    assert member["explained_by"] == "own_plays"
    assert [b["track_id"] for b in member["because"]] == [top["track_id"]]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--weights", "1"], "one weight per member (3), got 1"),
        (["--weights", "1", "-1", "1"], "non-negative"),
        (["--strategy", "least_misery", "--weights", "1", "2", "3"], "takes no member weights"),
        (["--explain", "--explain-top", "0"], "--explain-top must be at least 1"),
    ],
)
def test_recommend_bad_weights_or_explain_exit_2(trained, workdir, capsys, extra, message):
    users = _users(workdir)
    code, _, err = _run(capsys, "recommend", "--data", "prep", "--model", "model_files/basic.pt",
                        "--users", *users, *extra)
    assert code == 2 and message in err and "Traceback" not in err
