"""The one scanner: bytes of a file (or blob) in, findings out.

Every front end (commit hook, ``scan``, history, CI, the detect-secrets plugin) calls
:func:`scan_bytes`. It works on bytes so that the cheap prefilter (a table translate and a
substring search) runs before anything is decoded, and so that invalid UTF-8 costs nothing.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from binance_guard.detection import heuristics
from binance_guard.detection.context import (
    CALL_LOOKBACK_LINES,
    LOOKBEHIND,
    SECTION_LOOKBACK_LINES,
    BinanceContext,
    Proximity,
    Role,
    Slot,
    classify_name,
    enclosing_calls,
    label_role,
    name_words,
    names_credentials,
    names_service,
    object_fields,
    role_of,
    section_names,
    slot_of,
)
from binance_guard.detection.patterns import (
    ALLOWLIST_NEXTLINE_RE,
    ARMOR_BEGIN_RE,
    ARMOR_END_RE,
    ARMOR_MAX_BODY,
    ARMOR_MAX_SPAN,
    BINANCE_SECRET_NAME_RE,
    EC_OID_B64,
    ED25519_PKCS8_DER,
    ED25519_PKCS8_PREFIX,
    ESCAPED_NEWLINE_RE,
    EXAMPLE_KEY_FINGERPRINTS,
    EXAMPLE_KEY_SOURCES,
    EXAMPLE_PRIVATE_KEY_SOURCES,
    FRAMEWORK_OBJECTS,
    FRAMEWORK_SECRET_NAMES,
    GENERIC_VALUE_NAMES,
    NOT_BASE64_RE,
    PEM_HEADER_RE,
    PEM_PLACEHOLDER_RE,
    PRIVATE_KEY_LABEL_RE,
    QUOTE_MARKS_RE,
    RSA_OID_B64,
    STRING_JOIN_RE,
    TOKEN_SIGNING_MARKERS,
    VENDORED_DIR_RE,
    WALLET_KEY_WORDS,
    WALLET_MARKERS_RE,
    WEB_FRAMEWORK_MARKERS,
    is_secret_word,
    marks_allowed,
)
from binance_guard.detection.prefilter import (
    ARMOR_MARKER,
    BARE_ED25519_MARKER,
    BARE_RSA_MARKER,
    BARE_RSA_OFFSET,
    ENCODED_PADDING,
    ESCAPES,
    KEY_LENGTH,
    alnum_runs,
    key_markers,
    key_runs,
    wide_codec,
)
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
from binance_guard.record import record
from binance_guard.regex import compile_later

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    from collections.abc import Container, Iterator

PAIR_DISTANCE = 3
# Candidates after a key that may be its secret: a few lines of code hold a handful; a line
# of thousands (a data dump) must not make pairing quadratic.
PAIR_LOOKAHEAD = 32
# How far above an unnamed value its label (a form field's caption, a table header) may be.
LABEL_LINES = 16
LABEL_BYTES = 2048
LABEL_LINE_MAX = 256
# A file this large whose lines average this many bytes is minified, not written by hand.
MINIFIED_MIN_BYTES = 20_000
MINIFIED_LINE = 1_000
_BASE64_EXTENDERS = frozenset("+/")
# Not string.ascii_letters: importing string costs ~0.4 ms of a blocked commit.
_BASE64_BODY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
# Characters after a bare body that would make it part of a longer token (padding included).
_BASE64_ANY = _BASE64_BODY | {"="}
_TOKEN_JOINERS = frozenset("-_.")
# What surrounds a value alone on a line of markup: tags, table bars, quotes, backticks.
_MARKUP = " \t|`'\"<>/{},;*"
_TAG_RE = compile_later(r"<[^<>]*>")
_INDENT_MAX = 64
COMMENT_LEADS = ("#", "//", ";", "--", "*", "'")
WRAPPED_WALK = 8  # lines looked at each way: 7 in 8 lines of a blob are no whole key
COMMENT_GAP = 16  # blanks between a comment mark and a value alone behind it
PASTED_VALUES_MAX = 4  # a key and its secret, or two such pairs, pasted one a line
_FENCES = ("```", "~~~")
CAPTION_GAP = 2  # blank lines between a caption and the values under it
SERVICE_ACCOUNT_LOOKBACK = 512
API_NAME_WORDS = frozenset({"api", "apikey", "apisecret", "apikeys", "binance"})
_WALLET_SIGNS = "0x, bnb1 or bva1 addresses, web3, a BNB Chain node or SDK, a chain named here"


@record()
class _Candidate:
    value: str
    offset: int
    column: int
    role: Role | None
    slot: Slot
    proximity: Proximity
    hex_only: bool
    reasons: list[str]
    confidence: int = -1
    partner: _Candidate | None = None
    line: int = 0  # counted once it is known to be reported


class _Text:
    """Lines of one buffer, found around offsets on demand: splitting a large file into lines
    up front costs more than everything else the scanner does with it. Offsets are asked for
    in ascending order, so what is known about the current line (bounds, decoded text, last
    column, allowlist pragma) is kept: many candidates on one long line cost it once."""

    def __init__(self, data: bytes, inline_allow: bool = True) -> None:
        self.data = data
        self.inline_allow = inline_allow
        self._mark = (0, 1)  # an offset and its line number, to count forward from
        self._line = (0, -1)  # bounds of the current line
        self._column = (0, 1)  # an offset on the current line and its column
        self._text: str | None = None
        self._stripped: str | None = None
        self._allowlisted: bool | None = None

    def line_number(self, offset: int) -> int:
        pos, number = self._mark
        if offset < pos:
            pos, number = 0, 1
        number += self.data.count(b"\n", pos, offset)
        self._mark = (offset, number)
        return number

    def _bounds(self, offset: int) -> tuple[int, int]:
        end = self.data.find(b"\n", offset)
        return self.data.rfind(b"\n", 0, offset) + 1, len(self.data) if end == -1 else end

    def bounds(self, offset: int) -> tuple[int, int]:
        """Bounds of the line holding ``offset``, which becomes the current line."""
        start, end = self._line
        if not start <= offset <= end:
            self._line = start, end = self._bounds(offset)
            self._column = (start, 1)
            self._text = self._stripped = self._allowlisted = None
        return start, end

    def _decode(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", "replace").rstrip("\r")

    def line_at(self, offset: int) -> str:
        """The current line's text, or another line's (decoded each time)."""
        start, end = self._line
        if not start <= offset <= end:
            return self._decode(*self._bounds(offset))
        if self._text is None:
            self._text = self._decode(start, end)
        return self._text

    def stripped(self, offset: int) -> str:
        """The line holding ``offset`` without its blanks, made once a line: candidates on one
        long line ask for it again and again."""
        if self._stripped is None or not self._line[0] <= offset <= self._line[1]:
            self.bounds(offset)
            self._stripped = self.line_at(offset).strip()
        return self._stripped

    def holds_only(self, offset: int, value: str) -> bool:
        """Whether the line holding ``offset`` is ``value`` between blanks."""
        return self.stripped(offset) == value

    def previous_line_start(self, offset: int) -> int | None:
        start = self._bounds(offset)[0]
        return self._bounds(start - 1)[0] if start else None

    def next_line_start(self, offset: int) -> int | None:
        end = self._bounds(offset)[1]
        return end + 1 if end < len(self.data) else None

    def window(self, offset: int) -> bytes:
        """The LOOKBEHIND bytes before ``offset``: the most the slot of a value is looked
        for in."""
        return self.data[max(0, offset - LOOKBEHIND) : offset]

    def window_before(self, offset: int) -> tuple[str, list[str]]:
        return _lines_before(self.window(offset))

    def column_of(self, offset: int) -> int:
        """1-based column in characters, counted on from the last one asked for on the line."""
        start, _ = self.bounds(offset)
        pos, column = self._column
        if offset < pos:
            pos, column = start, 1
        # Offsets asked for start ASCII characters, so the pieces split no UTF-8 sequence.
        column += len(self.data[pos:offset].decode("utf-8", "replace"))
        self._column = (offset, column)
        return column

    def is_allowlisted(self, offset: int) -> bool:
        """detect-secrets' inline pragmas, on the line or as ``nextline`` on the one before,
        and the other scanners' markers on the line."""
        start, _ = self.bounds(offset)
        if not self.inline_allow:
            return False
        if self._allowlisted is None:
            line = self.line_at(start)
            before = self.previous_line_start(start)
            self._allowlisted = marks_allowed(line) or (
                before is not None and bool(ALLOWLIST_NEXTLINE_RE.search(self.line_at(before)))
            )
        return self._allowlisted


