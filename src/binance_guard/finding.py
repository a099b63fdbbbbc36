"""The one record every front end produces and every reporter consumes.

A finding carries the raw secret because baselines (sha1, detect-secrets' format) and
verification need it, but the value is excluded from ``repr`` and from every serialised form:
reporters only ever see ``redacted`` and ``fingerprint``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

API_KEY = "binance_api_key"
SECRET_KEY = "binance_secret_key"
PRIVATE_KEY = "binance_private_key"
GENERIC_PRIVATE_KEY = "private_key"

CONFIDENCE_ORDER = {"low": 0, "medium": 1, "high": 2}


def fingerprint(secret: str) -> str:
    """Stable across runs and machines; reveals nothing about the value."""
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def redact(secret: str) -> str:
    """Enough to recognise a key you own, far too little to use it."""
    flat = secret.strip()
    if "PRIVATE KEY" in flat:
        header = flat.split("-----")[1] if flat.count("-----") >= 2 else "PRIVATE KEY"
        return f"-----{header}----- …({len(flat)} chars)"
    if len(flat) <= 12:
        return "*" * len(flat)
    return f"{flat[:4]}{'*' * 8}{flat[-4:]}"


@dataclasses.dataclass(frozen=True)
class Pair:
    """The other half of a key/secret incident: a key and its secret are one leak."""

    id: str
    type: str
    path: str
    line: int
    fingerprint: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str

    def as_dict(self) -> dict[str, Any]:
        return {"commit": self.sha, "author": self.author, "date": self.date}


@dataclasses.dataclass(frozen=True)
class Introduction:
    """A commit that added the secret at a path where its parent(s) did not have it."""

    commit: Commit
    path: str
    line: int

    def as_dict(self) -> dict[str, Any]:
        return {**self.commit.as_dict(), "path": self.path, "line": self.line}


@dataclasses.dataclass(frozen=True)
class Attribution:
    """Where a secret found in history came from and whether it is still reachable."""

    introduced: Introduction
    reintroduced: tuple[Introduction, ...]
    refs: tuple[str, ...]
    in_head: bool
    in_worktree: bool | None  # None in a bare repository

    def as_dict(self) -> dict[str, Any]:
        return {
            "commit": self.introduced.commit.sha,
            "author": self.introduced.commit.author,
            "date": self.introduced.commit.date,
            "in_head": self.in_head,
            "in_worktree": self.in_worktree,
            "history_only": not self.in_head,
            "refs": list(self.refs),
            "reintroduced": [i.as_dict() for i in self.reintroduced],
        }


@dataclasses.dataclass(frozen=True)
class Verification:
    """What Binance said about a key (see binance_guard.verify)."""

    status: str  # live | rejected | invalid_format | secret_mismatch | unreachable | ...
    message: str
    code: int | None = None
    permissions: dict[str, bool] | None = None
    ip_restricted: bool | None = None
    created: str | None = None
    key_age_days: int | None = None
    severity: str | None = None  # critical | high | medium | low, for live keys
    rotation_due: bool | None = None
    risks: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["risks"] = list(self.risks)
        return data


@dataclasses.dataclass(frozen=True)
class Finding:
    type: str
    path: str
    line: int
    column: int
    secret: str = dataclasses.field(repr=False)
    confidence: str
    reasons: tuple[str, ...]
    public_example: bool = False
    algorithm: str | None = None
    pair: Pair | None = None
    attribution: Attribution | None = None
    verification: Verification | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.secret)

    @property
    def redacted(self) -> str:
        return redact(self.secret)

    @property
    def severity(self) -> str:
        """critical/high/medium/low: Binance's answer when verified live, else the evidence."""
        if self.verification is not None and self.verification.severity:
            return self.verification.severity
        if self.type in (PRIVATE_KEY, GENERIC_PRIVATE_KEY, SECRET_KEY):
            return "high" if self.confidence != "low" else "low"
        return self.confidence

    @property
    def hashed_secret(self) -> str:
        """detect-secrets' baseline identity for a secret (sha1 of the value)."""
        return hashlib.sha1(self.secret.encode("utf-8", "surrogateescape")).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": self.type,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "fingerprint": self.fingerprint,
            "redacted": self.redacted,
            "confidence": self.confidence,
            "severity": self.severity,
            "reasons": list(self.reasons),
            "public_example": self.public_example,
            "pair": self.pair.as_dict() if self.pair else None,
        }
        if self.algorithm:
            data["algorithm"] = self.algorithm
        if self.attribution:
            data.update(self.attribution.as_dict())
        if self.verification:
            data["verification"] = self.verification.as_dict()
        return data

    def with_secret(self) -> dict[str, Any]:
        """Serialised form for ``--show-secrets`` only."""
        return {**self.as_dict(), "secret": self.secret}
