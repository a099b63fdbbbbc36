"""``binance-guard init``: one step, again without harm, never over a user's file; and what
it writes works with the real pre-commit (a key is blocked at commit and at push)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from testing.cli import run_cli
from testing.git_repo import GIT_ENV, commit, git, make_repo, stage, write
from testing.github import assert_no_secret
from testing.keys import fake_key

ROOT = Path(__file__).resolve().parents[1]
REV = "0123456789abcdef0123456789abcdef01234567"
FILES = (".pre-commit-config.yaml", ".gitignore", ".binance-guard.toml")


def _init(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = run_cli("init", "--rev", REV, *args, cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _hooks(repo: Path) -> dict[str, list[str]]:
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    return {h["id"]: h.get("args", []) for r in config["repos"] for h in r["hooks"]}


def test_init_writes_everything_then_changes_nothing(repo: Path) -> None:
    first = _init(repo)
    assert "pre-commit install --hook-type pre-commit --hook-type pre-push" in first.stdout
    written = {name: (repo / name).read_text() for name in FILES}
    config = yaml.safe_load(written[".pre-commit-config.yaml"])
    assert config["repos"][0]["rev"] == REV
    assert set(_hooks(repo)) == {"binance-guard", "binance-guard-pre-push"}
    assert "created .gitignore" in first.stdout
    second = _init(repo)
    assert {name: (repo / name).read_text() for name in FILES} == written
    assert "kept .pre-commit-config.yaml" in second.stdout and "created" not in second.stdout
    assert run_cli("scan", ".", cwd=repo).returncode == 0  # the settings file is valid


def test_a_different_rev_is_said_not_silently_kept(repo: Path) -> None:
    """--rev (or a newer install) on a configuration that already runs both hooks changed
    nothing and said only 'kept'."""
    _init(repo)
    assert "pins binance-guard" not in _init(repo).stdout
    newer = "89abcdef" * 5
    again = _init(repo, "--rev", newer)
    assert f"pins binance-guard at rev {REV}, not {newer}: edit its rev: line" in again.stdout
    assert yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["rev"] == REV


def test_gitignore_ignores_key_files_but_not_examples(repo: Path) -> None:
    write(repo, ".gitignore", "node_modules/")  # no final newline: kept, extended
    _init(repo)
    assert (repo / ".gitignore").read_text().startswith("node_modules/\n")
    ignored = [".env", ".env.production", "config.json", "user_data/config-bot.json", "bot.pem"]
    kept = [".env.example", "config_examples/config_binance.json", "config.example.json", "a.py"]
    for name in ignored:
        assert subprocess.run(["git", "check-ignore", "-q", name], cwd=repo).returncode == 0, name
    for name in kept:
        assert subprocess.run(["git", "check-ignore", "-q", name], cwd=repo).returncode == 1, name


def test_existing_pre_commit_config_is_merged_keeping_comments(repo: Path) -> None:
    mine = (
        "# my hooks\nrepos:\n- repo: https://github.com/psf/black\n  rev: 24.1.0  # pinned\n"
        "  hooks:\n  - id: black\ndefault_stages: [pre-commit]\n"
    )
    write(repo, ".pre-commit-config.yaml", mine)
    proc = _init(repo)
    text = (repo / ".pre-commit-config.yaml").read_text()
    assert text.startswith(mine.split("default_stages")[0]) and "# pinned" in text
    config = yaml.safe_load(text)
    assert config["default_stages"] == ["pre-commit"]
    assert config["repos"][0]["repo"] == "https://github.com/psf/black"
    assert set(_hooks(repo)) == {"black", "binance-guard", "binance-guard-pre-push"}
    assert "updated .pre-commit-config.yaml" in proc.stdout


def test_crlf_files_keep_their_line_endings(repo: Path) -> None:
    """Merged into, not rewritten: a Windows checkout's CRLF config came back all LF (every
    line changed in the diff) and .gitignore got LF lines after CRLF ones."""
    mine = b"# my hooks\r\nrepos:\r\n  - repo: local\r\n    hooks:\r\n      - id: x\r\n"
    mine += b"        name: x\r\n        entry: 'true'\r\n        language: system\r\n"
    write(repo, ".pre-commit-config.yaml", mine)
    write(repo, ".gitignore", b"node_modules/\r\n*.log")
    _init(repo)
    config = (repo / ".pre-commit-config.yaml").read_bytes()
    assert config.startswith(mine) and b"binance-guard-pre-push\r\n" in config
    assert config.count(b"\n") == config.count(b"\r\n")
    assert set(_hooks(repo)) == {"x", "binance-guard", "binance-guard-pre-push"}
    ignore = (repo / ".gitignore").read_bytes()
    assert ignore.startswith(b"node_modules/\r\n*.log\r\n") and b"\r\n.env\r\n" in ignore
    assert ignore.count(b"\n") == ignore.count(b"\r\n")
    assert subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=repo).returncode == 0


def test_unmergeable_config_is_left_to_the_user_with_the_text(repo: Path) -> None:
    flow = "repos: [{repo: meta, hooks: [{id: check-hooks-apply}]}]\n"
    write(repo, ".pre-commit-config.yaml", flow)
    proc = _init(repo)
    assert (repo / ".pre-commit-config.yaml").read_text() == flow
    assert "add to the repos: list" in proc.stdout and REV in proc.stdout


@pytest.mark.parametrize(
    "content",
    [b"repos: 5\n", b"repos:\n  - repo: x\n    hooks: 7\n", b"repos:\n  - 5\n"],
)
def test_a_config_of_another_shape_is_kept(repo: Path, content: bytes) -> None:
    """A number where a list belongs was a TypeError, an internal error: the user's lines
    stay, ours are added after them or left to the user."""
    (repo / ".pre-commit-config.yaml").write_bytes(content)
    proc = _init(repo)
    after = (repo / ".pre-commit-config.yaml").read_bytes()
    if after == content:
        assert "add to the repos: list" in proc.stdout
    else:
        assert after.startswith(content) and b"binance-guard-pre-push" in after


@pytest.mark.parametrize(
    ("content", "why"),
    [(b"repos:\n  - repo: caf\xe9\n", "not UTF-8"), (b"a: " + b"[" * 5000, "")],
)
def test_an_unreadable_config_is_a_one_line_error(repo: Path, content: bytes, why: str) -> None:
    (repo / ".pre-commit-config.yaml").write_bytes(content)
    proc = run_cli("init", "--rev", REV, cwd=repo)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert ".pre-commit-config.yaml is not valid YAML" in proc.stderr and why in proc.stderr
    assert (repo / ".pre-commit-config.yaml").read_bytes() == content


def test_a_gitignore_that_is_not_utf8_is_extended(repo: Path) -> None:
    (repo / ".gitignore").write_bytes(b"caf\xe9/\n")
    _init(repo)
    ignore = (repo / ".gitignore").read_bytes()
    assert ignore.startswith(b"caf\xe9/\n") and b"\n.env\n" in ignore


def test_user_files_are_replaced_only_with_force(repo: Path) -> None:
    write(repo, ".binance-guard.toml", 'min_confidence = "high"\n')
    _init(repo)
    assert (repo / ".binance-guard.toml").read_text() == 'min_confidence = "high"\n'
    _init(repo, "--force")
    assert "[allowlist]" in (repo / ".binance-guard.toml").read_text()


@pytest.mark.parametrize(
    ("link", "args"),
    [
        (".gitignore", ()),  # appended to
        (".pre-commit-config.yaml", ()),  # a dangling link: created where it points
        (".binance-guard.toml", ("--force",)),  # overwritten
        (".github", ("--github-action",)),  # a folder on the way
    ],
)
def test_a_symbolic_link_in_the_repository_is_never_written_through(
    repo: Path, tmp_path: Path, link: str, args: tuple[str, ...]
) -> None:
    """A cloned repository's link could point init's writes at ~/.bashrc or ~/.ssh."""
    outside = tmp_path / "home"
    outside.mkdir()
    (outside / "victim").write_text("# precious\n")  # valid TOML, YAML and .gitignore
    target = outside if link == ".github" else outside / ("victim" if args else "new")
    (repo / link).symlink_to(target)
    proc = run_cli("init", "--rev", REV, *args, cwd=repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{link} is a symbolic link" in proc.stderr and "internal error" not in proc.stderr
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]
    assert (outside / "victim").read_text() == "# precious\n"


def test_baseline_is_passed_to_both_hooks(repo: Path) -> None:
    write(repo, ".secrets.baseline", '{"results": {}}\n')
    _init(repo)
    assert _hooks(repo) == {
        "binance-guard": ["--baseline", ".secrets.baseline"],
        "binance-guard-pre-push": ["--baseline", ".secrets.baseline"],
    }


def test_github_workflow_on_request(repo: Path) -> None:
    _init(repo)
    assert not (repo / ".github").exists()
    _init(repo, "--github-action")
    workflow = yaml.safe_load((repo / ".github/workflows/binance-guard.yml").read_text())
    uses = [s["uses"] for s in workflow["jobs"]["binance-guard"]["steps"] if "uses" in s]
    assert f"binance-guard/binance-guard@{REV}" in uses
    assert all(len(u.split("@")[1]) == 40 for u in uses)


def test_committed_key_files_are_pointed_out(repo: Path) -> None:
    commit(repo, {"config.json": '{"exchange": {"name": "binance"}}\n'})
    proc = _init(repo)
    assert "config.json is committed but now ignored" in proc.stdout


def test_committed_key_files_with_hostile_names_are_shown_and_quoted(repo: Path) -> None:
    """A cloned repository's file names reach the terminal escaped, and the suggested
    `git rm --cached` removes that file, pasted into a shell, and runs nothing else."""
    shown = "config;touch pwned;.json"
    hostile = "config\x1b]0;owned\x07.json"
    commit(repo, {shown: "{}\n", hostile: "{}\n"})
    proc = _init(repo)
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "config\\x1b]0;owned\\x07.json" in proc.stdout
    [command] = [line.split("`")[1] for line in proc.stdout.splitlines() if "config;touch" in line]
    subprocess.run(["sh", "-c", command], cwd=repo, check=True, capture_output=True)
    assert not (repo / "pwned").exists()
    assert git(repo, "ls-files", "--", shown) == ""  # the right file left the index


def test_a_yaml_error_does_not_quote_the_file(repo: Path) -> None:
    """The parser's message quotes the offending line, which may hold a key: only where."""
    key = fake_key("init-yaml")
    content = f'repos:\n  - repo: x\n    api_key: "{key}" "\n'
    (repo / ".pre-commit-config.yaml").write_text(content)
    proc = run_cli("init", "--rev", REV, cwd=repo)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "is not valid YAML (found unexpected end of stream, line 4" in proc.stderr
    assert_no_secret(proc.stderr, [key])