def scan_bytes(
    data: bytes,
    path: str,
    lines: Container[int] | None = None,
    *,
    prefiltered: tuple[list[int], list[int]] | None = None,
    markers: tuple[bool, bool] | None = None,
    inline_allow: bool = True,
) -> list[Finding]:
    """Findings in ``data``; with ``lines``, only those starting on these line numbers.
    ``prefiltered``: ``key_runs(data)``, when the caller has them already (the prefilter's
    ``candidate_runs``); ``markers``: ``key_markers(data)``, likewise. ``inline_allow``
    False: inline allow comments are not honoured (ci shows what a change allows that way).

    Context (Binance words, the partner of a pair) is always taken from the whole buffer,
    so a hook that reports only added lines still sees the import at the top of the file.
    """
    codec = wide_codec(data)
    if codec is not None:
        # Every front end hands its bytes here, so UTF-16/32 is read alike by all: as UTF-8.
        decoded = data.decode(codec, "replace").encode("utf-8", "surrogateescape")
        if lines is not None and decoded.count(b"\n") != data.count(b"\n"):
            lines = _text_lines(data, codec, lines)
        data = decoded
        prefiltered = markers = None  # those of the undecoded bytes
    runs, encoded = key_runs(data) if prefiltered is None else prefiltered
    private, bare = key_markers(data) if markers is None else markers
    escaped = [offset for offset in runs if _escape_before(data, offset)]
    unescaped: list[tuple[int, int, str]] = []
    if escaped:
        data, unescaped = _unescaped(data, escaped)
        runs, encoded = key_runs(data)
    has_key = private or bare
    if not runs and not encoded and not has_key:
        return []
    context = BinanceContext(data, path)
    if not context.in_file and not context.in_path and _looks_generated(data):
        # A minified bundle or generated file with no Binance word: its key-shaped runs are
        # hashes and identifiers, and at best low; skip them without reading any line.
        runs = encoded = []
        if not has_key:
            return []
    if not context.in_file and b"ecret" not in data and b"ECRET" not in data:
        # A hex value is only a key next to a Binance word, or (low) as a secret with its key:
        # lock files full of sha256 digests, which never say "secret", stop here, before any
        # line is decoded.
        runs = [r for r in runs if not heuristics.is_hex(data[r : r + KEY_LENGTH].decode())]
        if not runs and not encoded and not has_key:
            return []
    text = _Text(data, inline_allow)
    # Armour matters to a private key, or to a value inside a block (a certificate's line).
    armor = _armor_spans(data) if has_key or _armor_near(data, [*runs, *encoded]) else []

    findings = list(_private_keys(data, text, path, context, armor))
    if bare:
        findings.extend(_bare_ed25519_keys(data, text, path, context, armor))
        findings.extend(_bare_rsa_keys(data, text, path, context, armor))
    identifiers: set[str] = set()
    candidates = list(
        _hmac_candidates(data, runs, encoded, text, context, armor, path, identifiers)
    )
    if unescaped:
        from bisect import bisect_right  # only here: ~0.2 ms of a blocked commit otherwise

        starts = [start for start, _, _ in unescaped]
        for cand in candidates:
            start, end, reason = unescaped[max(0, bisect_right(starts, cand.offset) - 1)]
            if start <= cand.offset < end:
                cand.reasons.insert(0, reason)
    candidates = _named_elsewhere(candidates, identifiers)
    _pair(candidates, data)
    for cand in candidates:
        if cand.confidence >= 0:  # a partner has its pair's confidence, so its line too
            cand.line = text.line_number(cand.offset)
    for cand in candidates:
        finding = _to_finding(cand, path)
        if finding is not None:
            findings.append(finding)

    findings = [f for f in findings if lines is None or f.line in lines]
    findings.sort(key=lambda f: (f.line, f.column))
    return findings


