"""Who introduced a secret: walk commits oldest first and find the changes whose new blob
has the secret while the blob it replaced (in every parent, for merges) did not.

Only tree diffs are read (``git log --raw``, no contents), and only once something was found.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Container, Iterator, Sequence

from binance_guard.finding import Commit
from binance_guard.record import record
from binance_guard.sources import git
from binance_guard.sources.staged import unquote_path

NULL_OID = "0" * 40


@record(frozen=True)
class Change:
    parent_index: int
    path: str
    old: str
    new: str


@record()
class CommitChanges:
    commit: Commit
    parents: int
    changes: list[Change]


def start_walk(repo: str, revs: Sequence[str] | None) -> git.Spool:
    """Start the walk early (it needs nothing from the blob pass); read it with
    :func:`walk_changes`. ``-c``: a merge lists only the paths that differ from every parent,
    each once with all its parents' blobs, the only ones that can introduce anything."""
    return git.Spool(
        [
            *git.PACK_WINDOWS,
            "log",
            "--topo-order",
            "--reverse",
            "-c",
            "--root",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--format=%x01%H%x00%P%x00%an <%ae>%x00%aI",
            *git.revisions(revs or ["--all"]),
            "--",
        ],
        repo,
        "git log",
    )


def walk_changes(
    repo: str,
    revs: Sequence[str] | None,
    started: git.Spool | None = None,
    new_blobs: Container[str] | None = None,
) -> Iterator[CommitChanges]:
    """Commits in topological order, parents first, with their raw changes per parent;
    with ``new_blobs``, only the changes to them (a handful among millions of lines) and only
    the commits that have some: a commit's header is read once one of its changes is kept."""
    with started or start_walk(repo, revs) as spool:
        header = b""
        current: CommitChanges | None = None
        for raw_line in spool.output():
            if raw_line.startswith(b"\x01"):
                if current is not None:
                    yield current
                header, current = raw_line, None
                if new_blobs is None:
                    current = _commit(header)
            elif raw_line.startswith(b":") and header:
                meta, _, path = raw_line.rstrip(b"\n").partition(b"\t")
                fields = meta.split()  # modes, blobs (one per parent, then the new one), status
                count = len(fields[0]) - len(fields[0].lstrip(b":"))
                new = fields[2 * count + 1].decode()
                if new_blobs is not None and new not in new_blobs:
                    continue
                if current is None:
                    current = _commit(header)
                name = os.fsdecode(unquote_path(path))
                current.changes.extend(
                    Change(index, name, fields[count + 1 + index].decode(), new)
                    for index in range(count)
                )
        if current is not None:
            yield current


def _commit(header: bytes) -> CommitChanges:
    sha, parents, author, date = header[1:].rstrip(b"\n").decode("utf-8", "replace").split("\x00")
    return CommitChanges(Commit(sha, author, date), len(parents.split()), [])


def introductions(
    commits: Iterator[CommitChanges],
    interesting: set[str],
    has_secret: Callable[[str, str], bool],
    secrets_in: Callable[[str], Sequence[str]],
) -> Iterator[tuple[str, str, Commit, str]]:
    """Yield (fingerprint, path, commit, blob) for each change that introduces a secret.

    ``interesting`` are blob ids with findings; ``secrets_in(blob)`` lists their fingerprints
    and ``has_secret(blob, fingerprint)`` answers for any blob (the old side of a change).
    A merge introduces a secret at a path only if no parent had it there.
    """
    for item in commits:
        by_path: dict[str, list[Change]] = {}
        for change in item.changes:
            by_path.setdefault(change.path, []).append(change)
        for path, changes in by_path.items():
            new = changes[0].new
            if new not in interesting:
                continue
            for fp in secrets_in(new):
                if len(changes) < max(item.parents, 1):
                    continue  # unchanged from some parent, which already had it
                if any(c.old != NULL_OID and has_secret(c.old, fp) for c in changes):
                    continue
                yield fp, path, item.commit, new


def start_graph(repo: str, tips: Sequence[tuple[str, str]] = ()) -> git.Spool:
    """Start listing the commit graph for :func:`refs_containing` (it needs nothing else);
    ``tips``: (commit, name) of places no ref names (older stash entries), graphed too."""
    return git.Spool(
        [
            *git.PACK_WINDOWS,
            *("rev-list", "--all", "--parents", "--topo-order", "--reverse"),
            *git.revisions([commit for commit, _ in tips]),
        ],
        repo,
        "git rev-list",
    )


def refs_containing(
    repo: str,
    commits: Sequence[str],
    graph: git.Spool | None = None,
    tips: Sequence[tuple[str, str]] = (),
) -> dict[str, list[str]]:
    """For each commit, the refs whose history holds it, and the names of the ``tips``
    (commit, name: ``stash@{1}``, ``HEAD``) whose history holds it.

    One walk of the commit graph for all of them, parents first, each commit carrying the set
    (a bit mask) of the given commits it descends from: ``for-each-ref --contains`` per commit
    costs seconds each on repositories with thousands of refs (pull-request refs of a mirror),
    and a walk through the descendants of each one, a second. ``graph``: from
    :func:`start_graph`, started early; read, not closed.
    """
    if not commits:
        return {}
    targets = list(dict.fromkeys(commits))
    bits = {sha.encode(): 1 << index for index, sha in enumerate(targets)}
    below: dict[bytes, int] = {}  # commit -> the targets it descends from (or is)
    with contextlib.nullcontext(graph) if graph else start_graph(repo, tips) as spool:
        for line in spool.output():
            child, *parents = line.split()
            mask = bits.get(child, 0)
            for parent in parents:
                mask |= below.get(parent, 0)
            if mask:
                below[child] = mask
    found: dict[str, list[str]] = {sha: [] for sha in targets}
    listed = git.run(["for-each-ref", "--format=%(objectname) %(*objectname) %(refname)"], cwd=repo)
    named = [(c.encode(), b"", name.encode()) for c, name in tips]
    for target, peeled, ref in [*(tip.split(b" ", 2) for tip in listed.splitlines()), *named]:
        _name(found, targets, below.get(peeled or target, 0), os.fsdecode(ref))
    if not all(found.values()):  # some only a detached HEAD reaches: another work tree's?
        for head, path in git.detached_worktrees(repo):
            _name(found, targets, below.get(head.encode(), 0), f"HEAD of {path}")
    return {sha: sorted(refs) for sha, refs in found.items()}


def _name(found: dict[str, list[str]], targets: Sequence[str], mask: int, name: str) -> None:
    """Add ``name`` to the places of each of the ``targets`` in ``mask``."""
    while mask:
        low = mask & -mask
        found[targets[low.bit_length() - 1]].append(name)
        mask ^= low