@pytest.mark.parametrize("args", [("--rev", "main"), ("--rev", "abc123")])
def test_refuses_to_pin_anything_but_a_full_sha(repo: Path, args: tuple[str, str]) -> None:
    proc = run_cli("init", *args, cwd=repo)
    assert proc.returncode == 2 and "full 40-digit commit SHA" in proc.stderr


def test_outside_a_repository_is_an_error(tmp_path: Path) -> None:
    proc = run_cli("init", "--rev", REV, cwd=tmp_path)
    assert proc.returncode == 2 and "git init" in proc.stderr
    assert not (tmp_path / ".pre-commit-config.yaml").exists()


# --- the real pre-commit, with what init wrote ----------------------------------------------


@pytest.fixture(scope="module")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    base = tmp_path_factory.mktemp("init-pre-commit")
    clone = base / "binance-guard"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    yield clone, git(clone, "rev-parse", "HEAD").strip()
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_init_output_blocks_a_key_at_commit_and_at_push(
    tmp_path: Path, hook_source: tuple[Path, str]
) -> None:
    clone, rev = hook_source
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    repo = make_repo(tmp_path / "bot")
    commit(repo, {"README.md": "# bot\n"})
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    proc = run_cli("init", "--repo-url", str(clone), "--rev", rev, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "binance-guard init")

    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "HOME": str(repo)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"

    def run(*cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=False)

    pre_commit = (sys.executable, "-m", "pre_commit")
    installed = run(*pre_commit, "install", "--hook-type", "pre-commit", "--hook-type", "pre-push")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    key, secret = fake_key("init-key"), fake_key("init-secret")
    stage(repo, {"bot.py": f"from binance.client import Client\nc = Client('{key}', '{secret}')\n"})
    blocked = run("git", "commit", "-m", "add bot")
    assert blocked.returncode != 0 and "bot.py:2" in blocked.stdout + blocked.stderr
    assert key not in blocked.stdout + blocked.stderr
    git(repo, "commit", "-q", "--no-verify", "-m", "add bot anyway")
    pushed = run("git", "push", "origin", "main")
    assert pushed.returncode != 0, pushed.stdout + pushed.stderr
    assert "Push blocked by binance-guard" in pushed.stdout + pushed.stderr
    assert git(remote, "log", "--format=%s", "main").strip() == "change"  # nothing arrived
