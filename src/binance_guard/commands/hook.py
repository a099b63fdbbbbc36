"""The git hooks: ``hook`` (pre-commit: the lines a commit adds) and ``pre-push``
(the commits a push sends, read from git objects, not from the files on disk)."""

from __future__ import annotations

import os
import sys

from binance_guard.commands.common import scan_range
from binance_guard.exit_codes import EXIT_CLEAN, EXIT_FINDINGS
from binance_guard.policy import Policy, scan_sources
from binance_guard.report import render
from binance_guard.sources.ranges import pre_push_range
from binance_guard.sources.staged import staged_sources


def run(files: list[str], *, policy: Policy, max_bytes: int, verbose: bool) -> int:
    report = scan_sources(staged_sources(files, max_bytes), policy)
    if not report.findings:
        if verbose:
            sys.stdout.write(render(report, "text", verbose=True))
        return EXIT_CLEAN
    report.skipped = []  # a blocked commit is about what was found
    text = render(report, "text", verbose=verbose, advice=True)
    if report.blocking:
        text = "Commit blocked by binance-guard.\n" + text
    sys.stdout.write(text)
    return EXIT_FINDINGS if report.blocking else EXIT_CLEAN


def pre_push(*, policy: Policy, max_bytes: int) -> int:
    span = pre_push_range(os.environ)
    report = scan_range(".", span.revs, policy=policy, max_bytes=max_bytes)
    if not report.blocking:
        return EXIT_CLEAN
    sys.stdout.write(f"Push blocked by binance-guard ({span.description}).\n")
    report.skipped_objects.clear()  # a blocked push is about what was found
    sys.stdout.write(render(report, "text"))
    return EXIT_FINDINGS