# The escapes key_runs finds before a key (prefilter.ESCAPES), decoded on its line; a newline's
# stays, so lines keep their numbers; so does a \u escape of a UTF-16 surrogate.
_ESCAPE_RE = compile_later(rb"%([0-9A-Fa-f]{2})|\\x([0-9A-Fa-f]{2})|\\u([0-9A-Fa-f]{4})")
_ESCAPE_REASONS = {
    "%": "URL-encoded (the %XX escapes of its line decoded)",
    "x": "escaped (the \\xXX escapes of its line decoded)",
    "u": "JSON-escaped (the \\uXXXX escapes of its line decoded)",
}


def _escape_before(data: bytes, offset: int) -> str | None:
    """The escape key_runs found a run behind (``apiKey%3D<key>``, ``\\u0022<key>``): a plain
    run never follows an alphanumeric."""
    if not offset or not chr(data[offset - 1]).isalnum():
        return None
    for before, letter, digits in ESCAPES:
        lead = offset - digits - len(letter) - 1
        if lead >= 0 and data[lead : offset - digits] == before + letter:
            return (letter or before).decode()
    return None


def _unescape(match: re.Match[bytes]) -> bytes:
    code = int(match.group(match.lastindex or 0), 16)
    if code in (0x0A, 0x0D) or 0xD800 <= code < 0xE000:
        return match.group(0)
    return chr(code).encode("utf-8") if match.group(3) else bytes((code,))


def _unescaped(data: bytes, offsets: list[int]) -> tuple[bytes, list[tuple[int, int, str]]]:
    """``data`` with the escapes decoded on the lines holding an escaped key, so its name and
    quotes read as usual; and the spans of those lines in the result with the reason each
    gives (columns on those lines are the decoded line's)."""
    parts: list[bytes] = []
    spans: list[tuple[int, int, str]] = []
    done = size = 0
    for offset in offsets:
        if offset < done:
            continue  # on the line decoded already
        start = data.rfind(b"\n", done, offset) + 1
        end = data.find(b"\n", offset)
        end = len(data) if end == -1 else end
        line = _ESCAPE_RE.sub(_unescape, data[start:end])
        parts += (data[done:start], line)
        size += start - done
        spans.append((size, size + len(line), _ESCAPE_REASONS[_escape_before(data, offset) or "%"]))
        size += len(line)
        done = end
    parts.append(data[done:])
    return b"".join(parts), spans


def _lines_before(window: bytes) -> tuple[str, list[str]]:
    """The line a window ends on and up to CALL_LOOKBACK_LINES lines above it."""
    lines = window.split(b"\n")
    previous = [
        line.decode("utf-8", "replace").rstrip("\r")
        for line in lines[-CALL_LOOKBACK_LINES - 1 : -1]
    ]
    return lines[-1].decode("utf-8", "replace"), previous


# Values judged by their window and by themselves, each once per process: the versions of a
# file in a history put the same values after the same lines (python-binance: 2,274 values
# judged in 811 versions of a few files, after 309 distinct windows). A window is at most
# LOOKBEHIND bytes.
JUDGED = 2048


@lru_cache(maxsize=JUDGED)
def _slot_after(window: bytes) -> tuple[Slot, Role | None]:
    """The slot and role of a value that follows ``window``."""
    before, previous = _lines_before(window)
    slot = slot_of(before, len(before), previous)
    return slot, role_of(slot)


@lru_cache(maxsize=JUDGED)
def _value_verdict(value: str) -> tuple[bool, str] | None:
    """(whether it is hex only, the reason it may be a key) for a value that may be a key by
    its characters; None for one that is not (a placeholder, words, low entropy)."""
    if heuristics.is_hex(value):
        if heuristics.is_placeholder(value):
            return None
        return True, "hex-only value (Binance futures-testnet key shape)"
    if heuristics.random_key_verdict(value) is not None:
        return None
    entropy = heuristics.shannon_entropy(value)
    return False, f"random-looking: {entropy:.1f} bits/char, mixed case and digits"


def _looks_generated(data: bytes) -> bool:
    """Minified (lines of thousands of characters on average) or marked as generated."""
    head = data[:2048]
    if b"@generated" in head or b"DO NOT EDIT" in head or b"Code generated" in head:
        return True
    return len(data) > MINIFIED_MIN_BYTES and data.count(b"\n") * MINIFIED_LINE < len(data)


def _text_lines(raw: bytes, codec: str, git_lines: Container[int]) -> set[int]:
    """The text lines holding one of ``git_lines``. Git numbers lines by their b"\\n" bytes,
    and in UTF-16/32 characters other than the newline hold one too (上 is 0A 4E)."""
    width = 4 if codec.startswith("utf-32") else 2
    big = codec.endswith("-be") or raw.startswith((b"\xfe\xff", b"\0\0\xfe\xff"))
    newline = "\n".encode(f"utf-{8 * width}-{'be' if big else 'le'}")
    text_lines = {1} if 1 in git_lines else set()
    text_line, git_line = 1, 1
    pos = raw.find(b"\n")
    while pos != -1:
        git_line += 1
        unit = pos - width + 1 if big else pos  # where the code unit holding this byte starts
        if unit % width == 0 and raw[unit : unit + width] == newline:
            text_line += 1
        if git_line in git_lines:
            text_lines.add(text_line)
        pos = raw.find(b"\n", pos + 1)
    return text_lines


def _in_armor(armor: list[tuple[int, int, str, str]], starts: list[int], offset: int) -> bool:
    """Whether ``offset`` lies in one of the ``armor`` blocks (sorted; ``starts``: where each
    begins). bisect is imported only for a file that has one (~0.2 ms of a blocked commit)."""
    if not armor:
        return False
    from bisect import bisect_right

    block = bisect_right(starts, offset) - 1
    return block >= 0 and offset < armor[block][1]


