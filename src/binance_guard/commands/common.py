"""What the subcommands share: exit codes, the user's policy, verification, range scans."""

from __future__ import annotations

import argparse
import re

from binance_guard.errors import UsageError
from binance_guard.finding import Confidence, Finding
from binance_guard.history.scan import HistoryResult, scan_history
from binance_guard.integrations.baseline import Baseline
from binance_guard.policy import Policy

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def user_policy(options: argparse.Namespace) -> Policy:
    try:
        exclude = (
            re.compile("|".join(f"(?:{p})" for p in options.exclude_files or []))
            if options.exclude_files
            else None
        )
    except re.error as exc:
        raise UsageError(f"--exclude-files: invalid regular expression: {exc}") from None
    return Policy(
        min_confidence=Confidence(options.min_confidence),
        include_examples=options.include_examples,
        baseline=Baseline.load(options.baseline) if options.baseline else None,
        exclude_files=exclude,
    )


def verified(findings: list[Finding], options: argparse.Namespace) -> list[Finding]:
    # Only on request: no HTTP machinery is imported unless the user asked to verify.
    from binance_guard.verify.client import Client
    from binance_guard.verify.verifier import verify_findings

    return verify_findings(findings, Client(options.api_url))


def scan_range(
    options: argparse.Namespace, repo: str, revs: list[str] | None, progress_bar: bool
) -> HistoryResult:
    """History scan of ``revs`` (None: everything), verified if asked: history, ci, pre-push."""
    from binance_guard.report import progress  # rich: only when a bar may be drawn

    bar = progress.for_history() if progress_bar else None
    try:
        result = scan_history(
            repo, revs, user_policy(options), options.max_bytes, bar.update if bar else None
        )
    finally:
        if bar:
            bar.close()
    if getattr(options, "verify", False):
        result.findings = verified(result.findings, options)
    return result
