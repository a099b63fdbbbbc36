"""What the scanning commands share: verification on request, and history range scans."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from binance_guard.exit_codes import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from binance_guard.finding import API_KEY, Finding
from binance_guard.policy import Policy
from binance_guard.report import Report
from binance_guard.verify import INCOMPLETE, Settings


def verified(findings: list[Finding], settings: Settings) -> list[Finding]:
    """The findings with Binance's answers; says on stderr if some keys could not be checked."""
    # Only on request: no HTTP machinery is imported unless the user asked to verify.
    from binance_guard.verify.client import Client
    from binance_guard.verify.verifier import verify_findings

    findings = verify_findings(findings, Client(settings))
    keys = {f.fingerprint: f.verification for f in findings if f.type == API_KEY}
    failed = [v for v in keys.values() if v is not None and v.status in INCOMPLETE]
    if failed:
        print(
            f"binance-guard: error: verification incomplete: {len(failed)} of {len(keys)} "
            f"key(s) could not be checked ({failed[0].status}: {failed[0].message})",
            file=sys.stderr,
        )
    return findings


def outcome(report: Report, failing: bool, *, allow_incomplete: bool) -> int:
    """Exit code: a run that has not looked at everything is not clean (2), unless the user
    accepts it; says on stderr what was not looked at."""
    if incomplete(report, allow=allow_incomplete) or any(
        f.verification is not None and f.verification.status in INCOMPLETE for f in report.findings
    ):
        return EXIT_ERROR
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def scan_range(
    repo: str,
    revs: Sequence[str] | None,
    *,
    policy: Policy,
    max_bytes: int,
    progress_bar: bool = False,
    verify: Settings | None = None,
    jobs: int | None = None,
) -> Report:
    """History scan of ``revs`` (None: everything), verified if asked: history, ci, pre-push."""
    from binance_guard.history.scan import scan_history  # multiprocessing: only when needed

    bar = None
    if progress_bar:
        from binance_guard.report import progress  # rich: only when a bar may be drawn

        bar = progress.for_history()
    try:
        report = scan_history(repo, revs, policy, max_bytes, bar.update if bar else None, jobs=jobs)
    finally:
        if bar:
            bar.close()
    if verify is not None:
        report.findings = verified(report.findings, verify)
    return report


def incomplete(report: Report, *, allow: bool) -> bool:
    """Say on stderr what could not be read; True when that must fail the run (exit 2)."""
    if not report.incomplete:
        return False
    if allow:
        print(f"binance-guard: incomplete (accepted): {report.unread()}", file=sys.stderr)
        return False
    print(
        f"binance-guard: INCOMPLETE: {report.unread()}; not calling this clean (exit 2; "
        "--allow-incomplete accepts it)",
        file=sys.stderr,
    )
    return True
