"""detect-secrets plugins backed by binance-guard's scanner.

Load with ``detect-secrets scan --plugin "$(binance-guard plugin-path)"``. detect-secrets asks
plugins line by line, but a Binance key is judged by its file (the import at the top, the
secret two lines down), so each file is scanned once, whole, and lines are answered from that
result. Lines that do not come from a readable file (``--string``, diffs, transformed lines)
are judged on the snippet detect-secrets passes along.

One class per finding type, so baselines and ``detect-secrets audit`` name what was found.
``verify()`` never touches the network: detect-secrets calls it on every scan by default.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Generator
from typing import Any

from detect_secrets.constants import VerifiedResult
from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.plugins.base import BasePlugin
from detect_secrets.util.code_snippet import CodeSnippet

from binance_guard.detection.scanner import scan_bytes
from binance_guard.finding import (
    API_KEY,
    FINDING_TYPES,
    GENERIC_PRIVATE_KEY,
    PRIVATE_KEY,
    SECRET_KEY,
    Confidence,
    Finding,
)
from binance_guard.policy import Policy

DEFAULT_MIN_CONFIDENCE = Policy().min_confidence


@functools.lru_cache(maxsize=64)
def _scan_file(path: str, mtime_ns: int, size: int) -> tuple[list[str], list[Finding]]:
    with open(path, "rb") as handle:
        data = handle.read()
    # Lines end at "\n" only, as for detect-secrets and the scanner (not at \f, \x85, U+2028).
    lines = [line.rstrip("\r") for line in data.decode("utf-8", "replace").split("\n")]
    return lines, scan_bytes(data, path)


def _findings_on_line(
    filename: str, line: str, line_number: int, context: CodeSnippet | None
) -> list[Finding]:
    try:
        info = os.stat(filename)
        lines, findings = _scan_file(filename, info.st_mtime_ns, info.st_size)
    except (OSError, ValueError):
        lines, findings = [], []
    if 0 < line_number <= len(lines) and lines[line_number - 1].rstrip() == line.rstrip():
        return [f for f in findings if f.line == line_number]
    # Not the file's own line: judge the snippet around it instead.
    snippet = context.lines if context is not None else [line]
    target = context.target_index + 1 if context is not None else 1
    data = "\n".join(snippet).encode("utf-8", "surrogateescape")
    return [f for f in scan_bytes(data, filename) if f.line == target]


class _BinanceDetector(BasePlugin):
    """Shared behaviour; abstract (no ``secret_type``) so detect-secrets does not load it."""

    finding_types: frozenset[str] = frozenset()

    def __init__(self, min_confidence: str = DEFAULT_MIN_CONFIDENCE, **_: Any) -> None:
        if min_confidence not in Confidence.names():
            raise TypeError(f"min_confidence must be one of {', '.join(Confidence.names())}")
        self.min_confidence = Confidence(min_confidence)
        self.policy = Policy(min_confidence=self.min_confidence)

    def _wanted(self, finding: Finding) -> bool:
        return finding.type in self.finding_types and self.policy.keeps(finding)

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        for finding in scan_bytes(string.encode("utf-8", "surrogateescape"), "<string>"):
            if self._wanted(finding):
                yield finding.secret

    def analyze_line(
        self,
        filename: str,
        line: str,
        line_number: int = 0,
        context: CodeSnippet | None = None,
        **kwargs: Any,
    ) -> set[PotentialSecret]:
        return {
            PotentialSecret(
                type=self.secret_type,
                filename=filename,
                secret=finding.secret,
                line_number=line_number,
            )
            for finding in _findings_on_line(filename, line, line_number, context)
            if self._wanted(finding)
        }

    def verify(self, secret: str) -> VerifiedResult:
        return VerifiedResult.UNVERIFIED

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": type(self).__name__}
        if self.min_confidence != DEFAULT_MIN_CONFIDENCE:
            data["min_confidence"] = self.min_confidence.value
        return data


class BinanceApiKeyDetector(_BinanceDetector):
    """Binance API keys (HMAC, Ed25519 and RSA keys all have a 64-character API key)."""

    secret_type = FINDING_TYPES[API_KEY].secret_type
    finding_types = frozenset({API_KEY})


class BinanceSecretKeyDetector(_BinanceDetector):
    """Binance HMAC secret keys."""

    secret_type = FINDING_TYPES[SECRET_KEY].secret_type
    finding_types = frozenset({SECRET_KEY})


class BinancePrivateKeyDetector(_BinanceDetector):
    """Ed25519/RSA private keys (PKCS#8 PEM), Binance-related or not."""

    secret_type = FINDING_TYPES[PRIVATE_KEY].secret_type
    finding_types = frozenset({PRIVATE_KEY, GENERIC_PRIVATE_KEY})
