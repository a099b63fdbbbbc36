"""The JSON report: one documented document shape; the secret only on explicit request."""

from __future__ import annotations

import json
import os

from binance_guard.detection.scanner import scan_bytes
from binance_guard.report import Report
from binance_guard.report.json import render
from binance_guard.sources.source import Skipped
from testing.keys import fake_key

KEY, SECRET = fake_key("json-key"), fake_key("json-secret")
PAIR = f"BINANCE_API_KEY={KEY}\nBINANCE_API_SECRET={SECRET}\n".encode()
FIELDS = {
    "type",
    "path",
    "location",
    "line",
    "column",
    "fingerprint",
    "redacted",
    "confidence",
    "severity",
    "reasons",
    "public_example",
    "pair",
}


def test_document_shape() -> None:
    findings = scan_bytes(PAIR, "config/.env")
    out = render(Report(findings, [Skipped("logo.png", "binary")], notes=["a note"]))
    assert out.endswith("}\n")
    doc = json.loads(out)
    assert set(doc) == {"findings", "skipped", "notes", "incomplete"}
    assert doc["skipped"] == [{"path": "logo.png", "reason": "binary"}]
    assert doc["notes"] == ["a note"]
    key, secret = doc["findings"]
    assert set(key) == FIELDS
    assert key["path"] == "config/.env" and (key["line"], key["column"]) == (1, 17)
    assert key["pair"] == {
        "id": secret["pair"]["id"],
        "type": "binance_secret_key",
        "path": "config/.env",
        "line": 2,
        "fingerprint": secret["fingerprint"],
    }
    assert secret["pair"]["fingerprint"] == key["fingerprint"]
    assert len(key["fingerprint"]) == 64 and key["fingerprint"] != KEY
    assert KEY not in out and SECRET not in out


def test_empty_document() -> None:
    assert json.loads(render(Report())) == {
        "findings": [],
        "skipped": [],
        "notes": [],
        "incomplete": {},
    }


def test_show_secrets_adds_the_value_and_nothing_else() -> None:
    findings = scan_bytes(PAIR, ".env")
    plain = json.loads(render(Report(findings)))["findings"]
    shown = json.loads(render(Report(findings), show_secrets=True))["findings"]
    assert [f.pop("secret") for f in shown] == [KEY, SECRET]
    assert shown == plain


def test_unusual_paths_survive_serialisation() -> None:
    path = os.fsdecode(b"caf\xe9 \xd0\xba\n\t.env")  # not UTF-8, a newline, a tab
    findings = scan_bytes(PAIR, path)
    doc = json.loads(render(Report(findings, [Skipped(path, "binary")])))
    assert doc["findings"][0]["path"] == path
    assert doc["skipped"][0]["path"] == path
    assert os.fsencode(doc["findings"][0]["path"]) == b"caf\xe9 \xd0\xba\n\t.env"
