"""The CLI dispatcher: every command offers --help, and errors map to exit codes."""

from __future__ import annotations

import pytest

from recsys.cli import COMMANDS, main


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    assert "--json" in capsys.readouterr().out


def test_missing_data_folder_is_exit_2(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["prepare", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "out"), "--json"])
    assert code == 2
    err = capsys.readouterr().err
    assert "nope" in err and "Traceback" not in err


def test_public_names_resolve() -> None:
    import recsys

    for name in recsys.__all__:
        assert getattr(recsys, name) is not None, name
