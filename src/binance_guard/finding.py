"""The one record every front end produces and every reporter consumes.

A finding carries the raw secret because baselines (sha1, detect-secrets' format) and
verification need it, but the value is excluded from ``repr`` and from every serialised form:
reporters only ever see ``redacted`` and ``fingerprint``.
"""

from __future__ import annotations

import enum

from binance_guard.record import field, fields, record

# CPython's own SHA-256: hashlib would load OpenSSL (~2 ms of a blocked commit) for the same
# digest. hashlib's where a build has none.
try:
    from _sha256 import sha256  # type: ignore[import-not-found]  # Python 3.11
except ImportError:
    try:
        from _sha2 import sha256  # type: ignore[import-not-found]  # Python 3.12+
    except ImportError:
        from hashlib import sha256

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any


class _Ordered(enum.StrEnum):
    """A level that compares by rank, and serialises and compares equal as its name."""

    @property
    def rank(self) -> int:
        return list(type(self)).index(self)

    def __lt__(self, other: str) -> bool:
        return self.rank < type(self)(other).rank

    def __le__(self, other: str) -> bool:
        return self.rank <= type(self)(other).rank

    def __gt__(self, other: str) -> bool:
        return self.rank > type(self)(other).rank

    def __ge__(self, other: str) -> bool:
        return self.rank >= type(self)(other).rank

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)


class Confidence(_Ordered):
    """How sure the detector is that a value is a live Binance credential."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Severity(_Ordered):
    """How bad a leak is: the evidence, or Binance's own answer when verified live."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Location(enum.StrEnum):
    """What a finding's ``path`` names: a file, or (history only) a commit or tag message,
    the name and email of a commit's author or committer or a tag's tagger, or a git note
    (its path: the id of the object it annotates), which have no file; reporters must not
    point at one."""

    FILE = "file"
    COMMIT_MESSAGE = "commit_message"
    TAG_MESSAGE = "tag_message"
    AUTHOR = "author"
    COMMITTER = "committer"
    TAGGER = "tagger"
    NOTE = "note"

    @property
    def label(self) -> str:
        """The ``path`` of a message finding, for people: ``(commit message)``."""
        return "(" + self.value.replace("_", " ") + ")"


@record(frozen=True)
class FindingType:
    """Everything every reporter and integration says about one kind of finding."""

    id: str
    label: str  # in text, annotations and summaries
    title: str  # SARIF rule title
    rule_id: str  # SARIF rule id, stable across releases
    security_severity: str  # GitHub code scanning's 0-10 score, as a string
    secret_type: str  # detect-secrets' ``secret_type`` in baselines
    plugin: str  # the detect-secrets plugin class reporting it


API_KEY = "binance_api_key"
SECRET_KEY = "binance_secret_key"
PRIVATE_KEY = "binance_private_key"
GENERIC_PRIVATE_KEY = "private_key"


def _types(*types: FindingType) -> dict[str, FindingType]:
    return {t.id: t for t in types}


FINDING_TYPES = _types(
    FindingType(
        id=API_KEY,
        label="Binance API key",
        title="Binance API key",
        rule_id="BG001",
        security_severity="7.5",
        secret_type="Binance API Key",
        plugin="BinanceApiKeyDetector",
    ),
    FindingType(
        id=SECRET_KEY,
        label="Binance secret key",
        title="Binance secret key",
        rule_id="BG002",
        security_severity="9.5",
        secret_type="Binance Secret Key",
        plugin="BinanceSecretKeyDetector",
    ),
    FindingType(
        id=PRIVATE_KEY,
        label="Binance private key",
        title="Binance Ed25519/RSA private key",
        rule_id="BG003",
        security_severity="9.5",
        secret_type="Binance Private Key",
        plugin="BinancePrivateKeyDetector",
    ),
    FindingType(
        id=GENERIC_PRIVATE_KEY,
        label="private key",
        title="Private key",
        rule_id="BG004",
        security_severity="8.0",
        secret_type="Binance Private Key",
        plugin="BinancePrivateKeyDetector",
    ),
)


def fingerprint(secret: str) -> str:
    """Stable across runs and machines; reveals nothing about the value."""
    digest: str = sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()
    return digest


def redact(secret: str) -> str:
    """Enough to recognise a key you own, far too little to use it."""
    flat = secret.strip()
    if "PRIVATE KEY" in flat:
        header = flat.split("-----")[1] if flat.count("-----") >= 2 else "PRIVATE KEY"
        return f"-----{header}----- …({len(flat)} chars)"
    if len(flat) <= 12:
        return "*" * len(flat)
    return f"{flat[:4]}{'*' * 8}{flat[-4:]}"


@record(frozen=True)
class Pair:
    """The other half of a key/secret incident: a key and its secret are one leak."""

    id: str
    type: str
    path: str
    line: int
    fingerprint: str

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@record(frozen=True)
class Commit:
    sha: str
    author: str
    date: str

    def as_dict(self) -> dict[str, Any]:
        return {"commit": self.sha, "author": self.author, "date": self.date}


@record(frozen=True)
class Introduction:
    """A commit that added the secret at a path where its parent(s) did not have it."""

    commit: Commit
    path: str
    line: int

    def as_dict(self) -> dict[str, Any]:
        return {**self.commit.as_dict(), "path": self.path, "line": self.line}


@record(frozen=True)
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


@record(frozen=True)
class Verification:
    """What Binance said about a key (see binance_guard.verify)."""

    status: str  # live | rejected | invalid_format | secret_mismatch | unreachable | ...
    message: str
    code: int | None = None
    permissions: dict[str, bool] | None = None
    ip_restricted: bool | None = None
    created: str | None = None
    key_age_days: int | None = None
    severity: Severity | None = None  # for live keys
    rotation_due: bool | None = None
    risks: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["permissions"] = dict(self.permissions) if self.permissions is not None else None
        data["risks"] = list(self.risks)
        return data


@record(frozen=True)
class Finding:
    type: str
    path: str
    line: int
    column: int
    secret: str = field(repr=False, raw=True)  # see sanitize.strings
    confidence: Confidence
    reasons: tuple[str, ...]
    public_example: bool = False
    published_in: str | None = None  # where a public example was published
    algorithm: str | None = None
    pair: Pair | None = None
    attribution: Attribution | None = None
    verification: Verification | None = None
    location: Location = Location.FILE

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.secret)

    @property
    def redacted(self) -> str:
        return redact(self.secret)

    @property
    def severity(self) -> Severity:
        """Binance's answer when verified live, else the evidence."""
        if self.verification is not None and self.verification.severity:
            return self.verification.severity
        if self.type in (PRIVATE_KEY, GENERIC_PRIVATE_KEY, SECRET_KEY):
            return Severity.HIGH if self.confidence > Confidence.LOW else Severity.LOW
        return Severity(self.confidence.value)

    @property
    def hashed_secret(self) -> str:
        """detect-secrets' baseline identity for a secret (sha1 of the value)."""
        import hashlib  # only baselines need it

        return hashlib.sha1(self.secret.encode("utf-8", "surrogateescape")).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": self.type,
            "path": self.path,
            "location": self.location.value,
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
        if self.published_in:
            data["published_in"] = self.published_in
        if self.attribution:
            data.update(self.attribution.as_dict())
        if self.verification:
            data["verification"] = self.verification.as_dict()
        return data

    def with_secret(self) -> dict[str, Any]:
        """Serialised form for ``--show-secrets`` only."""
        return {**self.as_dict(), "secret": self.secret}


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """Findings that fail a run: public examples are shown on request but never block."""
    return [f for f in findings if not f.public_example]