def _armor_spans(data: bytes) -> list[tuple[int, int, str, str]]:
    """PEM/PGP blocks, each ending at the first END of its label within ARMOR_MAX_BODY: looked
    up among the END lines found once, where a lazy regex rescanned that far after each BEGIN
    that has no END."""
    from bisect import bisect_left

    decoded = data.decode("latin-1")  # 1:1 with byte offsets
    ends: dict[str, list[int]] = {}
    for marker in _matches_at(decoded, "-----END ", ARMOR_END_RE):
        ends.setdefault(marker.group(1), []).append(marker.start())
    spans: list[tuple[int, int, str, str]] = []
    for begin in _matches_at(decoded, ARMOR_MARKER.decode(), ARMOR_BEGIN_RE):
        label, body_start = begin.group(1), begin.end(1) + 5
        if spans and begin.start() < spans[-1][1]:
            continue  # inside the block just found
        candidates = ends.get(label, [])
        index = bisect_left(candidates, body_start)
        if index < len(candidates) and candidates[index] - body_start <= ARMOR_MAX_BODY:
            body_end = candidates[index]
            end = body_end + len(f"-----END {label}-----")
            spans.append((begin.start(), end, label, decoded[body_start:body_end]))
    return spans


def _armor_near(data: bytes, offsets: list[int]) -> bool:
    """Whether an armour block may hold one of ``offsets``: a "-----BEGIN " at most a block's
    length before one. The stretches before the offsets are each searched once, where a
    search of the whole of python-binance's client.py for the marker cost more than all the
    rest of its scan."""
    searched = 0  # where the last stretch ended
    for offset in sorted(offsets):
        start = max(offset - ARMOR_MAX_SPAN, searched - len(ARMOR_MARKER) + 1, 0)
        if data.find(ARMOR_MARKER, start, offset) != -1:
            return True
        searched = offset
    return False


