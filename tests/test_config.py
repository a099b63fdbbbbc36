"""The configuration file: every key changes what every command reports; flags override it;
a wrong file is one clear exit-2 line naming the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.cli import run_cli
from testing.git_repo import commit, git, stage, write
from testing.keys import fake_key

BOT = "from binance.client import Client\nclient = Client('{}', '{}')\n"
LOW = "api_key = '{}'\n"  # a 64-character credential with no Binance context


def _found(repo: Path, *args: str, command: str = "scan") -> list[dict[str, object]]:
    proc = run_cli(command, *args, "--format", "json", cwd=repo)
    assert proc.returncode in (0, 1), proc.stderr
    findings: list[dict[str, object]] = json.loads(proc.stdout)["findings"]
    return findings


def _paths(findings: list[dict[str, object]]) -> set[object]:
    return {f["path"] for f in findings}


@pytest.fixture
def leaky(repo: Path) -> Path:
    commit(
        repo,
        {
            "bot.py": BOT.format(fake_key(1), fake_key(2)),
            "vendor/lib.py": BOT.format(fake_key(3), fake_key(4)),
            "tests/test_bot.py": BOT.format(fake_key(5), fake_key(6)),
            "plain.py": LOW.format(fake_key(7)),
        },
    )
    return repo


def test_no_config_reports_everything(leaky: Path) -> None:
    assert _paths(_found(leaky)) == {"bot.py", "vendor/lib.py", "tests/test_bot.py"}


def test_min_confidence_from_config_and_flag_overrides(leaky: Path) -> None:
    write(leaky, ".binance-guard.toml", 'min_confidence = "low"\n')
    assert "plain.py" in _paths(_found(leaky))
    assert "plain.py" not in _paths(_found(leaky, "--min-confidence", "medium"))


def test_exclude_paths_and_allowlisted_paths(leaky: Path) -> None:
    write(
        leaky,
        ".binance-guard.toml",
        'exclude_paths = ["^vendor/"]\n[allowlist]\npaths = ["^tests/"]\n',
    )
    assert _paths(_found(leaky)) == {"bot.py"}
    # --exclude-files adds to the file's patterns
    assert _paths(_found(leaky, "--exclude-files", "^bot")) == set()


def test_each_pattern_keeps_its_own_flags_and_groups(leaky: Path) -> None:
    """Valid patterns stay valid together: a leading (?i) and a back-reference are each
    pattern's own, where one pattern joined from all refused the first and renumbered the
    second."""
    write(
        leaky,
        ".binance-guard.toml",
        'exclude_paths = ["(?i)^VENDOR/", "^(t)es\\\\1s/"]\n[allowlist]\npaths = ["(?i)PLAIN"]\n',
    )
    assert _paths(_found(leaky, "--min-confidence", "low")) == {"bot.py"}
    assert _paths(_found(leaky, "--exclude-files", "(?i)^BOT")) == set()


def test_allowlisted_line_regex(leaky: Path) -> None:
    write(leaky, "other.py", BOT.format(fake_key(8), fake_key(9)).replace("')", "')  # demo"))
    write(leaky, ".binance-guard.toml", '[allowlist]\nregexes = ["#\\\\s*demo$"]\n')
    paths = _paths(_found(leaky))
    assert "other.py" not in paths and "bot.py" in paths


@pytest.mark.parametrize("command", ["scan", "history", "hook"])
def test_exclude_lines_flag_adds_to_the_line_regexes(leaky: Path, command: str) -> None:
    """detect-secrets users bring `--exclude-lines` in their hook's args."""
    demo = BOT.format(fake_key(8), fake_key(9)).replace("')", "')  # demo")
    (stage if command == "hook" else commit)(
        leaky, {"other.py": demo, "more.py": demo.replace("demo", "sample")}
    )
    write(leaky, ".binance-guard.toml", '[allowlist]\nregexes = ["# sample$"]\n')
    args = ["other.py", "more.py"] if command == "hook" else ["."]
    assert {"other.py"} <= _paths(_found(leaky, *args, command=command))
    kept = _paths(_found(leaky, *args, "--exclude-lines", "#\\s*demo$", command=command))
    assert "other.py" not in kept and "more.py" not in kept
    if command != "hook":
        assert "bot.py" in kept
    proc = run_cli(command, *args, "--exclude-lines", "(", cwd=leaky)
    assert proc.returncode == 2 and "--exclude-lines: invalid regular expression" in proc.stderr


