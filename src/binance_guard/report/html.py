"""The fleet report as one self-contained HTML file a security lead can read at a glance.

No script, no external resource, and a Content-Security-Policy that forbids fetching any:
opening the file makes no network request. Every repository name, path, author and message
is untrusted and goes through :func:`_t` (HTML-escaped, control characters shown).
"""

from __future__ import annotations

import datetime
import html
from typing import Any

from binance_guard.finding import Verification
from binance_guard.fleet import report
from binance_guard.fleet.run import FleetResult
from binance_guard.fleet.store import Record
from binance_guard.report.sanitize import terminal

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# Each under white text at WCAG AA contrast (4.5:1 or more).
COLOURS = {"critical": "#7a0019", "high": "#c62828", "medium": "#b45309", "low": "#546e7a"}

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d2330;
background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}
main{padding:18px 28px;max-width:1280px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{background:#fff;border-radius:8px;padding:10px 16px;box-shadow:0 1px 2px #0002;
min-width:120px}.card b{display:block;font-size:22px}
section{background:#fff;border-radius:8px;padding:14px 18px;margin:16px 0;
box-shadow:0 1px 2px #0002}
h2{font-size:16px;margin:0 0 10px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;
border-bottom:1px solid #e3e6ea;vertical-align:top}th{font-weight:600;color:#555}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;word-break:break-all}
.sev{color:#fff;border-radius:4px;padding:1px 7px;font-size:12px;font-weight:700}
.tag{border:1px solid #bbb;border-radius:4px;padding:0 5px;font-size:12px;margin-left:4px}
.new{background:#fdecea}.gone{color:#666;text-decoration:line-through}
.head{color:#c62828;font-weight:700}.bad{color:#c62828}
.key{border-top:1px solid #e3e6ea;padding:10px 0}.key:first-of-type{border-top:0}
"""


def _t(value: object) -> str:
    return html.escape(terminal(str(value)), quote=True)


def _day(stamp: str) -> datetime.datetime | None:
    try:
        parsed = datetime.datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _severity(level: str) -> str:
    colour = COLOURS.get(level, COLOURS["low"])
    return f'<span class="sev" style="background:{colour}">{_t(level)}</span>'


def _timeline(keys: list[report.Key]) -> str:
    """Each key at the date its earliest introduction was committed: an inline SVG."""
    points = []
    for key in keys:
        dates = [d for d in (_day(f.get("date", "")) for f in key.findings) if d]
        if dates:
            points.append((min(dates), key))
    if not points:
        return "<p>No dated leaks.</p>"
    points.sort(key=lambda p: p[0])
    start, end = points[0][0], points[-1][0]
    span = max((end - start).total_seconds(), 86400.0)
    width, row = 960, 22
    height = 40 + row * len(points)
    parts = [
        f'<svg width="100%" viewBox="0 0 {width + 260} '
        f'{height}" role="img" aria-label="timeline of leaks">',
        f'<line x1="10" y1="20" x2="{width}" y2="20" stroke="#999"/>',
        f'<text x="10" y="14" font-size="11">{_t(start.date())}</text>',
        f'<text x="{width - 70}" y="14" font-size="11">{_t(end.date())}</text>',
    ]
    for index, (when, key) in enumerate(points):
        x = 10 + (width - 20) * (when - start).total_seconds() / span
        y = 40 + row * index
        colour = COLOURS.get(key.severity, COLOURS["low"])
        label = f"{when.date()} {report.label(key.type)} {key.redacted}"
        label += f" ({len(key.repos)} repo{'s' * (len(key.repos) != 1)})"
        parts += [
            f'<line x1="{x:.1f}" y1="20" x2="{x:.1f}" y2="{y}" stroke="#ddd"/>',
            f'<circle cx="{x:.1f}" cy="{y}" r="6" fill="{colour}"><title>{_t(label)}</title>'
            "</circle>",
            f'<text x="{x + 10:.1f}" y="{y + 4}" font-size="12">{_t(label)}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)


def _verification(data: dict[str, Any]) -> str:
    verification = data.get("verification")
    if not verification:
        return ""
    status = str(verification.get("status", ""))
    css = ' class="bad"' if status == "live" else ""
    return f"<b{css}>{_t(status.upper())}</b> {_t(verification.get('message', ''))}"


def _key(key: report.Key, forks: set[str]) -> str:
    state = (
        '<span class="head">STILL AT HEAD</span>'
        if key.in_head
        else ("gone from all refs" if not key.live else "history only")
    )
    verdict = next((_verification(f) for f in key.findings if f.get("verification")), "")
    rows = []
    for f in sorted(key.findings, key=lambda f: (f["repo"], f["path"])):
        fork = '<span class="tag">fork</span>' if f["repo"] in forks else ""
        where = '<span class="head">HEAD</span>' if f.get("in_head") else "history only"
        rows.append(
            f'<tr class="{_t(f["status"])}"><td>{_t(f["repo"])}{fork}</td>'
            f"<td><code>{_t(f['path'])}:{_t(f['line'])}</code></td>"
            f"<td><code>{_t(str(f.get('commit', ''))[:12])}</code><br>{_t(f.get('author', ''))}"
            f"<br>{_t(f.get('date', ''))}</td><td>{where}</td><td>{_t(f['status'])}</td>"
            f"<td>{_t(f['first_seen'])}</td></tr>"
        )
    return (
        f'<div class="key" id="key-{_t(key.fingerprint[:16])}">'
        f"<p>{_severity(key.severity)} <b>{_t(report.label(key.type))}</b> "
        f"<code>{_t(key.redacted)}</code> &mdash; {state}; in {len(key.repos)} "
        f"repositor{'ies' if len(key.repos) != 1 else 'y'}; first seen "
        f"{_t(report.iso(key.first_seen))}"
        + (f"<br>verified: {verdict}" if verdict else "")
        + "</p><table><tr><th>repository</th><th>where</th><th>introduced by</th>"
        "<th>reachable</th><th>this run</th><th>first seen</th></tr>"
        + "".join(rows)
        + "</table></div>"
    )


def _incidents(records: list[Record]) -> str:
    """A repository's leaked keys, each linking to its entry under Keys."""
    seen: dict[str, Record] = {}
    for record in records:
        seen.setdefault(record.data["fingerprint"], record)
    return "<br>".join(
        f'<a href="#key-{_t(fp[:16])}"><code>{_t(r.data["redacted"])}</code></a> '
        f"{_t(r.data['path'])}:{_t(r.data['line'])}"
        + (' <span class="head">HEAD</span>' if r.data.get("in_head") else "")
        for fp, r in seen.items()
    )


def render(result: FleetResult, verified: dict[str, Verification]) -> str:
    found = report.findings(result, verified)
    summary = report.summary(result, found)
    keys = report.keys(found)
    forks = {o.spec.name for o in result.repos if o.spec.fork}
    cards = [
        ("repositories", summary["repos"]),
        ("incomplete", summary["incomplete"]),
        ("keys", summary["keys"]),
        ("new findings", summary["findings"]["new"]),
        ("unchanged", summary["findings"]["unchanged"]),
        ("gone", summary["findings"]["gone"]),
        ("known, not rescanned", summary["findings"]["known"]),
        ("blobs scanned", summary["blobs_scanned"]),
    ]
    repo_rows = []
    for outcome in sorted(result.repos, key=lambda o: (o.status != "incomplete", o.spec.name)):
        live = [r for r in outcome.records if r.status != "gone"]
        css = ' class="bad"' if outcome.status == "incomplete" else ""
        repo_rows.append(
            f"<tr{css}><td>{_t(outcome.spec.name)}"
            + ('<span class="tag">fork</span>' if outcome.spec.fork else "")
            + ('<span class="tag">archived</span>' if outcome.spec.archived else "")
            + f"</td><td>{_t(outcome.status)}</td><td>{len(live)}</td>"
            f"<td>{sum(r.status == 'new' for r in live)}</td><td>{_incidents(live)}</td>"
            f"<td>{_t(outcome.error or '; '.join(outcome.notes))}</td></tr>"
        )
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        "<title>binance-guard fleet report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<header><h1>binance-guard fleet report</h1>",
        f"<div>{_t(report.iso(datetime.datetime.now(datetime.UTC).timestamp()))}</div></header>",
        "<main>",
        '<div class="cards">'
        + "".join(f'<div class="card"><b>{v}</b>{_t(k)}</div>' for k, v in cards)
        + "</div>",
    ]
    if result.incomplete:
        body.append(
            '<section><h2 class="bad">Not fully scanned: results are not clean for these</h2>'
            "<ul>"
            + "".join(
                f"<li><b>{_t(o.spec.name)}</b>: {_t(o.error or '')}</li>" for o in result.incomplete
            )
            + "</ul></section>"
        )
    body += [
        '<section id="timeline"><h2>Timeline of leaks</h2>',
        _timeline(keys),
        "</section>",
        '<section id="keys"><h2>Keys (each with every repository it appears in)</h2>',
        "".join(_key(k, forks) for k in keys) or "<p>No Binance credentials found.</p>",
        "</section>",
        '<section id="repos"><h2>Repositories</h2><table><tr><th>repository</th>'
        "<th>status</th><th>findings</th><th>new</th><th>incidents</th><th>notes</th></tr>",
        "".join(repo_rows),
        "</table></section>",
        "</main></body></html>",
    ]
    return "\n".join(body) + "\n"
