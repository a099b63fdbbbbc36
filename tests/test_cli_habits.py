"""One command line in the habits of gitleaks and detect-secrets: every scanning command takes
the same reporting options, documents its exit codes and formats, and the README agrees."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from testing.cli import run_cli
from testing.git_repo import commit, stage
from testing.keys import fake_key

ROOT = Path(__file__).resolve().parents[1]
SCANNING = ("scan", "verify", "hook", "pre-push", "history", "ci")
SHARED = (
    "--format",
    "--output",
    "--exit-zero",
    "--show-secrets",
    "--min-confidence",
    "--baseline",
    "--exclude-files",
    "--exclude-lines",
    "--config",
)
KEY, SECRET = fake_key("habit-key"), fake_key("habit-secret")
BOT = f"from binance.client import Client\nclient = Client('{KEY}', '{SECRET}')\n"


@pytest.mark.parametrize("command", SCANNING)
def test_every_scanning_command_shares_options_and_documents_exits(command: str) -> None:
    proc = run_cli(command, "--help")
    assert proc.returncode == 0
    for option in SHARED:
        assert option in proc.stdout, (command, option)
    assert "exit codes:" in proc.stdout
    for line in ("  0  nothing found", "  1  ", "  2  usage or runtime error"):
        assert line in proc.stdout, (command, line)
    for fmt in ("text ", "json ", "sarif "):
        assert f"  {fmt}" in proc.stdout, (command, fmt)
    for marker in ("pragma: allowlist secret", "gitleaks:allow", "[allowlist]"):
        assert marker in proc.stdout, (command, marker)


def test_every_command_and_argument_has_help_and_exit_codes_are_said() -> None:
    """An option listed without a word of help (audit --format, fleet --format, REPO) or a
    command that never says what its exit code means (scrub: 1 is a dry run that found)."""
    import argparse

    from binance_guard.commands import parser

    (commands,) = [a for a in parser.build()._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in commands.choices.items():
        assert command.description, name
        for action in command._actions:
            assert action.help, (name, action.option_strings or action.dest)
        if name != "plugin-path":
            said = f"{command.description}\n{command.epilog or ''}"
            assert "exit codes:" in said or "Exit 0" in said, name


@pytest.mark.parametrize(("command", "effect"), [("scan", True), ("history", False)])
def test_verbose_says_what_it_does_where_it_is_accepted(
    leaky: Path, command: str, effect: bool
) -> None:
    """``-v`` was "list skipped files" on every command, and changed nothing on history."""
    (leaky / "logo.png").write_bytes(b"\x89PNG\x00\x00")
    commit(leaky, {"notes.md": "# notes\n"})
    quiet, loud = (run_cli(command, ".", *v, cwd=leaky).stdout for v in ((), ("-v",)))
    assert (quiet != loud) is effect
    helped = " ".join(run_cli(command, "--help").stdout.split())
    assert ("-v, --verbose list skipped files" in helped) is effect
    assert ("-v, --verbose no effect" in helped) is not effect


def test_top_level_help_says_the_exit_codes() -> None:
    text = " ".join(run_cli("--help").stdout.split())
    assert "exit codes: 0 nothing found, 1 credentials found, 2 usage or runtime error" in text


def test_fail_on_is_documented_for_unverified_keys() -> None:
    text = " ".join(run_cli("ci", "--help").stdout.split())
    assert "--fail-on" in text and "Without --verify" in text and "never critical" in text


def _documented() -> dict[str, set[str]]:
    """Options the README gives each command: in its ``binance-guard COMMAND [...]`` synopsis
    blocks, and after ``binance-guard COMMAND`` on a line of any code block or code span."""
    readme = (ROOT / "README.md").read_text()
    found: dict[str, set[str]] = {}
    for block in re.findall(r"```\n(binance-guard [a-z-]+ \[.*?)```", readme, re.S):
        for synopsis in re.split(r"\n(?=binance-guard )", block):
            command = synopsis.split()[1]
            found.setdefault(command, set()).update(re.findall(r"--[a-z-]+", synopsis))
    fenced = re.findall(r"^```[a-z]*\n(.*?)^```", readme, re.S | re.M)
    prose = re.sub(r"^```.*?^```", "", readme, flags=re.S | re.M)
    for code in [*fenced, *re.findall(r"`([^`\n]+)`", prose)]:
        for command, rest in re.findall(r"binance-guard ([a-z][a-z-]*)(.*)", code):
            found.setdefault(command, set()).update(re.findall(r"(?<![\w-])--[a-z-]+", rest))
    return found


def _helped(command: str) -> set[str]:
    return set(re.findall(r"--[a-z-]+", run_cli(command, "--help").stdout))


def test_readme_options_exist_in_help() -> None:
    documented = _documented()
    commands = set(re.findall(r"^    ([a-z][a-z-]*)\s", run_cli("--help").stdout, re.M))
    assert {"scan", "history", "init", "fleet", "scrub", "verify", "audit"} <= set(documented)
    assert set(documented) <= commands, set(documented) - commands
    for command, options in documented.items():
        assert options <= _helped(command), (command, options - _helped(command))
    for command in ("scan", "history"):
        assert set(SHARED) <= documented[command], command


@pytest.mark.parametrize(
    "command",
    ["scan", "history", "fleet", "scrub", "verify", "audit", "init", "hook", "pre-push", "ci"],
)
def test_every_option_in_help_is_in_the_readme(command: str) -> None:
    readme = (ROOT / "README.md").read_text()
    mentioned = set(re.findall(r"(?<![\w-])--[a-z-]+", readme))
    assert _helped(command) - {"--help", "--verbose"} <= mentioned, command


@pytest.fixture
def leaky(repo: Path) -> Path:
    commit(repo, {"bot.py": BOT})
    return repo


@pytest.mark.parametrize("command", ["scan", "history"])
def test_output_file_and_exit_zero(leaky: Path, command: str) -> None:
    target = leaky.parent / "report.json"
    proc = run_cli(command, ".", "--format", "json", "--output", str(target), cwd=leaky)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "report written to" in proc.stderr
    assert {f["path"] for f in json.loads(target.read_text())["findings"]} == {"bot.py"}
    zero = run_cli(command, ".", "--exit-zero", "--format", "sarif", cwd=leaky)
    assert zero.returncode == 0 and json.loads(zero.stdout)["runs"][0]["results"]
    assert KEY not in zero.stdout + target.read_text()


def test_exit_zero_keeps_errors(leaky: Path) -> None:
    assert run_cli("scan", "missing-path", "--exit-zero", cwd=leaky).returncode == 2


def test_history_shows_secrets_on_request_only(leaky: Path) -> None:
    hidden = run_cli("history", ".", "--no-progress", cwd=leaky)
    assert hidden.returncode == 1 and KEY not in hidden.stdout
    text = run_cli("history", ".", "--show-secrets", "--no-progress", cwd=leaky)
    assert text.returncode == 1 and KEY in text.stdout and SECRET in text.stdout
    data = json.loads(
        run_cli("history", ".", "--show-secrets", "--format", "json", cwd=leaky).stdout
    )
    assert {f["secret"] for f in data["findings"]} == {KEY, SECRET}


def test_hook_formats_and_output(repo: Path) -> None:
    commit(repo, {"README.md": "# bot\n"})
    clean = run_cli("hook", "--format", "json", cwd=repo)
    assert clean.returncode == 0 and json.loads(clean.stdout)["findings"] == []
    stage(repo, {"bot.py": BOT})
    sarif = run_cli("hook", "--format", "sarif", cwd=repo)
    assert sarif.returncode == 1
    (result,) = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(sarif.stdout)["runs"][0]["results"]
    }
    assert result == "bot.py"
    target = repo.parent / "hook.txt"
    written = run_cli("hook", "--output", str(target), "--exit-zero", cwd=repo)
    assert written.returncode == 0 and "Commit blocked" in target.read_text()