def _matches_at(text: str, literal: str, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern that matches only where ``literal`` starts:
    a lookahead pattern is tried at every position (~0.1 GB/s), the literal found at ~2."""
    pos = text.find(literal)
    while pos != -1:
        match = pattern.match(text, pos)
        if match is not None:
            yield match
        pos = text.find(literal, pos + 1)


def _private_keys(
    data: bytes,
    text: _Text,
    path: str,
    context: BinanceContext,
    armor: list[tuple[int, int, str, str]],
) -> Iterator[Finding]:
    for start, _end, label, quoted_body in armor:
        raw_body = QUOTE_MARKS_RE.sub("", quoted_body)
        label_match = PRIVATE_KEY_LABEL_RE.match(label)
        if not label_match or PEM_PLACEHOLDER_RE.search(raw_body) or text.is_allowlisted(start):
            continue
        lines = ESCAPED_NEWLINE_RE.sub("\n", STRING_JOIN_RE.sub("", raw_body))
        body = NOT_BASE64_RE.sub("", PEM_HEADER_RE.sub("", lines))
        if len(body) < 40 or not _is_base64(body):
            continue
        # OpenSSH keys and legacy encrypted ones ("Proc-Type: 4,ENCRYPTED") are not DER.
        raw_der = label_match.group(1) != "OPENSSH" and "Proc-Type:" not in raw_body
        if raw_der and not _der_complete(body):
            continue  # cut short or typed over in an example: not a key
        line = text.line_number(start)
        kind = label_match.group(1)
        algorithm = _algorithm(kind, body)
        pkcs8 = kind in (None, "ENCRYPTED")
        proximity = context.proximity(start)
        reasons = [f"PEM block '{label}' with a {len(body)}-character body"]
        service_account = _in_service_account(data, start)
        if service_account:
            reasons.append("inside a Google service-account JSON: that account's key")
        if pkcs8 and proximity > Proximity.NONE and not service_account:
            kind_name, confidence = PRIVATE_KEY, "high"
            reasons.append(f"PKCS#8 ({algorithm}) with Binance context ({proximity.name.lower()})")
        else:
            kind_name, confidence = GENERIC_PRIVATE_KEY, "medium"
            if not service_account:
                reasons.append(
                    "no Binance context: reported as a generic private key"
                    if pkcs8
                    else f"{kind} format (Binance takes PKCS#8 only): "
                    "reported as a generic private key"
                )
                vendored = _vendored(path)
                if vendored:
                    confidence = "low"
                    reasons.append(vendored)
        published = EXAMPLE_PRIVATE_KEY_SOURCES.get(fingerprint(body))
        if published is not None:
            reasons.append(f"public example published in {published}")
        yield Finding(
            type=kind_name,
            path=path,
            line=line,
            column=text.column_of(start),
            secret=f"-----BEGIN {label}-----\n{body}\n-----END {label}-----",
            confidence=Confidence(confidence),
            reasons=tuple(reasons),
            algorithm=algorithm,
            public_example=published is not None,
            published_in=published,
        )


def _vendored(path: str) -> str | None:
    """Why a generic private key under other people's code is low: a library's test key."""
    vendored = VENDORED_DIR_RE.search(path)
    if vendored is None:
        return None
    return (
        f"in vendored third-party code ({vendored.group(1)}/): a library's test key, not this "
        "repository's"
    )


def _in_service_account(data: bytes, start: int) -> bool:
    """A key under "private_key" of a Google service account (``"type": "service_account"``,
    ``"private_key_id"``) is Google's, however "binance" its project is named."""
    head = data[max(0, start - SERVICE_ACCOUNT_LOOKBACK) : start]
    return b'"private_key_id"' in head or b"service_account" in head


def _bare_ed25519_keys(
    data: bytes,
    text: _Text,
    path: str,
    context: BinanceContext,
    armor: list[tuple[int, int, str, str]],
) -> Iterator[Finding]:
    """Ed25519 PKCS#8 bodies written without their armour (``ED25519_KEY=MC4CAQAw…``): 64
    base64 characters that decode to the key's DER. Judged like the armoured key."""
    armor_starts = [start for start, _, _, _ in armor]
    pos = data.find(BARE_ED25519_MARKER)
    while pos != -1:
        end = pos + KEY_LENGTH
        body = data[pos:end].decode("latin-1")
        after = data[end : end + 1].decode("latin-1")
        before = data[pos - 1 : pos].decode("latin-1") if pos else ""
        if (
            not _in_armor(armor, armor_starts, pos)
            and len(body) == KEY_LENGTH
            and _BASE64_BODY.issuperset(body)
            and after not in _BASE64_ANY
            and before not in _BASE64_BODY
            and _is_ed25519_der(body)
            and not heuristics.is_placeholder(body[len(BARE_ED25519_MARKER) :])
            and not PEM_PLACEHOLDER_RE.search(body)
            and not text.is_allowlisted(pos)
        ):
            yield _bare_finding(body, pos, text, path, context, "ed25519")
        pos = data.find(BARE_ED25519_MARKER, pos + 1)


_BASE64_RUN_RE = compile_later(rb"[A-Za-z0-9+/]+={0,2}")


def _bare_rsa_keys(
    data: bytes,
    text: _Text,
    path: str,
    context: BinanceContext,
    armor: list[tuple[int, int, str, str]],
) -> Iterator[Finding]:
    """RSA PKCS#8 bodies written on one line without their armour (a .properties or .env
    value, ``BINANCE_PRIVATE_KEY=MIIEvQIBADAN…``): the whole base64 run from its "MII" must
    decode to one complete DER key. Each run is read once, so a line of markers stays linear."""
    armor_starts = [start for start, _, _, _ in armor]
    pos = data.find(BARE_RSA_MARKER)
    while pos != -1:
        start = pos - BARE_RSA_OFFSET
        whole = start >= 0 and data.startswith(b"MII", start)
        match = _BASE64_RUN_RE.match(data, start) if whole else None
        if match is None:
            pos = data.find(BARE_RSA_MARKER, pos + 1)
            continue
        body = match.group().decode("ascii")
        if (
            not _in_armor(armor, armor_starts, start)
            and data[start - 1 : start].decode("latin-1") not in _BASE64_BODY
            and data[match.end() : match.end() + 1] != b"="
            and _is_base64(body)
            and _der_complete(body)
            and not PEM_PLACEHOLDER_RE.search(body)
            and not text.is_allowlisted(start)
        ):
            yield _bare_finding(body, start, text, path, context, "rsa")
        pos = data.find(BARE_RSA_MARKER, match.end())


def _b64decode(text: str | bytes, *, validate: bool = False) -> bytes:
    """``base64.b64decode``, imported when first needed: ~0.6 ms (base64 and struct) that most
    scans, a blocked commit's included, never use."""
    import base64

    return base64.b64decode(text, validate=validate)


def _is_ed25519_der(body: str) -> bool:
    try:
        der = _b64decode(body, validate=True)
    except ValueError:  # binascii.Error is a ValueError
        return False
    return len(der) == 48 and der.startswith(ED25519_PKCS8_DER)


def _bare_finding(
    body: str, pos: int, text: _Text, path: str, context: BinanceContext, algorithm: str
) -> Finding:
    proximity = context.proximity(pos)
    shown = "Ed25519" if algorithm == "ed25519" else algorithm.upper()
    reasons = [f"an {shown} PKCS#8 body without its PEM armour"]
    before, previous = text.window_before(pos)
    name = slot_of(before, len(before), previous).name
    if name and classify_name(name) is Role.OTHER:
        kind_name, confidence = GENERIC_PRIVATE_KEY, "medium"
        reasons.append(f"named '{name}': another service's key, reported as a generic one")
    elif proximity > Proximity.NONE:
        kind_name, confidence = PRIVATE_KEY, "high"
        reasons.append(f"PKCS#8 ({algorithm}) with Binance context ({proximity.name.lower()})")
    else:
        kind_name, confidence = GENERIC_PRIVATE_KEY, "medium"
        reasons.append("no Binance context: reported as a generic private key")
        vendored = _vendored(path)
        if vendored:
            confidence = "low"
            reasons.append(vendored)
    published = EXAMPLE_PRIVATE_KEY_SOURCES.get(fingerprint(body))
    if published is not None:
        reasons.append(f"public example published in {published}")
    return Finding(
        type=kind_name,
        path=path,
        line=text.line_number(pos),
        column=text.column_of(pos),
        secret=f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----",
        confidence=Confidence(confidence),
        reasons=tuple(reasons),
        algorithm=algorithm,
        public_example=published is not None,
        published_in=published,
    )


def _der_complete(body: str) -> bool:
    """Whether the body decodes to one whole DER SEQUENCE, as every PKCS#1, PKCS#8 and SEC1
    key does: an example shortened or typed over ("MC4CAQAwasdf…") is not one."""
    der = _b64decode(body + "=" * (-len(body) % 4))
    if len(der) < 2 or der[0] != 0x30:
        return False
    size, start = der[1], 2
    if size & 0x80:
        count = size & 0x7F
        size, start = int.from_bytes(der[2 : 2 + count], "big"), 2 + count
    return start + size == len(der)


def _is_base64(body: str) -> bool:
    try:
        _b64decode(body + "=" * (-len(body) % 4), validate=True)
    except ValueError:  # binascii.Error is a ValueError
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
    encoded: list[int],
    text: _Text,
    context: BinanceContext,
    armor: list[tuple[int, int, str, str]],
    path: str,
    identifiers: set[str],
) -> Iterator[_Candidate]:
    """Candidates among the runs; the values named as a digest or identifier (a listenKey, a
    txId) are added to ``identifiers``."""
    armor_starts = [start for start, _, _, _ in armor]
    file_name = path.rsplit("/", 1)[-1]
    file_role = _file_role(file_name)
    web_framework: bool | None = None  # decided on the first SECRET_KEY seen
    token_signing = False  # ditto: "openssl rand -hex 32" for JWTs (FastAPI's recipe)
    binance_secret_named = False  # ditto: BINANCE_API_SECRET= elsewhere in the file
    wallet: bool | None = None  # decided on the first hex value named like a wallet's key
    items = [(offset, False) for offset in runs] + [(offset, True) for offset in encoded]
    items.sort()
    for offset, is_encoded in items:
        if _in_armor(armor, armor_starts, offset):
            continue
        if is_encoded:
            raw, value = _decoded(data, offset)
            if value is None or (offset and chr(data[offset - 1]) in _BASE64_EXTENDERS):
                continue
        else:
            if _is_part_of_longer_token(data, offset):
                continue
            raw = value = data[offset : offset + KEY_LENGTH].decode("ascii")
            if value.startswith(ED25519_PKCS8_PREFIX) and _is_ed25519_der(value):
                continue  # a bare Ed25519 private key, reported as one
        # Judged first: most values a history holds are dropped by their name alone (over
        # half of python-binance's are a listenKey or txId of its docstrings' examples).
        cand = _evaluate(value, offset, text, context, identifiers)
        if cand is None or text.is_allowlisted(offset):
            continue
        # Lines of key-shaped values in a file named for them (credentials.txt: a key, then
        # its secret) are those values, not a wrapped base64 blob.
        alone_in_named_file = file_role is not None and text.holds_only(offset, raw)
        if not alone_in_named_file and _in_wrapped_base64(text, offset, raw):
            continue
        if is_encoded:
            cand.reasons.insert(
                0, "base64-encoded once (a Kubernetes Secret's data, `echo key | base64`)"
            )
        elif cand.role is None and cand.proximity > Proximity.NONE:
            _label(cand, data, text, offset)
        if cand.role is None and alone_in_named_file:
            cand.role = file_role
            cand.reasons.insert(0, f"alone on a line of a file named '{file_name}'")
        if (
            cand.role in (Role.KEY, Role.SECRET, Role.CREDENTIAL)
            and cand.proximity > Proximity.NONE
            and "binance" not in (cand.slot.name or "").lower()
        ):
            _section_veto(cand, data, text, offset)
        framework_secret = _framework_secret(cand.slot.name)
        if framework_secret and web_framework is None:
            lowered = data.lower()
            web_framework = any(marker in lowered for marker in WEB_FRAMEWORK_MARKERS)
            token_signing = web_framework or any(m in lowered for m in TOKEN_SIGNING_MARKERS)
            binance_secret_named = BINANCE_SECRET_NAME_RE.search(lowered) is not None
        if framework_secret and (web_framework or (token_signing and cand.hex_only)):
            cand.role = Role.OTHER
            cand.reasons.insert(
                0, f"'{cand.slot.name}' of a web framework (Django, Flask, FastAPI, JWT signing)"
            )
        elif framework_secret and cand.hex_only and binance_secret_named:
            cand.role = Role.OTHER
            cand.reasons.insert(
                0,
                f"a hex '{cand.slot.name}' where the Binance secret has a name of its own",
            )
        if cand.hex_only and (_wallet_named(cand.slot.name) or _beside_mnemonic(cand, text)):
            if wallet is None:
                wallet = WALLET_MARKERS_RE.search(data) is not None
            if wallet:
                cand.role = Role.OTHER
                cand.reasons.insert(
                    0, f"'{cand.slot.name}' of a blockchain wallet ({_WALLET_SIGNS})"
                )
        yield cand


