"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

GitHub matches alerts across runs by ``partialFingerprints.primaryLocationLineHash`` only, and
takes severity from the rule's ``properties.security-severity``. Both are derived from hashes:
no secret, redacted or not, is needed to match an alert.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from binance_guard import __version__
from binance_guard.finding import FINDING_TYPES, Finding, Location
from binance_guard.report.advice import REMEDIATION

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/binance-guard/binance-guard"
LEVELS = {"critical": "error", "high": "error", "medium": "error", "low": "warning"}


def _rule(type_id: str) -> dict[str, Any]:
    kind = FINDING_TYPES[type_id]
    title = kind.title
    return {
        "id": kind.rule_id,
        "name": kind.id,
        "shortDescription": {"text": f"{title} committed to git"},
        "fullDescription": {
            "text": f"A {title.lower()} was found. Anyone who can read the repository or its "
            "history can use it."
        },
        "help": {"text": REMEDIATION, "markdown": REMEDIATION},
        "helpUri": INFO_URI,
        "properties": {
            "tags": ["security", "secret", "binance"],
            "precision": "high",
            "security-severity": kind.security_severity,
        },
    }


def _line_hash(finding: Finding) -> str:
    seed = f"{finding.type}\0{finding.path}\0{finding.fingerprint}"
    return hashlib.sha256(seed.encode("utf-8", "surrogateescape")).hexdigest()[:32] + ":1"


def _location(finding: Finding) -> dict[str, Any]:
    """A file and line, or for a message, an identity or a note (no file) the commit or tag
    as a logical place."""
    if finding.location is not Location.FILE:
        commit = finding.attribution.introduced.commit.sha if finding.attribution else ""
        where = finding.location.value.replace("_", " ") + " of"
        if finding.location is Location.NOTE:
            where = f"note on {finding.path.replace('/', '')} in"
        return {
            "logicalLocations": [
                {"name": commit, "fullyQualifiedName": f"{finding.location.value}/{commit}"}
            ],
            "message": {"text": f"{where} {commit[:12]}, line {finding.line}"},
        }
    return {
        "physicalLocation": {
            "artifactLocation": {
                # A name that is not UTF-8 keeps its bytes: %FF
                "uri": urllib.parse.quote(finding.path, safe="/", errors="surrogateescape"),
                "uriBaseId": "%SRCROOT%",
            },
            "region": {"startLine": max(finding.line, 1), "startColumn": max(finding.column, 1)},
        }
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    kind = FINDING_TYPES[finding.type]
    message = f"{kind.title} {finding.redacted} ({finding.confidence} confidence)"
    if finding.pair:
        message += f", paired with the {finding.pair.type.replace('_', ' ')} at line "
        message += str(finding.pair.line)
    if finding.published_in:
        message += f"; public example published in {finding.published_in}: not a leak"
    if finding.verification:
        message += f"; verified: {finding.verification.status}"
    properties: dict[str, Any] = {
        "confidence": finding.confidence,
        "severity": finding.severity,
        "reasons": list(finding.reasons),
        "fingerprint": finding.fingerprint,
        "publicExample": finding.public_example,
    }
    if finding.published_in:
        properties["publishedIn"] = finding.published_in
    if finding.attribution:
        properties.update(finding.attribution.as_dict())
    if finding.verification:
        properties["verification"] = finding.verification.as_dict()
    location = _location(finding)
    return {
        "ruleId": kind.rule_id,
        "ruleIndex": rule_index,
        # A public example (shown with --include-examples) is no leak: a note, never an error.
        "level": "note" if finding.public_example else LEVELS.get(finding.severity, "error"),
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {
            "primaryLocationLineHash": _line_hash(finding),
            "binanceGuardSecret/v1": finding.fingerprint,
        },
        "properties": properties,
    }


def render(
    findings: Sequence[Finding],
    repository: str | None = None,
    commit: str | None = None,
    incomplete: Mapping[str, int] | None = None,
) -> str:
    """``incomplete``: what the run could not look at (Report.incomplete); code scanning
    shows a run that has it as not successful, not as a clean one."""
    kinds = sorted({f.type for f in findings}, key=lambda k: FINDING_TYPES[k].rule_id)
    index = {kind: i for i, kind in enumerate(kinds)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "binance-guard",
                "version": __version__,
                "informationUri": INFO_URI,
                "rules": [_rule(kind) for kind in kinds],
            }
        },
        "results": [_result(f, index[f.type]) for f in findings],
        "columnKind": "unicodeCodePoints",
    }
    if repository and commit:
        run["versionControlProvenance"] = [{"repositoryUri": repository, "revisionId": commit}]
    if incomplete:
        run["invocations"] = [
            {
                "executionSuccessful": False,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": f"INCOMPLETE: {n} {why}"}}
                    for why, n in sorted(incomplete.items())
                ],
            }
        ]
    document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"
