"""What the scanning commands share: verification on request, and history range scans."""

from __future__ import annotations

from collections.abc import Sequence

from binance_guard.finding import Finding
from binance_guard.policy import Policy
from binance_guard.report import Report


def verified(findings: list[Finding], api_url: str) -> list[Finding]:
    # Only on request: no HTTP machinery is imported unless the user asked to verify.
    from binance_guard.verify.client import Client
    from binance_guard.verify.verifier import verify_findings

    return verify_findings(findings, Client(api_url))


def scan_range(
    repo: str,
    revs: Sequence[str] | None,
    *,
    policy: Policy,
    max_bytes: int,
    progress_bar: bool = False,
    verify_url: str | None = None,
) -> Report:
    """History scan of ``revs`` (None: everything), verified if asked: history, ci, pre-push."""
    from binance_guard.history.scan import scan_history  # multiprocessing: only when needed

    bar = None
    if progress_bar:
        from binance_guard.report import progress  # rich: only when a bar may be drawn

        bar = progress.for_history()
    try:
        report = scan_history(repo, revs, policy, max_bytes, bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    if verify_url is not None:
        report.findings = verified(report.findings, verify_url)
    return report