def _framework_secret(name: str | None) -> bool:
    """``SECRET_KEY``, or that attribute of a framework's object (Flask's ``app.secret_key``,
    ``settings.SECRET_KEY``); not ``client.secret_key``."""
    if name is None:
        return False
    owner, _, attribute = name.rpartition(".")
    return attribute in FRAMEWORK_SECRET_NAMES and (
        not owner or owner.rsplit(".", 1)[-1].lower() in FRAMEWORK_OBJECTS
    )


def _file_role(file_name: str) -> Role | None:
    """The role a file's name gives the bare values in it: credentials.txt, api_key, secret.txt.
    A file named for keys (api_key, keys.txt) holds a key and its secret as often as a key
    alone: like credentials.txt's, its values are typed by their order."""
    role = classify_name(file_name.split(".", 1)[0])
    if role in (Role.KEY, Role.CREDENTIAL):
        return Role.CREDENTIAL
    return role if role is Role.SECRET else None


def _decoded(data: bytes, offset: int) -> tuple[str, str | None]:
    """The base64 text at ``offset`` (with its padding) and the key it encodes, if it is one."""
    length = data.find(b"=", offset) - offset
    raw = data[offset : offset + length + len(ENCODED_PADDING.get(length, b""))].decode("ascii")
    try:
        plain = _b64decode(raw, validate=True).rstrip(b"\n")
    except ValueError:  # binascii.Error is a ValueError
        return raw, None
    if len(plain) != KEY_LENGTH or alnum_runs(plain) != [0]:
        return raw, None
    return raw, plain.decode("ascii")


def _label(cand: _Candidate, data: bytes, text: _Text, offset: int) -> None:
    """An unnamed value (alone on a line of markup, or ``value="…"``) takes its role from
    the labels above it, back to the previous key-shaped value."""
    start, end = text.bounds(offset)
    if cand.slot.name is None:
        # Alone on a line between tags, bars or quotes: a long line is code, data or minified.
        if end - start > LABEL_LINE_MAX:
            return
        if _TAG_RE.sub("", text.line_at(offset)).strip(_MARKUP) != cand.value:
            return  # code whose name we could not read is not markup
    elif cand.slot.name.lower() not in GENERIC_VALUE_NAMES:
        return
    if cand.hex_only:
        return  # a hex value needs its own key name: digests are printed under captions too
    lines = data[max(0, start - LABEL_BYTES) : start].split(b"\n")[:-1][-LABEL_LINES:]
    above = [line.decode("utf-8", "replace") for line in lines]
    for index in range(len(above) - 1, -1, -1):
        if alnum_runs(above[index].encode("utf-8", "surrogateescape")):
            above = above[index + 1 :]
            break
    labelled = label_role(above)
    if labelled is not None:
        cand.role, word = labelled
        cand.reasons.insert(0, f"labelled '{word}' in the lines above")


def _section_veto(cand: _Candidate, data: bytes, text: _Text, offset: int) -> None:
    """A generic ``api_key`` inside another exchange's block of a config (``"kucoin": {``,
    ``[bybit]``, ``"name": "Bitvavo"``, ``{"exchange": "Gate", …}`` on one line) is that
    exchange's key, however near a Binance block."""
    start, _ = text.bounds(offset)
    lines = data[max(0, start - LABEL_BYTES) : start].split(b"\n")[:-1][-SECTION_LOOKBACK_LINES:]
    above = [line.decode("utf-8", "replace").rstrip("\r") for line in lines]
    before, previous = text.window_before(offset)
    for call in enclosing_calls("\n".join([*previous, before])[-LOOKBEHIND:]):
        words = name_words(call)
        if "binance" in words:
            break
        if names_service(words) or "py3cw" in call.lower():
            # ccxt.kucoin({'apiKey': '…'}), BybitClient(api_key='…'), 3Commas' Py3CW(key='…');
            # not db.insert({…}).
            cand.role = Role.OTHER
            cand.reasons.insert(
                0, f"inside '{call}': another service's secret, not a Binance credential"
            )
            return
    fields = object_fields(before, generic=not _api_named(cand.slot.name))
    for name in [*fields, *section_names(above, text.line_at(offset))]:
        if "binance" in name.lower():
            return
        if classify_name(name) is Role.OTHER:
            cand.role = Role.OTHER
            cand.reasons.insert(
                0, f"inside '{name}': another service's secret, not a Binance credential"
            )
            return