def test_allowlisted_fingerprint_needs_a_reason(leaky: Path) -> None:
    findings = _found(leaky)
    fp = next(f["fingerprint"] for f in findings if f["path"] == "bot.py")
    write(leaky, ".binance-guard.toml", f'[[allowlist.fingerprints]]\nfingerprint = "{fp}"\n')
    proc = run_cli("scan", ".", cwd=leaky)
    assert proc.returncode == 2
    assert "allowlist.fingerprints[0].reason" in proc.stderr and "Traceback" not in proc.stderr
    with (leaky / ".binance-guard.toml").open("a") as handle:
        handle.write('reason = "revoked test key"\n')
    kept = {f["fingerprint"] for f in _found(leaky)}
    assert fp not in kept and len(kept) == len(findings) - 1


def test_allowlisted_commits_in_history(repo: Path) -> None:
    old = commit(repo, {"bot.py": BOT.format(fake_key(1), fake_key(2))}, "add bot")
    commit(repo, {"new.py": BOT.format(fake_key(3), fake_key(4))}, "add another")
    assert _paths(_found(repo, ".", command="history")) == {"bot.py", "new.py"}
    write(repo, ".binance-guard.toml", f'[allowlist]\ncommits = ["{old[:12]}"]\n')
    assert _paths(_found(repo, ".", command="history")) == {"new.py"}


def test_pyproject_table_and_own_file_first(leaky: Path) -> None:
    write(leaky, "pyproject.toml", '[tool.binance-guard]\nexclude_paths = ["^vendor/"]\n')
    assert "vendor/lib.py" not in _paths(_found(leaky))
    write(leaky, ".binance-guard.toml", 'exclude_paths = ["^tests/"]\n')
    assert _paths(_found(leaky)) == {"bot.py", "vendor/lib.py"}


def test_config_is_found_from_a_subdirectory_and_from_outside(leaky: Path) -> None:
    write(leaky, ".binance-guard.toml", 'exclude_paths = ["vendor/"]\n')
    assert "vendor/lib.py" not in _paths(_found(leaky / "tests", str(leaky)))
    assert "vendor/lib.py" not in _paths(_found(leaky.parent, str(leaky)))


def test_hook_reads_the_config_when_something_is_staged(repo: Path) -> None:
    commit(repo, {"README.md": "hello\n"})
    stage(repo, {"vendor/lib.py": BOT.format(fake_key(1), fake_key(2))})
    assert run_cli("hook", cwd=repo).returncode == 1
    write(repo, ".binance-guard.toml", 'exclude_paths = ["^vendor/"]\n')
    proc = run_cli("hook", cwd=repo)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("min_confidence = 'severe'\n", "min_confidence"),
        ("exclude_path = []\n", "exclude_path"),
        ("exclude_paths = '^vendor/'\n", "exclude_paths"),
        ("exclude_paths = ['(']\n", "exclude_paths[0]"),
        ("[allowlist]\ncommits = ['not-a-sha']\n", "allowlist.commits[0]"),
        ("[[allowlist.fingerprints]]\nfingerprint = 'abc'\nreason = 'x'\n", "fingerprint"),
        ("min_confidence = \n", "invalid TOML"),
        ("a = " + "[" * 2000 + "\n", "invalid TOML: nested too deeply"),
        ("min_confidence = 'caf\udce9'\n", "invalid TOML: not UTF-8"),
    ],
)
def test_invalid_config_is_a_one_line_error(leaky: Path, content: str, named: str) -> None:
    # a repository's own file: any bytes (a lone surrogate stands for one that is not UTF-8)
    (leaky / ".binance-guard.toml").write_bytes(content.encode("utf-8", "surrogateescape"))
    proc = run_cli("scan", ".", cwd=leaky)
    assert proc.returncode == 2
    assert named in proc.stderr and ".binance-guard.toml" in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


