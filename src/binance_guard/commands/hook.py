"""The git hooks: ``hook`` (pre-commit: the lines a commit adds) and ``pre-push``
(the commits a push sends, read from git objects, not from the files on disk)."""

from __future__ import annotations

import argparse
import os
import sys

from binance_guard.commands.common import EXIT_CLEAN, EXIT_FINDINGS, scan_range, user_policy
from binance_guard.policy import blocking, scan_sources
from binance_guard.report import text as text_report
from binance_guard.sources.ranges import pre_push_range
from binance_guard.sources.staged import staged_sources


def run(options: argparse.Namespace) -> int:
    result = scan_sources(staged_sources(options.files, options.max_bytes), user_policy(options))
    if not result.findings:
        if options.verbose:
            sys.stdout.write(text_report.render([], result.skipped, verbose=True))
        return EXIT_CLEAN
    report = text_report.render(result.findings, verbose=options.verbose)
    if result.blocking:
        report = "Commit blocked by binance-guard.\n" + report
    sys.stdout.write(report)
    return EXIT_FINDINGS if result.blocking else EXIT_CLEAN


def pre_push(options: argparse.Namespace) -> int:
    span = pre_push_range(os.environ)
    result = scan_range(options, ".", span.revs, False)
    if not blocking(result.findings):
        return EXIT_CLEAN
    sys.stdout.write(f"Push blocked by binance-guard ({span.description}).\n")
    sys.stdout.write(
        text_report.render_history(result.findings, [], result.notes, result.blobs, result.bytes)
    )
    return EXIT_FINDINGS
