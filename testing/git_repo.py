"""Real git repositories in temp directories, as pre-commit's own tests build them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(
    repo: Path | str, *args: str, check: bool = True, env: Mapping[str, str] | None = None
) -> str:
    """``env``: more variables (another author or committer: GIT_COMMITTER_NAME...)."""
    env = {**os.environ, **GIT_ENV, "HOME": str(repo), **(env or {})}
    proc = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Test Author")
    git(path, "config", "user.email", "author@example.com")
    git(path, "config", "commit.gpgsign", "false")
    return path


def with_pre_push_hook(path: Path) -> tuple[Path, Path]:
    """A repository (``path/user``) whose plain git pre-push hook is binance-guard, no
    pre-commit involved, with one commit and an empty bare remote ``origin``."""
    repo = make_repo(path / "user")
    remote = path / "remote.git"
    git(path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    hook = repo / ".git" / "hooks" / "pre-push"
    hook.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m binance_guard pre-push "$@"\n')
    hook.chmod(0o755)
    commit(repo, {"README.md": "# bot\n"}, "readme")
    return repo, remote


def store_blob(repo: Path, content: str) -> str:
    """Write ``content`` as a loose blob that no commit holds; its id."""
    return subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=repo,
        input=content,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def write(repo: Path, name: str, content: str | bytes) -> Path:
    target = repo / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content)
    return target


def stage(repo: Path, files: Mapping[str, str | bytes]) -> None:
    for name, content in files.items():
        write(repo, name, content)
    git(repo, "add", "--", *files)


def commit(repo: Path, files: Mapping[str, str | bytes], message: str = "change") -> str:
    stage(repo, files)
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def damage_in_pack(repo: Path, oid: str) -> None:
    """Flip the bytes of one object's zlib stream inside the repository's only pack (after
    ``git repack -ad``): its header still reads, inflating it fails."""
    [pack] = (repo / ".git" / "objects" / "pack").glob("*.pack")
    [row] = [
        line.split()
        for line in git(repo, "verify-pack", "-v", str(pack.with_suffix(".idx"))).splitlines()
        if line.startswith(oid)
    ]
    packed, offset = int(row[3]), int(row[4])
    data = bytearray(pack.read_bytes())
    for i in range(offset + 3, offset + packed - 1):
        data[i] ^= 0xFF
    pack.chmod(0o644)
    pack.write_bytes(bytes(data))


def drop_from_pack(repo: Path, oid: str) -> None:
    """Repack the repository without one object: as if it was lost (git cannot read it)."""
    git(repo, "repack", "-adq")
    pack_dir = repo / ".git" / "objects" / "pack"
    old = list(pack_dir.iterdir())
    listing = git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
    subprocess.run(
        ["git", "pack-objects", "-q", str(pack_dir / "pack")],
        cwd=repo,
        input="".join(f"{o}\n" for o in listing.split() if o != oid),
        text=True,
        check=True,
        capture_output=True,
    )
    for path in old:
        path.unlink()