def test_explicit_config_flag(leaky: Path, tmp_path: Path) -> None:
    other = write(tmp_path, "strict.toml", 'exclude_paths = ["."]\n')
    assert _found(leaky, "--config", str(other)) == []
    assert run_cli("scan", ".", "--config", str(tmp_path / "none.toml"), cwd=leaky).returncode == 2
    git(leaky, "status")


@pytest.mark.parametrize("content", ["[tool.poetry]\nname = 'bot'\n", "tool = 'binance-guard'\n"])
def test_an_explicit_pyproject_without_our_table_is_an_error(
    leaky: Path, tmp_path: Path, content: str
) -> None:
    """Named on purpose: it passed for an empty table, the defaults for the user's settings."""
    other = write(tmp_path, "pyproject.toml", content)
    proc = run_cli("scan", ".", "--config", str(other), cwd=leaky)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "no [tool.binance-guard] table" in proc.stderr
    write(tmp_path, "pyproject.toml", "[tool.binance-guard]\nexclude_paths = ['.']\n")
    assert _found(leaky, "--config", str(other)) == []


@pytest.mark.parametrize("command", ["scan", "hook", "history"])
def test_config_and_no_config_together_is_a_usage_error(leaky: Path, command: str) -> None:
    """Which one won was silent: --no-config, over the file the user named."""
    stage(leaky, {"new.py": BOT.format(fake_key(8), fake_key(9))})  # past the hook's clean path
    proc = run_cli(command, "--config", ".binance-guard.toml", "--no-config", cwd=leaky)
    assert proc.returncode == 2 and "not allowed with argument" in proc.stderr, proc.stderr


def test_readme_example_is_a_valid_config() -> None:
    import re
    import tomllib

    from binance_guard import config

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = re.search(r"```toml\n# \.binance-guard\.toml\n(.*?)```", readme, re.S)
    assert block is not None
    settings = config.parse(tomllib.loads(block.group(1)), "README.md")
    assert settings.min_confidence == "medium" and settings.fingerprints and settings.commits


def test_a_broken_pyproject_without_our_table_is_not_our_business(leaky: Path) -> None:
    write(leaky, "pyproject.toml", "[tool.poetry]\nname = 'bot'\nname = 'twice'\n")
    assert _paths(_found(leaky)) == {"bot.py", "vendor/lib.py", "tests/test_bot.py"}
    write(
        leaky,
        "pyproject.toml",
        "[tool.binance-guard]\nmin_confidence = 'low'\n[tool.binance-guard]\n",
    )
    proc = run_cli("scan", ".", cwd=leaky)
    assert proc.returncode == 2 and "pyproject.toml: invalid TOML" in proc.stderr


@pytest.mark.parametrize("shape", ["directory", "dangling symlink"])
@pytest.mark.parametrize("command", ["scan", "hook", "history"])
def test_a_settings_file_that_is_not_a_file_is_a_one_line_error(
    leaky: Path, shape: str, command: str
) -> None:
    """It was taken for absent: the defaults (or pyproject.toml's table) replaced the
    settings the user believes apply, without a word."""
    target = leaky / ".binance-guard.toml"
    if shape == "directory":
        target.mkdir()
    else:
        target.symlink_to("settings/gone.toml")
    stage(leaky, {"new.py": BOT.format(fake_key(8), fake_key(9))})
    proc = run_cli(command, *([] if command == "hook" else ["."]), cwd=leaky)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("binance-guard: error: ") and proc.stderr.count("\n") == 1
    assert ".binance-guard.toml" in proc.stderr and "not a file" in proc.stderr
