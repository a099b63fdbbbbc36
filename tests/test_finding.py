from __future__ import annotations

import json

from binance_guard.finding import Confidence, Finding, Pair, fingerprint, redact
from testing.keys import fake_key


def _finding(secret: str) -> Finding:
    return Finding(
        type="binance_api_key",
        path="bot.py",
        line=3,
        column=5,
        secret=secret,
        confidence=Confidence.HIGH,
        reasons=("assigned to 'api_key'",),
        pair=Pair(id="p", type="binance_secret_key", path="bot.py", line=4, fingerprint="f"),
    )


def test_fingerprint_is_stable_sha256() -> None:
    key = fake_key(1)
    assert fingerprint(key) == fingerprint(key)
    assert len(fingerprint(key)) == 64
    assert fingerprint(key) != fingerprint(fake_key(2))


def test_redaction_keeps_eight_of_sixty_four_characters() -> None:
    key = fake_key(3)
    shown = redact(key)
    assert shown.startswith(key[:4])
    assert shown.endswith(key[-4:])
    assert key[4:-4] not in shown


def test_private_key_redaction_shows_no_body() -> None:
    body = fake_key(4)
    shown = redact(f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----")
    assert body[:8] not in shown
    assert "BEGIN PRIVATE KEY" in shown


def test_serialised_forms_never_hold_the_secret() -> None:
    key = fake_key(5)
    finding = _finding(key)
    assert key not in repr(finding)
    assert key not in json.dumps(finding.as_dict())
    assert finding.with_secret()["secret"] == key
