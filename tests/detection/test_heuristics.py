"""Unit tests of the pieces under the scanner: the character statistics (measured here on
generated keys, as heuristics.py's docstring says), name and slot classification, the
prefilter's run finding, and the scanner on awkward bytes (binary, invalid UTF-8, CRLF,
non-ASCII text before a key)."""

from __future__ import annotations

import base64
import random
import statistics
import string

import pytest

from binance_guard.detection import heuristics
from binance_guard.detection.context import (
    Role,
    Slot,
    classify_name,
    name_words,
    role_of,
    slot_of,
)
from binance_guard.detection.patterns import NAME_PART_RE
from binance_guard.detection.prefilter import (
    BARE_ED25519_MARKER,
    BARE_RSA_MARKER,
    BINARY_SNIFF,
    PRIVATE_KEY_MARKER,
    alnum_runs,
    has_candidates,
    key_markers,
)
from binance_guard.detection.scanner import scan_bytes
from binance_guard.finding import Finding

ALNUM = string.ascii_letters + string.digits
SAMPLES = 4000


def _keys(seed: str, count: int, alphabet: str = ALNUM) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(alphabet, k=64)) for _ in range(count)]


KEYS = _keys("heuristics-keys", SAMPLES)
HEX_KEYS = _keys("heuristics-hex", SAMPLES, "0123456789abcdef")
K1, K2 = KEYS[0], KEYS[1]


def _mean_segment(value: str) -> float:
    return len(value) / len(NAME_PART_RE.findall(value))


def _blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.confidence != "low" and not f.public_example]


# --- thresholds, measured -----------------------------------------------------------------------


def test_every_generated_key_passes_the_random_key_verdict() -> None:
    assert [k for k in KEYS if heuristics.random_key_verdict(k) is not None] == []


def test_entropy_threshold_leaves_a_margin_below_random_keys() -> None:
    entropies = [heuristics.shannon_entropy(k) for k in KEYS]
    # The docstring's "5.0-5.6 bits/char" is the bulk; the tail reaches lower.
    assert 5.0 <= statistics.median(entropies) <= 5.6
    assert max(entropies) <= 5.6
    assert min(entropies) - heuristics.MIN_ENTROPY >= 0.25
    # A 64-character string cannot exceed log2(64) = 6 bits/char.
    assert heuristics.MIN_ENTROPY < min(entropies) < max(entropies) < 6.0


def test_distinct_symbol_threshold_leaves_a_margin() -> None:
    distinct = [len(set(k)) for k in KEYS]
    assert 30 <= statistics.median(distinct) <= 48
    assert min(distinct) - heuristics.MIN_DISTINCT >= 8


def test_word_segment_threshold_leaves_a_margin() -> None:
    segments = [_mean_segment(k) for k in KEYS]
    assert 1.4 <= statistics.median(segments) <= 3.4
    assert heuristics.MAX_MEAN_SEGMENT - max(segments) >= 0.5


def test_same_character_runs_in_random_keys_stay_under_the_limit() -> None:
    assert max(heuristics.longest_same_run(k) for k in KEYS) <= heuristics.MAX_SAME_RUN


def test_generated_keys_never_count_up() -> None:
    """The hand-typed-sequence test (a1b2c3…) leaves random keys, hex ones included, alone."""
    assert [k for k in KEYS + HEX_KEYS if heuristics.counts_up(k)] == []


def test_hex_testnet_keys_are_almost_never_taken_for_placeholders() -> None:
    """A run of 6 equal hex digits has p ~ 5e-5 per key: rare, and the only way in."""
    rejected = [k for k in HEX_KEYS if heuristics.is_placeholder(k)]
    assert len(rejected) <= SAMPLES // 1000
    assert all(heuristics.longest_same_run(k) > heuristics.MAX_SAME_RUN for k in rejected)
    assert all(heuristics.is_hex(k) for k in HEX_KEYS)


