"""Synthetic repositories built in one ``git fast-import`` each: big fleets in seconds."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from testing.git_repo import GIT_ENV

EPOCH = 1_600_000_000


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


def _import(repo: Path, stream: bytes) -> None:
    subprocess.run(
        ["git", "fast-import", "--quiet", "--done"],
        cwd=repo,
        input=stream + b"done\n",
        check=True,
        env={**GIT_ENV, "PATH": "/usr/bin:/bin"},
    )


def _commits(
    name: str, start: int, count: int, files: int, keys: Mapping[int, str], parent: str | None
) -> bytes:
    out = b""
    for index in range(start, start + count):
        when = EPOCH + index * 3600
        out += b"commit refs/heads/main\n"
        out += f"author Dev {index % 7} <dev{index % 7}@example.com> {when} +0000\n".encode()
        out += f"committer Dev <dev@example.com> {when} +0000\n".encode()
        out += _data(f"{name}: change {index}")
        if parent is not None:
            out += f"from {parent}\n".encode()
            parent = None
        for number in range(files):
            body = "".join(
                f"# {name} commit {index} file {number} line {line}: value_{line * index}\n"
                for line in range(20)
            )
            out += f"M 100644 inline src/module_{number % 50}/file_{number}.py\n".encode()
            out += _data(body)
        if index in keys:
            out += b"M 100644 inline config/bot.env\n" + _data(keys[index])
    return out


def repository(
    path: Path, name: str, commits: int, files: int, keys: Mapping[int, str] | None = None
) -> Path:
    """A bare repository: ``commits`` commits on main, each rewriting ``files`` files with new
    content; ``keys[i]`` is the content of config/bot.env as of commit ``i``."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    _import(path, _commits(name, 0, commits, files, keys or {}, None))
    return path


def fork(source: Path, path: Path, name: str, commits: int = 1, files: int = 1) -> Path:
    """A bare clone of ``source`` with ``commits`` commits of its own on main."""
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(path)], check=True)
    _import(path, _commits(name, 10_000, commits, files, {}, "refs/heads/main^0"))
    return path


def add_commit(path: Path, name: str, bot_env: str) -> None:
    """One more commit on main of a repository made here, writing config/bot.env."""
    _import(path, _commits(name, 20_000, 1, 1, {20_000: bot_env}, "refs/heads/main^0"))
