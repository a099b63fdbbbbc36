"""Rewrite history so no ref reaches a leaked secret, with git-filter-repo as the engine,
and prove that nothing but the secrets changed.

The plan is made by doing: the rewrite always runs on a mirror clone first, and the report
(changed commits, files, refs) is read off that real result. ``--yes`` then keeps it (mirror
mode) or repeats it on the user's repository after a bundle backup (``--in-place``).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata

from binance_guard.errors import GuardError
from binance_guard.finding import Finding
from binance_guard.history.scan import scan_history
from binance_guard.policy import Policy
from binance_guard.sources import git

MARKER = "***REMOVED-BINANCE-KEY***"
PRIVATE_MARKER = "***REMOVED-PRIVATE-KEY***"
MIN_FILTER_REPO = (2, 38)
MIN_GIT = (2, 36)
MIN_CHUNK = 16


class ScrubError(GuardError, RuntimeError):
    """Scrubbing cannot proceed; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Replacement:
    old: bytes
    new: bytes


def replacements(findings: Sequence[Finding]) -> list[Replacement]:
    """Literal replacements: HMAC values whole; PEM bodies by their 64-column lines, which is
    how they appear in a .pem file, a YAML block or a JSON string with \\n escapes alike."""
    result: dict[bytes, bytes] = {}
    for finding in findings:
        if "PRIVATE KEY" in finding.secret:
            body = finding.secret.split("\n")[1]
            for i in range(0, len(body), 64):
                chunk = body[i : i + 64]
                if len(chunk) >= MIN_CHUNK:
                    result[chunk.encode()] = PRIVATE_MARKER.encode()
        else:
            result[finding.secret.encode()] = MARKER.encode()
    return [Replacement(old, new) for old, new in sorted(result.items(), key=lambda i: -len(i[0]))]


def apply(data: bytes, rules: Sequence[Replacement]) -> bytes:
    for rule in rules:
        data = data.replace(rule.old, rule.new)
    return data


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def check_tools() -> None:
    try:
        filter_repo = _version(metadata.version("git-filter-repo"))
    except metadata.PackageNotFoundError:
        raise ScrubError(
            "git-filter-repo is not installed: pip install 'git-filter-repo>=2.38'"
        ) from None
    if filter_repo < MIN_FILTER_REPO:
        raise ScrubError(f"git-filter-repo {filter_repo} is too old: need >= 2.38")
    out = git.run(["--version"]).decode().split()[2]
    if _version(out) < MIN_GIT:
        raise ScrubError(f"git {out} is too old for git-filter-repo: need >= 2.36")


@dataclasses.dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclasses.dataclass
class Outcome:
    target: str
    changed_commits: int = 0
    changed_refs: list[str] = dataclasses.field(default_factory=list)
    changed_files: set[str] = dataclasses.field(default_factory=set)
    checks: list[Check] = dataclasses.field(default_factory=list)
    backup: str | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _has_worktree(repo: str) -> bool:
    return git.run(["rev-parse", "--is-bare-repository"], cwd=repo).strip() != b"true"


def _top(repo: str) -> str:
    """The work tree's top directory, or the repository itself when bare."""
    if not _has_worktree(repo):
        return os.path.abspath(repo).rstrip("/")
    return os.fsdecode(git.run(["rev-parse", "--show-toplevel"], cwd=repo).strip())


def _is_dirty(repo: str) -> bool:
    return _has_worktree(repo) and bool(git.run(["status", "--porcelain"], cwd=repo).strip())


def _refs(repo: str) -> dict[str, str]:
    """Every ref but symbolic ones (``refs/remotes/origin/HEAD``), with its target."""
    out = git.run(
        ["for-each-ref", "--format=%(refname) %(objectname) %(symref)"], cwd=repo
    ).decode()
    rows = [line.split(" ") for line in out.splitlines()]
    return {row[0]: row[1] for row in rows if not row[2]}


def _refs_to_non_commits(repo: str) -> list[str]:
    out = git.run(
        ["for-each-ref", "--format=%(refname) %(objecttype) %(*objecttype)"], cwd=repo
    ).decode()
    rows = [line.split(" ") for line in out.splitlines()]
    return [row[0] for row in rows if (row[2] or row[1]) not in ("commit", "")]


def _commit_counts(repo: str, refs: Sequence[str]) -> dict[str, int]:
    return {ref: int(git.run(["rev-list", "--count", ref, "--"], cwd=repo).strip()) for ref in refs}


