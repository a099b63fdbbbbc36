"""The 0600 bundle of every ref (and of what only reflogs reach) written before an in-place run."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

from binance_guard.scrub import NOTHING_CHANGED, ScrubError
from binance_guard.scrub.journal import current_head
from binance_guard.sources import git


def default_backup(repo: str, stamp: str) -> str:
    top = git.top(repo)  # beside the repository, never inside its work tree
    return unused(os.path.join(os.path.dirname(top), f"{os.path.basename(top)}.backup-{stamp}"))


def unused(base: str, suffix: str = ".bundle") -> str:
    """``base + suffix``, or with ``-2``, ``-3``… when two runs fall in the same second."""
    path, n = base + suffix, 1
    while os.path.lexists(path):
        n += 1
        path = f"{base}-{n}{suffix}"
    return path


def check_backup_path(repo: str, path: str) -> None:
    real = os.path.realpath(path)
    for inside in {os.path.realpath(git.top(repo)), os.path.realpath(git.git_path(repo, "."))}:
        if real == inside or real.startswith(inside + os.sep):
            raise ScrubError(
                f"--output {path} is inside the repository: the backup holds every secret and "
                f"would be committed or pushed with it; choose a path outside {NOTHING_CHANGED}"
            )
    if os.path.lexists(path):
        raise ScrubError(f"{path} already exists: choose another --output {NOTHING_CHANGED}")


def write_backup(repo: str, path: str, keep: Sequence[str], work: str) -> None:
    """A bundle of every ref and of each reflog-only commit, created 0600. A scratch
    repository borrows the objects (alternates) and holds the extra refs, so the user's
    repository gains no ref, even if this run is killed."""
    scratch = os.path.join(work, "backup.git")
    git.run(["init", "-q", "--bare", f"--object-format={git.object_format(repo)}", scratch])
    objects = git.git_path(repo, "objects")
    with open(os.path.join(scratch, "objects", "info", "alternates"), "w") as handle:
        handle.write(objects + "\n")
    rows = [f"create {ref} {sha}" for ref, sha in git.refs(repo).items()]
    rows += [f"create refs/kept-by-binance-guard/{sha} {sha}" for sha in keep]
    git.run(["update-ref", "--stdin"], cwd=scratch, stdin=("\n".join(rows) + "\n").encode())
    head = current_head(repo)
    if head.startswith("ref: "):
        git.run(["symbolic-ref", "HEAD", head[5:]], cwd=scratch)
    else:
        git.run(["update-ref", "--no-deref", "HEAD", head], cwd=scratch)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            proc = subprocess.run(
                ["git", *git.OPTIONS, "bundle", "create", "-", "--all"],
                cwd=scratch,
                stdout=handle,
                stderr=subprocess.PIPE,
                check=False,
            )
        if proc.returncode != 0:
            raise ScrubError(f"backup failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    except BaseException:
        os.remove(path)
        raise
