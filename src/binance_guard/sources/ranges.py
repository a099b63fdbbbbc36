"""Which commits a CI event or a push brings: the range the history scanner should read.

GitHub: ``pull_request`` -> merge base..head; ``push`` -> before..after, with the all-zero
``before`` of a new branch (compared with the default branch) and force pushes (the old tip
may be gone) handled; other events -> the full history of the checked-out commit.
pre-commit's pre-push stage -> PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from binance_guard.errors import GuardError
from binance_guard.sources import git

ZERO = "0" * 40  # before/after of a created/deleted ref (64 zeros in SHA-256 repos)


class RangeError(GuardError, RuntimeError):
    """The commits to scan are not available; the message says how to fix the checkout."""


@dataclasses.dataclass(frozen=True)
class Range:
    revs: list[str]
    description: str
    head: str | None = None
    # The commit whose settings apply to a change: the target branch's tip before it (the
    # empty tree when there is none); None for a full history, which has no change.
    base: str | None = None


def _ensure(repo: str, *shas: str) -> list[str]:
    """Make sure the commits (and enough history to compare them) are present; say what was
    fetched. Raises RangeError naming the fetch-depth to use when that is impossible."""
    notes = []
    missing = [s for s in shas if not git.has_commit(repo, s)]
    if missing:
        try:
            git.run(
                ["fetch", "--no-tags", "--quiet", "--end-of-options", "origin", *missing], cwd=repo
            )
            notes.append(f"fetched {len(missing)} missing commit(s) from origin")
        except git.GitError as exc:
            raise RangeError(
                f"commit(s) {', '.join(s[:12] for s in missing)} are not in the checkout and "
                f"could not be fetched ({exc}); use actions/checkout with `fetch-depth: 0`"
            ) from None
    if len(shas) > 1 and git.is_shallow(repo):
        try:
            git.run(["merge-base", "--end-of-options", *shas], cwd=repo)
        except git.GitError:
            try:
                git.run(["fetch", "--no-tags", "--quiet", "--unshallow", "origin"], cwd=repo)
                notes.append("shallow checkout: fetched the full history to find the merge base")
            except git.GitError as exc:
                raise RangeError(
                    "shallow checkout without the merge base and unable to deepen it "
                    f"({exc}); use actions/checkout with `fetch-depth: 0`"
                ) from None
    return notes


def _fetch_default_branch(repo: str, branch: str, notes: list[str]) -> None:
    """A depth-1 checkout has neither the default branch nor the history joining them."""
    if git.has_ref(repo, f"origin/{branch}") and not git.is_shallow(repo):
        return
    args = ["fetch", "--no-tags", "--quiet", *(["--unshallow"] if git.is_shallow(repo) else [])]
    refspec = f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
    try:
        git.run([*args, "--end-of-options", "origin", refspec], cwd=repo)
    except git.GitError as exc:
        raise RangeError(
            f"cannot fetch the default branch {branch} to compare the pushed branch with "
            f"({exc}); use actions/checkout with `fetch-depth: 0`"
        ) from None
    notes.append(f"fetched {branch} and the full history to find the new branch's commits")


def _new_branch(
    repo: str, after: str, ref: str, default_branch: str | None, notes: list[str]
) -> Range:
    branch = ref.removeprefix("refs/heads/")
    other = default_branch if default_branch != branch else None
    if other:
        _fetch_default_branch(repo, other, notes)
    if other and git.has_ref(repo, f"origin/{other}"):
        revs = [after, f"^origin/{other}"]
        what = f"new branch {branch}: commits not on {other}"
        base = git.commit_of(repo, f"origin/{other}")
    else:
        revs = [after, "--not", f"--exclude=origin/{branch}", "--remotes"]
        what = f"new branch {branch}: commits on no other remote branch"
        base = git.empty_tree(repo)
    count = git.count_commits(repo, revs)
    return Range(revs, f"{what} ({count} commit(s) up to {after[:12]})", after, base)


def _field(payload: Mapping[str, Any], path: str) -> object:
    """The value at a dotted ``path`` of the payload, None where an object is missing."""
    value: object = payload
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _commit_id(payload: Mapping[str, Any], path: str) -> str:
    """A commit id from the payload, checked before it reaches git (it could be an option)."""
    value = _field(payload, path)
    if not isinstance(value, str) or not git.OBJECT_ID.fullmatch(value):
        problem = "missing" if value is None else "not a commit id (40 or 64 hex digits)"
        raise RangeError(f"malformed event payload: {path} is {problem}")
    return value


def _ref_name(payload: Mapping[str, Any], path: str) -> str | None:
    value = _field(payload, path)
    if value is None:
        return None
    if not isinstance(value, str) or not git.is_ref_name(value):
        raise RangeError(f"malformed event payload: {path} is not a valid git ref name")
    return value


def _payload(env: Mapping[str, str]) -> dict[str, Any]:
    if not env.get("GITHUB_EVENT_PATH"):
        return {}
    try:
        with open(env["GITHUB_EVENT_PATH"], encoding="utf-8") as handle:
            payload = json.load(handle)
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: [[[[…
        raise RangeError(f"cannot read the event payload: {exc}") from None
    if not isinstance(payload, dict):
        raise RangeError("malformed event payload: not a JSON object")
    return payload


def github_range(env: Mapping[str, str], repo: str) -> tuple[Range, list[str]]:
    """The range for the GitHub Actions event in ``env``, and notes on what was fetched.
    Every payload value is validated before it reaches git."""
    event = env.get("GITHUB_EVENT_NAME", "")
    payload = _payload(env)
    if event in ("pull_request", "pull_request_target") and "pull_request" in payload:
        base = _commit_id(payload, "pull_request.base.sha")
        head = _commit_id(payload, "pull_request.head.sha")
        number = _field(payload, "pull_request.number")
        notes = _ensure(repo, base, head)
        revs = [head, f"^{base}"]
        merge_base = git.run(["merge-base", "--end-of-options", base, head], cwd=repo)
        count = git.count_commits(repo, revs)
        return Range(
            revs,
            f"pull request #{number if isinstance(number, int) else '?'}: {count} commit(s) "
            f"from merge base {merge_base.decode()[:12]} to head {head[:12]}",
            head,
            base,
        ), notes
    if event == "push" and "after" in payload:
        after = _commit_id(payload, "after")
        before = _commit_id(payload, "before") if "before" in payload else ZERO
        ref = _ref_name(payload, "ref") or ""
        if after.strip("0") == "":
            return Range([], f"push deleted {ref or 'a ref'}: nothing to scan"), []
        notes = _ensure(repo, after)
        default = _ref_name(payload, "repository.default_branch")
        if before.strip("0") == "":
            return _new_branch(repo, after, ref, default, notes), notes
        try:
            notes += _ensure(repo, before, after)
        except RangeError:
            # A force push's old tip can be gone from the server: compare with the default
            # branch instead of failing.
            notes.append(f"old tip {before[:12]} unavailable (force push?)")
            return _new_branch(repo, after, ref, default, notes), notes
        revs = [after, f"^{before}"]
        forced = " (force push)" if payload.get("forced") is True else ""
        count = git.count_commits(repo, revs)
        return Range(
            revs, f"push{forced}: {count} commit(s) {before[:12]}..{after[:12]}", after, before
        ), notes
    head = env.get("GITHUB_SHA") or "HEAD"
    if head != "HEAD" and not git.OBJECT_ID.fullmatch(head):
        raise RangeError("GITHUB_SHA is not a commit id (40 or 64 hex digits)")
    notes = _ensure(repo, head) if head != "HEAD" else []
    return Range(
        [head],
        f"event '{event or 'unknown'}' has no commit range: full history of {head[:12]} "
        f"({git.count_commits(repo, [head])} commit(s))",
        head,
    ), notes


@dataclasses.dataclass(frozen=True)
class Push:
    """What ``git push`` said it will send, one line of the hook's stdin per ref."""

    revs: list[str]  # empty: nothing to scan (only deletions, or nothing pushed)
    tips: list[str]  # the local commits the remote refs will point at
    description: str