def _filter_repo(repo: str, rules: Sequence[Replacement], workdir: str) -> None:
    rules_file = os.path.join(workdir, "replacements.txt")
    with open(rules_file, "wb") as handle:
        for rule in rules:
            handle.write(b"literal:" + rule.old + b"==>" + rule.new + b"\n")
    # --partial rewrites every ref where it stands (no refs/remotes/origin/* -> refs/heads/*
    # migration, origin kept for the push); old objects are then expired here explicitly.
    # Empty and degenerate commits are kept: no commit may vanish.
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "git_filter_repo",
            "--force",
            "--quiet",
            "--partial",
            "--replace-text",
            rules_file,
            "--replace-message",
            rules_file,
            "--prune-empty",
            "never",
            "--prune-degenerate",
            "never",
            "--preserve-commit-hashes",
            "--preserve-commit-encoding",
        ],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        for rule in rules:  # filter-repo may echo expressions: never show them
            err = err.replace(rule.old.decode(), "<secret>")
        raise ScrubError(f"git-filter-repo failed: {err}")
    git.run(["reflog", "expire", "--expire=now", "--all"], cwd=repo)
    git.run(["gc", "--quiet", "--prune=now"], cwd=repo)


def _commit_map(repo: str) -> dict[str, str]:
    git_dir = os.fsdecode(git.run(["rev-parse", "--absolute-git-dir"], cwd=repo).strip())
    with open(os.path.join(git_dir, "filter-repo", "commit-map"), encoding="ascii") as handle:
        rows = [line.split() for line in handle.read().splitlines()[1:]]
    return {old: new for old, new in rows if old != new}


def _trees(repo: str, commit: str) -> dict[str, tuple[str, str]]:
    out = git.run(["ls-tree", "-r", "-z", "--full-tree", commit], cwd=repo)
    result = {}
    for entry in filter(None, out.split(b"\0")):
        meta, _, path = entry.partition(b"\t")
        mode, _kind, oid = meta.decode().split()
        result[os.fsdecode(path)] = (mode, oid)
    return result


def _message(repo: str, commit: str) -> bytes:
    raw = git.run(["cat-file", "commit", commit], cwd=repo)
    headers, _, message = raw.partition(b"\n\n")
    # Signatures cannot survive a rewrite; authorship, dates and message must.
    kept = [h for h in headers.split(b"\n") if h.startswith((b"author ", b"committer "))]
    return b"\n".join(kept) + b"\n\n" + message


def verify(
    original: str,
    rewritten: str,
    rules: Sequence[Replacement],
    secrets: set[str],
    before: dict[str, int],
    policy: Policy,
    outcome: Outcome,
) -> None:
    """The proof: no secret left, no commit lost, nothing changed outside replaced spans."""
    after_scan = scan_history(rewritten, None, policy, 1 << 62)
    left = {f.fingerprint for f in after_scan.findings} & secrets
    outcome.checks.append(
        Check(
            "no ref reaches a scrubbed secret",
            not left,
            "history rescanned: none found" if not left else f"{len(left)} still reachable",
        )
    )
    after = _commit_counts(rewritten, list(before))
    lost = [r for r in before if after.get(r) != before[r]]
    outcome.checks.append(
        Check(
            "commits per ref unchanged",
            not lost,
            f"{len(before)} refs, {sum(before.values())} commits counted"
            if not lost
            else "changed: " + ", ".join(f"{r} {before[r]}->{after.get(r)}" for r in lost),
        )
    )
    mapping = _commit_map(rewritten)
    outcome.changed_commits = len(mapping)
    bad: list[str] = []
    for old, new in mapping.items():
        if apply(_message(original, old), rules) != _message(rewritten, new):
            bad.append(f"{old[:12]}: author, committer or message differ")
        old_tree, new_tree = _trees(original, old), _trees(rewritten, new)
        if old_tree.keys() != new_tree.keys():
            bad.append(f"{old[:12]}: file list differs")
            continue
        differing = [p for p in old_tree if old_tree[p] != new_tree[p]]
        if not differing:
            continue
        olds = git.blob_contents([old_tree[p][1] for p in differing], cwd=original)
        news = git.blob_contents([new_tree[p][1] for p in differing], cwd=rewritten)
        for path in differing:
            if old_tree[path][0] != new_tree[path][0]:
                bad.append(f"{old[:12]}:{path}: mode differs")
            elif apply(olds[old_tree[path][1]], rules) != news[new_tree[path][1]]:
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


