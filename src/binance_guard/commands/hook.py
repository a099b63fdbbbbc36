"""The git hooks: ``hook`` (pre-commit: the lines a commit adds) and ``pre-push``
(the commits a push sends, read from git objects, not from the files on disk)."""

from __future__ import annotations

import os
import sys

from binance_guard.commands.common import outcome
from binance_guard.errors import UsageError
from binance_guard.exit_codes import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from binance_guard.finding import Finding, Location
from binance_guard.policy import Policy, scan_sources
from binance_guard.record import replace
from binance_guard.report import render
from binance_guard.report.sanitize import terminal
from binance_guard.sources import git
from binance_guard.sources.staged import Prefetch, staged_sources


def run(
    files: list[str],
    *,
    root: str | None,
    prefetch: Prefetch | None = None,
    policy: Policy,
    max_bytes: int,
    verbose: bool,
    fmt: str = "text",
    show_secrets: bool = False,
    allow_incomplete: bool = False,
) -> int:
    """``root``: the work tree's top (None outside one); ``prefetch``: what the clean path
    read and started (see :func:`staged_sources`)."""
    report = scan_sources(staged_sources(files, max_bytes, root, prefetch), policy)
    code = outcome(report, bool(report.blocking), allow_incomplete=allow_incomplete)
    if fmt != "text":
        sys.stdout.write(render(report, fmt, show_secrets=show_secrets))
        return code
    if not report.findings and code == EXIT_CLEAN:
        if verbose:
            sys.stdout.write(render(report, "text", verbose=True))
        return code
    # A stopped commit is about what was found, and what could not be read.
    report.skipped = [s for s in report.skipped if s.unread]
    text = render(report, "text", verbose=verbose, advice=True, show_secrets=show_secrets)
    if report.blocking:
        text = "Commit blocked by binance-guard.\n" + text
    elif code == EXIT_ERROR:
        text = "Commit stopped by binance-guard: not everything staged was scanned.\n" + text
    sys.stdout.write(text)
    return code


def pre_push(
    remote: str | None,
    url: str | None,
    *,
    policy: Policy,
    max_bytes: int,
    allow_incomplete: bool,
    fmt: str = "text",
    show_secrets: bool = False,
) -> int:
    """As a plain git hook, git passes the remote's name and URL and one line per pushed ref
    on stdin; through pre-commit, PRE_COMMIT_FROM_REF/TO_REF say the range."""
    # Imported here: a blocked commit (``run``) needs none of the history machinery.
    from binance_guard.commands.common import incomplete, scan_range
    from binance_guard.report.redact import mask, strip_credentials
    from binance_guard.sources.ranges import pre_push_range, push_from_stdin

    if remote is not None and "PRE_COMMIT_TO_REF" not in os.environ:
        if sys.stdin is None:  # started with fd 0 closed (<&-): git gives the refs there
            raise UsageError("standard input is closed: git passes the pushed refs on it")
        push = push_from_stdin(sys.stdin.read(), remote)
        revs, tips, description = push.revs, push.tips, push.description
    else:
        span = pre_push_range(os.environ)
        revs, tips, description = span.revs, [span.head or "HEAD"], span.description
    if not revs:
        return EXIT_CLEAN
    report = scan_range(".", revs, policy=policy, max_bytes=max_bytes)
    # Ref names and the remote's name: the pusher's words (a branch can be named after a key).
    description = terminal(
        strip_credentials(mask(description, [f.secret for f in report.findings]))
    )
    report.findings = _at_tips(report.findings, tips)
    stopped = incomplete(report, allow=allow_incomplete)
    if fmt != "text":
        sys.stdout.write(render(report, fmt, show_secrets=show_secrets))
        return EXIT_ERROR if stopped else EXIT_FINDINGS if report.blocking else EXIT_CLEAN
    if not report.blocking:
        if stopped:
            print(f"Push stopped by binance-guard ({description}): nothing was sent.")
            return EXIT_ERROR
        return EXIT_CLEAN
    where = terminal(strip_credentials(remote)) if remote else "the remote"
    sys.stdout.write(
        f"Push blocked by binance-guard ({description}).\n"
        f"Nothing was sent: {where} has not received these commits, so the keys below were "
        "not published by this push.\n"
    )
    report.skipped_objects.clear()  # a blocked push is about what was found
    sys.stdout.write(render(report, "text", advice=False, show_secrets=show_secrets))
    sys.stdout.write(PUSH_ADVICE)
    return EXIT_FINDINGS


PUSH_ADVICE = """
Fix the commits before pushing again:
  - a key at the tip ("STILL AT HEAD"): move it out of the file (environment variable, secrets
    manager), then `git commit --amend` if it came in with the last commit, or commit the fix
    and rewrite the older commit as below;
  - a key in an earlier commit ("history only"): `git rebase -i <upstream>` and edit that
    commit, or `binance-guard scrub --in-place` to rewrite the local branch;
  - a key in a tag message: make the tag again without it (`git tag -f -a <tag>`);
  - then push again. If a key was ever shared anywhere else, revoke it in Binance.
"""


def _at_tips(findings: list[Finding], tips: list[str]) -> list[Finding]:
    """ "At HEAD" means at the tip being pushed, which need not be the checked-out branch."""
    trees = [git.tree(".", tip) for tip in tips]
    wanted = {oid for t in trees for f in findings for p, oid in t.blobs.items() if p == f.path}
    contents = git.blob_contents(list(wanted), cwd=".")
    result = []
    for finding in findings:
        if finding.attribution is None or finding.location is not Location.FILE:
            result.append(finding)
            continue
        at_tip = any(
            finding.secret.encode() in contents.get(t.blobs.get(finding.path, ""), b"")
            for t in trees
        )
        result.append(replace(finding, attribution=replace(finding.attribution, in_head=at_tip)))
    return result
