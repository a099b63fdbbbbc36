"""Refusing, before anything changes, what a rewrite could lose or leave behind."""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import metadata

from binance_guard.finding import Finding
from binance_guard.scrub import NOTHING_CHANGED, ScrubError
from binance_guard.scrub.journal import refuse_after_interruption
from binance_guard.scrub.rules import MARKER, Replacement, apply
from binance_guard.sources import git

MIN_FILTER_REPO = (2, 38)
MIN_GIT = (2, 36)
IN_PROGRESS = {
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase or git am",
    "MERGE_HEAD": "a merge",
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "REVERT_HEAD": "a revert",
    "BISECT_LOG": "a bisect",
    "sequencer": "a cherry-pick or revert sequence",
}


# Variables that point git at a repository other than the one its directory holds.
REPOSITORY_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_NAMESPACE",
)


def refuse_repository_environment() -> None:
    """scrub runs git in repositories of its own too (the backup's, a mirror clone): a
    GIT_DIR set for the user's repository points those at it, and so the dry run's
    git-filter-repo at the user's history (only its own fresh-clone check stopped it)."""
    named = [name for name in REPOSITORY_ENV if name in os.environ]
    if named:
        unset = " ".join(f"-u {name}" for name in named)
        raise ScrubError(
            f"{', '.join(named)} set (as in a git hook or a --git-dir alias): scrub would run "
            "the git of its backup and mirror clone against that repository; name the "
            f"repository instead: env {unset} binance-guard scrub PATH {NOTHING_CHANGED}"
        )


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


def _in_progress(repo: str) -> list[str]:
    return [what for name, what in IN_PROGRESS.items() if os.path.exists(git.git_path(repo, name))]


def _linked_worktrees(repo: str) -> list[tuple[str, bool]]:
    """(path, locked) of each linked worktree."""
    out = git.run(["worktree", "list", "--porcelain", "-z"], cwd=repo)
    records = [record.split(b"\0") for record in out.split(b"\0\0") if record.strip(b"\0")]
    return [
        (
            os.fsdecode(fields[0].removeprefix(b"worktree ")),
            any(f == b"locked" or f.startswith(b"locked ") for f in fields),
        )
        for fields in records[1:]
    ]


def _worktrees_refusal(linked: list[tuple[str, bool]]) -> str:
    """Why linked worktrees stop an in-place scrub, and the commands that clear each kind."""
    present = [(path, locked) for path, locked in linked if os.path.isdir(path)]
    gone = [(path, locked) for path, locked in linked if not os.path.isdir(path)]

    def paths(group: list[tuple[str, bool]]) -> str:
        return ", ".join(path for path, _ in group)

    def unlock(group: list[tuple[str, bool]]) -> str:
        locked = any(locked for _, locked in group)
        return " (a locked one after git worktree unlock PATH)" if locked else ""

    reasons = []
    if present:
        reasons.append(
            f"linked worktree(s) exist ({paths(present)}): their index and files would "
            "keep the secret and their HEADs would point into the old history; remove them "
            f"(git worktree remove PATH){unlock(present)} or scrub a mirror clone instead "
            "(without --in-place)"
        )
    if gone:
        reasons.append(
            f"linked worktree(s) whose directory is gone ({paths(gone)}) are still "
            "registered, their HEADs and indexes pointing into the old history: "
            f"`git worktree prune` forgets them{unlock(gone)}"
        )
    return "; ".join(reasons) + f" {NOTHING_CHANGED}"


def _hidden_from_status(repo: str) -> list[str]:
    """Files whose changes ``git status`` does not show (skip-worktree, assume-unchanged)."""
    if not git.has_worktree(repo):
        return []
    out = git.run(["ls-files", "-v", "-z"], cwd=repo)
    return [
        os.fsdecode(entry[2:])
        for entry in out.split(b"\0")
        if entry[:1] == b"S" or entry[:1].islower()
    ]


def reflog_only(repo: str) -> list[str]:
    """Commits that only reflogs reach (reset-away work, older stash entries)."""
    out = git.run(["rev-list", "--reflog", "--not", "--all"], cwd=repo)
    return out.decode().split()