def _api_named(name: str | None) -> bool:
    """Named as an API credential (api_key, apiSecret, binance_secret), not as a block's own
    secret, password or token."""
    return not API_NAME_WORDS.isdisjoint(name_words(name or ""))


def _is_part_of_longer_token(data: bytes, offset: int) -> bool:
    """Base64 (``+`` ``/``), JWT segments and dotted or dashed identifiers around the run."""
    before = chr(data[offset - 1]) if offset else ""
    end = offset + KEY_LENGTH
    after = chr(data[end]) if end < len(data) else ""
    if before == "/" and _after_comment_marker(data, offset):
        before = ""
    if before in _BASE64_EXTENDERS or after in _BASE64_EXTENDERS:
        return True
    if before in _TOKEN_JOINERS and offset >= 2 and chr(data[offset - 2]).isalnum():
        return True
    return after in _TOKEN_JOINERS and end + 1 < len(data) and chr(data[end + 1]).isalnum()


def _after_comment_marker(data: bytes, offset: int) -> bool:
    """``//<value>`` at the start of a line (after indentation): a commented-out value, not
    base64 around the run. Looked back at most a short indentation's length."""
    if data[max(0, offset - 2) : offset] != b"//":
        return False
    head = data[max(0, offset - 2 - _INDENT_MAX) : offset - 2]
    newline = head.rfind(b"\n")
    at_line_start = newline != -1 or offset - 2 <= _INDENT_MAX
    return at_line_start and not head[newline + 1 :].strip()


def _in_wrapped_base64(text: _Text, offset: int, value: str) -> bool:
    """A line that is just the value, next to other long base64 lines, is a wrapped blob;
    unless the lines are values pasted one a line (:func:`_pasted_values`)."""
    if not text.holds_only(offset, value):
        return _in_commented_base64(text, offset, value)
    for neighbour in (text.previous_line_start(offset), text.next_line_start(offset)):
        if neighbour is not None and _is_base64_line(text.line_at(neighbour).strip()):
            return not _pasted_values(text, offset)
    return False


def _is_base64_line(line: str) -> bool:
    """A long base64 line, or the short padded tail of a wrapped signature."""
    return (len(line) >= 40 or line.endswith("=")) and not NOT_BASE64_RE.search(line)


def _in_commented_base64(text: _Text, offset: int, value: str) -> bool:
    """``# <value>`` inside a blob wrapped in comments (PowerShell's ``# SIG # Begin
    signature block``, a certificate pasted after ``//``): a line of the same comment within
    WRAPPED_WALK lines holds base64 that is no key (a "+", "/" or "=", another length).
    Two commented lines that are both whole keys (``// <key>`` ``// <secret>``) stay keys."""
    line = text.stripped(offset)
    lead = next((mark for mark in COMMENT_LEADS if line.startswith(mark)), None)
    # Measured before it is cut: a copy of a long line for each of its candidates was
    # quadratic (a 4 MB line of Binance words: 0.5 s/MB against 0.15 at 1 MB).
    if lead is None or len(line) > len(lead) + COMMENT_GAP + len(value):
        return False
    if line[len(lead) :].strip() != value:
        return False
    for step in (text.previous_line_start, text.next_line_start):
        pos = step(offset)
        for _ in range(WRAPPED_WALK):
            if pos is None:
                break
            other = text.line_at(pos).strip()
            body = other[len(lead) :].strip()
            if not other.startswith(lead) or not _is_base64_line(body):
                break
            if len(body) != KEY_LENGTH or not body.isalnum():
                return True
            pos = step(pos)
    return False


def _pasted_values(text: _Text, offset: int) -> bool:
    """The line at ``offset`` is one of at most PASTED_VALUES_MAX lines, each exactly one
    64-character alphanumeric value, set apart as values: between a Markdown fence and its
    end, or under a caption naming keys or secrets ("Binance API key and secret:") with no
    base64 below. Base64 of binary data wrapped at 64 columns has a "+" or "/" on seven lines
    in eight and a shorter tail, and follows its field's name ("data: |"), not a caption."""
    count = 1
    ends: list[str | None] = []
    for upward, step in ((True, text.previous_line_start), (False, text.next_line_start)):
        pos = step(offset)
        while pos is not None and count <= PASTED_VALUES_MAX:
            line = text.line_at(pos).strip()
            if len(line) != KEY_LENGTH or not line.isascii() or not line.isalnum():
                break
            count += 1
            pos = step(pos)
        if count > PASTED_VALUES_MAX:
            return False
        ends.append(None if pos is None else text.line_at(pos).strip())
        if upward:
            for _ in range(CAPTION_GAP):  # a caption, a blank line, the values
                if pos is None or ends[0]:
                    break
                pos = step(pos)
                ends[0] = None if pos is None else text.line_at(pos).strip()
    above, below = ends
    if above is None:
        return False
    if above.startswith(_FENCES):
        return below is not None and below.startswith(_FENCES)
    if _is_base64_line(above) or (below is not None and _is_base64_line(below)):
        return False  # the block is part of a blob ("...Sec..." spells no caption)
    return names_credentials(above)


