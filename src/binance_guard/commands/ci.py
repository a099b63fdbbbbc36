"""``binance-guard ci``: the commits a GitHub Actions event brings, with SARIF,
annotations, a job summary and step outputs."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Sequence

from binance_guard.commands import ci_allowed
from binance_guard.commands.common import not_a_link_in, outcome, scan_range
from binance_guard.policy import Policy, fails, unverified_high
from binance_guard.record import replace
from binance_guard.report import Report, render
from binance_guard.report.advice import SETTINGS_EDITED, SETTINGS_FROM
from binance_guard.report.github import MAX_ANNOTATIONS
from binance_guard.report.redact import mask
from binance_guard.report.sanitize import markdown, terminal, workflow_data, workflow_property
from binance_guard.sources import git
from binance_guard.sources.ranges import github_range
from binance_guard.verify import Settings


def run(
    repo: str,
    *,
    policy: Callable[[str | None], Policy],
    settings_from: str,
    settings_files: Sequence[str],
    max_bytes: int,
    sarif_file: str | None,
    fail_on: str,
    verify: Settings | None,
    allow_incomplete: bool,
    output: str | None = None,
    fmt: str = "text",
    show_secrets: bool = False,
) -> int:
    """``policy``: the user's filters with the settings files as a commit has them (None:
    the work tree); ``settings_files``: their names in the repository, watched for edits."""
    span, notes = github_range(os.environ, repo)
    # A change is judged by the settings of the branch it goes to: its own edits to them
    # (an allowlist entry for its key) apply once merged.
    trusted = span.base if settings_from == "base" else None
    rules = policy(trusted)
    report = (
        scan_range(repo, span.revs, policy=rules, max_bytes=max_bytes, verify=verify)
        if span.revs
        else Report(history=True)
    )
    # Only for a range (a pull request, a push): a full history has no change to review.
    change = len(span.revs) > 1
    allowed = ci_allowed.allowed_inline(repo, span.revs, rules, max_bytes) if change else []
    # The payload's ref names: a branch can be named after the key it brings.
    secrets_seen = [f.secret for f in (*report.findings, *(f for f, _ in allowed))]
    scanned = mask(span.description, secrets_seen)
    print(f"binance-guard: scanning {terminal(scanned)}")
    if trusted is not None:
        base = "none: their defaults" if trusted == git.empty_tree(repo) else trusted[:12]
        print(f"binance-guard: settings as the base commit has them ({base})")
    report = replace(report, notes=notes + report.notes)
    findings = report.findings
    # The runner reads every line of the log that starts with "::" as a command, and a table
    # row can start with a file name: no commands until the random token comes back.
    token = secrets.token_hex(16)
    print(f"::stop-commands::{token}")
    sys.stdout.write(render(report, "text"))
    print(f"::{token}::")
    sys.stdout.write(render(report, "annotations"))
    # Edits to the settings, and inline allow comments, are what the reviewer must read: say
    # so where they look.
    edited = git.paths_changed(repo, span.revs, settings_files) if change else []
    warnings = [SETTINGS_EDITED.format(name=name) + SETTINGS_FROM[settings_from] for name in edited]
    for name, warning in zip(edited, warnings, strict=True):
        title = workflow_property("binance-guard: settings changed")
        print(f"::warning file={workflow_property(name)},title={title}::{workflow_data(warning)}")
    sys.stdout.write(ci_allowed.annotate(allowed, MAX_ANNOTATIONS - len(edited)))
    if allowed:
        print(
            f"binance-guard: {len(allowed)} finding(s) allowed by inline comments this change "
            "writes: not failing, listed in the annotations and the job summary"
        )
    server, repository = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    for path, form in ((sarif_file, "sarif"), (output, fmt)):
        if path:
            document = render(
                report,
                form,
                show_secrets=show_secrets,
                repository=f"{server}/{repository}" if server and repository else None,
                commit=span.head,
            )
            with open(
                not_a_link_in(path, repo), "w", encoding="utf-8", errors="surrogateescape"
            ) as handle:
                handle.write(document)
    unverified = unverified_high(findings) if fail_on not in ("any", "never") else []
    if unverified:
        print(
            f"note: {len(unverified)} high-confidence finding(s) not verified live: they fail "
            f"--fail-on {fail_on}, as only Binance's answer (--verify) can show a key is "
            "less than critical"
        )
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(render(report, "summary", scanned=scanned))
            handle.writelines(f"\n**Note:** {markdown(w)}\n" for w in warnings)
            if allowed:
                handle.write(ci_allowed.summary(allowed))
    if os.environ.get("GITHUB_OUTPUT"):
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
            handle.write(f"findings={len(findings)}\n")
            handle.write(f"allowed-inline={len(allowed)}\n")
            handle.write(f"sarif-file={terminal(sarif_file or '')}\n")  # one line, always
    return outcome(report, fails(findings, fail_on), allow_incomplete=allow_incomplete)