def preflight(repo: str, *, in_place: bool) -> None:
    """Refuse, changing nothing, whatever a rewrite of ``repo`` could lose or leave behind."""
    refuse_after_interruption(repo)
    if in_place:
        busy = _in_progress(repo)
        if busy:
            raise ScrubError(
                f"{' and '.join(busy)} is in progress: a rewrite would strand it (its saved "
                "commits and MERGE_HEAD would point into the old history); finish or abort it "
                "(e.g. git rebase --abort, git merge --abort, git bisect reset) "
                f"{NOTHING_CHANGED}"
            )
        hidden = _hidden_from_status(repo)
        if hidden:
            raise ScrubError(
                f"{', '.join(hidden[:5])} {'is' if len(hidden) == 1 else 'are'} marked "
                "--skip-worktree or --assume-unchanged: git status cannot vouch for them, and the "
                "rewrite's reset of the work tree would fail or overwrite them; clear the mark "
                "(git update-index --no-skip-worktree --no-assume-unchanged PATH; in a sparse "
                "checkout, git sparse-checkout disable), commit or stash, and run again, or "
                f"scrub a mirror clone instead (without --in-place) {NOTHING_CHANGED}"
            )
        linked = _linked_worktrees(repo)
        if linked:
            raise ScrubError(_worktrees_refusal(linked))
    if git.is_dirty(repo):
        raise ScrubError(
            "the working tree has uncommitted changes: commit or stash them first, so the "
            f"rewrite cannot lose work {NOTHING_CHANGED}"
        )
    odd = git.refs_to_non_commits(repo)
    if odd:
        raise ScrubError(
            f"{', '.join(odd)} point(s) at a file or tree, not a commit; git-filter-repo cannot "
            "rewrite such refs, so a secret in them would survive: delete them first (e.g. "
            f"git tag -d NAME) and run again {NOTHING_CHANGED}"
        )


def refuse_names_holding_secrets(repo: str, rules: Sequence[Replacement]) -> None:
    """git-filter-repo rewrites contents and messages, not names: a file or ref named after a
    key would keep it in the rewritten history while every check said ok."""
    names = [*git.entry_names(repo), *(ref.encode() for ref in git.refs(repo))]
    held = sorted(
        {shown.decode(errors="replace") for n in names if (shown := apply(n, rules)) != n}
    )
    if held:
        raise ScrubError(
            f"{len(held)} file or ref name(s) hold a secret ({', '.join(held[:3])}, the secret "
            f"shown as {MARKER}): a rewrite replaces contents and messages, not names; rename "
            "them in every commit first (a branch: git branch -m; a tag: tag again and delete "
            "the old one; a file: git filter-repo --path-rename OLD:NEW), then scrub again "
            f"{NOTHING_CHANGED}"
        )


def signed_to_lose(repo: str, findings: Sequence[Finding]) -> tuple[int, int]:
    """(signed commits, signed tags) the rewrite will change: every commit from one that
    brought a secret on, and tags whose message holds one or whose commit changes."""
    seeds: set[str] = set()
    for finding in findings:
        if finding.attribution is not None:
            seeds.add(finding.attribution.introduced.commit.sha)
            seeds.update(i.commit.sha for i in finding.attribution.reintroduced)
    out = git.run(["rev-list", "--all", "--topo-order", "--reverse", "--header"], cwd=repo)
    changed: set[str] = set()
    signed = 0
    for record in filter(None, out.split(b"\0")):
        lines = record.split(b"\n")
        sha = lines[0].decode()
        headers = lines[1 : lines.index(b"")] if b"" in lines else lines[1:]
        parents = [h[7:].decode() for h in headers if h.startswith(b"parent ")]
        if sha in seeds or any(p in changed for p in parents):
            changed.add(sha)
            signed += any(h.startswith(b"gpgsig") for h in headers)
    tags = git.run(
        [
            "for-each-ref",
            "--format=%(objectname) %(*objectname) %(contents:signature)%00",
            "refs/tags",
        ],
        cwd=repo,
    )
    signed_tags = 0
    for row in filter(None, (r.strip() for r in tags.split(b"\0"))):
        oid, _, rest = row.partition(b" ")
        target, _, signature = rest.partition(b" ")
        if signature.strip() and (oid.decode() in seeds or target.decode() in changed):
            signed_tags += 1
    return signed, signed_tags