def _evaluate(
    value: str, offset: int, text: _Text, context: BinanceContext, identifiers: set[str]
) -> _Candidate | None:
    """Judge a value from its text, the line up to it and the lines above; its column and the
    Binance words around it are looked up only for one that passes. One named as a digest
    or identifier is added to ``identifiers``."""
    slot, role = _slot_after(text.window(offset))
    if role is Role.NEGATIVE:
        identifiers.add(value)
        return None
    verdict = _value_verdict(value)
    if verdict is None:
        return None
    hex_only, shape = verdict
    proximity = context.proximity(offset)
    reasons = []
    if role is Role.OTHER:
        reasons.append(f"named '{slot.name}': another service's secret, not a Binance credential")
    elif slot.name:
        reasons.append(f"assigned to '{slot.name}'")
    elif slot.call is not None or slot.index is not None:
        where = f"'{slot.call}(...)'" if slot.call else "a list"
        reasons.append(f"argument {slot.index + 1 if slot.index is not None else '?'} of {where}")
    if proximity > Proximity.NONE:
        reasons.append(f"Binance context: {_PROXIMITY_WORDS[proximity]}")
    reasons.append(shape)
    return _Candidate(
        value=value,
        offset=offset,
        column=text.column_of(offset),
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
    if cand.role is Role.OTHER:
        return 0
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
        if _named_hex_pair(cand, own_role):
            # ApiKey := "<hex>" / SecretKey := "<hex>" far from the import, or in a settings
            # file that never says "binance": medium with the word in the file, else low.
            return 1 if cand.proximity is Proximity.FILE else 0
        return -1
    if cand.proximity >= Proximity.NEAR:
        return 2 if (named or positional or paired) else 1
    if cand.proximity is Proximity.FILE:
        if named or paired:
            return 2
        return 1 if positional else 0
    # No Binance word anywhere: a named value (or two, paired) is only ever low.
    return 0 if named else -1


def _wallet_named(name: str | None) -> bool:
    return name is not None and not WALLET_KEY_WORDS.isdisjoint(name_words(name))


def _beside_mnemonic(cand: _Candidate, text: _Text) -> bool:
    """``let mnemonic = "…"`` right above ``let key = "<hex>"``: the key the same wallet is
    made from, not an API key (one named as such, ``api_key``, ``secret``, stays one)."""
    words = name_words(cand.slot.name or "")
    if "api" in words or "binance" in words or any(is_secret_word(w) for w in words):
        return False
    _, previous = text.window_before(cand.offset)
    return any("mnemonic" in line.lower() for line in previous[-CALL_LOOKBACK_LINES:])


def _may_pair(cand: _Candidate) -> bool:
    """A hex value is only a key under its own key name or as a key-or-secret argument: one
    that is neither (``(stdin)= <hmac>`` under ``openssl dgst -hmac "<secret>"``) is a digest,
    and pairing it with the secret above would make it as strong as that secret."""
    if not cand.hex_only:
        return True
    if cand.slot.call is not None and cand.slot.index in (0, 1):
        return True
    return cand.slot.name is not None and classify_name(cand.slot.name) in (Role.KEY, Role.SECRET)


def _named_hex_pair(cand: _Candidate, own_role: Role | None) -> bool:
    """A hex key and a hex secret next to each other, each under its own key or secret name."""
    partner = cand.partner
    if partner is None or not partner.hex_only or not partner.slot.name:
        return False
    roles = {own_role, classify_name(partner.slot.name)}
    return roles == {Role.KEY, Role.SECRET}


def _named_elsewhere(candidates: list[_Candidate], identifiers: set[str]) -> list[_Candidate]:
    """A value written again without a name (a commented copy, a bare line under the
    assignment) is the credential it was named as where it was; or the listenKey or txId
    (``<pre>{listenKey}</pre>`` printed above ``String listenKey = "…"``), and dropped."""
    candidates = [c for c in candidates if c.role is not None or c.value not in identifiers]
    named: dict[str, _Candidate] = {}
    for cand in candidates:
        if cand.role in (Role.KEY, Role.SECRET, Role.CREDENTIAL):
            named.setdefault(cand.value, cand)
    for cand in candidates:
        first = named.get(cand.value) if cand.role is None else None
        if first is not None and first.role is not None:
            cand.role = first.role
            cand.reasons.insert(0, f"the same value as the {first.role.value} named elsewhere")
    return candidates


def _pair(candidates: list[_Candidate], data: bytes) -> None:
    """Match keys with secrets a few lines apart; a pair is one incident."""
    live = [c for c in candidates if c.role not in (Role.NEGATIVE, Role.OTHER) and _may_pair(c)]
    # Lines from each to the next, counted no further than pairing looks: most candidates
    # are never reported, and counting every line up to them cost a pass over the file.
    gaps = [_newlines(data, a.offset, b.offset) for a, b in itertools.pairwise(live)]
    for i, first in enumerate(live):
        if first.partner is not None:
            continue
        distance = 0
        for j in range(i + 1, min(len(live), i + 1 + PAIR_LOOKAHEAD)):
            distance += gaps[j - 1]
            if distance > PAIR_DISTANCE:
                break
            second = live[j]
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
        if cand.hex_only and cand.confidence >= 0 and cand.proximity < Proximity.NEAR:
            cand.reasons.append("a hex key and secret side by side, each under its own name")
    # A pair is only as strong as its stronger half: a secret on an unnamed line is still a
    # secret if the key right above it is a named Binance key.
    for cand in candidates:
        if cand.partner is not None:
            cand.confidence = max(cand.confidence, cand.partner.confidence)


def _newlines(data: bytes, start: int, end: int) -> int:
    """Newlines between ``start`` and ``end``, counted up to PAIR_DISTANCE + 1."""
    count = 0
    pos = data.find(b"\n", start, end)
    while pos != -1 and count <= PAIR_DISTANCE:
        count += 1
        pos = data.find(b"\n", pos + 1, end)
    return count


CONFIDENCES = tuple(Confidence)  # by rank: a candidate's confidence indexes it


def _type_of(cand: _Candidate) -> str:
    return SECRET_KEY if cand.role is Role.SECRET else API_KEY


def _to_finding(cand: _Candidate, path: str) -> Finding | None:
    if cand.confidence < 0:
        return None
    reasons = list(cand.reasons)
    published = EXAMPLE_KEY_SOURCES.get(cand.value) or EXAMPLE_KEY_FINGERPRINTS.get(
        fingerprint(cand.value)
    )
    if published is not None:
        reasons.append(f"public example published in {published}")
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
        confidence=CONFIDENCES[cand.confidence],
        reasons=tuple(reasons),
        public_example=published is not None,
        published_in=published,
        pair=pair,
    )
