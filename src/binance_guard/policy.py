"""The one path from sources to reportable findings, shared by every front end."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from binance_guard.detection.scanner import scan_bytes
from binance_guard.finding import Confidence, Finding, Severity
from binance_guard.integrations.baseline import Baseline
from binance_guard.sources.source import Skipped, Source


@dataclasses.dataclass(frozen=True)
class Policy:
    """Which findings a user wants to see: the scanner reports everything it suspects."""

    min_confidence: Confidence = Confidence.MEDIUM
    include_examples: bool = False
    baseline: Baseline | None = None
    exclude_files: re.Pattern[str] | None = None  # searched in the path, like detect-secrets'

    def keeps(self, finding: Finding) -> bool:
        if finding.confidence < self.min_confidence:
            return False
        if finding.public_example and not self.include_examples:
            return False
        if self.exclude_files is not None and self.exclude_files.search(finding.path):
            return False
        return self.baseline is None or finding not in self.baseline


@dataclasses.dataclass
class Result:
    findings: list[Finding] = dataclasses.field(default_factory=list)
    skipped: list[Skipped] = dataclasses.field(default_factory=list)
    scanned: int = 0

    @property
    def blocking(self) -> list[Finding]:
        return blocking(self.findings)


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """Findings that fail a run: public examples are shown on request but never block."""
    return [f for f in findings if not f.public_example]


def fails(findings: Iterable[Finding], fail_on: str) -> bool:
    """Whether a run fails: ``fail_on`` is any, never, or the lowest failing severity."""
    if fail_on == "never":
        return False
    if fail_on == "any":
        return bool(blocking(findings))
    return any(f.severity >= Severity(fail_on) for f in blocking(findings))


def scan_sources(sources: Iterable[Source | Skipped], policy: Policy) -> Result:
    result = Result()
    for source in sources:
        if isinstance(source, Skipped):
            result.skipped.append(source)
            continue
        result.scanned += 1
        result.findings.extend(
            f for f in scan_bytes(source.data, source.path, source.lines) if policy.keeps(f)
        )
    return result