def test_word_identifiers_fall_on_the_other_side() -> None:
    identifiers = [
        "shouldReturnOrderBookSnapshotWhenDepthEndpointRespondsWithError1",
        "testThatOrderBookIsUpdatedCorrectlyWhenTheWebsocketReconnectsNow",
        "handleUserDataStreamBalanceUpdateAfterListenKeyExpiredOrRevoked2",
    ]
    for value in identifiers:
        assert len(value) == 64
        assert heuristics.random_key_verdict(value) == "identifier made of words"


@pytest.mark.parametrize(
    ("value", "verdict"),
    [
        ("x" * 64, "placeholder (repeated or sequential characters)"),
        ("0" * 64, "placeholder (repeated or sequential characters)"),
        ((ALNUM + ALNUM)[:64], "placeholder (repeated or sequential characters)"),
        ("Kq7" + "0123456789" + "Zp" * 25 + "Q", "placeholder (repeated or sequential characters)"),
        (("YourApiKey" * 7)[:64], "placeholder (repeated or sequential characters)"),
        ("abcd1234" * 8, "placeholder (repeated or sequential characters)"),
        (K1[:58] + "aaaaaa", "placeholder (repeated or sequential characters)"),
        # One character class is one "word" to the segmenter: caught before the class check.
        (
            "".join(random.Random(1).choices(string.ascii_lowercase, k=64)),
            "identifier made of words",
        ),
        (
            "".join(random.Random(2).choices(string.ascii_uppercase, k=64)),
            "identifier made of words",
        ),
        ("".join(random.Random(4).choices(string.digits, k=64)), "identifier made of words"),
        ("".join(random.Random(3).choices("aBcD1234eFgH", k=64)), "too few distinct characters"),
    ],
)
def test_random_key_verdict_reasons(value: str, verdict: str) -> None:
    assert len(value) == 64
    assert heuristics.random_key_verdict(value) == verdict


def test_entropy_and_runs_on_known_values() -> None:
    assert heuristics.shannon_entropy("a" * 64) == 0
    assert heuristics.shannon_entropy("ab" * 32) == pytest.approx(1.0)
    assert heuristics.shannon_entropy(ALNUM + "+/") == pytest.approx(6.0)
    assert heuristics.longest_same_run("a") == 1
    assert heuristics.longest_same_run("abbbcc") == 3
    assert heuristics.is_hex("0123456789abcdefABCDEF")
    assert not heuristics.is_hex("0123456789abcdefg")


def test_is_binary_sniffs_only_the_head() -> None:
    assert heuristics.is_binary(b"PK\x03\x04\x00\x00")
    assert not heuristics.is_binary(b"BINANCE_API_KEY=" + K1.encode())
    assert not heuristics.is_binary(b"a" * BINARY_SNIFF + b"\x00")


# --- names and slots ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("BINANCE_API_KEY", ["binance", "api", "key"]),
        ("apiSecret", ["api", "secret"]),
        ("X-MBX-APIKEY", ["x", "mbx", "apikey"]),
        ("binance.api.key", ["binance", "api", "key"]),
        ("FREQTRADE__EXCHANGE__KEY", ["freqtrade", "exchange", "key"]),
        ("HTTPServerKey2", ["http", "server", "key", "2"]),
        ("", []),
    ],
)
def test_name_words(name: str, words: list[str]) -> None:
    assert name_words(name) == words


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("BINANCE_API_KEY", Role.KEY),
        ("apiKey", Role.KEY),
        ("APIKEY", Role.KEY),
        ("key", Role.KEY),
        ("X-MBX-APIKEY", Role.KEY),
        ("binance_perpetual_api_key", Role.KEY),
        ("FREQTRADE__EXCHANGE__KEY", Role.KEY),
        ("BINANCE_API_SECRET", Role.SECRET),
        ("BINANCE_SECRET_KEY", Role.SECRET),
        ("secretKey", Role.SECRET),
        ("APISECRET", Role.SECRET),
        ("secret", Role.SECRET),
        ("private_key", Role.SECRET),
        ("token", Role.CREDENTIAL),
        ("password", Role.CREDENTIAL),
        ("ApiCredentials", Role.CREDENTIAL),
        ("listenKey", Role.NEGATIVE),
        ("listen_key", Role.NEGATIVE),
        ("signature", Role.NEGATIVE),
        ("api_key_hash", Role.NEGATIVE),
        ("sha256", Role.NEGATIVE),
        ("checksum", Role.NEGATIVE),
        ("txId", Role.NEGATIVE),
        ("clientOrderId", Role.NEGATIVE),
        ("user_stream", Role.NEGATIVE),
        ("commit", Role.NEGATIVE),
        ("Client", None),
        ("hmac", Role.SECRET),  # openssl dgst -sha256 -hmac "<secret key>"
        ("JWT_SECRET", Role.OTHER),
        ("SESSION_SECRET", Role.OTHER),
        ("WEBHOOK_SECRET", Role.OTHER),
        ("DB_PASSWORD", Role.OTHER),
        ("KUCOIN_API_SECRET", Role.OTHER),
        ("binance_webhook_secret", Role.OTHER),
        ("data", None),
        ("", None),
        ("___", None),
    ],
)
def test_classify_name(name: str, role: Role | None) -> None:
    assert classify_name(name) is role


