"""The help of every ``ogrine`` command, as ``ogrine COMMAND --help`` prints it (in this process:
argparse alone, nothing runs)."""

import re

import pytest

from ogrine_assets.cli import main


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def _options(said: str) -> dict[str, str]:
    """Each option of a help text (its flags as the key) with its whole description."""
    block = said.split("\noptions:\n", 1)[1]
    entries = re.split(r"\n(?=  -)", block.split("\n\n", 1)[0])
    return {entry.split()[0].rstrip(","): " ".join(entry.split()) for entry in entries}


def test_every_command_says_each_default_once(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse's defaults formatter appended "(default: None)" after a default the help
    already gave, in words: never twice, on every command, those added later too."""
    commands = re.findall(r"^    (\w+)", _help(capsys), re.M)
    assert {"materialize", "up", "serve", "soak", "replay", "paths"} <= set(commands)
    for command in commands:
        for option, text in _options(_help(capsys, command)).items():
            assert len(re.findall(r"default", text, re.I)) <= 1, (command, text)
            assert "None" not in text, (command, text)
            assert option.startswith("-"), (command, option)


def test_soak_and_replay_say_where_their_scratch_home_is_and_how_to_delete_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for command in ("soak", "replay"):
        home = _options(_help(capsys, command))["--home"]
        assert f"a new folder ogrine-{command}-* in the system's temporary folder" in home
        assert "($TMPDIR, else /tmp)" in home and "delete it with rm -r" in home


def test_dates_are_asked_and_checked_as_yyyy_mm_dd(capsys: pytest.CaptureFixture[str]) -> None:
    replay = _options(_help(capsys, "replay"))
    assert replay["--from"] == "--from YYYY-MM-DD the first day replayed, as YYYY-MM-DD"
    assert replay["--to"] == "--to YYYY-MM-DD the last day replayed, as YYYY-MM-DD"
    soak = _options(_help(capsys, "soak"))
    assert soak["--first-day"].startswith("--first-day YYYY-MM-DD the first simulated day")
    with pytest.raises(SystemExit) as refused:
        main(["replay", "--from", "05/10/2026", "--to", "2026-10-06"])
    assert refused.value.code == 2
    said = capsys.readouterr().err.splitlines()[-1]
    assert said == "ogrine replay: error: argument --from: not a date as YYYY-MM-DD: '05/10/2026'"
