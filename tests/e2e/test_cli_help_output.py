"""`cs-mailchimp --help` as people run it: a flag shows no type beside it, and a reader that
stops reading (`cs-mailchimp --help | head -1`) is not a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMAND = Path(sys.executable).parent / "cs-mailchimp"


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    clean.pop("CS_MAILCHIMP_LANG", None)
    return clean | {
        "CS_MAILCHIMP_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        "COLUMNS": "100",
        **extra,
    }


def script(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMMAND), *args],
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )


def into_a_closed_pipe(tmp_path: Path, *args: str) -> tuple[int, str]:
    """`cs-mailchimp ARGS | head -0`, without the race: nobody reads the pipe from the start,
    so the first write meets a broken pipe. Its exit code and stderr."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [str(COMMAND), *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(tmp_path),
            cwd=tmp_path,
            timeout=60,
        )
    finally:
        os.close(write_end)
    return done.returncode, done.stderr


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("command", [[], ["nightly"], ["sync"], ["tenants", "add"], ["status"]])
def test_flags_show_no_type_in_help(tmp_path: Path, command: list[str], lang: str) -> None:
    done = script(tmp_path, "--lang", lang, *command, "--help")
    assert done.returncode == 0, done.stderr
    assert "<bool>" not in done.stdout
    rows = {}
    for line in done.stdout.splitlines():
        words = [w for w in line.strip("│ ").split() if w != "*"]  # * marks a required one
        if words and words[0].startswith("--"):
            rows[words[0]] = words[1:]
    assert rows["--help"][0] in ("Show", "Afficher"), rows["--help"]  # no type in between
    if command == ["nightly"]:
        assert rows["--json"][0] in ("Print", "Afficher"), rows["--json"]
        assert rows["--now"][0] == "<str>"  # an option that takes a value keeps its type


@pytest.mark.parametrize(
    "args", [["--help"], ["--lang", "fr", "--help"], ["nightly", "--help"], ["tenants", "--help"]]
)
def test_help_into_a_closed_pipe_ends_quietly_with_0(tmp_path: Path, args: list[str]) -> None:
    assert into_a_closed_pipe(tmp_path, *args) == (0, "")


def test_output_into_a_closed_pipe_ends_quietly_with_0(tmp_path: Path) -> None:
    added = script(tmp_path, "tenants", "add", "salon", "--name", "Salon", "--timezone", "UTC")
    assert added.returncode == 0, added.stderr
    assert into_a_closed_pipe(tmp_path, "tenants", "list") == (0, "")


def test_a_help_that_answers_a_missing_command_keeps_its_exit_code(tmp_path: Path) -> None:
    # `cs-mailchimp` alone prints its help as the answer to a usage error: 2, piped or not.
    assert script(tmp_path).returncode == 2
    assert into_a_closed_pipe(tmp_path) == (2, "")


def test_help_through_head_exits_0(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"'{COMMAND}' --help | head -1"],
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.count("\n") == 1
