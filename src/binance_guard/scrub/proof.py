"""The proof that a rewrite removed the secrets and changed nothing else, kept in the run's
``Outcome`` as one ``Check`` a claim."""

from __future__ import annotations

import dataclasses
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
    mapping = git.commit_map(rewritten)
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
    for old, new_commit in mapping.items():
        old_text = git.identity_and_message(original, old)
        if apply(old_text, rules) != git.identity_and_message(rewritten, new_commit):
            bad.append(f"{old[:12]}: author, committer or message differ")
        old_tree = git.tree_entries(original, old)
        new_tree = git.tree_entries(rewritten, new_commit)
        if old_tree.keys() != new_tree.keys():
            bad.append(f"{old[:12]}: file list differs")
            continue
        differing = [p for p in old_tree if old_tree[p] != new_tree[p]]
        # A rewritten blob is in every later commit's tree: each (old, new) pair is compared
        # once, where comparing it again per commit made the proof cubic in the keys.
        pairs = {
            (old_tree[p][1], new_tree[p][1]) for p in differing if old_tree[p][0] == new_tree[p][0]
        } - same.keys()
        if pairs:
            olds = git.blob_contents([a for a, _ in pairs], cwd=original)
            news = git.blob_contents([b for _, b in pairs], cwd=rewritten)
            same.update({(a, b): apply(olds[a], rules) == news[b] for a, b in pairs})
        for path in differing:
            if old_tree[path][0] != new_tree[path][0]:
                bad.append(f"{old[:12]}:{path}: mode differs")
            elif not same[(old_tree[path][1], new_tree[path][1])]:
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
