"""``binance-guard ci``: the commits a GitHub Actions event brings, with SARIF,
annotations, a job summary and step outputs."""

from __future__ import annotations

import argparse
import os
import sys

from binance_guard.commands.common import EXIT_CLEAN, EXIT_FINDINGS, scan_range
from binance_guard.history.scan import HistoryResult
from binance_guard.policy import fails
from binance_guard.report import github, sarif
from binance_guard.report import text as text_report
from binance_guard.sources.ranges import github_range


def run(options: argparse.Namespace) -> int:
    span, notes = github_range(os.environ, options.repo)
    print(f"binance-guard: scanning {span.description}")
    result = scan_range(options, options.repo, span.revs, False) if span.revs else HistoryResult()
    findings = result.findings
    for note in notes + result.notes:
        print(f"note: {note}")
    sys.stdout.write(github.workflow_commands(findings))
    if findings:
        sys.stdout.write(text_report.render_history(findings, [], [], result.blobs, result.bytes))
    if options.sarif_file:
        server, repository = (
            os.environ.get("GITHUB_SERVER_URL"),
            os.environ.get("GITHUB_REPOSITORY"),
        )
        with open(options.sarif_file, "w", encoding="utf-8") as handle:
            handle.write(
                sarif.render(
                    findings, f"{server}/{repository}" if server and repository else None, span.head
                )
            )
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(github.summary(findings, span.description))
    if os.environ.get("GITHUB_OUTPUT"):
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
            handle.write(f"findings={len(findings)}\n")
            handle.write(f"sarif-file={options.sarif_file or ''}\n")
    return EXIT_FINDINGS if fails(findings, options.fail_on) else EXIT_CLEAN