@pytest.mark.parametrize(
    ("before", "previous", "slot"),
    [
        ('api_key = "', [], Slot(name="api_key")),
        ("API_KEY='", [], Slot(name="API_KEY")),
        ('    "key": "', [], Slot(name="key")),
        ("  apiKey: '", [], Slot(name="apiKey")),
        ("BINANCE_API_KEY=", [], Slot(name="BINANCE_API_KEY")),
        ('export BINANCE_SECRET_KEY="', [], Slot(name="BINANCE_SECRET_KEY")),
        ('set "BINANCE_API_SECRET=', [], Slot(name="BINANCE_API_SECRET")),
        ('$env:BINANCE_API_KEY = "', [], Slot(name="BINANCE_API_KEY")),
        ("ENV BINANCE_API_SECRET ", [], Slot(name="BINANCE_API_SECRET")),
        ('curl -H "X-MBX-APIKEY: ', [], Slot(name="X-MBX-APIKEY")),
        ("https://api.binance.com/x?apiKey=", [], Slot(name="apiKey")),
        ("python bot.py --api-key ", [], Slot(name="api-key")),
        ("'api_key' => '", [], Slot(name="api_key")),
        ('apiKey := "', [], Slot(name="apiKey")),
        ('public static final String SECRET_KEY = "', [], Slot(name="SECRET_KEY")),
        ("    '", ["api_secret = ("], Slot(name="api_secret")),
        ('client = Client("', [], Slot(call="Client", index=0)),
        ('client = Client("AAA", "', [], Slot(call="Client", index=1)),
        ('client = Client(api_key, "', [], Slot(call="Client", index=1)),
        ('    "', ["client = Client(", '    "AAA",'], Slot(call="Client", index=1)),
        ('    "client = Client(\\"', [], Slot(call="Client", index=0)),
        ('new ApiCredentials("', [], Slot(call="ApiCredentials", index=0)),
        ('f(g(1, 2), "', [], Slot(call="f", index=1)),
        ('keys = ["a", "', [], Slot(index=1)),
        ("", [], Slot()),
    ],
)
def test_slot_of(before: str, previous: list[str], slot: Slot) -> None:
    line = before + K1
    assert slot_of(line, len(before), previous) == slot


def test_slot_of_looks_back_only_a_few_lines() -> None:
    previous = ["client = Client(", "", "", "", ""]
    assert slot_of(f'    "{K1}",', 5, previous) == Slot()


@pytest.mark.parametrize(
    ("slot", "role"),
    [
        (Slot(name="api_secret"), Role.SECRET),
        (Slot(call="Client", index=0), Role.KEY),
        (Slot(call="Client", index=1), Role.SECRET),
        (Slot(call="Client", index=2), None),
        (Slot(call="hashlib.sha256", index=0), Role.NEGATIVE),
        (Slot(call="verify_signature", index=1), Role.NEGATIVE),
        (Slot(index=0), None),
        (Slot(), None),
    ],
)
def test_role_of(slot: Slot, role: Role | None) -> None:
    assert role_of(slot) is role


