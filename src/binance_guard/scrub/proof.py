"""The proof that a rewrite removed the secrets and changed nothing else, kept in the run's
``Outcome`` as one ``Check`` a claim."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

from binance_guard.history.scan import scan_history
from binance_guard.policy import Policy
from binance_guard.scrub.rules import Replacement, apply
from binance_guard.sources import git


@dataclasses.dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclasses.dataclass
class Outcome:
    target: str
    dry_run: bool
    changed_commits: int = 0
    changed_refs: list[str] = dataclasses.field(default_factory=list)
    changed_files: set[str] = dataclasses.field(default_factory=set)
    checks: list[Check] = dataclasses.field(default_factory=list)
    backup: str | None = None
    signed: tuple[int, int] = (0, 0)  # (commits, tags) whose signatures the rewrite drops
    reflog_only: int = 0  # commits only reflogs reach: kept, and in the backup
    pruned: bool = False
    rolled_back: bool = False

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def prove(
    original: str,
    rewritten: str,
    rules: Sequence[Replacement],
    *,
    found: set[str],
    scrubbed: set[str],
    refs_before: dict[str, str],
    policy: Policy,
    max_bytes: int,
    outcome: Outcome,
) -> None:
    """No secret left, no new finding, no commit lost, nothing changed outside replaced spans.
    The rescan is the first scan again (same detection, every object, same limits)."""
    after = {f.fingerprint for f in scan_history(rewritten, None, policy, max_bytes).findings}
    left, new = after & scrubbed, after - found
    outcome.checks.append(
        Check(
            "no ref reaches a scrubbed secret",
            not left and not new,
            "history rescanned: none found"
            if not left and not new
            else f"{len(left)} still reachable, {len(new)} new finding(s)",
        )
    )
    read, holding = _commits_and_tags_holding(rewritten, rules)
    outcome.checks.append(
        Check(
            "no commit or tag holds a scrubbed secret",
            not holding,
            f"{read} commits and tags read byte by byte"
            if not holding
            else f"{len(holding)} hold one in an author, committer, tagger or message: "
            + ", ".join(oid[:12] for oid in holding[:5]),
        )
    )
    mapping = git.commit_map(rewritten) | git.notes_commit_map(rewritten)
    outcome.changed_commits = len(mapping)
    commits, moved = _graph_changes(original, rewritten, refs_before, mapping)
    outcome.checks.append(
        Check(
            "commits per ref unchanged",
            not moved,
            f"{len(refs_before)} refs, {commits} commits, each with its parents"
            if not moved
            else "; ".join(moved[:5]),
        )
    )
    bad: list[str] = []
    same: dict[tuple[str, str], bool] = {}
    pairs = list(mapping.items())
    for start in range(0, len(pairs), BATCH):
        chunk = pairs[start : start + BATCH]
        olds = git.blob_contents([old for old, _ in chunk], cwd=original)
        news = git.blob_contents([rewrite for _, rewrite in chunk], cwd=rewritten)
        trees = []
        for old, rewrite in chunk:
            old_tree, old_text = _tree_and_text(olds[old])
            new_tree, new_text = _tree_and_text(news[rewrite])
            if apply(old_text, rules) != new_text:
                bad.append(f"{old[:12]}: author, committer or message differ")
            trees.append((old, old_tree, new_tree))
        changes = _tree_changes(rewritten, trees)
        # A rewritten blob is in every later commit's tree: each (old, new) pair is compared
        # once, where comparing it again per commit made the proof cubic in the keys.
        blobs = {
            (a, b)
            for _, _, (status, modes, a, b) in changes
            if status == "M" and GITLINK not in modes
        } - same.keys()
        if blobs:
            old_blobs = git.blob_contents([a for a, _ in blobs], cwd=original)
            new_blobs = git.blob_contents([b for _, b in blobs], cwd=rewritten)
            same.update({(a, b): apply(old_blobs[a], rules) == new_blobs[b] for a, b in blobs})
        for old, path, (status, modes, a, b) in changes:
            if status in "AD":
                bad.append(f"{old[:12]}:{path}: file list differs")
            elif status != "M" or modes[0] != modes[1]:
                bad.append(f"{old[:12]}:{path}: mode differs")
            elif modes[0] == GITLINK:
                bad.append(f"{old[:12]}:{path}: submodule commit differs")
            elif not same[(a, b)]:
                bad.append(f"{old[:12]}:{path}: content differs outside the secrets")
            else:
                outcome.changed_files.add(path)
    outcome.checks.append(
        Check(
            "every file identical except the replaced spans",
            not bad,
            f"{len(mapping)} rewritten commits compared tree by tree"
            if not bad
            else "; ".join(bad[:5]),
        )
    )


BATCH = 2000  # objects a ``git cat-file --batch`` reads in memory at once
GITLINK = "160000"
Change = tuple[str, str, tuple[str, tuple[str, str], str, str]]  # commit, path, diff-tree's


def _tree_and_text(raw: bytes) -> tuple[str, bytes]:
    """A commit's tree, and its author, committer and message: what a rewrite must keep
    (signatures cannot survive)."""
    headers, _, message = raw.partition(b"\n\n")
    lines = headers.split(b"\n")
    kept = [h for h in lines if h.startswith((b"author ", b"committer "))]
    return lines[0].removeprefix(b"tree ").decode(), b"\n".join(kept) + b"\n\n" + message


def _tree_changes(repo: str, trees: list[tuple[str, str, str]]) -> list[Change]:
    """Every path whose entry differs between each (commit, old tree, new tree)'s trees, from
    one ``git diff-tree --stdin`` (``repo`` holds both: the rewrite keeps the old objects),
    where an ``ls-tree`` of each tree ran for each rewritten commit."""
    waiting: dict[bytes, list[str]] = {}
    for commit, old, new in trees:
        waiting.setdefault(f"{old} {new}".encode(), []).append(commit)
    lines = "".join(f"{old} {new}\n" for _, old, new in trees).encode()
    out = git.run(["diff-tree", "-r", "-z", "--stdin"], cwd=repo, stdin=lines)
    changes: list[Change] = []
    commit, at = "", 0
    while at < len(out):
        if out[at : at + 1] != b":":  # the trees compared next, as they were given
            end = out.index(b"\n", at)
            commit, at = waiting[out[at:end]].pop(0), end + 1
            continue
        end = out.index(b"\0", at)
        old_mode, new_mode, old, new, status = out[at + 1 : end].decode().split()
        path_end = out.index(b"\0", end + 1)
        path = os.fsdecode(out[end + 1 : path_end])
        changes.append((commit, path, (status, (old_mode, new_mode), old, new)))
        at = path_end + 1
    return changes


def _commits_and_tags_holding(repo: str, rules: Sequence[Replacement]) -> tuple[int, list[str]]:
    """(objects read, those holding a replaced value) of the commits and annotated tags the
    refs reach. The rescan judges by context, which a bare key pasted as a name or an email
    lacks; and only commits are compared with their originals, never tags and their taggers."""
    listing = git.run(
        ["rev-list", "--objects", "--no-object-names", "--filter=tree:0", "--all"], cwd=repo
    )
    oids = listing.decode().split()
    holding = []
    for start in range(0, len(oids), BATCH):
        contents = git.blob_contents(oids[start : start + BATCH], cwd=repo)
        holding += [oid for oid, raw in contents.items() if any(r.old in raw for r in rules)]
    return len(oids), holding


def _graph_changes(
    original: str, rewritten: str, refs_before: dict[str, str], mapping: dict[str, str]
) -> tuple[int, list[str]]:
    """(commits the refs reached, what differs): the rewritten graph must be the original
    with each commit replaced by its rewrite (none lost or merged into another, parents kept
    in order) and every ref on its old commit's rewrite; then every ref reaches as many
    commits as before. Two walks, where a ``git rev-list --count`` per ref was a walk per ref
    (a mirror of a GitHub repository has refs for every pull request)."""

    def image(commit: str) -> str:
        return mapping.get(commit, commit)

    old = _parents(original, list(refs_before.values()))
    new = _parents(rewritten, list(git.refs(rewritten)))
    changes = [
        f"{commit[:12]}: lost, or its parents changed"
        for commit, parents in old.items()
        if new.get(image(commit)) != [image(p) for p in parents]
    ]
    if len({image(commit) for commit in old}) != len(old):
        changes.append("commits were merged into one")
    tips = _commits(original, list(refs_before.values()))
    now = _commits(rewritten, list(refs_before))
    changes += [
        f"{ref}: on another commit"
        for ref, target in refs_before.items()
        if now[ref] is None or now[ref] != image(tips[target] or "")
    ]
    return len(old), changes


def _parents(repo: str, revs: list[str]) -> dict[str, list[str]]:
    """Commit -> its parents, for every commit ``revs`` (ids or ref names) reach."""
    out = git.run(
        ["rev-list", "--parents", "--stdin"],
        cwd=repo,
        stdin="".join(f"{r}\n" for r in revs).encode(),
    )
    return {row[0]: row[1:] for row in (line.split() for line in out.decode().splitlines())}


def _commits(repo: str, revs: list[str]) -> dict[str, str | None]:
    """The commit each of ``revs`` (ids or ref names) peels to; None where there is none."""
    out = git.run(
        ["cat-file", "--batch-check=%(objectname)"],
        cwd=repo,
        stdin="".join(f"{r}^{{commit}}\n" for r in revs).encode(),
    )
    answers = out.decode().splitlines()
    return {
        rev: None if answer.endswith(" missing") else answer
        for rev, answer in zip(revs, answers, strict=True)
    }
