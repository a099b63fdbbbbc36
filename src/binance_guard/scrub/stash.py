"""The stash through a rewrite: git-filter-repo rewrites refs, not reflogs, and the stash's
entries other than the newest live only in refs/stash's reflog."""

from __future__ import annotations

import os
from collections.abc import Sequence

from binance_guard.scrub.rules import Replacement, apply
from binance_guard.sources import git

StashEntry = tuple[str, str, str, str, str]  # commit, name, email, date, message


def stash_entries(repo: str) -> list[StashEntry]:
    """The stash's reflog, oldest first: what ``git stash list`` shows and ``pop`` takes.
    Empty where its newest entry is not where refs/stash points (a reflog edited by hand):
    rewriting the entries would move the ref, so git-filter-repo moves the ref alone."""
    if not git.has_ref(repo, "refs/stash"):
        return []
    out = git.run(
        [
            "reflog",
            "show",
            "--date=raw",
            "--format=%H%x00%gn%x00%ge%x00%gd%x00%gs%x01",
            "refs/stash",
            "--",
        ],
        cwd=repo,
    )
    entries = []
    for record in filter(None, out.split(b"\x01\n")):
        sha, name, email, selector, message = os.fsdecode(record).split("\0", 4)
        date = selector[selector.index("@{") + 2 : -1]  # stash@{1700000000 +0100}
        entries.append((sha, name, email, date, message))
    tip = git.run(["rev-parse", "--verify", "refs/stash"], cwd=repo).decode().strip()
    return entries[::-1] if entries and entries[0][0] == tip else []


def _hold(index: int) -> str:
    return f"refs/binance-guard-stash/{index}"


def hold_stash(repo: str, entries: Sequence[StashEntry]) -> None:
    """A ref for each stash entry, so that git-filter-repo rewrites them all; a rollback
    deletes these refs like any other the journal does not hold."""
    if entries:
        rows = "".join(f"create {_hold(i)} {entry[0]}\n" for i, entry in enumerate(entries))
        git.run(["update-ref", "--stdin"], cwd=repo, stdin=rows.encode())


def rewrite_stash(repo: str, entries: Sequence[StashEntry], rules: Sequence[Replacement]) -> None:
    """Point every stash entry at its rewritten commit, its message scrubbed too, where
    git-filter-repo moved refs/stash alone (logged as "fast-import") and left the older
    entries on the old commits, secrets included."""
    if not entries:
        return
    mapping = git.commit_map(repo)
    rows = "".join(f"delete {_hold(i)}\n" for i in range(len(entries)))
    git.run(["update-ref", "--stdin"], cwd=repo, stdin=rows.encode())
    write_stash(
        repo,
        [
            (mapping.get(sha, sha), name, email, date, os.fsdecode(apply(os.fsencode(text), rules)))
            for sha, name, email, date, text in entries
        ],
    )


def write_stash(repo: str, entries: Sequence[StashEntry]) -> None:
    """Make the stash's reflog exactly ``entries``: each with its own message, name and time."""
    git.run(["update-ref", "-d", "refs/stash"], cwd=repo)
    for sha, name, email, date, message in entries:
        who = {"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
        git.run(
            ["update-ref", "--create-reflog", "-m", message, "refs/stash", sha],
            cwd=repo,
            env={**who, "GIT_COMMITTER_DATE": date},
        )
