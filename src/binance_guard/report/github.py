"""GitHub Actions output: workflow-command annotations, the job summary, step outputs."""

from __future__ import annotations

from collections.abc import Sequence

from binance_guard.finding import FINDING_TYPES, Finding, Location
from binance_guard.report.advice import ANNOTATION, SUMMARY
from binance_guard.report.sanitize import markdown, workflow_data, workflow_property

# GitHub shows at most 10 error and 10 warning annotations per step and drops the rest
# silently, so the job summary counts what was not annotated.
MAX_ANNOTATIONS = 10
INCOMPLETE = "INCOMPLETE: not everything was looked at (exit 2 unless --allow-incomplete):"


def annotated(findings: Sequence[Finding], unread: str = "") -> list[Finding]:
    """The findings that get an annotation: the most severe first and public examples last,
    at most MAX_ANNOTATIONS (one fewer when ``unread``, what an incomplete run missed, takes
    the first)."""
    ranked = sorted(findings, key=lambda f: (not f.public_example, f.severity.rank), reverse=True)
    return ranked[: MAX_ANNOTATIONS - bool(unread)]


def workflow_commands(findings: Sequence[Finding], unread: str = "") -> str:
    """``::error file=…,line=…::`` lines: GitHub shows them on the pull request's diff;
    first, when ``unread`` (Report.unread()), one saying the run is incomplete."""
    lines = []
    if unread:
        title = workflow_property("binance-guard: incomplete scan")
        lines.append(f"::error title={title}::{workflow_data(f'{INCOMPLETE} {unread}')}")
    for finding in annotated(findings, unread):
        title = f"binance-guard: {FINDING_TYPES[finding.type].label}"
        props = [f"title={workflow_property(title)}"]
        if finding.location is Location.FILE:  # commit and tag messages have no file
            props = [
                f"file={workflow_property(finding.path)}",
                f"line={finding.line}",
                f"col={finding.column}",
                *props,
            ]
        where = ""
        if finding.attribution:
            where = f" introduced in {finding.attribution.introduced.commit.sha[:12]}"
        label = f"{FINDING_TYPES[finding.type].label} {finding.redacted}"
        if finding.public_example:  # shown with --include-examples: no leak, nothing to do
            source = f" published in {finding.published_in}" if finding.published_in else ""
            message, level = f"{label}: a public example{source}{where}, not a leak.", "notice"
        else:
            message = f"{label} ({finding.severity}){where}. {ANNOTATION}"
            level = "error" if finding.severity != "low" else "warning"
        lines.append(f"::{level} {','.join(props)}::{workflow_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def summary(findings: Sequence[Finding], scanned: str, unread: str = "") -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: what was scanned, what could not be
    (``unread``), and a table of findings."""
    out = ["## binance-guard", "", f"Scanned: {markdown(scanned)}", ""]
    if unread:
        out += [f"**{INCOMPLETE}** {markdown(unread)}.", ""]
    if not findings:
        if unread:
            out.append("No Binance credentials found in what could be read.")
        else:
            out.append("No Binance credentials found. :white_check_mark:")
        return "\n".join(out) + "\n"
    out += [
        f"**{len(findings)} Binance credential(s) found.** {SUMMARY}",
        "",
    ]
    hidden = len(findings) - len(annotated(findings, unread))
    if hidden:
        out += [
            f"{MAX_ANNOTATIONS} are annotated on the diff; {hidden} more are not (GitHub shows "
            f"{MAX_ANNOTATIONS} per step): all are in this table and in the SARIF report.",
            "",
        ]
    out += [
        "| severity | type | location | value | commit |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in findings:
        commit = f.attribution.introduced.commit.sha[:12] if f.attribution else ""
        severity = "public example" if f.public_example else f.severity
        out.append(
            f"| {severity} | {FINDING_TYPES[f.type].label} | {markdown(f.path)}:{f.line} | "
            f"`{f.redacted}` | {commit} |"
        )
    return "\n".join(out) + "\n"
