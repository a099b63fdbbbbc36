"""The whole run: preflight, backup and journal (in place) or a mirror clone, rewrite, proof."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence

from binance_guard.errors import GuardError
from binance_guard.finding import Finding
from binance_guard.policy import Policy
from binance_guard.report.advice import resign_advice
from binance_guard.report.redact import strip_credentials
from binance_guard.report.sanitize import shell
from binance_guard.scrub import NOTHING_CHANGED, Interrupted, ScrubError
from binance_guard.scrub.backup import check_backup_path, default_backup, unused, write_backup
from binance_guard.scrub.journal import (
    journal_path,
    private_dir,
    rollback,
    signals_unwind,
    write_journal,
)
from binance_guard.scrub.preflight import (
    check_tools,
    preflight,
    reflog_only,
    refuse_names_holding_secrets,
    signed_to_lose,
)
from binance_guard.scrub.proof import Outcome, prove
from binance_guard.scrub.rewrite import filter_repo, prune
from binance_guard.scrub.rules import Replacement, replacements
from binance_guard.scrub.stash import hold_stash, rewrite_stash, stash_entries
from binance_guard.sources import git


def scrub(
    repo: str,
    findings: Sequence[Finding],
    policy: Policy,
    *,
    found: set[str],
    in_place: bool,
    apply_changes: bool,
    output: str | None,
    prune_old: bool,
    max_bytes: int,
    say: Callable[[str], None],
) -> Outcome:
    """``found``: the fingerprints the first scan reported (the rescan may find no other)."""
    check_tools()
    preflight(repo, in_place=in_place)
    rules = replacements(findings)
    refuse_names_holding_secrets(repo, rules)
    scrubbed = {f.fingerprint for f in findings}
    refs_before = git.refs(repo)
    signed = signed_to_lose(repo, findings)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if apply_changes and in_place:
        backup = os.path.abspath(output or default_backup(repo, stamp))
        check_backup_path(repo, backup)
    elif apply_changes:
        mirror = output or unused(os.path.abspath(repo).rstrip("/") + f".scrubbed-{stamp}", ".git")
        if os.path.exists(mirror):
            raise ScrubError(f"{mirror} already exists: choose another --output {NOTHING_CHANGED}")
    if apply_changes and signed != (0, 0):
        say(resign_advice(signed))
    with private_dir() as work, signals_unwind():
        if apply_changes and in_place:
            outcome = _in_place(
                repo,
                rules,
                found,
                scrubbed,
                refs_before,
                policy,
                max_bytes,
                backup,
                work,
                prune_old=prune_old,
                say=say,
            )
        else:
            target = mirror if apply_changes else os.path.join(work, "dry-run.git")
            outcome = Outcome(target=target, dry_run=not apply_changes)
            try:
                git.run(
                    [
                        "clone",
                        "-q",
                        "--mirror",
                        "--no-local",
                        "--end-of-options",
                        os.path.abspath(repo),
                        target,
                    ]
                )
                filter_repo(target, rules)
                _finish(
                    repo,
                    target,
                    rules,
                    found,
                    scrubbed,
                    refs_before,
                    policy,
                    max_bytes,
                    outcome,
                )
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)  # a half-made mirror helps no one
                raise
            if apply_changes and outcome.ok:
                prune(target)  # our own copy: the old objects are still in the original
                outcome.pruned = True
    outcome.signed = signed
    return outcome


def _finish(
    original: str,
    target: str,
    rules: Sequence[Replacement],
    found: set[str],
    scrubbed: set[str],
    refs_before: dict[str, str],
    policy: Policy,
    max_bytes: int,
    outcome: Outcome,
) -> None:
    refs_after = git.refs(target)
    outcome.changed_refs = [r for r in refs_before if refs_after.get(r) != refs_before[r]]
    prove(
        original,
        target,
        rules,
        found=found,
        scrubbed=scrubbed,
        refs_before=refs_before,
        policy=policy,
        max_bytes=max_bytes,
        outcome=outcome,
    )
    if outcome.ok:
        outcome.changed_refs += _carry_notes(target)


def _in_place(
    repo: str,
    rules: Sequence[Replacement],
    found: set[str],
    scrubbed: set[str],
    refs_before: dict[str, str],
    policy: Policy,
    max_bytes: int,
    backup: str,
    work: str,
    *,
    prune_old: bool,
    say: Callable[[str], None],
) -> Outcome:
    """Journal, backup, rewrite, proof; any failure or signal rolls the refs back. The old
    objects stay in the repository until the proof passed, so it compares against them."""
    keep = reflog_only(repo)
    stash = stash_entries(repo)
    write_journal(repo, refs_before, backup, stash)
    outcome = Outcome(target=git.top(repo), dry_run=False, backup=backup, reflog_only=len(keep))
    try:
        write_backup(repo, backup, keep, work)
        say(f"backup of all refs written to {backup} (restore: git clone {shell(backup)})")
        hold_stash(repo, stash)
        filter_repo(repo, rules)
        rewrite_stash(repo, stash, rules)
        _finish(repo, repo, rules, found, scrubbed, refs_before, policy, max_bytes, outcome)
    except BaseException as exc:
        say(_rolled_back(repo, exc))
        raise
    if not outcome.ok:
        say(_rolled_back(repo, None))
        outcome.rolled_back = True
        return outcome
    os.remove(journal_path(repo))
    if prune_old:
        prune(repo)
        outcome.pruned = True
    return outcome


def _rolled_back(repo: str, exc: BaseException | None) -> str:
    if exc is None:
        why = "the proof failed"
    elif isinstance(exc, (Interrupted, KeyboardInterrupt)):
        why = f"interrupted by {exc or 'SIGINT'}"
    else:
        why = "the rewrite failed"
    try:
        return f"binance-guard: {why}; {rollback(repo)}"
    except (GuardError, OSError) as failure:
        return (
            f"binance-guard: {why}; automatic rollback failed ({failure}); run: "
            f"binance-guard scrub --rollback {shell(git.top(repo))}"
        )


def _carry_notes(repo: str) -> list[str]:
    """git notes are keyed by commit id: move them to the rewritten commits (after the
    checks, which compare commits only), then drop the ones left on vanished commits."""
    mapping = "".join(f"{old} {new}\n" for old, new in git.commit_map(repo).items())
    out = git.run(["for-each-ref", "--format=%(refname)", "refs/notes/"], cwd=repo)
    moved = []
    for ref in os.fsdecode(out).split():
        before = git.run(["rev-parse", ref], cwd=repo)
        git.run(["notes", f"--ref={ref}", "copy", "--stdin"], cwd=repo, stdin=mapping.encode())
        git.run(["notes", f"--ref={ref}", "prune"], cwd=repo)
        if git.run(["rev-parse", ref], cwd=repo) != before:
            moved.append(ref)
    return moved


def push_remote(repo: str, in_place: bool) -> str:
    """Where the user's branches live. A mirror's own origin is the local clone it was made
    from, so its pushes name the clone's origin URL; in place, the remote by name (origin,
    or the only one there is), and a placeholder when there is none to guess; as a word of
    the printed commands."""
    try:
        if not in_place:  # a token in the URL is not printed: git asks for it again
            url = git.run(["remote", "get-url", "origin"], cwd=repo).decode().strip()
            return shell(strip_credentials(url))
        names = git.run(["remote"], cwd=repo).decode().split()
    except git.GitError:
        return "<your-remote-url>"
    if "origin" in names:
        return "origin"
    return shell(names[0]) if len(names) == 1 else "<your-remote>"