# --- prefilter: runs of exactly 64 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "starts"),
    [
        (b"", []),
        (b"a" * 63, []),
        (b"a" * 64, [0]),
        (b"a" * 65, []),
        (b"a" * 128, []),
        (b" " + b"a" * 63 + b" ", []),
        (b" " + b"a" * 64 + b" ", [1]),
        (b" " + b"a" * 65 + b" ", []),
        (b"a" * 64 + b"\n", [0]),  # at the start of the buffer
        (b"x=" + b"a" * 64, [2]),  # at the end of the buffer
        (b"a" * 64 + b"-" + b"b" * 64, [0, 65]),  # one separator between two runs
        (b"a" * 64 + b"\xc3\xa9" + b"b" * 63, [0]),  # non-ASCII bytes end a run
        (b"\xff" + b"Z9" * 32 + b"\xfe", [1]),
        (b"_" + b"a" * 64 + b"_", [1]),  # "_" is not alphanumeric for the prefilter
        (b"a" * 63 + b"\x00" + b"a" * 64, [64]),
    ],
)
def test_alnum_runs(data: bytes, starts: list[int]) -> None:
    assert alnum_runs(data) == starts
    assert has_candidates(data) == bool(starts)


def test_alnum_runs_with_the_real_alphabet() -> None:
    data = b"\n".join(k.encode() for k in KEYS[:50])
    assert alnum_runs(data) == [65 * i for i in range(50)]
    assert has_candidates(b"-----BEGIN PRIVATE KEY-----\n")


# --- the scanner on awkward bytes ---------------------------------------------------------------


def test_binary_data_does_not_break_the_scanner() -> None:
    rng = random.Random("binary")
    for _ in range(200):
        blob = rng.randbytes(rng.randrange(0, 4000))
        assert isinstance(scan_bytes(blob, "blob.bin"), list)
    # Key-shaped runs inside binary junk: judged, never a crash.
    blob = rng.randbytes(500) + b"\x00binance\x00" + K1.encode() + b"\x00" + rng.randbytes(500)
    for finding in scan_bytes(blob, "blob.bin"):
        assert finding.line >= 1 and finding.column >= 1


def test_invalid_utf8_around_a_key() -> None:
    data = (
        b"\xff\xfe# binance \xc3\n"
        b"\x80\x81 api_key = '" + K1.encode() + b"' \xe2\x82\n"
        b"api_secret = '" + K2.encode() + b"'\xed\xa0\x80\n"
    )
    findings = _blocking(scan_bytes(data, "bot.py"))
    assert [(f.type, f.line, f.secret) for f in findings] == [
        ("binance_api_key", 2, K1),
        ("binance_secret_key", 3, K2),
    ]
    # Each undecodable byte counts as one (replacement) character.
    assert findings[0].column == len("\ufffd\ufffd api_key = '") + 1
    assert findings[1].column == len("api_secret = '") + 1


def test_crlf_line_endings() -> None:
    text = (
        f"@echo off\r\nrem binance\r\nset BINANCE_API_KEY={K1}\r\n"
        f"\r\nset BINANCE_API_SECRET={K2}\r\n"
    )
    findings = _blocking(scan_bytes(text.encode(), "env.bat"))
    assert [(f.type, f.line, f.column, f.secret) for f in findings] == [
        ("binance_api_key", 3, len("set BINANCE_API_KEY=") + 1, K1),
        ("binance_secret_key", 5, len("set BINANCE_API_SECRET=") + 1, K2),
    ]
    assert findings[0].pair is not None and findings[0].pair.line == 5


def test_crlf_before_a_call_argument() -> None:
    text = (
        "from binance.client import Client\r\n"
        f'client = Client(\r\n    "{K1}",\r\n    "{K2}",\r\n)\r\n'
    )
    findings = _blocking(scan_bytes(text.encode(), "bot.py"))
    assert [(f.type, f.line, f.column) for f in findings] == [
        ("binance_api_key", 3, 6),
        ("binance_secret_key", 4, 6),
    ]


