"""``binance-guard scan`` and ``verify``: files on disk through the one scanner."""

from __future__ import annotations

import os
import sys

from binance_guard.commands.common import incomplete, not_a_link_in, outcome, verify_report
from binance_guard.errors import UsageError
from binance_guard.exit_codes import EXIT_CLEAN, EXIT_ERROR
from binance_guard.policy import Policy, scan_sources
from binance_guard.record import replace
from binance_guard.report import render
from binance_guard.report.sanitize import shell
from binance_guard.sources import git
from binance_guard.sources.files import file_sources
from binance_guard.sources.source import STDIN_NAME
from binance_guard.verify import Settings


def run(
    paths: list[str],
    *,
    policy: Policy,
    all_files: bool,
    max_bytes: int,
    fmt: str,
    show_secrets: bool,
    verbose: bool,
    verify: Settings | None,
    write_baseline: str | None,
    root: str,
    allow_incomplete: bool,
) -> int:
    """``root``: the top of the repository scanned, which baselines are relative to."""
    missing = [p for p in paths if p != STDIN_NAME and not os.path.lexists(p)]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    for path in paths:
        if os.path.isdir(path) and git.is_git_dir(path):
            raise UsageError(
                f"{path} is a git directory (a bare repository or .git): its files are "
                "compressed objects that cannot be scanned as text; scan its history with "
                f"`binance-guard history {shell(path)}`"
            )
    if write_baseline:
        policy = replace(policy, baseline=None)  # the new baseline takes all
    notes: list[str] = []
    report = scan_sources(file_sources(paths, all_files, max_bytes, notes), policy)
    report.notes[:0] = notes
    if verify is not None:
        verify_report(report, verify)
    if write_baseline:
        from binance_guard.integrations import baseline

        if incomplete(report, allow=allow_incomplete):
            return EXIT_ERROR  # a baseline of what could be read would hide nothing, but say so

        from binance_guard.report.advice import baseline_written

        target = not_a_link_in(write_baseline, root)
        baseline.write(target, report.findings, root)
        relative = os.path.relpath(os.path.abspath(target), root).replace(os.sep, "/")
        sys.stderr.write(baseline_written(len(report.findings), relative, baseline.SHIM))
        return EXIT_CLEAN
    sys.stdout.write(render(report, fmt, show_secrets=show_secrets, verbose=verbose))
    return outcome(report, bool(report.blocking), allow_incomplete=allow_incomplete)
