"""Human-readable report: findings grouped into incidents (a key with its secret is one)."""

from __future__ import annotations

from collections import Counter

from binance_guard.finding import FINDING_TYPES, Commit, Finding, Verification
from binance_guard.report import Report
from binance_guard.report.advice import ADVICE, HISTORY_ADVICE, INCIDENT_STEPS
from binance_guard.report.sanitize import strings, terminal
from binance_guard.sources.source import Skipped

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on a blocked commit's path
if TYPE_CHECKING:
    from collections.abc import Sequence


def incidents(findings: Sequence[Finding]) -> list[list[Finding]]:
    """Pairs become one incident with two locations; everything else stands alone."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        key = (
            f"pair:{finding.pair.id}"
            if finding.pair
            else f"{finding.path}:{finding.line}:{finding.column}"
        )
        groups.setdefault(key, []).append(finding)
    return list(groups.values())


_IN_TITLE = ("paired with", "public example published in")


def _incident(group: list[Finding]) -> list[str]:
    confidence = max(f.confidence for f in group)
    title = " + ".join(FINDING_TYPES[f.type].label for f in group)
    if any(f.public_example for f in group):
        source = next((f.published_in for f in group if f.published_in), None)
        title += f" (public example{f' published in {source}' if source else ''}: not a leak)"
    lines = [f"[{confidence.upper()}] {title}"]
    for finding in group:
        label = FINDING_TYPES[finding.type].label
        algo = f" ({finding.algorithm})" if finding.algorithm else ""
        lines.append(
            f"  {finding.path}:{finding.line}:{finding.column}  {label}{algo}  {finding.redacted}"
        )
        # The pair and a public example's source are in the incident's title already.
        why = [r for r in finding.reasons if not r.startswith(_IN_TITLE)]
        lines.append("      why: " + "; ".join(why))
    verification = next((f.verification for f in group if f.verification), None)
    if verification is not None:
        lines += [f"  {line}" for line in verification_lines(verification)]
    if len(group) > 1 and not all(f.public_example for f in group):
        lines.append("  the key and its secret sit together: one leak, revoke the key")
    return lines


def render(
    report: Report, *, verbose: bool = False, advice: bool = True, show_secrets: bool = False
) -> str:
    findings = report.findings
    skipped = [s for s in report.skipped if not s.unread]
    unread = [s for s in report.skipped if s.unread]
    out: list[str] = [f"note: {n}" for n in report.notes]
    if skipped:
        if verbose:
            out += [f"skipped {s.path}: {s.reason}" for s in skipped]
        else:
            counts = Counter(s.reason.split(" (")[0].split(":")[0] for s in skipped)
            out.append(
                "skipped: "
                + ", ".join(f"{n} {r}" for r, n in sorted(counts.items()))
                + " (--verbose lists them)"
            )
    out += _incomplete(report, unread if verbose else unread[:UNREAD_LISTED])
    if not findings:
        where = " in what could be read" if report.incomplete else ""
        out.append(f"binance-guard: no Binance credentials found{where}.")
        return "\n".join(out) + "\n"
    groups = incidents(findings)
    files = len({f.path for f in findings})
    out.append(
        f"binance-guard: {len(findings)} credential{'s' * (len(findings) != 1)} "
        f"({len(groups)} incident{'s' * (len(groups) != 1)}) in {files} file{'s' * (files != 1)}:"
    )
    for group in groups:
        out.append("")
        out.extend(_incident(group))
    if advice and not all(f.public_example for f in findings):
        out += ["", ADVICE]
    out += _incident_steps(findings)
    if show_secrets:
        out += ["", *(f"{f.path}:{f.line}: {f.secret}" for f in findings)]
    return "\n".join(out) + "\n"


UNREAD_LISTED = 20  # files named under INCOMPLETE without --verbose


def _incomplete(report: Report, listed: Sequence[Skipped]) -> list[str]:
    """Why the run is incomplete: the counts, and which files could not be read."""
    if not report.incomplete:
        return []
    out = [f"binance-guard: INCOMPLETE: {report.unread()}."]
    out += [f"  {s.path}: {s.reason}" for s in listed]
    more = sum(1 for s in report.skipped if s.unread) - len(listed)
    if more > 0:
        out.append(f"  and {more} more (--verbose lists them)")
    return out


def verification_lines(result: Verification) -> list[str]:
    if result.status != "live":
        return [f"verified: {result.status.upper()}: {result.message}"]
    lines = [
        f"verified: LIVE, severity {str(result.severity).upper()}"
        + (f", created {result.created} ({result.key_age_days} days ago)" if result.created else "")
        + (", IP-restricted" if result.ip_restricted else ", NOT IP-restricted")
    ]
    granted = [k for k, v in (result.permissions or {}).items() if v]
    lines.append("  permissions: " + (", ".join(granted) or "none"))
    lines += [f"  risk: {risk}" for risk in result.risks]
    return lines


def _incident_steps(findings: Sequence[Finding]) -> list[str]:
    live = any(f.verification and f.verification.status == "live" for f in findings)
    return ["", INCIDENT_STEPS] if live else []


def render_audit(api_key_redacted: str, result: Verification) -> str:
    result = strings(result, terminal)  # the server's message
    out = [f"binance-guard audit: API key {api_key_redacted}"]
    out += [f"  {line}" for line in verification_lines(result)]
    if result.status == "live" and result.severity != "low":
        out += [
            "",
            "To reduce the risk: turn withdrawals off unless you need them, restrict the "
            "key to your server's IP, grant only the rights your bot uses, and rotate "
            "keys every 90 days (create the new key, switch, then delete the old one).",
        ]
    return "\n".join(out) + "\n"


HISTORY_COLUMNS = ("secret", "status", "where", "introduced", "reachable from")


def _history_rows(groups: list[list[Finding]]) -> list[tuple[list[str], ...]]:
    """One row per secret and path, as lines per column; a key's own cell on its first row."""
    rows: list[tuple[list[str], ...]] = []
    for group in groups:
        head = group[0]
        secret = [f"{FINDING_TYPES[head.type].label} [{head.confidence}]", head.redacted]
        if head.public_example:
            secret.append(f"public example ({head.published_in or 'published'})")
        if head.pair:
            secret.append(f"paired: {head.pair.path}:{head.pair.line}")
        if head.verification:
            secret += verification_lines(head.verification)
        for index, finding in enumerate(group):
            attr = finding.attribution
            if attr is None:
                continue
            intro = attr.introduced
            introduced = [_when(intro.commit), intro.commit.author.split(" <")[0]]
            introduced += [f"re-added {_when(r.commit)}" for r in attr.reintroduced]
            status = ["STILL AT HEAD" if attr.in_head else "history only"]
            if attr.in_worktree:
                status.append("+ working tree")
            refs = [r.removeprefix("refs/heads/").removeprefix("refs/") for r in attr.refs]
            rows.append(
                (
                    secret if index == 0 else [],
                    status,
                    [f"{intro.path}:{intro.line}"],
                    introduced,
                    refs or ["(no ref)"],
                )
            )
    return rows


