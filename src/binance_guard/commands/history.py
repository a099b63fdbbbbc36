"""``binance-guard history``: every blob of every ref, once, with attribution."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from binance_guard.commands.common import outcome, scan_range
from binance_guard.policy import Policy
from binance_guard.report import render
from binance_guard.verify import Settings


def run(
    repo: str,
    *,
    revs: Sequence[str] | None,
    since_commit: str | None,
    policy: Policy,
    max_bytes: int,
    fmt: str,
    show_secrets: bool = False,
    progress_bar: bool,
    verify: Settings | None,
    allow_incomplete: bool,
    jobs: int | None = None,
) -> int:
    selected = list(revs or []) or None
    if since_commit:
        selected = [*(selected or ["--all"]), f"^{since_commit}"]
    report = scan_range(
        repo,
        selected,
        policy=policy,
        max_bytes=max_bytes,
        progress_bar=progress_bar,
        verify=verify,
        jobs=jobs,
    )
    sys.stdout.write(render(report, fmt, show_secrets=show_secrets))
    return outcome(report, bool(report.blocking), allow_incomplete=allow_incomplete)
