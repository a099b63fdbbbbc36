"""What a fleet run found, in one shape every format renders: repositories with their state,
findings per repository (new, unchanged, gone, and known: as last seen in a repository this
run could not scan), and keys across repositories.

Everything here comes from findings' serialised form: fingerprints and redacted previews,
never a secret. Repository names, paths and authors are untrusted text: each renderer
neutralises them for its sink (terminal, HTML).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections import Counter
from typing import Any

from binance_guard import record as records
from binance_guard.finding import (
    API_KEY,
    FINDING_TYPES,
    Attribution,
    Commit,
    Confidence,
    Finding,
    Introduction,
    Location,
    Pair,
    Severity,
    Verification,
)
from binance_guard.fleet.run import UNREADABLE, FleetResult, RepoOutcome
from binance_guard.report.sanitize import terminal
from binance_guard.verify import unchecked

STATUSES = ("new", "unchanged", "gone", "known")


def label(kind: str) -> str:
    return FINDING_TYPES[kind].label if kind in FINDING_TYPES else kind


def iso(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclasses.dataclass
class Key:
    """One secret across the fleet: every repository (and fork) holding it."""

    fingerprint: str
    type: str
    redacted: str
    severity: str
    first_seen: float
    findings: list[dict[str, Any]]  # each with "repo" and "status"

    @property
    def repos(self) -> list[str]:
        return sorted({f["repo"] for f in self.findings})

    @property
    def live(self) -> bool:
        return any(f["status"] != "gone" for f in self.findings)

    @property
    def in_head(self) -> bool:
        return any(f.get("in_head") and f["status"] != "gone" for f in self.findings)


def findings(result: FleetResult, verified: dict[str, Verification]) -> list[dict[str, Any]]:
    out = []
    for outcome in result.repos:
        for record in outcome.records:
            data = {
                "repo": outcome.spec.name,
                "status": record.status,
                "first_seen": iso(record.first_seen),
                **record.data,
            }
            verification = verified.get(data["fingerprint"])
            if verification is not None:
                data["verification"] = verification.as_dict()
                if verification.severity:
                    data["severity"] = verification.severity
            out.append(data)
    return out


def incomplete(result: FleetResult, verified: dict[str, Verification]) -> Counter[str]:
    """What the run did not look at, counted as every command counts it: repositories not
    fully scanned (with the objects they lack), and keys --verify could not check (each
    once)."""
    counts = Counter(
        {
            "repository(ies) not fully scanned": len(result.incomplete),
            UNREADABLE: sum(r.unreadable for r in result.repos),
        }
    )
    api_keys = {f["fingerprint"] for f in findings(result, {}) if f["type"] == API_KEY}
    counts.update(unchecked(v for fp, v in verified.items() if fp in api_keys))
    return +counts


def keys(found: list[dict[str, Any]]) -> list[Key]:
    """Keys most severe first, then most recently first seen."""
    by_key: dict[str, Key] = {}
    for data in found:
        first = datetime.datetime.fromisoformat(data["first_seen"]).timestamp()
        key = by_key.setdefault(
            data["fingerprint"],
            Key(data["fingerprint"], data["type"], data["redacted"], data["severity"], first, []),
        )
        key.findings.append(data)
        key.first_seen = min(key.first_seen, first)
        if Severity(data["severity"]) > key.severity:
            key.severity = data["severity"]
    return sorted(by_key.values(), key=lambda k: (-Severity(k.severity).rank, -k.first_seen))


def _repo(outcome: RepoOutcome) -> dict[str, Any]:
    return {
        "name": outcome.spec.name,
        "source": outcome.spec.display,
        "fork": outcome.spec.fork,
        "archived": outcome.spec.archived,
        "status": outcome.status,
        "error": outcome.error,
        "blobs": outcome.blobs,
        "scanned": outcome.scanned,
        "unreadable": outcome.unreadable,
        "findings": sum(r.status != "gone" for r in outcome.records),
        "notes": outcome.notes,
    }


def summary(result: FleetResult, found: list[dict[str, Any]]) -> dict[str, Any]:
    count = {s: sum(f["status"] == s for f in found) for s in STATUSES}
    return {
        "repos": len(result.repos),
        "complete": sum(r.status == "complete" for r in result.repos),
        "unchanged": sum(r.status == "unchanged" for r in result.repos),
        "incomplete": len(result.incomplete),
        "blobs_scanned": result.blobs_scanned,
        "bytes_scanned": result.bytes_scanned,
        "unique_blobs": result.unique_blobs,
        "findings": count,
        "keys": len({f["fingerprint"] for f in found if f["status"] != "gone"}),
        "seconds": round(result.seconds, 3),
        "rules_changed": result.rules_changed,
    }


def render_json(result: FleetResult, verified: dict[str, Verification]) -> str:
    found = findings(result, verified)
    document = {
        "summary": summary(result, found),
        "incomplete": dict(sorted(incomplete(result, verified).items())),
        "repos": [_repo(o) for o in result.repos],
        "findings": found,
        "keys": [
            {
                "fingerprint": k.fingerprint,
                "type": k.type,
                "redacted": k.redacted,
                "severity": k.severity,
                "first_seen": iso(k.first_seen),
                "repos": k.repos,
                "in_head": k.in_head,
                "gone": not k.live,
            }
            for k in keys(found)
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def render_text(result: FleetResult, verified: dict[str, Verification]) -> str:
    found = findings(result, verified)
    s = summary(result, found)
    known = s["findings"]["known"]
    out = [
        f"binance-guard fleet: {s['repos']} repositories ({s['complete']} scanned, "
        f"{s['unchanged']} unchanged, {s['incomplete']} incomplete); {s['blobs_scanned']} "
        f"blobs scanned ({s['bytes_scanned'] / (1 << 20):.1f} MiB) in {s['seconds']:.1f}s; "
        f"findings: {s['findings']['new']} new, {s['findings']['unchanged']} unchanged, "
        f"{s['findings']['gone']} gone"
        + (f", {known} known from earlier runs (not scanned again)." if known else ".")
    ]
    if result.rules_changed:
        out.append(
            "note: the cache's verdicts were given by other detection rules (another "
            "binance-guard): every blob was scanned again, and what they no longer report is gone"
        )
    for outcome in result.repos:
        for note in outcome.notes:
            out.append(f"note: {terminal(outcome.spec.name)}: {terminal(note)}")
    if result.incomplete:
        out += ["", "NOT fully scanned (exit 2; run again to resume):"]
        out += [f"  {terminal(o.spec.name)}: {terminal(o.error or '')}" for o in result.incomplete]
    for key in keys(found):
        state = (
            "gone from all refs"
            if not key.live
            else ("STILL AT HEAD" if key.in_head else "history only")
        )
        out += [
            "",
            f"[{key.severity.upper()}] {label(key.type)} {key.redacted}: "
            f"{len(key.repos)} repositor{'ies' if len(key.repos) != 1 else 'y'}, {state}, "
            f"first seen {iso(key.first_seen)}",
        ]
        for f in key.findings:
            where = "HEAD" if f.get("in_head") else "history"
            verification = f.get("verification")
            verdict = f"  verified: {verification['status']}" if verification else ""
            out.append(
                f"  {f['status'].upper():9} {terminal(f['repo'])}  "
                f"{terminal(f['path'])}:{f['line']}  "
                f"{str(f.get('commit', ''))[:12]} {terminal(str(f.get('date', '')))} "
                f"{terminal(str(f.get('author', '')))}  {where}{verdict}"
            )
    if any(k.live for k in keys(found)):
        out += [
            "",
            "Delete every key listed (even history-only ones: every clone and fork has them) "
            "in Binance API Management, then scrub each repository (binance-guard scrub).",
        ]
    return "\n".join(out) + "\n"


def render_sarif(result: FleetResult, verified: dict[str, Verification]) -> str:
    """One SARIF run per repository with findings (``automationDetails.id`` names it)."""
    from binance_guard.report import sarif

    runs = []
    for outcome in result.repos:
        live = [restore(r.data, verified) for r in outcome.records if r.status != "gone"]
        if not live:
            continue
        (run,) = json.loads(sarif.render(live, outcome.spec.display, None))["runs"]
        run["automationDetails"] = {"id": f"binance-guard-fleet/{outcome.spec.name}"}
        runs.append(run)
    if not runs:
        runs = json.loads(sarif.render([]))["runs"]
    document = {"$schema": sarif.SCHEMA, "version": "2.1.0", "runs": runs}
    return json.dumps(document, indent=2) + "\n"


@records.record(frozen=True)
class StoredFinding(Finding):
    """A finding read back from the store for the reporters that take findings: no secret,
    its fingerprint and redacted preview as recorded."""

    stored_fingerprint: str = ""
    stored_redacted: str = ""

    @property
    def fingerprint(self) -> str:
        return self.stored_fingerprint

    @property
    def redacted(self) -> str:
        return self.stored_redacted


def _introduction(data: dict[str, Any]) -> Introduction:
    return Introduction(
        Commit(data["commit"], data["author"], data["date"]), data["path"], data["line"]
    )


def restore(data: dict[str, Any], verified: dict[str, Verification]) -> Finding:
    attribution = None
    if "commit" in data:
        attribution = Attribution(
            _introduction(data),
            tuple(_introduction(r) for r in data.get("reintroduced", [])),
            tuple(data.get("refs", [])),
            bool(data.get("in_head")),
            data.get("in_worktree"),
        )
    return StoredFinding(
        type=data["type"],
        path=data["path"],
        line=data["line"],
        column=data["column"],
        secret="",
        confidence=Confidence(data["confidence"]),
        reasons=tuple(data.get("reasons", [])),
        public_example=bool(data.get("public_example")),
        algorithm=data.get("algorithm"),
        pair=Pair(**data["pair"]) if data.get("pair") else None,
        attribution=attribution,
        verification=verified.get(data["fingerprint"]),
        location=Location(data.get("location", Location.FILE)),
        stored_fingerprint=data["fingerprint"],
        stored_redacted=data["redacted"],
    )