def _when(commit: Commit) -> str:
    """``2026-11-30 02:16 71f79bfd0f4d``: minutes are enough to tell commits apart by eye."""
    return f"{commit.date[:16].replace('T', ' ')} {commit.sha[:12]}"


def _width() -> int:
    """The terminal's width (COLUMNS wins); 120 when the output is not a terminal."""
    import shutil

    return shutil.get_terminal_size((120, 24)).columns


def _history_table(groups: list[list[Finding]]) -> str:
    """A table when every column fits the width without cutting a word (a path, a date, a
    ref); otherwise one block per secret, each value on its own line, never cut."""
    rows = _history_rows(groups)
    width = _width()
    longest = [
        max([len(word) for row in rows for line in row[i] for word in line.split()] + [len(name)])
        for i, name in enumerate(HISTORY_COLUMNS)
    ]
    fits = sum(longest) + 2 * (len(longest) - 1) <= width
    laid_out = _rich_table(rows, width) if fits else _blocks(rows, width)
    # Wrapping starts new lines: one starting with a file name's "::" word would be a
    # workflow command in a CI log. Each cell was made safe alone; each line is made safe too.
    return "\n".join(terminal(line) for line in laid_out.split("\n"))


def _rich_table(rows: list[tuple[list[str], ...]], width: int) -> str:
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in HISTORY_COLUMNS:
        table.add_column(column, overflow="fold")
    for index, row in enumerate(rows):
        last = index + 1 == len(rows) or bool(rows[index + 1][0])
        table.add_row(*(Text("\n".join(cell)) for cell in row), end_section=last)
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip().splitlines())


def _blocks(rows: list[tuple[list[str], ...]], width: int) -> str:
    """Narrow terminals: the secret's lines, then per place its status, path, commits and
    refs; words are wrapped whole (a value longer than the width stays one line)."""
    import textwrap

    def wrapped(text: str, indent: str) -> list[str]:
        return textwrap.wrap(
            text,
            width,
            initial_indent=indent,
            subsequent_indent=indent + "  ",
            break_long_words=False,
            break_on_hyphens=False,
        ) or [indent]

    out: list[str] = []
    for secret, status, where, introduced, refs in rows:
        if secret:
            out += ([""] if out else []) + [line for s in secret for line in wrapped(s, "")]
        out += wrapped(f"{', '.join(status)}: {where[0]}", "  ")
        first = " by ".join(introduced[:2])
        out += wrapped("; ".join(["introduced " + first, *introduced[2:]]), "    ")
        out += wrapped("reachable from " + ", ".join(refs), "    ")
    return "\n".join(out)


def _group_date(group: list[Finding]) -> str:
    return max(f.attribution.introduced.commit.date for f in group if f.attribution)


def render_history(report: Report, *, advice: bool = True, show_secrets: bool = False) -> str:
    """History findings grouped by secret, most recently introduced first."""
    findings = report.findings
    out = [f"note: {n}" for n in report.notes]
    out += [f"skipped {n} blob(s): {why}" for why, n in sorted(report.skipped_objects.items())]
    out.append(
        f"binance-guard: scanned {report.blobs} blobs "
        f"({report.bytes / (1 << 20):.1f} MiB of objects)."
    )
    out += _incomplete(report, [])
    if not findings:
        where = "in what could be read" if report.incomplete else "in history"
        out.append(f"binance-guard: no Binance credentials found {where}.")
        return "\n".join(out) + "\n"
    by_secret: dict[str, list[Finding]] = {}
    for finding in findings:
        by_secret.setdefault(finding.fingerprint, []).append(finding)
    groups = sorted(by_secret.values(), key=_group_date, reverse=True)
    live = sum(any(f.attribution and f.attribution.in_head for f in g) for g in groups)
    out.append(
        f"binance-guard: {len(groups)} secret{'s' * (len(groups) != 1)} in history, "
        f"{live} still at HEAD, {len(groups) - live} in history only:"
    )
    out += ["", _history_table(groups)]
    if advice and not all(f.public_example for f in findings):
        out += ["", HISTORY_ADVICE]
        out += _incident_steps(findings)
    if show_secrets:
        out += ["", *(f"{f.path}:{f.line}: {f.secret}" for f in findings)]
    return "\n".join(out) + "\n"
