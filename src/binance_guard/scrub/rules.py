"""What each secret becomes: literal replacements in every encoding the scanner reads."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Sequence

from binance_guard.finding import Finding

# No Binance, key or secret word: a marker must never give a neighbouring value key context,
# or a rescan would find what the first scan did not (scrub must be a fixed point).
MARKER = "***REMOVED***"
MIN_CHUNK = 16
ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")


@dataclasses.dataclass(frozen=True)
class Replacement:
    old: bytes
    new: bytes


def replacements(findings: Sequence[Finding]) -> list[Replacement]:
    """Literal replacements: HMAC values whole, and base64-encoded once as the scanner decodes
    them (a Kubernetes Secret's ``data:``, ``echo key | base64``: the marker's base64 keeps
    the field valid); PEM bodies by their 64-column lines, which is how they appear in a .pem
    file, a YAML block or a JSON string with \\n escapes alike. Each in UTF-8, UTF-16 and UTF-32
    (both byte orders), the encodings the scanner reads."""
    result: dict[bytes, bytes] = {}
    for finding in findings:
        pairs = [(finding.secret, MARKER)]
        if "PRIVATE KEY" in finding.secret:
            body = finding.secret.split("\n")[1]
            chunks = (body[i : i + 64] for i in range(0, len(body), 64))
            pairs = [(chunk, MARKER) for chunk in chunks if len(chunk) >= MIN_CHUNK]
        else:
            pairs += [(_b64(finding.secret + end), _b64(MARKER + end)) for end in ("", "\n")]
        for secret, marker in pairs:
            for encoding in ENCODINGS:
                result[secret.encode(encoding)] = marker.encode(encoding)
    return [Replacement(old, new) for old, new in sorted(result.items(), key=lambda i: -len(i[0]))]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def apply(data: bytes, rules: Sequence[Replacement]) -> bytes:
    for rule in rules:
        data = data.replace(rule.old, rule.new)
    return data