@pytest.mark.parametrize(
    "prefix",
    [
        "# Binance — ключ API: ",
        "密钥 binance api_key = ",
        "🔑🔑 binance api_key: ",
        "café binance apiKey=",
    ],
)
def test_column_counts_characters_not_bytes(prefix: str) -> None:
    text = f"{prefix}{K1}\n"
    findings = scan_bytes(text.encode(), "notes.md")
    assert [(f.line, f.column) for f in findings] == [(1, len(prefix) + 1)]
    assert len(prefix.encode()) > len(prefix)  # the test means something
    line = text.splitlines()[0]
    assert line[findings[0].column - 1 :].startswith(K1)


def test_key_at_the_very_start_and_end_of_the_buffer() -> None:
    assert [f.column for f in scan_bytes(K1.encode(), "binance/key.txt")] == [1]
    data = f"BINANCE_API_KEY={K1}".encode()
    assert [(f.type, f.line, f.confidence) for f in scan_bytes(data, "env")] == [
        ("binance_api_key", 1, "high")
    ]


def test_utf16_env_file_written_by_powershell() -> None:
    text = f"BINANCE_API_KEY={K1}\r\nBINANCE_API_SECRET={K2}\r\n"
    data = b"\xff\xfe" + text.encode("utf-16-le")
    findings = _blocking(scan_bytes(data, ".env"))
    assert [(f.type, f.line) for f in findings] == [
        ("binance_api_key", 1),
        ("binance_secret_key", 2),
    ]


def _short_wrapped_signature() -> str:
    """An 88-character base64 Ed25519 signature whose first 64 characters are alphanumeric
    (about one signature in eight), wrapped at 64 columns."""
    rng = random.Random("wrapped-signature")
    while True:
        blob = base64.b64encode(rng.randbytes(64)).decode()
        if blob[:64].isalnum():
            return blob


def test_short_wrapped_base64_signature_is_not_a_key() -> None:
    blob = _short_wrapped_signature()
    text = f"# binance order, ed25519-signed\nsignature: |\n  {blob[:64]}\n  {blob[64:]}\n"
    assert _blocking(scan_bytes(text.encode(), "order.yml")) == []


def test_key_markers_are_where_they_are() -> None:
    """Walking the markers' "Y" (and the RSA one's "Q") finds what ``in`` finds: where "Y" or
    "Q" is common (past the walk's budget), where it ends a near miss, where a marker is first
    or last, or cut short."""
    rng = random.Random("key markers")
    pieces = [b"x" * 5000, b"Y" * 3000, b"Q" * 3000, b"Q\nV\n-", b"MC4C", b"BAQ"]
    for marker in (PRIVATE_KEY_MARKER, BARE_ED25519_MARKER, BARE_RSA_MARKER):
        pieces += [marker, marker[:-1], marker[1:]]
    for _ in range(3000):
        data = b"".join(rng.choices(pieces, k=rng.randrange(1, 12)))
        bare = BARE_ED25519_MARKER in data or BARE_RSA_MARKER in data
        assert key_markers(data) == (PRIVATE_KEY_MARKER in data, bare)


@pytest.mark.parametrize(
    "value",
    [
        "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x4y5z6a7b8c9d0e1f2",
        "AaBbCcDdEeFfGgHhIiJjKkLlMmNnOoPpQqRrSsTtUuVvWwXxYyZzAaBbCcDdEeFf",
        "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2Mm3Nn4Oo5Pp6Qq7Rr8Ss9Tt0Uu1V",
        "QwErTyUiOpAsDfGhJkLzXcVbNm1234567890QwErTyUiOpAsDfGhJkLzXcVbNm12",
        "qazwsxedcrfvtgbyhnujmikolp1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0pQA",
    ],
)
def test_hand_typed_sequences_are_placeholders(value: str) -> None:
    """Interleaved alphabets, mixed-case keyboard rows and columns: obviously invented."""
    assert heuristics.is_placeholder(value)
