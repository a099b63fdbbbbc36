"""Ask Binance what a found key can do: match each API key with its secret (or private key),
sign ``GET /sapi/v1/account/apiRestrictions``, and map the answer to a status and severity.

Binance answers -2015 both for a dead key and for a live key called from outside its
trusted IPs (or lacking the permission), so -2015 is "rejected", never "dead".
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import time
import urllib.error
from collections.abc import Sequence

from binance_guard.finding import API_KEY, PRIVATE_KEY, SECRET_KEY, Finding, Verification
from binance_guard.verify import PASSPHRASE_ENV, severity
from binance_guard.verify.client import Client
from binance_guard.verify.signing import Signer, UnusableKey, hmac_signer, private_key_signer

RESTRICTIONS_PATH = "/sapi/v1/account/apiRestrictions"

ERROR_STATUS = {
    -2015: (
        "rejected",
        "unknown or deleted key, OR a live key called from an IP outside its "
        "trusted list, OR lacking this permission: not proof that it is dead",
    ),
    -2014: ("invalid_format", "Binance says the API key format is invalid"),
    -1022: ("secret_mismatch", "the key exists but this secret does not sign for it"),
    -1021: ("unreachable", "clock skew persisted after resynchronising with the server time"),
}



def verify_credential(client: Client, api_key: str, sign: Signer, now: float) -> Verification:
    try:
        reply = client.signed_get(RESTRICTIONS_PATH, api_key, sign)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Verification("unreachable", f"could not reach Binance: {reason}")
    body = reply.body
    if reply.status == 200 and "ipRestrict" in body:
        permissions = {k: bool(v) for k, v in body.items() if k.startswith(("enable", "permits"))}
        created_ms = body.get("createTime")
        created = age = None
        if isinstance(created_ms, int | float) and created_ms > 0:
            created_at = datetime.datetime.fromtimestamp(created_ms / 1000, datetime.UTC)
            created = created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            age = int((now - created_ms / 1000) // 86400)
        level, rotation_due, risks = severity.assess(permissions, bool(body["ipRestrict"]), age)
        return Verification(
            "live",
            "the key works and Binance reported its permissions",
            None,
            permissions,
            bool(body["ipRestrict"]),
            created,
            age,
            level,
            rotation_due,
            tuple(risks),
        )
    if reply.status in (429, 418):
        wait = f"; retry after {reply.retry_after:.0f}s" if reply.retry_after else ""
        banned = " (IP banned for ignoring rate limits)" if reply.status == 418 else ""
        return Verification("rate_limited", f"HTTP {reply.status}{banned}{wait}")
    code = body.get("code")
    if isinstance(code, int) and code in ERROR_STATUS:
        status, meaning = ERROR_STATUS[code]
        return Verification(status, f"{meaning} (Binance: {body.get('msg', '')})", code)
    return Verification(
        "unreachable",
        f"unexpected answer: HTTP {reply.status} {body.get('msg', '')}".strip(),
        code if isinstance(code, int) else None,
    )


def _signer_for(credential: Finding) -> Signer:
    if credential.type == SECRET_KEY:
        return hmac_signer(credential.secret)
    passphrase = os.environ.get(PASSPHRASE_ENV)
    return private_key_signer(credential.secret, passphrase.encode() if passphrase else None)


def _partner(key: Finding, findings: Sequence[Finding]) -> Finding | None:
    """The secret paired with the key, else the nearest Binance private key in its file."""
    if key.pair is not None:
        for other in findings:
            if other.fingerprint == key.pair.fingerprint and other.type == SECRET_KEY:
                return other
    keys = [f for f in findings if f.type == PRIVATE_KEY and f.path == key.path]
    return min(keys, key=lambda f: abs(f.line - key.line), default=None)


def verify_findings(findings: Sequence[Finding], client: Client) -> list[Finding]:
    """The same findings, each API key and its credential carrying a ``verification``."""
    now = time.time()
    results: dict[tuple[str, str], Verification] = {}
    verdict: dict[str, Verification] = {}
    for key in (f for f in findings if f.type == API_KEY and not f.public_example):
        credential = _partner(key, findings)
        if credential is None:
            verdict.setdefault(
                key.fingerprint,
                Verification(
                    "skipped", "no secret or private key found with this API key: cannot sign"
                ),
            )
            continue
        pair = (key.fingerprint, credential.fingerprint)
        if pair not in results:
            try:
                results[pair] = verify_credential(client, key.secret, _signer_for(credential), now)
            except UnusableKey as exc:
                results[pair] = Verification("skipped", str(exc))
        verdict[key.fingerprint] = verdict[credential.fingerprint] = results[pair]
    default = Verification("skipped", "not an API key with a credential to sign with")
    return [
        dataclasses.replace(f, verification=verdict.get(f.fingerprint, default)) for f in findings
    ]