def push_from_stdin(lines: str, remote: str) -> Push:
    """git's pre-push lines ``<local ref> <local oid> <remote ref> <remote oid>``: scan what
    every pushed commit reaches that the remote already has neither at the old tip nor in
    its remote-tracking refs. New branches, force pushes and deletions included."""
    tips: list[str] = []
    known: list[str] = []
    parts: list[str] = []
    stale: list[str] = []
    for line in lines.splitlines():
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 4 or not all(git.OBJECT_ID.fullmatch(f) for f in fields[1::2]):
            raise RangeError(f"unexpected pre-push input line: {line[:200]!r}")
        local_ref, local, remote_ref, old = fields
        if set(local) == {"0"}:
            parts.append(f"delete {remote_ref}")
            continue
        tips.append(local)
        if set(old) != {"0"} and git.has_commit(".", old):
            known.append(f"^{old}")
        elif set(old) == {"0"} and _tracked(remote, remote_ref):
            stale.append(remote_ref)
        parts.append(f"{local_ref} -> {remote_ref}")
    if not tips:
        return Push([], [], f"push to {remote}: {', '.join(parts) or 'nothing'}: nothing to scan")
    # The remote lacks a branch its remote-tracking ref says it has: deleted there, or the
    # remote's URL now names another repository (a private bot published to a new host).
    # Its remote-tracking refs then say nothing of what it has: only the old tips count.
    revs = [*tips, *known] + ([] if stale else ["--not", f"--remotes={remote}"])
    count = git.count_commits(".", revs)
    description = f"push to {remote}: {', '.join(parts)}: {count} new commit(s)"
    if stale:
        description += (
            f"; {remote} lacks {', '.join(stale)} though its remote-tracking refs say it has "
            f"them: none was trusted (`git fetch --prune {remote}` brings them up to date)"
        )
    return Push(revs, tips, description)


def _tracked(remote: str, remote_ref: str) -> bool:
    """Whether ``remote``'s remote-tracking ref for the branch ``remote_ref`` exists."""
    branch = remote_ref.removeprefix("refs/heads/")
    return branch != remote_ref and git.has_ref(".", f"refs/remotes/{remote}/{branch}")


def pre_push_range(env: Mapping[str, str]) -> Range:
    """The commits a push sends, from the variables pre-commit sets for pre-push hooks."""
    from_ref, to_ref = env.get("PRE_COMMIT_FROM_REF"), env.get("PRE_COMMIT_TO_REF")
    if from_ref and to_ref:
        return Range(
            [to_ref, f"^{from_ref}"], f"pushed commits {from_ref[:12]}..{to_ref[:12]}", to_ref
        )
    local = env.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
    remote = env.get("PRE_COMMIT_REMOTE_NAME")
    exclude = f"--remotes={remote}" if remote else "--remotes"
    return Range([local, "--not", exclude], f"commits of {local} not on the remote", local)
