"""Running git: one place that turns git's failures into errors a person can act on."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from typing import IO

from binance_guard.errors import GuardError

READ_BUFFER = 1 << 20


class GitError(GuardError, RuntimeError):
    """git failed or is missing; the message says what to do."""


def run(args: Sequence[str], cwd: str | None = None, stdin: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}"
        raise GitError(f"git {' '.join(args[:2])} failed: {message}")
    return proc.stdout


def toplevel(path: str) -> str | None:
    """The work tree containing ``path``, or None outside any repository."""
    directory = path if os.path.isdir(path) else os.path.dirname(path) or "."
    try:
        out = run(["rev-parse", "--show-toplevel"], cwd=directory)
    except GitError:
        return None
    return os.fsdecode(out.rstrip(b"\n")) or None


def read_blobs(object_ids: Sequence[str], cwd: str | None = None) -> dict[str, bytes]:
    """Contents of many blobs with one ``git cat-file --batch``."""
    if not object_ids:
        return {}
    out = run(
        ["cat-file", "--batch"], cwd=cwd, stdin="".join(f"{o}\n" for o in object_ids).encode()
    )
    blobs: dict[str, bytes] = {}
    pos = 0
    for oid in object_ids:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].split()
        if header[-1] == b"missing":
            pos = header_end + 1
            continue
        size = int(header[2])
        start = header_end + 1
        blobs[oid] = out[start : start + size]
        pos = start + size + 1
    return blobs


def popen(
    args: Sequence[str], cwd: str, stdin: IO[bytes] | int | None = None
) -> subprocess.Popen[bytes]:
    """A streaming git process; pair with :func:`wait` to surface its failure."""
    try:
        return subprocess.Popen(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=cwd,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=READ_BUFFER,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None


def wait(proc: subprocess.Popen[bytes], what: str) -> None:
    stderr = proc.stderr.read() if proc.stderr else b""
    if proc.wait() != 0:
        raise GitError(f"{what} failed: {stderr.decode('utf-8', 'replace').strip()}")
