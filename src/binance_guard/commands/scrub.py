"""``binance-guard scrub``: dry run, confirmation, rewrite, proof, next steps."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import TextIO

from binance_guard.commands.common import incomplete, read_option_file
from binance_guard.errors import UsageError
from binance_guard.exit_codes import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from binance_guard.finding import Finding
from binance_guard.history.scan import UNATTRIBUTED, scan_history
from binance_guard.policy import Policy
from binance_guard.report.advice import resign_advice, scrub_next_steps
from binance_guard.report.redact import Redactor
from binance_guard.report.sanitize import terminal
from binance_guard.scrub import Interrupted, ScrubError
from binance_guard.scrub.journal import clean_stale_temp, refuse_after_interruption
from binance_guard.scrub.journal import rollback as roll_back
from binance_guard.scrub.preflight import preflight, refuse_repository_environment
from binance_guard.scrub.proof import Outcome
from binance_guard.scrub.run import push_remote, scrub

MAX_FINDINGS_FILE = 1 << 30  # a --format json report: about a kilobyte a finding


def _selected_findings(findings_file: str | None, found: list[Finding]) -> list[Finding]:
    if not findings_file:
        return found
    report = read_option_file(findings_file, "--findings", MAX_FINDINGS_FILE)
    try:
        wanted = {f["fingerprint"] for f in json.loads(report)["findings"]}
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise UsageError(f"cannot read findings from {findings_file}: {exc}") from None
    present = {f.fingerprint for f in found}
    if wanted - present:
        raise ScrubError(
            f"{len(wanted - present)} of {len(wanted)} secrets in {findings_file} are not in "
            "this repository's history: wrong repository, or already scrubbed"
        )
    return [f for f in found if f.fingerprint in wanted]


def run(
    repo: str,
    *,
    policy: Policy,
    max_bytes: int,
    findings_file: str | None,
    in_place: bool,
    yes: bool,
    output: str | None,
    prune: bool,
    rollback: bool,
    allow_incomplete: bool,
) -> int:
    refuse_repository_environment()
    clean_stale_temp()
    try:
        if rollback:
            print(f"binance-guard: {terminal(roll_back(repo))}")
            return EXIT_CLEAN
        return _run(
            repo,
            policy=policy,
            max_bytes=max_bytes,
            findings_file=findings_file,
            in_place=in_place,
            yes=yes,
            output=output,
            prune=prune,
            allow_incomplete=allow_incomplete,
        )
    except Interrupted as exc:
        print(f"binance-guard: scrub interrupted by {exc}", file=sys.stderr)
        return EXIT_ERROR


def _run(
    repo: str,
    *,
    policy: Policy,
    max_bytes: int,
    findings_file: str | None,
    in_place: bool,
    yes: bool,
    output: str | None,
    prune: bool,
    allow_incomplete: bool,
) -> int:
    refuse_after_interruption(repo)
    history = scan_history(repo, None, policy, max_bytes)
    if UNATTRIBUTED in history.incomplete:
        # Secrets that only refs to blobs or trees reach: read, but out of git-filter-repo's
        # reach, even with --allow-incomplete. The preflight names those refs.
        preflight(repo, in_place=in_place)
    if incomplete(history, allow=allow_incomplete):
        raise ScrubError(
            "cannot scrub what could not be read: a secret there would survive the rewrite "
            "(fetch or repair the missing objects, or pass --allow-incomplete)"
        )
    findings = _selected_findings(findings_file, history.findings)
    # What history did not follow (a submodule's own repository) is not scrubbed either.
    noting = _printer(history.findings, sys.stdout)
    for note in history.notes:
        noting(f"note: {note}")
    if not findings:
        print("binance-guard: no secrets in history: nothing to scrub.")
        return EXIT_CLEAN
    secrets = {f.fingerprint: f for f in findings}
    show, say = _printer(findings, sys.stdout), _printer(findings, sys.stderr)
    show(f"binance-guard: {len(secrets)} secret(s) to remove from history:")
    for finding in secrets.values():
        show(f"  {finding.redacted}  {finding.type}  first at {finding.path}:{finding.line}")
    rewrite = functools.partial(
        scrub,
        repo,
        findings,
        policy,
        found={f.fingerprint for f in history.findings},
        in_place=in_place,
        prune_old=prune,
        max_bytes=max_bytes,
        say=say,
    )
    if not yes:
        outcome = rewrite(apply_changes=False, output=None)
        _print_outcome(outcome, show)
        asking = sys.stdin is not None and sys.stdin.isatty()  # None: fd 0 closed (<&-)
        if not (asking and outcome.ok and _confirm(in_place)):
            print("dry run: nothing was changed; run again with --yes to rewrite.")
            return EXIT_FINDINGS
    outcome = rewrite(apply_changes=True, output=output)
    _print_outcome(outcome, show)
    if not outcome.ok:
        print(
            "binance-guard: verification FAILED: "
            + (
                "the repository was rolled back, nothing changed."
                if outcome.rolled_back
                else f"do not use {outcome.target}."
            ),
            file=sys.stderr,
        )
        return EXIT_ERROR
    show(f"rewritten repository: {os.path.abspath(outcome.target)}")
    show(scrub_next_steps(outcome, push_remote(repo, in_place)))
    return EXIT_CLEAN


def _confirm(in_place: bool) -> bool:
    answer = input(f"Rewrite {'this repository' if in_place else 'a mirror clone'} now? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _printer(findings: list[Finding], stream: TextIO) -> Callable[[str], None]:
    """Scrub's lines name refs, files, paths and remotes of the repository: each line is
    masked (no secret in full) and escaped for the terminal before it is printed."""
    redactor = Redactor(f.secret for f in findings)

    def say(text: str) -> None:
        for line in text.split("\n"):
            print(terminal(redactor(line)), file=stream)

    return say


def _print_outcome(outcome: Outcome, show: Callable[[str], None]) -> None:
    show(
        f"{'would change' if outcome.dry_run else 'changed'}: "
        f"{outcome.changed_commits} commit(s), {len(outcome.changed_files)} file(s), "
        f"{len(outcome.changed_refs)} ref(s)"
    )
    for ref in outcome.changed_refs:
        show(f"  ref  {ref}")
    for path in sorted(outcome.changed_files):
        show(f"  file {path}")
    for check in outcome.checks:
        show(f"  [{'ok' if check.ok else 'FAILED'}] {check.name}: {check.detail}")
    if outcome.dry_run and outcome.signed != (0, 0):
        show(resign_advice(outcome.signed))
    if outcome.reflog_only:
        show(
            f"  kept: {outcome.reflog_only} commit(s) only reflogs reach (reset-away work, older "
            "stash entries): in the backup" + ("" if outcome.pruned else " and in this repository")
        )