def scrub(
    repo: str,
    findings: Sequence[Finding],
    policy: Policy,
    in_place: bool,
    apply_changes: bool,
    output: str | None,
    say: Callable[[str], None],
) -> Outcome:
    check_tools()
    if _is_dirty(repo):
        raise ScrubError(
            "the working tree has uncommitted changes: commit or stash them first, so the "
            "rewrite cannot lose work (nothing was changed)"
        )
    if git.run(["stash", "list"], cwd=repo).strip() if _has_worktree(repo) else False:
        raise ScrubError(
            "stash entries exist: git-filter-repo rewrites the stash ref but not its reflog, so "
            "older entries would be lost; apply or drop them first (nothing was changed)"
        )
    odd = _refs_to_non_commits(repo)
    if odd:
        raise ScrubError(
            f"{', '.join(odd)} point(s) at a file or tree, not a commit; git-filter-repo cannot "
            "rewrite such refs, so a secret in them would survive: delete them first (e.g. "
            "git tag -d NAME) and run again (nothing was changed)"
        )
    rules = replacements(findings)
    secrets = {f.fingerprint for f in findings}
    refs_before = _refs(repo)
    before = _commit_counts(repo, list(refs_before))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with tempfile.TemporaryDirectory(prefix="binance-guard-scrub-") as work:
        backup: str | None = None
        if apply_changes and in_place:
            target = repo
            top = _top(repo)  # beside the repository, never inside its work tree
            backup = os.path.abspath(
                output
                or os.path.join(
                    os.path.dirname(top), f"{os.path.basename(top)}.backup-{stamp}.bundle"
                )
            )
            git.run(["bundle", "create", "--end-of-options", backup, "--all"], cwd=repo)
            say(f"backup of all refs written to {backup} (restore: git clone {backup})")
            original = os.path.join(work, "original.git")
            git.run(["clone", "--quiet", "--mirror", "--end-of-options", backup, original])
        else:
            original = repo
            target = (
                os.path.join(work, "dry-run.git")
                if not apply_changes
                else output or os.path.abspath(repo).rstrip("/") + f".scrubbed-{stamp}.git"
            )
            if os.path.exists(target):
                raise ScrubError(f"{target} already exists: choose another --output")
            git.run(
                ["clone", "--quiet", "--mirror", "--end-of-options", os.path.abspath(repo), target]
            )
        _filter_repo(target, rules, work)
        outcome = Outcome(target=target, backup=backup)
        refs_after = _refs(target)
        outcome.changed_refs = [r for r in refs_before if refs_after.get(r) != refs_before[r]]
        verify(original, target, rules, secrets, before, policy, outcome)
        if outcome.ok:
            outcome.changed_refs += _carry_notes(target)
    if not apply_changes:
        outcome.target = "(dry run)"
    return outcome


def _carry_notes(repo: str) -> list[str]:
    """git notes are keyed by commit id: move them to the rewritten commits (after the
    checks, which compare commits only), then drop the ones left on vanished commits."""
    mapping = "".join(f"{old} {new}\n" for old, new in _commit_map(repo).items())
    out = git.run(["for-each-ref", "--format=%(refname)", "refs/notes/"], cwd=repo)
    moved = []
    for ref in os.fsdecode(out).split():
        before = git.run(["rev-parse", ref], cwd=repo)
        git.run(["notes", f"--ref={ref}", "copy", "--stdin"], cwd=repo, stdin=mapping.encode())
        git.run(["notes", f"--ref={ref}", "prune"], cwd=repo)
        if git.run(["rev-parse", ref], cwd=repo) != before:
            moved.append(ref)
    return moved


def push_remote(repo: str) -> str:
    """Where the user's branches live: pushing from a mirror to its origin would only update
    the local clone it was made from."""
    try:
        return git.run(["remote", "get-url", "origin"], cwd=repo).decode().strip()
    except git.GitError:
        return "<your-remote-url>"


def next_steps(outcome: Outcome, remote: str) -> str:
    where = "git " if outcome.target == "(dry run)" else f"git -C {outcome.target} "
    lines = [
        "Next steps, in this order:",
        "  1. Revoke the keys first: delete them in Binance (Profile > API Management) and",
        "     create new ones. Rewriting history does not un-leak a key that was pushed.",
        "  2. Push every rewritten branch and tag (and notes):",
    ]
    pushes = {
        ref: ref
        for ref in outcome.changed_refs
        if ref.startswith(("refs/heads/", "refs/tags/", "refs/notes/"))
    }
    # A fresh clone has most branches only as origin's remote-tracking refs: those were
    # rewritten too, and the remote keeps the secrets unless they are pushed as well.
    for ref in outcome.changed_refs:
        branch = ref.removeprefix("refs/remotes/origin/")
        if branch != ref and branch != "HEAD" and f"refs/heads/{branch}" not in pushes.values():
            pushes[ref] = f"refs/heads/{branch}"
    for source, destination in pushes.items():
        lines.append(f"       {where}push --force {remote} {source}:{destination}")
    lines += [
        "  3. Every collaborator must re-clone (a pull would bring the old history back).",
        "  4. Hosted copies keep the old commits: pull-request refs, forks and caches need the",
        "     host's support to purge (GitHub: contact support with the affected commit ids).",
    ]
    return "\n".join(lines)
