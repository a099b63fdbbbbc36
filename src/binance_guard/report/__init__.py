"""The one result every command produces, and the one way to turn it into output.

Data flows one way: sources -> scanner -> policy -> :class:`Report` -> a renderer. Renderers
are imported only for the format asked for (SARIF and rich tables cost start-up time).
"""

from __future__ import annotations

from collections import Counter

from binance_guard.finding import Finding, blocking
from binance_guard.record import field, record
from binance_guard.sources.source import Skipped

FORMATS = ("text", "json", "sarif")


@record()
class Report:
    findings: list[Finding] = field(default_factory=list)
    # Files not scanned, one by one (scan, hook), those that could not be read among them;
    # history counts its objects instead.
    skipped: list[Skipped] = field(default_factory=list)
    skipped_objects: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    history: bool = False  # blobs of a history (with attribution), not files
    files: int = 0
    blobs: int = 0
    bytes: int = 0
    # What could not be read, by reason: any count makes the run "incomplete" (exit 2).
    incomplete: Counter[str] = field(default_factory=Counter)

    @property
    def blocking(self) -> list[Finding]:
        return blocking(self.findings)

    def unread(self) -> str:
        """What was not looked at, for people: "1 file(s) unreadable, 2 key(s) not verified"."""
        return ", ".join(f"{n} {why}" for why, n in sorted(self.incomplete.items()))


def render(
    report: Report,
    fmt: str,
    *,
    show_secrets: bool = False,
    verbose: bool = False,
    advice: bool = True,
    repository: str | None = None,
    commit: str | None = None,
    scanned: str = "",
) -> str:
    """``report`` as text, JSON, SARIF, GitHub workflow-command annotations or a GitHub job
    summary (``repository``/``commit``: SARIF provenance; ``scanned``: the summary's range).

    The one way out for findings: detected secrets are masked wherever else they appear
    (unless ``show_secrets``), and untrusted text is neutralised for the sink (JSON and SARIF
    escape it themselves; GitHub's renderers encode each value they write)."""
    from binance_guard.report import sanitize
    from binance_guard.report.redact import mask

    if not (show_secrets and fmt in ("text", "json")):  # never in files meant for servers
        report = mask(report, (f.secret for f in report.findings))
    if fmt in ("annotations", "summary"):
        from binance_guard.report import github

        if fmt == "annotations":
            return github.workflow_commands(report.findings, report.unread())
        return github.summary(report.findings, scanned, report.unread())
    if fmt == "json":
        from binance_guard.report import json

        return json.render(report, show_secrets=show_secrets)
    if fmt == "sarif":
        from binance_guard.report import sarif

        return sarif.render(report.findings, repository, commit, report.incomplete)
    from binance_guard.report import text

    report = sanitize.strings(report, sanitize.terminal)
    if report.history:
        return text.render_history(report, advice=advice, show_secrets=show_secrets)
    return text.render(report, verbose=verbose, advice=advice, show_secrets=show_secrets)
