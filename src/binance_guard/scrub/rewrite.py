"""git-filter-repo as the engine: replacements through pipes, its process group stopped whole."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from binance_guard.scrub import ScrubError
from binance_guard.scrub.rules import Replacement
from binance_guard.scrub.stash import stash_entries, write_stash
from binance_guard.sources import git

# filter-repo's --replace-text leaves blobs with a NUL in their first 8 KiB alone (UTF-16 text
# among them): this callback gives them the same replacements (``apply``, as the proof does).
BLOB_CALLBACK = """\
if b"\\0" in blob.data[:8192]:
    for old, new in {rules!r}:
        blob.data = blob.data.replace(old, new)
"""
IDENTITY_CALLBACK = """\
for old, new in {rules!r} if {field} else ():  # a tag may have no tagger
    {field} = {field}.replace(old, new)
return {field}
"""


@dataclasses.dataclass(frozen=True)
class _Feed:
    option: str
    fd: int  # the read end, named /dev/fd/N on git-filter-repo's command line
    writer: threading.Thread


def _feed(option: str, data: bytes) -> _Feed:
    """A pipe git-filter-repo reads an option's file from: the secrets never touch a disk."""
    read_end, write_end = os.pipe()

    def write() -> None:
        with contextlib.suppress(BrokenPipeError), os.fdopen(write_end, "wb") as handle:
            handle.write(data)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return _Feed(option, read_end, thread)


def filter_repo(repo: str, rules: Sequence[Replacement]) -> None:
    # A previous run's state would make filter-repo merge its old commit map into this one
    # (or, a day later, ask a hidden Y/N question): each scrub is a run of its own.
    shutil.rmtree(git.git_path(repo, "filter-repo"), ignore_errors=True)
    literals = b"".join(b"literal:" + r.old + b"==>" + r.new + b"\n" for r in rules)
    pairs = [(r.old, r.new) for r in rules]
    # Names and emails of authors, committers and taggers: neither --replace-text nor
    # --replace-message reaches them, and a key pasted as user.name would stay in every commit.
    feeds = [
        _feed(option, data)
        for option, data in (
            ("--replace-text", literals),
            ("--replace-message", literals),
            ("--blob-callback", BLOB_CALLBACK.format(rules=pairs).encode()),
            ("--name-callback", IDENTITY_CALLBACK.format(rules=pairs, field="name").encode()),
            ("--email-callback", IDENTITY_CALLBACK.format(rules=pairs, field="email").encode()),
        )
    ]
    # --partial rewrites every ref where it stands (no refs/remotes/origin/* -> refs/heads/*
    # migration, origin kept for the push) and leaves reflogs and old objects alone. --force
    # replaces filter-repo's fresh-clone test: in place, ours held (preflight passed, the
    # backup with reflog-only commits exists); a mirror is a clone this run made, which the
    # test refused when it carried refs/stash. Empty and degenerate commits are kept.
    args = [
        sys.executable,
        "-m",
        "git_filter_repo",
        "--force",
        "--quiet",
        "--partial",
        *(arg for feed in feeds for arg in (feed.option, f"/dev/fd/{feed.fd}")),
        "--prune-empty",
        "never",
        "--prune-degenerate",
        "never",
        "--preserve-commit-hashes",
        "--preserve-commit-encoding",
    ]
    try:
        proc = subprocess.Popen(
            args,
            cwd=repo,
            pass_fds=[feed.fd for feed in feeds],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own group: stopped whole, fast-import included
            env={**os.environ, "GIT_NO_REPLACE_OBJECTS": "1"},  # the objects git pushes
        )
    finally:
        for feed in feeds:
            os.close(feed.fd)
    try:
        _, stderr = proc.communicate()
    except BaseException:
        # Interrupted: stop filter-repo and its git fast-import, which would otherwise finish
        # on its own and move refs after the rollback.
        _stop_group(proc)
        raise
    finally:
        for feed in feeds:
            feed.writer.join(timeout=5)
    if proc.returncode != 0:
        err = stderr.decode("utf-8", "replace").strip()
        for rule in rules:  # filter-repo may echo expressions: never show them
            err = err.replace(rule.old.decode(), "<secret>")
        raise ScrubError(f"git-filter-repo failed: {err}")


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process group and wait until none of it runs. SIGTERM first: git removes its
    lock files (``index.lock`` of filter-repo's ``reset``) on SIGTERM, never on SIGKILL, and a
    lock left behind would make the rollback fail; SIGKILL for whatever is left after that."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        deadline = time.monotonic() + 5.0
        while _group_alive(proc) and time.monotonic() < deadline:
            time.sleep(0.02)
        if not _group_alive(proc):
            return


def _group_alive(proc: subprocess.Popen[bytes]) -> bool:
    """Whether a process of ``proc``'s group still runs (zombies do not count)."""
    if proc.poll() is None:
        return True
    try:
        entries = os.listdir("/proc")
    except OSError:  # not Linux: the leader is gone, give its children a moment
        time.sleep(0.2)
        return False
    for entry in filter(str.isdigit, entries):
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == proc.pid and fields[0] != b"Z":  # pgrp, state
            return True
    return False


def prune(repo: str) -> None:
    """Only with the user's consent: forget reflogs and delete the old objects. The stash
    entries, rewritten like every ref, are work the user still has: they stay."""
    stash = stash_entries(repo)
    git.run(["reflog", "expire", "--expire=now", "--all"], cwd=repo)
    if stash:
        write_stash(repo, stash)
    git.run(["gc", "--quiet", "--prune=now"], cwd=repo)
