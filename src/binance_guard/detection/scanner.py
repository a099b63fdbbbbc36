"""The one scanner: bytes of a file (or blob) in, findings out.

Every front end (commit hook, ``scan``, history, CI, the detect-secrets plugin) calls
:func:`scan_bytes`. It works on bytes so that the cheap prefilter (a table translate and a
substring search) runs before anything is decoded, and so that invalid UTF-8 costs nothing.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Container, Iterator

from binance_guard.detection import heuristics
from binance_guard.detection.context import (
    CALL_LOOKBACK_LINES,
    BinanceContext,
    Proximity,
    Role,
    Slot,
    classify_name,
    role_of,
    slot_of,
)
from binance_guard.detection.patterns import (
    ALLOWLIST_NEXTLINE_RE,
    ALLOWLIST_RE,
    ARMOR_RE,
    DOCUMENTED_EXAMPLE_KEYS,
    EC_OID_B64,
    ED25519_PKCS8_PREFIX,
    ESCAPED_NEWLINE_RE,
    NOT_BASE64_RE,
    PEM_PLACEHOLDER_RE,
    PRIVATE_KEY_LABEL_RE,
    RSA_OID_B64,
)
from binance_guard.detection.prefilter import KEY_LENGTH, PRIVATE_KEY_MARKER, alnum_runs
from binance_guard.finding import (
    API_KEY,
    GENERIC_PRIVATE_KEY,
    PRIVATE_KEY,
    SECRET_KEY,
    Confidence,
    Finding,
    Pair,
    fingerprint,
)

PAIR_DISTANCE = 3
_BASE64_EXTENDERS = frozenset("+/")
_TOKEN_JOINERS = frozenset("-_.")


@dataclasses.dataclass
class _Candidate:
    value: str
    line: int
    column: int
    role: Role | None
    slot: Slot
    proximity: Proximity
    hex_only: bool
    reasons: list[str]
    confidence: int = -1
    partner: _Candidate | None = None


class _Text:
    """Lines of one buffer, found around offsets on demand: splitting a large file into lines
    up front costs more than everything else the scanner does with it."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._mark = (0, 1)  # an offset and its line number, to count forward from

    def line_number(self, offset: int) -> int:
        pos, number = self._mark
        if offset < pos:
            pos, number = 0, 1
        number += self.data.count(b"\n", pos, offset)
        self._mark = (offset, number)
        return number

    def bounds(self, offset: int) -> tuple[int, int]:
        end = self.data.find(b"\n", offset)
        return self.data.rfind(b"\n", 0, offset) + 1, len(self.data) if end == -1 else end

    def _decode(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", "replace").rstrip("\r")

    def line_at(self, offset: int) -> str:
        return self._decode(*self.bounds(offset))

    def previous_line_start(self, offset: int) -> int | None:
        start = self.bounds(offset)[0]
        return self.bounds(start - 1)[0] if start else None

    def next_line_start(self, offset: int) -> int | None:
        end = self.bounds(offset)[1]
        return end + 1 if end < len(self.data) else None

    def lines_before(self, offset: int, count: int) -> list[str]:
        lines: list[str] = []
        pos = self.previous_line_start(offset)
        while pos is not None and len(lines) < count:
            lines.insert(0, self.line_at(pos))
            pos = self.previous_line_start(pos)
        return lines

    def column_of(self, offset: int) -> int:
        start = self.bounds(offset)[0]
        return len(self.data[start:offset].decode("utf-8", "replace")) + 1

    def is_allowlisted(self, offset: int) -> bool:
        """detect-secrets' inline pragmas, on the line or as ``nextline`` on the one before."""
        if ALLOWLIST_RE.search(self.line_at(offset)):
            return True
        before = self.previous_line_start(offset)
        return before is not None and bool(ALLOWLIST_NEXTLINE_RE.search(self.line_at(before)))


def scan_bytes(
    data: bytes,
    path: str,
    lines: Container[int] | None = None,
) -> list[Finding]:
    """Findings in ``data``; with ``lines``, only those starting on these line numbers.

    Context (Binance words, the partner of a pair) is always taken from the whole buffer,
    so a hook that reports only added lines still sees the import at the top of the file.
    """
    if heuristics.is_utf16(data):
        # UTF-16 text (PowerShell 5's `>` writes it): scan it as UTF-8, same lines.
        data = data.decode("utf-16", "replace").encode("utf-8", "surrogateescape")
    runs = alnum_runs(data)
    has_pem = PRIVATE_KEY_MARKER in data
    if not runs and not has_pem:
        return []
    context = BinanceContext(data, path)
    if not context.in_file:
        # A hex value is only a key next to a Binance word: lock files full of sha256
        # digests stop here, before any line is decoded.
        runs = [r for r in runs if not heuristics.is_hex(data[r : r + KEY_LENGTH].decode())]
        if not runs and not has_pem:
            return []
    text = _Text(data)
    armor = _armor_spans(data)

    findings = list(_private_keys(data, text, path, context, armor))
    candidates = [c for c in _hmac_candidates(data, runs, text, context, armor) if c is not None]
    _pair(candidates)
    for cand in candidates:
        finding = _to_finding(cand, path)
        if finding is not None:
            findings.append(finding)

    findings = [f for f in findings if lines is None or f.line in lines]
    findings.sort(key=lambda f: (f.line, f.column))
    return findings


def _armor_spans(data: bytes) -> list[tuple[int, int, str, str]]:
    if b"-----BEGIN " not in data:
        return []
    decoded = data.decode("latin-1")  # 1:1 with byte offsets
    return [(m.start(), m.end(), m.group(1), m.group(2)) for m in ARMOR_RE.finditer(decoded)]


def _private_keys(
    data: bytes,
    text: _Text,
    path: str,
    context: BinanceContext,
    armor: list[tuple[int, int, str, str]],
) -> Iterator[Finding]:
    for start, _end, label, raw_body in armor:
        label_match = PRIVATE_KEY_LABEL_RE.match(label)
        if not label_match or PEM_PLACEHOLDER_RE.search(raw_body) or text.is_allowlisted(start):
            continue
        body = NOT_BASE64_RE.sub("", ESCAPED_NEWLINE_RE.sub("", raw_body))
        if len(body) < 40 or not _is_base64(body):
            continue
        line = text.line_number(start)
        kind = label_match.group(1)
        algorithm = _algorithm(kind, body)
        pkcs8 = kind in (None, "ENCRYPTED")
        proximity = context.proximity(start)
        reasons = [f"PEM block '{label}' with a {len(body)}-character body"]
        if pkcs8 and proximity > Proximity.NONE:
            kind_name, confidence = PRIVATE_KEY, "high"
            reasons.append(f"PKCS#8 ({algorithm}) with Binance context ({proximity.name.lower()})")
        else:
            kind_name, confidence = GENERIC_PRIVATE_KEY, "medium"
            reasons.append(
                "no Binance context: reported as a generic private key"
                if pkcs8
                else f"{kind} format (Binance takes PKCS#8 only): reported as a generic private key"
            )
        yield Finding(
            type=kind_name,
            path=path,
            line=line,
            column=text.column_of(start),
            secret=f"-----BEGIN {label}-----\n{body}\n-----END {label}-----",
            confidence=Confidence(confidence),
            reasons=tuple(reasons),
            algorithm=algorithm,
        )


def _is_base64(body: str) -> bool:
    try:
        base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _algorithm(kind: str | None, body: str) -> str:
    if kind == "ENCRYPTED":
        return "encrypted"
    if kind in ("RSA", "EC", "DSA", "OPENSSH"):
        return kind.lower()
    if body.startswith(ED25519_PKCS8_PREFIX):
        return "ed25519"
    if RSA_OID_B64 in body[:48]:
        return "rsa"
    if EC_OID_B64 in body[:48]:
        return "ec"
    return "unknown"


def _hmac_candidates(
    data: bytes,
    runs: list[int],
    text: _Text,
    context: BinanceContext,
    armor: list[tuple[int, int, str, str]],
) -> Iterator[_Candidate | None]:
    for offset in runs:
        if any(start <= offset < end for start, end, _, _ in armor):
            continue
        if _is_part_of_longer_token(data, offset):
            continue
        value = data[offset : offset + KEY_LENGTH].decode("ascii")
        line = text.line_at(offset)
        if _in_wrapped_base64(text, offset, line, value) or text.is_allowlisted(offset):
            continue
        column = text.column_of(offset)
        previous = text.lines_before(offset, CALL_LOOKBACK_LINES)
        yield _evaluate(
            value, text.line_number(offset), column, line, previous, context.proximity(offset)
        )


def _is_part_of_longer_token(data: bytes, offset: int) -> bool:
    """Base64 (``+`` ``/``), JWT segments and dotted or dashed identifiers around the run."""
    before = chr(data[offset - 1]) if offset else ""
    end = offset + KEY_LENGTH
    after = chr(data[end]) if end < len(data) else ""
    if before in _BASE64_EXTENDERS or after in _BASE64_EXTENDERS:
        return True
    if before in _TOKEN_JOINERS and offset >= 2 and chr(data[offset - 2]).isalnum():
        return True
    return after in _TOKEN_JOINERS and end + 1 < len(data) and chr(data[end + 1]).isalnum()


def _in_wrapped_base64(text: _Text, offset: int, line: str, value: str) -> bool:
    """A line that is just the value, next to other long base64 lines, is a wrapped blob."""
    if line.strip() != value:
        return False
    for neighbour in (text.previous_line_start(offset), text.next_line_start(offset)):
        if neighbour is not None:
            other = text.line_at(neighbour).strip()
            # A long base64 line, or the short padded tail of a wrapped signature.
            if (len(other) >= 40 or other.endswith("=")) and not NOT_BASE64_RE.search(other):
                return True
    return False


def _evaluate(
    value: str,
    number: int,
    column: int,
    line: str,
    previous: list[str],
    proximity: Proximity,
) -> _Candidate | None:
    slot = slot_of(line, column - 1, previous)
    role = role_of(slot)
    if role is Role.NEGATIVE:
        return None
    hex_only = heuristics.is_hex(value)
    if not hex_only and heuristics.random_key_verdict(value) is not None:
        return None
    if hex_only and heuristics.is_placeholder(value):
        return None
    reasons = []
    if slot.name:
        reasons.append(f"assigned to '{slot.name}'")
    elif slot.call is not None or slot.index is not None:
        where = f"'{slot.call}(...)'" if slot.call else "a list"
        reasons.append(f"argument {slot.index + 1 if slot.index is not None else '?'} of {where}")
    if proximity > Proximity.NONE:
        reasons.append(f"Binance context: {_PROXIMITY_WORDS[proximity]}")
    if hex_only:
        reasons.append("hex-only value (Binance futures-testnet key shape)")
    else:
        reasons.append(
            f"random-looking: {heuristics.shannon_entropy(value):.1f} bits/char, "
            "mixed case and digits"
        )
    return _Candidate(
        value=value,
        line=number,
        column=column,
        role=role,
        slot=slot,
        proximity=proximity,
        hex_only=hex_only,
        reasons=reasons,
    )


_PROXIMITY_WORDS = {
    Proximity.LINE: "on the same line",
    Proximity.NEAR: "within a few lines",
    Proximity.FILE: "elsewhere in the file or its path",
}


def _base_confidence(cand: _Candidate) -> int:
    """-1 (drop), 0 low, 1 medium, 2 high: evidence from role, Binance proximity, pairing."""
    named = cand.role in (Role.KEY, Role.SECRET, Role.CREDENTIAL)
    positional = cand.slot.call is not None and cand.slot.index in (0, 1)
    paired = cand.partner is not None
    if cand.hex_only:
        # A digest is far likelier than a testnet key: demand nearby Binance words and either
        # the value's own key name (not a role inferred from a pair: `(stdin)= <hmac>` next
        # to a key is a signature) or a key-and-secret pair of hex arguments to one call.
        own_role = classify_name(cand.slot.name) if cand.slot.name else None
        hex_pair = positional and paired and cand.partner is not None and cand.partner.hex_only
        if cand.proximity >= Proximity.NEAR and (own_role in (Role.KEY, Role.SECRET) or hex_pair):
            return 2 if cand.proximity is Proximity.LINE or paired else 1
        return -1
    if cand.proximity >= Proximity.NEAR:
        return 2 if (named or positional or paired) else 1
    if cand.proximity is Proximity.FILE:
        if named or paired:
            return 2
        return 1 if positional else 0
    if named and paired:
        return 1
    return 0 if named else -1


def _pair(candidates: list[_Candidate]) -> None:
    """Match keys with secrets a few lines apart; a pair is one incident."""
    live = [c for c in candidates if c.role is not Role.NEGATIVE]
    for i, first in enumerate(live):
        if first.partner is not None:
            continue
        for second in live[i + 1 :]:
            if second.line - first.line > PAIR_DISTANCE:
                break
            if second.partner is not None or second.value == first.value:
                continue
            if first.hex_only != second.hex_only or {first.role, second.role} in (
                {Role.KEY},
                {Role.SECRET},
            ):
                continue
            first.partner, second.partner = second, first
            if first.role is Role.SECRET or second.role is Role.KEY:
                first.role, second.role = Role.SECRET, Role.KEY
            else:
                first.role, second.role = Role.KEY, Role.SECRET
            break
    for cand in candidates:
        cand.confidence = _base_confidence(cand)
    # A pair is only as strong as its stronger half: a secret on an unnamed line is still a
    # secret if the key right above it is a named Binance key.
    for cand in candidates:
        if cand.partner is not None:
            cand.confidence = max(cand.confidence, cand.partner.confidence)


def _type_of(cand: _Candidate) -> str:
    return SECRET_KEY if cand.role is Role.SECRET else API_KEY


def _to_finding(cand: _Candidate, path: str) -> Finding | None:
    if cand.confidence < 0:
        return None
    reasons = list(cand.reasons)
    pair = None
    partner = cand.partner
    if partner is not None:
        pair = Pair(
            id=fingerprint("\n".join(sorted((cand.value, partner.value))))[:32],
            type=_type_of(partner),
            path=path,
            line=partner.line,
            fingerprint=fingerprint(partner.value),
        )
        reasons.append(
            f"paired with the {partner.role.value if partner.role else 'value'} "
            f"on line {partner.line}"
        )
    return Finding(
        type=_type_of(cand),
        path=path,
        line=cand.line,
        column=cand.column,
        secret=cand.value,
        confidence=list(Confidence)[cand.confidence],
        reasons=tuple(reasons),
        public_example=cand.value in DOCUMENTED_EXAMPLE_KEYS,
        pair=pair,
    )
