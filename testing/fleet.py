"""Fleets of real repositories for fleet's tests: forks sharing history, one key in several."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from binance_guard.finding import fingerprint
from testing.cli import run_cli
from testing.git_repo import commit, git, make_repo
from testing.keys import fake_key

KEYS = [fake_key(f"fleet-{i}") for i in range(6)]


def env_file(key: str, secret: str | None = None) -> str:
    text = f"BINANCE_API_KEY={key}\n"
    return text + (f"BINANCE_API_SECRET={secret}\n" if secret else "")


def make_fleet(root: Path) -> dict[str, Path]:
    """alpha: a key pair at HEAD and a key only in history; gamma: a fork of alpha with its own
    commit; delta: vendors alpha's env file; beta: clean."""
    alpha = make_repo(root / "alpha")
    commit(alpha, {"README.md": "alpha\n", "src/app.py": "print('hi')\n"}, "start")
    commit(alpha, {"old.env": env_file(KEYS[1])}, "add old key")
    git(alpha, "rm", "-q", "old.env")
    git(alpha, "commit", "-q", "-m", "drop old key")
    commit(alpha, {"deploy/bot.env": env_file(KEYS[0], KEYS[5])}, "add bot key")
    beta = make_repo(root / "beta")
    commit(beta, {"README.md": "beta\n"}, "start")
    gamma = root / "gamma"
    subprocess.run(["git", "clone", "-q", str(alpha), str(gamma)], check=True)
    git(gamma, "config", "user.name", "Fork Author")
    git(gamma, "config", "user.email", "fork@example.com")
    commit(gamma, {"FORK.md": "a fork\n"}, "fork")
    delta = make_repo(root / "nested" / "delta")
    commit(delta, {"vendor/bot.env": env_file(KEYS[0], KEYS[5])}, "vendor alpha")
    return {"alpha": alpha, "beta": beta, "gamma": gamma, "delta": delta}


def unique_blobs(*repos: Path) -> set[str]:
    blobs: set[str] = set()
    for repo in repos:
        listing = git(repo, "rev-list", "--objects", "--all", "--no-object-names")
        types = subprocess.run(
            ["git", "cat-file", "--batch-check=%(objectname) %(objecttype)"],
            cwd=repo,
            input=listing,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        blobs.update(line.split()[0] for line in types.splitlines() if line.endswith(" blob"))
    return blobs


def fleet(
    cache: Path, *args: str, code: tuple[int, ...] = (0, 1), env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run the real command (JSON), check it never printed a key, and parse its report."""
    proc = run_cli(
        "fleet", "--cache-dir", str(cache), "--workers", "1", "--format", "json", *args, env=env
    )
    for key in KEYS:
        assert key not in proc.stdout + proc.stderr
    assert proc.returncode in code, proc.stderr + proc.stdout[:6000]
    assert "Traceback" not in proc.stderr, proc.stderr
    document: dict[str, Any] = json.loads(proc.stdout)
    document["exit"] = proc.returncode
    return document


def by_repo(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {Path(r["name"]).name: r for r in document["repos"]}


def found(document: dict[str, Any], status: str | None = None) -> set[tuple[str, int, str]]:
    """(repository, index in KEYS, path) of the findings, optionally those with a status."""
    index = {fingerprint(k): i for i, k in enumerate(KEYS)}
    return {
        (Path(f["repo"]).name, index.get(f["fingerprint"], -1), f["path"])
        for f in document["findings"]
        if status is None or f["status"] == status
    }


def store_bytes(cache: Path) -> bytes:
    data = b""
    for path in sorted(cache.glob("state.sqlite3*")):
        data += path.read_bytes()
    with sqlite3.connect(cache / "state.sqlite3") as db:
        data += "\n".join(str(row) for row in db.execute("SELECT * FROM finding")).encode()
    return data
