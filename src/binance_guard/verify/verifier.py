"""Ask Binance what a found key can do: match each API key with its secret (or private key),
sign ``GET /sapi/v1/account/apiRestrictions``, and map the answer to a status and severity.

Binance answers -2015 both for a dead key and for a live key called from outside its
trusted IPs (or lacking the permission), so -2015 is "rejected", never "dead".
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Sequence
from typing import Any

from binance_guard.finding import API_KEY, PRIVATE_KEY, SECRET_KEY, Finding, Verification
from binance_guard.record import replace
from binance_guard.regex import compile_now
from binance_guard.report.sanitize import shown
from binance_guard.verify import PASSPHRASE_ENV, severity
from binance_guard.verify.client import (
    MIN_TIME_MS,
    Client,
    InvalidAnswer,
    VerifyFailure,
    as_json,
)
from binance_guard.verify.signing import Signer, UnusableKey, hmac_signer, private_key_signer

RESTRICTIONS_PATH = "/sapi/v1/account/apiRestrictions"
HEADER_SAFE_KEY = compile_now(r"[!-~]{1,256}")  # printable ASCII, no spaces
DAY_MS = 86_400_000

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


# A permission field's name: shown to the user, so only the shape Binance uses.
PERMISSION_FIELD = compile_now(r"(?:enable|permits)[A-Za-z0-9]{1,60}")
MAX_PERMISSION_FIELDS = 100


def verify_credential(client: Client, api_key: str, sign: Signer, now: float) -> Verification:
    """One key's status; every failure, the server's included, is a status, never raised."""
    if not HEADER_SAFE_KEY.fullmatch(api_key):
        return Verification(
            "invalid_format", "not sent: the API key has characters no HTTP header can carry"
        )
    try:
        reply = client.signed_get(RESTRICTIONS_PATH, api_key, sign)
        if reply.status == 200:
            return _live(reply.body, now)
    except VerifyFailure as exc:
        return Verification(exc.status, str(exc))
    body = reply.body
    code = body.get("code")
    message = body.get("msg")
    said = f" (Binance: {shown(message)})" if isinstance(message, str) and message else ""
    if type(code) is int and code in ERROR_STATUS:
        status, meaning = ERROR_STATUS[code]
        return Verification(status, meaning + said, code)
    shown_code = f" code {as_json(code)}" if code is not None else ""
    return Verification(
        "invalid_answer",
        f"unexpected answer: HTTP {reply.status}{shown_code}{said}",
        code if type(code) is int else None,
    )


def _live(body: dict[str, Any], now: float) -> Verification:
    """A 200 answer of apiRestrictions, every field used checked for its type and range."""
    restricted = body.get("ipRestrict")
    if type(restricted) is not bool:
        raise InvalidAnswer(f"HTTP 200 but ipRestrict is {as_json(restricted)}, not true/false")
    permissions: dict[str, bool] = {}
    for field, value in body.items():
        if not PERMISSION_FIELD.fullmatch(field):
            continue
        if type(value) is not bool:
            raise InvalidAnswer(f"HTTP 200 but {field} is {as_json(value)}, not true/false")
        permissions[field] = value
    if len(permissions) > MAX_PERMISSION_FIELDS:
        raise InvalidAnswer(f"HTTP 200 with {len(permissions)} permission fields")
    created = age = None
    created_ms = body.get("createTime")
    if created_ms is not None:
        if type(created_ms) is not int or not MIN_TIME_MS <= created_ms <= now * 1000 + DAY_MS:
            raise InvalidAnswer(
                f"HTTP 200 but createTime is {as_json(created_ms)}, not a past time in milliseconds"
            )
        created_at = datetime.datetime.fromtimestamp(created_ms / 1000, datetime.UTC)
        created = created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        age = max(int((now - created_ms / 1000) // 86400), 0)
    level, rotation_due, risks = severity.assess(permissions, restricted, age)
    return Verification(
        "live",
        "the key works and Binance reported its permissions",
        None,
        permissions,
        restricted,
        created,
        age,
        level,
        rotation_due,
        tuple(risks),
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
    return [replace(f, verification=verdict.get(f.fingerprint, default)) for f in findings]
