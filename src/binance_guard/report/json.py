"""Machine-readable report: ``{"findings": [...], "skipped": [...], "notes": [...],
"incomplete": {reason: count}}``; never the raw secret unless the caller explicitly asked."""

from __future__ import annotations

import json

from binance_guard.report import Report

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing (~2 ms) to print a report
if TYPE_CHECKING:
    from typing import Any


def render(report: Report, *, show_secrets: bool = False) -> str:
    document: dict[str, Any] = {
        "findings": [f.with_secret() if show_secrets else f.as_dict() for f in report.findings],
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        "notes": list(report.notes),
        "incomplete": dict(sorted(report.incomplete.items())),
    }
    if report.history:
        document["skipped_objects"] = dict(sorted(report.skipped_objects.items()))
        document["scanned"] = {"blobs": report.blobs, "bytes": report.bytes}
    return json.dumps(document, indent=2) + "\n"
