"""A key --verify could not check is counted like a file that could not be read: in JSON's
``incomplete``, exit 2, and ``--allow-incomplete`` accepts it, for every command that verifies.
Real servers on 127.0.0.1: one that redirects (never followed), Binance's fake that bans."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.cli import run_cli
from testing.fake_binance import Account, FakeBinance, running
from testing.git_repo import commit, make_repo
from testing.hostile_http import Hostile, redirect, serving
from testing.keys import fake_key

KEYS = [fake_key(f"verify-incomplete-{i}") for i in range(4)]
UNCHECKED = {"key(s) not verified (invalid_answer)": 1}


def _bot(key: str, secret: str) -> str:
    return f'from binance.client import Client\nclient = Client("{key}", "{secret}")\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"bot.py": _bot(KEYS[0], KEYS[1])}, "bot")
    return repo


@pytest.fixture
def redirecting() -> Iterator[str]:
    """Answers every request with a redirect elsewhere: no key can be checked."""
    with serving(Hostile(redirect(302, "http://127.0.0.1:9/elsewhere"))) as server:
        yield server.url


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = run_cli(*args, cwd=cwd)
    for key in KEYS:
        assert key not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


@pytest.mark.parametrize(
    "command",
    [["scan", "--verify"], ["verify"], ["history", "--verify", "--no-progress"]],
    ids=["scan", "verify", "history"],
)
def test_a_key_not_checked_is_counted_and_accepted_like_an_unread_file(
    repo: Path, redirecting: str, command: list[str]
) -> None:
    args = [*command, "--api-url", redirecting, "--format", "json"]
    proc = _cli(*args, cwd=repo)
    assert proc.returncode == 2, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["incomplete"] == UNCHECKED
    assert {f["verification"]["status"] for f in doc["findings"]} == {"invalid_answer"}
    assert any("1 of 1 key(s) could not be checked (invalid_answer" in n for n in doc["notes"])
    assert "INCOMPLETE: 1 key(s) not verified (invalid_answer)" in proc.stderr
    accepted = _cli(*args, "--allow-incomplete", cwd=repo)
    assert accepted.returncode == 1, accepted.stderr  # the key is still a finding
    assert "incomplete (accepted)" in accepted.stderr
    text = _cli(*command, "--api-url", redirecting, cwd=repo)
    assert text.returncode == 2
    assert "INCOMPLETE: 1 key(s) not verified (invalid_answer)." in text.stdout


def test_keys_are_counted_once_each_by_status(repo: Path) -> None:
    commit(repo, {"other.py": _bot(KEYS[2], KEYS[3])}, "another bot")
    with running(FakeBinance()) as binance:
        binance.queued = [(418, {}, {"Retry-After": "60"})]  # banned: the run stops
        proc = _cli("scan", "--verify", "--api-url", binance.url, "--format", "json", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    assert json.loads(proc.stdout)["incomplete"] == {
        "key(s) not verified (not_checked)": 1,
        "key(s) not verified (rate_limited)": 1,
    }


def test_every_key_checked_is_complete(repo: Path) -> None:
    with running(FakeBinance()) as binance:
        binance.accounts[KEYS[0]] = Account(secret=KEYS[1])
        proc = _cli("scan", "--verify", "--api-url", binance.url, "--format", "json", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["incomplete"] == {} and "INCOMPLETE" not in proc.stderr
    assert {f["verification"]["status"] for f in doc["findings"]} == {"live"}


def test_audit_counts_its_key_the_same_way(redirecting: str) -> None:
    proc = run_cli(
        "audit",
        "--api-url",
        redirecting,
        "--format",
        "json",
        env={"BINANCE_API_KEY": KEYS[0], "BINANCE_API_SECRET": KEYS[1]},
    )
    assert proc.returncode == 2, proc.stderr
    assert json.loads(proc.stdout)["incomplete"] == UNCHECKED
    assert KEYS[0] not in proc.stdout + proc.stderr and KEYS[1] not in proc.stdout


def test_fleet_counts_and_accepts_the_same_way(repo: Path, redirecting: str) -> None:
    pytest.importorskip("distributed")
    args = ["fleet", str(repo), "--cache-dir", str(repo.parent / "cache"), "--workers", "1"]
    args += ["--no-progress", "--verify", "--api-url", redirecting, "--format", "json"]
    proc = _cli(*args)
    assert proc.returncode == 2, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["incomplete"] == UNCHECKED
    assert "INCOMPLETE: 1 key(s) not verified (invalid_answer)" in proc.stderr
    accepted = _cli(*args, "--allow-incomplete")
    assert accepted.returncode == 1, accepted.stderr
