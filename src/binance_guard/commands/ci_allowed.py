"""Keys a change allows by an inline comment it writes (``gitleaks:allow``, ``pragma:
allowlist secret``…): honoured, as every scanner honours them (the developer says the value
is not a secret, on the very line), but shown in ci's annotations and job summary, so the
claim is reviewed like a settings edit instead of passing unseen (gitleaks reports nothing
of such lines, gitleaks/gitleaks#1246; a push protection bypass leaves an alert)."""

from __future__ import annotations

from collections.abc import Sequence

from binance_guard.detection.heuristics import is_binary
from binance_guard.detection.patterns import (
    ALLOWLIST_NEXTLINE_RE,
    PEER_ALLOWLIST_MARKERS,
    marks_allowed,
)
from binance_guard.detection.scanner import scan_bytes
from binance_guard.finding import FINDING_TYPES, Finding
from binance_guard.policy import Policy
from binance_guard.report.github import MAX_ANNOTATIONS
from binance_guard.report.sanitize import markdown, workflow_data, workflow_property
from binance_guard.sources import git

# git's sieve for the changes to read (extended regex, case ignored): over-matching is fine,
# the lines are judged by the scanner's own rules.
SIEVE = "pragma:[[:space:]]*allowlist|" + "|".join(PEER_ALLOWLIST_MARKERS)

SUMMARY = (
    "**Allowed by an inline comment this change writes ({count}):** the line, or the one "
    "before it, is marked `pragma: allowlist secret`, `gitleaks:allow`, `trufflehog:ignore` "
    "or `ggignore`. Honoured, so they do not fail this check: confirm each is not a real key "
    "before merging."
)


def _marked(line: bytes) -> bool:
    text = line.decode("utf-8", "replace")
    return marks_allowed(text) or bool(ALLOWLIST_NEXTLINE_RE.search(text))


def allowed_inline(
    repo: str, revs: Sequence[str], policy: Policy, max_bytes: int
) -> list[tuple[Finding, str]]:
    """(finding, commit) for each value the commits ``revs`` allow inline on a line they
    write: found with the comments ignored, and not without; one per path and value."""
    found: dict[tuple[str, str], tuple[Finding, str]] = {}
    changes = git.changes_matching(repo, revs, SIEVE)
    blobs_named = {oid for _, _, old, new in changes for oid in (old, new) if oid}
    sizes = git.blob_sizes(sorted(blobs_named), cwd=repo) if changes else {}
    for commit, path, old, new in changes:
        if sizes.get(new, max_bytes + 1) > max_bytes:
            continue  # the history scan says what it skipped, and why
        # An old side too large to read: every marked line counts as written here.
        small = old if old is not None and sizes.get(old, max_bytes + 1) <= max_bytes else None
        blobs = git.blob_contents([new] if small is None else [new, small], cwd=repo)
        data = blobs.get(new, b"")
        if is_binary(data):
            continue
        before = set(blobs.get(small, b"").split(b"\n")) if small else set()
        lines = set()
        for number, line in enumerate(data.split(b"\n"), 1):
            if line not in before and _marked(line):
                lines |= {number, number + 1}  # the next line: a `nextline` pragma
        honoured = {(f.line, f.fingerprint) for f in scan_bytes(data, path, lines)}
        for finding in scan_bytes(data, path, lines, inline_allow=False):
            if (finding.line, finding.fingerprint) not in honoured and policy.keeps(finding, data):
                found.setdefault((path, finding.fingerprint), (finding, commit))
    return list(found.values())


def annotate(allowed: Sequence[tuple[Finding, str]], room: int) -> str:
    """Warnings on the lines (``room``: how many of GitHub's 10 a step are left)."""
    title = workflow_property("binance-guard: allowed inline in this change")
    lines = []
    for finding, commit in allowed[: max(0, min(room, MAX_ANNOTATIONS))]:
        message = (
            f"{FINDING_TYPES[finding.type].label} {finding.redacted} ({finding.severity}) on a "
            f"line {commit[:12]} marks allowed by an inline comment: not failing this check. "
            "Confirm it is not a real key before merging."
        )
        where = f"file={workflow_property(finding.path)},line={finding.line}"
        lines.append(f"::warning {where},title={title}::{workflow_data(message)}")
    return "".join(f"{line}\n" for line in lines)


def summary(allowed: Sequence[tuple[Finding, str]]) -> str:
    """The job summary's section: every one of them, whatever was annotated."""
    rows = [
        f"| {FINDING_TYPES[f.type].label} | {markdown(f.path)}:{f.line} | `{f.redacted}` "
        f"| {commit[:12]} |"
        for f, commit in allowed
    ]
    table = ["| type | location | value | commit |", "| --- | --- | --- | --- |", *rows]
    return "\n" + SUMMARY.format(count=len(allowed)) + "\n\n" + "\n".join(table) + "\n"
