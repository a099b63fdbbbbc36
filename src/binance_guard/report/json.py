"""Machine-readable report: ``{"findings": [...], "skipped": [...]}``; never the raw secret
unless the caller explicitly asked for it."""

from __future__ import annotations

import json
from collections.abc import Sequence

from binance_guard.finding import Finding
from binance_guard.sources.source import Skipped


def render(
    findings: Sequence[Finding],
    skipped: Sequence[Skipped] = (),
    notes: Sequence[str] = (),
    show_secrets: bool = False,
) -> str:
    document = {
        "findings": [f.with_secret() if show_secrets else f.as_dict() for f in findings],
        "skipped": [{"path": s.path, "reason": s.reason} for s in skipped],
        "notes": list(notes),
    }
    return json.dumps(document, indent=2) + "\n"
