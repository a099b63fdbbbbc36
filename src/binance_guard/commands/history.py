"""``binance-guard history``: every blob of every ref, once, with attribution."""

from __future__ import annotations

import argparse
import sys

from binance_guard.commands.common import EXIT_CLEAN, EXIT_FINDINGS, scan_range
from binance_guard.policy import blocking
from binance_guard.report import json as json_report
from binance_guard.report import sarif
from binance_guard.report import text as text_report
from binance_guard.sources.source import Skipped


def run(options: argparse.Namespace) -> int:
    revs: list[str] | None = list(options.rev or []) or None
    if options.since_commit:
        revs = [*(revs or ["--all"]), f"^{options.since_commit}"]
    result = scan_range(options, options.repo, revs, not options.no_progress)
    skipped = [Skipped(f"{n} blob(s)", reason) for reason, n in sorted(result.skipped.items())]
    if options.format == "json":
        sys.stdout.write(json_report.render(result.findings, skipped, result.notes))
    elif options.format == "sarif":
        sys.stdout.write(sarif.render(result.findings))
    else:
        sys.stdout.write(
            text_report.render_history(
                result.findings, skipped, result.notes, result.blobs, result.bytes
            )
        )
    return EXIT_FINDINGS if blocking(result.findings) else EXIT_CLEAN
