"""The one path from sources to reportable findings, shared by every front end."""

from __future__ import annotations

import re

from binance_guard.detection.scanner import scan_bytes
from binance_guard.finding import Confidence, Finding, Severity, blocking
from binance_guard.record import record
from binance_guard.report import Report
from binance_guard.sources.source import Skipped, Source

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    from collections.abc import Iterable

    from binance_guard.integrations.baseline import Baseline


@record(frozen=True)
class AnyOf:
    """Regular expressions searched one by one: joined into one, a pattern's own flags
    (``(?i)`` at its start) and group numbers (``\\1``) would not survive."""

    patterns: tuple[re.Pattern[str], ...]

    def search(self, text: str) -> bool:
        return any(pattern.search(text) for pattern in self.patterns)


@record(frozen=True)
class Policy:
    """Which findings a user wants to see: the scanner reports everything it suspects."""

    min_confidence: Confidence = Confidence.MEDIUM
    include_examples: bool = False
    baseline: Baseline | None = None
    exclude_files: AnyOf | None = None  # searched in the path, like detect-secrets'
    # The configuration file's [allowlist] (see config.py).
    allow_paths: AnyOf | None = None
    allow_lines: AnyOf | None = None
    fingerprints: frozenset[str] = frozenset()
    commits: tuple[str, ...] = ()

    def admits(self, confidence: str, public_example: bool) -> bool:
        """The path-independent half of :meth:`keeps` (fleet judges stored blob results)."""
        if Confidence(confidence) < self.min_confidence:
            return False
        return self.include_examples or not public_example

    def excludes(self, path: str) -> bool:
        return self.exclude_files is not None and self.exclude_files.search(path)

    def keeps(self, finding: Finding, data: bytes | None = None) -> bool:
        """``data``: the text the finding is in, for the allowlist's line regexes."""
        if not self.admits(finding.confidence, finding.public_example):
            return False
        if self.excludes(finding.path) or finding.fingerprint in self.fingerprints:
            return False
        if self.allow_paths is not None and self.allow_paths.search(finding.path):
            return False
        if self.allow_lines is not None and data is not None:
            line = data.split(b"\n")[finding.line - 1 : finding.line]
            if line and self.allow_lines.search(line[0].decode("utf-8", "replace")):
                return False
        return self.baseline is None or finding not in self.baseline

    def keeps_commits(self, finding: Finding) -> bool:
        """False when every commit that introduced the finding is allowlisted (history)."""
        if not self.commits or finding.attribution is None:
            return True
        introductions = (finding.attribution.introduced, *finding.attribution.reintroduced)
        return not all(i.commit.sha.startswith(self.commits) for i in introductions)


def unverified_high(findings: Iterable[Finding]) -> list[Finding]:
    """High-confidence findings Binance did not confirm live: any of them may be critical."""
    return [
        f
        for f in blocking(findings)
        if f.confidence == Confidence.HIGH
        and (f.verification is None or f.verification.severity is None)
    ]


def fails(findings: Iterable[Finding], fail_on: str) -> bool:
    """Whether a run fails: ``fail_on`` is any, never, or the lowest failing severity. A
    high-confidence key nobody verified fails at every level: it could be critical."""
    findings = list(findings)
    if fail_on == "never":
        return False
    if fail_on == "any":
        return bool(blocking(findings))
    if unverified_high(findings):
        return True
    return any(f.severity >= Severity(fail_on) for f in blocking(findings))


def scan_sources(sources: Iterable[Source | Skipped], policy: Policy) -> Report:
    """Skipped sources are listed; those that could not be read are counted as incomplete,
    unless excluded (an excluded file is not meant to be looked at)."""
    result = Report()
    for source in sources:
        if policy.excludes(source.path):
            result.skipped.append(Skipped(source.path, "excluded (--exclude-files, exclude_paths)"))
            continue
        if isinstance(source, Skipped):
            result.skipped.append(source)
            if source.unread:
                result.incomplete[source.unread] += 1
            continue
        result.files += 1
        result.findings.extend(
            f
            for f in scan_bytes(source.data, source.path, source.lines)
            if policy.keeps(f, source.data)
        )
    return result
