"""``binance-guard scan`` and ``verify``: files on disk through the one scanner."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from binance_guard.commands.common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    user_policy,
    verified,
)
from binance_guard.errors import UsageError
from binance_guard.integrations import baseline
from binance_guard.policy import scan_sources
from binance_guard.report import json as json_report
from binance_guard.report import sarif
from binance_guard.report import text as text_report
from binance_guard.sources.files import file_sources


def run(options: argparse.Namespace) -> int:
    missing = [p for p in options.paths if not os.path.lexists(p)]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    notes: list[str] = []
    policy = user_policy(options)
    if getattr(options, "write_baseline", None):
        policy = dataclasses.replace(policy, baseline=None)
    result = scan_sources(
        file_sources(options.paths, options.all_files, options.max_bytes, notes), policy
    )
    if options.command == "verify" or options.verify:
        result.findings = verified(result.findings, options)
    if getattr(options, "write_baseline", None):
        baseline.write(options.write_baseline, result.findings)
        print(
            f"binance-guard: wrote {len(result.findings)} finding(s) to {options.write_baseline}",
            file=sys.stderr,
        )
        return EXIT_CLEAN
    if options.format == "json":
        sys.stdout.write(
            json_report.render(result.findings, result.skipped, notes, options.show_secrets)
        )
    elif options.format == "sarif":
        sys.stdout.write(sarif.render(result.findings))
    else:
        sys.stdout.write(
            text_report.render(result.findings, result.skipped, notes, options.verbose, advice=True)
        )
        if options.show_secrets:
            for finding in result.findings:
                print(f"{finding.path}:{finding.line}: {finding.secret}")
    return EXIT_FINDINGS if result.blocking else EXIT_CLEAN
