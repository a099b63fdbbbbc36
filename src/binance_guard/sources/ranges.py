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

ZERO = "0" * 40


class RangeError(GuardError, RuntimeError):
    """The commits to scan are not available; the message says how to fix the checkout."""


@dataclasses.dataclass(frozen=True)
class Range:
    revs: list[str]
    description: str
    head: str | None = None




def _ensure(repo: str, *shas: str) -> list[str]:
    """Make sure the commits (and enough history to compare them) are present; say what was
    fetched. Raises RangeError naming the fetch-depth to use when that is impossible."""
    notes = []
    missing = [s for s in shas if not git.has_commit(repo, s)]
    if missing:
        try:
            git.run(["fetch", "--no-tags", "--quiet", "origin", *missing], cwd=repo)
            notes.append(f"fetched {len(missing)} missing commit(s) from origin")
        except git.GitError as exc:
            raise RangeError(
                f"commit(s) {', '.join(s[:12] for s in missing)} are not in the checkout and "
                f"could not be fetched ({exc}); use actions/checkout with `fetch-depth: 0`"
            ) from None
    if len(shas) > 1 and git.is_shallow(repo):
        try:
            git.run(["merge-base", *shas], cwd=repo)
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
    try:
        git.run([*args, "origin", f"+refs/heads/{branch}:refs/remotes/origin/{branch}"], cwd=repo)
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
    else:
        revs = [after, "--not", f"--exclude=origin/{branch}", "--remotes"]
        what = f"new branch {branch}: commits on no other remote branch"
    count = git.count_commits(repo, revs)
    return Range(revs, f"{what} ({count} commit(s) up to {after[:12]})", after)



def github_range(env: Mapping[str, str], repo: str) -> tuple[Range, list[str]]:
    """The range for the GitHub Actions event in ``env``, and notes on what was fetched."""
    event = env.get("GITHUB_EVENT_NAME", "")
    payload: dict[str, Any] = {}
    if env.get("GITHUB_EVENT_PATH"):
        try:
            with open(env["GITHUB_EVENT_PATH"], encoding="utf-8") as handle:
                payload = json.load(handle)
        except (OSError, ValueError) as exc:
            raise RangeError(f"cannot read the event payload: {exc}") from None
    if event in ("pull_request", "pull_request_target") and "pull_request" in payload:
        pull = payload["pull_request"]
        base, head = pull["base"]["sha"], pull["head"]["sha"]
        notes = _ensure(repo, base, head)
        revs = [head, f"^{base}"]
        merge_base = git.run(["merge-base", base, head], cwd=repo).decode().strip()
        count = git.count_commits(repo, revs)
        return Range(
            revs,
            f"pull request #{pull.get('number', '?')}: {count} commit(s) from "
            f"merge base {merge_base[:12]} to head {head[:12]}",
            head,
        ), notes
    if event == "push" and "after" in payload:
        before, after = payload.get("before", ZERO), payload["after"]
        if after == ZERO:
            return Range([], f"push deleted {payload.get('ref', 'a ref')}: nothing to scan"), []
        notes = _ensure(repo, after)
        default = (payload.get("repository") or {}).get("default_branch")
        if before == ZERO:
            return _new_branch(repo, after, payload.get("ref", ""), default, notes), notes
        try:
            notes += _ensure(repo, before, after)
        except RangeError:
            # A force push's old tip can be gone from the server: compare with the default
            # branch instead of failing.
            notes.append(f"old tip {before[:12]} unavailable (force push?)")
            return _new_branch(repo, after, payload.get("ref", ""), default, notes), notes
        revs = [after, f"^{before}"]
        forced = " (force push)" if payload.get("forced") else ""
        count = git.count_commits(repo, revs)
        return Range(
            revs, f"push{forced}: {count} commit(s) {before[:12]}..{after[:12]}", after
        ), notes
    head = env.get("GITHUB_SHA") or "HEAD"
    notes = _ensure(repo, head) if head != "HEAD" else []
    return Range(
        [head],
        f"event '{event or 'unknown'}' has no commit range: full history of {head[:12]} "
        f"({git.count_commits(repo, [head])} commit(s))",
        head,
    ), notes


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
