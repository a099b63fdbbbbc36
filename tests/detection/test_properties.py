"""Property tests: random keys in random credential contexts are found; random digests,
UUIDs, base64 and identifiers are not, even in files that talk about Binance."""

from __future__ import annotations

import base64
import random
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from binance_guard.detection.scanner import scan_bytes

ALNUM = string.ascii_letters + string.digits
WORDS = [
    "order",
    "book",
    "update",
    "price",
    "symbol",
    "socket",
    "client",
    "ticker",
    "stream",
    "depth",
    "balance",
    "account",
    "handler",
    "retry",
    "cancel",
    "limit",
    "market",
    "test",
]

# {k}: the value; the expected type of the finding.
KEY_TEMPLATES = [
    ('client = Client("{k}", other_secret)', "binance_api_key"),
    ("BINANCE_API_KEY={k}", "binance_api_key"),
    ('api_key = "{k}"', "binance_api_key"),
    ("apiKey: '{k}',", "binance_api_key"),
    ('"key": "{k}",', "binance_api_key"),
    ("APIKEY: '{k}',", "binance_api_key"),
    ('curl -H "X-MBX-APIKEY: {k}" https://api.binance.com', "binance_api_key"),
    ("export BINANCE_API_KEY='{k}'", "binance_api_key"),
    ("https://api.binance.com/api/v3/account?apiKey={k}&timestamp=1", "binance_api_key"),
    ("binance_api_key: {k}", "binance_api_key"),
    ('    "client = Client(\\"{k}\\", s)\\n",', "binance_api_key"),
    ("api_secret = '{k}'", "binance_secret_key"),
    ("BINANCE_SECRET_KEY={k}", "binance_secret_key"),
    ("secret: {k}", "binance_secret_key"),
    ('secretKey = "{k}";', "binance_secret_key"),
    ("APISECRET: '{k}'", "binance_secret_key"),
    ("set BINANCE_API_SECRET={k}", "binance_secret_key"),
    ("ENV BINANCE_SECRET {k}", "binance_secret_key"),
    ('Spot(api_key=key, api_secret="{k}")', "binance_secret_key"),
    ("api_secret = (\n    '{k}'\n)", "binance_secret_key"),
]
FILLER = st.lists(
    st.sampled_from(
        [
            "",
            "import os",
            "# settings",
            "x = 1",
            "def f():",
            "    return None",
            "TIMEOUT = 30",
            "log = logging.getLogger()",
            "}",
            "]",
        ]
    ),
    max_size=4,
)


def _key(seed: int) -> str:
    """A uniformly random key: seeded so that shrinking never degenerates it."""
    return "".join(random.Random(seed).choices(ALNUM, k=64))


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(),
    template=st.sampled_from(KEY_TEMPLATES),
    before=FILLER,
    after=FILLER,
    indent=st.sampled_from(["", "    ", "\t"]),
    header=st.sampled_from(
        [
            "from binance.client import Client",
            "import ccxt  # binance",
            "# Binance trading bot",
            "const binance = require('binance')",
        ]
    ),
)
def test_random_key_in_random_context_is_found(
    seed: int,
    template: tuple[str, str],
    before: list[str],
    after: list[str],
    indent: str,
    header: str,
) -> None:
    key = _key(seed)
    line = indent + template[0].format(k=key)
    text = "\n".join([header, *before, line, *after]) + "\n"
    findings = [
        f
        for f in scan_bytes(text.encode(), "bot.py")
        if f.secret == key and f.confidence in ("medium", "high")
    ]
    assert [f.type for f in findings] == [template[1]], text


BASE64_LEAD = bytes([0xFB, 0xFF])


def _hex(seed: int) -> str:
    return "".join(random.Random(seed).choices("0123456789abcdef", k=64))


NOT_KEYS = st.one_of(
    st.integers().map(lambda s: f'sha256 = "{_hex(s)}"'),
    st.integers().map(lambda s: f"--hash=sha256:{_hex(s)}"),
    st.integers().map(lambda s: f'"signature": "{_hex(s)}"'),
    st.integers().map(lambda s: f"digest: {_hex(s)}"),
    st.integers().map(lambda s: f"commit {_hex(s)}"),
    st.uuids().map(lambda u: f'order_id = "{u}"'),
    st.tuples(st.uuids(), st.uuids()).map(lambda u: f'request_id = "{u[0].hex}{u[1].hex}"'),
    st.binary(min_size=48, max_size=300).map(lambda b: f'blob = "{_base64(b)}"'),
    st.lists(st.sampled_from(WORDS), min_size=16, max_size=24).map(
        lambda ws: "def test" + _identifier(ws) + "():"
    ),
    st.lists(st.sampled_from(WORDS), min_size=16, max_size=24).map(
        lambda ws: f'api_key = "{_identifier(ws)}"'
    ),
)


def _base64(data: bytes) -> str:
    """Base64 that starts with '+/' and so is never a bare alphanumeric token."""
    return base64.b64encode(BASE64_LEAD + data).decode()


def _identifier(words: list[str]) -> str:
    """CamelCase words cut to exactly 64 characters: key-shaped, but made of words."""
    return "".join(w.capitalize() for w in words)[:64]


@settings(max_examples=300, deadline=None)
@given(line=NOT_KEYS, mention=st.booleans())
def test_digests_ids_base64_and_identifiers_are_not_keys(line: str, mention: bool) -> None:
    text = ("# binance bot\n" if mention else "") + line + "\n"
    findings = [
        f for f in scan_bytes(text.encode(), "bot.py") if f.confidence in ("medium", "high")
    ]
    assert findings == [], text
