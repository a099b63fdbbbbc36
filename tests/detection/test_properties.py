"""Property tests: random keys in random credential contexts are found; random digests,
UUIDs, base64 and identifiers are not, even in files that talk about Binance.

Keys come from ``random.Random(seed)`` with the seed drawn by hypothesis: shrinking then
shrinks the seed, never the key into a degenerate string like ``"0" * 64``.
"""

from __future__ import annotations

import base64
import dataclasses
import random
import string
import uuid

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from binance_guard.detection.scanner import scan_bytes
from binance_guard.finding import Finding

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
API, SECRET = "binance_api_key", "binance_secret_key"
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEEDS = st.integers(min_value=0, max_value=2**64)


def _key(seed: int) -> str:
    """A uniformly random key (with a digit, an upper- and a lowercase letter, as real ones)."""
    rng = random.Random(seed)
    while True:
        value = "".join(rng.choices(ALNUM, k=64))
        if (
            any(c.isdigit() for c in value)
            and any(c.isupper() for c in value)
            and any(c.islower() for c in value)
        ):
            return value


def _hex(seed: int) -> str:
    return "".join(random.Random(seed).choices(HEX, k=64))


def _blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.confidence in ("medium", "high") and not f.public_example]


@dataclasses.dataclass(frozen=True)
class Template:
    """A line (or lines) holding ``{k}``; ``{q}`` is a quote drawn from ``quotes``."""

    text: str
    type: str
    quotes: tuple[str, ...] = ('"', "'")
    named: bool = True  # the value has its own key name (so a hex testnet key counts too)


TEMPLATES = [
    # python-binance, binance-connector, ccxt (Python)
    Template("client = Client({q}{k}{q}, api_secret)", API, named=False),
    Template("client = Client(api_key, {q}{k}{q})", SECRET, named=False),
    Template("client = Client(\n    {q}{k}{q},\n    api_secret,\n)", API, named=False),
    Template("spot = Spot(api_key=key, api_secret={q}{k}{q})", SECRET),
    Template("api_key = {q}{k}{q}", API),
    Template("api_secret = (\n    {q}{k}{q}\n)", SECRET),
    Template("exchange = ccxt.binance({{'apiKey': {q}{k}{q}}})", API),
    # JavaScript / TypeScript: ccxt, node-binance-api, binance-api-node
    Template("    secret: {q}{k}{q},", SECRET, ('"', "'", "`")),
    Template("  APIKEY: {q}{k}{q},", API, ('"', "'", "`")),
    Template("  apiSecret: {q}{k}{q},", SECRET, ('"', "'", "`")),
    # env, shells, containers, CI
    Template("BINANCE_API_KEY={q}{k}{q}", API, ("", '"', "'")),
    Template("export BINANCE_SECRET_KEY={q}{k}{q}", SECRET, ("", '"', "'")),
    Template("set BINANCE_API_KEY={k}", API, ("",)),
    Template("ENV BINANCE_API_SECRET {k}", SECRET, ("",)),
    Template("      - BINANCE_API_KEY={k}", API, ("",)),
    # YAML / TOML / JSON / properties
    Template("binance_api_secret: {q}{k}{q}", SECRET, ("", '"', "'")),
    Template('    "key": "{k}",', API, ("",)),
    Template("binance.api.secret={k}", SECRET, ("",)),
    # Go, Java, C#, Rust, PHP, Ruby (typed declarations: see TYPED_TEMPLATES below)
    Template('\tsecretKey := "{k}"', SECRET, ("",)),
    Template('    public static final String API_KEY = "{k}";', API, ("",)),
    Template('    options.ApiCredentials = new ApiCredentials(apiKey, "{k}");', SECRET, ("",),
             named=False),
    Template('    let api_secret = "{k}";', SECRET, ("",)),
    Template("$api = new Binance\\API({q}{k}{q}, $secret);", API, named=False),
    Template("  secret_key: {q}{k}{q},", SECRET),
    # HTTP, URLs, notebooks
    Template('curl -H "X-MBX-APIKEY: {k}" https://api.binance.com/api/v3/account', API, ("",)),
    Template("GET https://api.binance.com/sapi/v1/asset?apiKey={k}&timestamp=1", API, ("",)),
    Template('    "client = Client(\\"{k}\\", s)\\n",', API, ("",), named=False),
]  # fmt: skip

HEADERS = [
    "from binance.client import Client",
    "import ccxt  # binance",
    "# Binance trading bot",
    "const Binance = require('node-binance-api');",
    'import "github.com/adshao/go-binance/v2"',
    "exchange: binance",
]
FILLER_LINES = [
    "",
    "import os",
    "# settings",
    "x = 1",
    "def f():",
    "    return None",
    "TIMEOUT = 30",
    "log = logging.getLogger(__name__)",
    "}",
    "]",
    "SYMBOL = 'BTCUSDT'",
    "retries: 3",
]
FILLER = st.lists(st.sampled_from(FILLER_LINES), max_size=4)
INDENT = st.sampled_from(["", "  ", "    ", "\t"])


def _render(template: Template, value: str, quote: str, indent: str) -> list[str]:
    text = template.text.format(k=value, q=quote)
    return [indent + line for line in text.split("\n")]


@SETTINGS
@given(
    seed=SEEDS,
    template=st.sampled_from(TEMPLATES),
    quote_index=st.integers(min_value=0, max_value=2),
    before=FILLER,
    after=FILLER,
    indent=INDENT,
    header=st.sampled_from(HEADERS),
    far=st.booleans(),
    crlf=st.booleans(),
)
def test_random_key_in_random_context_is_found(
    seed: int,
    template: Template,
    quote_index: int,
    before: list[str],
    after: list[str],
    indent: str,
    header: str,
    far: bool,
    crlf: bool,
) -> None:
    key = _key(seed)
    quote = template.quotes[quote_index % len(template.quotes)]
    # far: the Binance word is at the top of a long file, not within a few lines.
    distance = ["x = 1"] * 20 if far else []
    lines = [header, *distance, *before, *_render(template, key, quote, indent), *after]
    text = ("\r\n" if crlf else "\n").join(lines) + "\n"
    found = [f for f in _blocking(scan_bytes(text.encode(), "bot.txt")) if f.secret == key]
    assert [f.type for f in found] == [template.type], text
    (finding,) = found
    line = lines[finding.line - 1]
    assert line[finding.column - 1 :].startswith(key)


@SETTINGS
@given(
    key_seed=SEEDS,
    secret_seed=SEEDS,
    gap=st.lists(st.sampled_from(FILLER_LINES), max_size=2),
    indent=INDENT,
)
def test_a_key_and_its_secret_pair_up(
    key_seed: int, secret_seed: int, gap: list[str], indent: str
) -> None:
    key, secret = _key(key_seed), _key(secret_seed)
    lines = [
        "# binance",
        f"{indent}BINANCE_API_KEY={key}",
        *gap,
        f"{indent}BINANCE_API_SECRET={secret}",
    ]
    if key == secret:
        return
    findings = _blocking(scan_bytes(("\n".join(lines) + "\n").encode(), ".env"))
    by_type = {f.type: f for f in findings}
    assert sorted(by_type) == [API, SECRET]
    key_pair, secret_pair = by_type[API].pair, by_type[SECRET].pair
    assert key_pair is not None and secret_pair is not None
    assert key_pair.fingerprint == by_type[SECRET].fingerprint
    assert secret_pair.fingerprint == by_type[API].fingerprint


@SETTINGS
@given(
    seed=SEEDS,
    template=st.sampled_from([t for t in TEMPLATES if t.named]),
    quote_index=st.integers(min_value=0, max_value=2),
    before=FILLER,
    indent=INDENT,
    header=st.sampled_from(HEADERS),
)
def test_hex_testnet_key_under_a_key_name_near_binance_is_found(
    seed: int,
    template: Template,
    quote_index: int,
    before: list[str],
    indent: str,
    header: str,
) -> None:
    key = _hex(seed)
    if len(set(key)) < 8 or any(c * 6 in key for c in HEX):
        return  # placeholder-looking (p ~ 5e-5): dropped on purpose
    quote = template.quotes[quote_index % len(template.quotes)]
    lines = [header, *before, *_render(template, key, quote, indent)]
    text = "\n".join(lines) + "\n"
    found = [f for f in _blocking(scan_bytes(text.encode(), "bot.txt")) if f.secret == key]
    assert [f.type for f in found] == [template.type], text


# Typed declarations: the type sits between the name and the value.
TYPED_TEMPLATES = [
    Template("BINANCE_API_SECRET: str = {q}{k}{q}", SECRET),  # Python (pydantic settings)
    Template("    binance_api_secret: str = {q}{k}{q}", SECRET),
    Template("export const API_SECRET: string = {q}{k}{q};", SECRET, ('"', "'", "`")),  # TS
    Template('val apiSecret: String = "{k}"', SECRET, ("",)),  # Kotlin
    Template('let secretKey: String = "{k}"', SECRET, ("",)),  # Swift
    Template('var secretKey string = "{k}"', SECRET, ("",)),  # Go
    Template('pub const BINANCE_SECRET_KEY: &str = "{k}";', SECRET, ("",)),  # Rust
]


@SETTINGS
@given(
    seed=SEEDS,
    template=st.sampled_from(TYPED_TEMPLATES),
    quote_index=st.integers(min_value=0, max_value=2),
    indent=INDENT,
    header=st.sampled_from(HEADERS),
)
def test_random_key_in_a_typed_declaration_is_found(
    seed: int, template: Template, quote_index: int, indent: str, header: str
) -> None:
    key = _key(seed)
    quote = template.quotes[quote_index % len(template.quotes)]
    lines = [header, *_render(template, key, quote, indent)]
    text = "\n".join(lines) + "\n"
    found = [f for f in _blocking(scan_bytes(text.encode(), "bot.txt")) if f.secret == key]
    assert [f.type for f in found] == [template.type], text


# --- things that are not keys -------------------------------------------------------------------

HASH_CONTEXTS = [
    'sha256 = "{h}"',
    "    --hash=sha256:{h} \\",
    '    {{file = "python_binance-1.0.19-py2.py3-none-any.whl", hash = "sha256:{h}"}},',
    'checksum = "{h}"',
    "{h}  binance-bot-0.2.0.tar.gz",
    "commit {h}",
    "tree {h}",
    '"signature": "{h}",',
    "https://api.binance.com/api/v3/order?symbol=BTCUSDT&timestamp=1&signature={h}",
    "FROM python:3.12-slim@sha256:{h}",
    "digest: sha256:{h}",
    '"txId": "{h}",',
    "etag = '{h}'",
    '"integrity": "{h}"',
    "(stdin)= {h}",
    "session_hash = {h}",
    "const digest = '{h}';",
    "CONTENT_SHA256={h}",
]
MENTIONS = st.sampled_from(
    [
        [],
        ["# binance"],
        ["from binance.client import Client", ""],
        ["exchange: binance", "pairs: [BTC/USDT]"],
    ]
)
SAME_LINE_MENTION = st.sampled_from(["", "  # binance"])


def _not_a_key_file(mention: list[str], filler: list[str], line: str, suffix: str) -> bytes:
    return ("\n".join([*mention, *filler, line + suffix, *filler]) + "\n").encode()


@SETTINGS
@given(
    seed=SEEDS,
    context=st.sampled_from(HASH_CONTEXTS),
    mention=MENTIONS,
    filler=FILLER,
    suffix=SAME_LINE_MENTION,
)
def test_hex_digests_in_hash_contexts_are_not_keys(
    seed: int, context: str, mention: list[str], filler: list[str], suffix: str
) -> None:
    data = _not_a_key_file(mention, filler, context.format(h=_hex(seed)), suffix)
    assert _blocking(scan_bytes(data, "bot.txt")) == [], data.decode()


UUID_CONTEXTS = [
    'order_id = "{u}"',
    '"clientOrderId": "{u}",',
    "request_id = '{u}{v}'",
    'trace = "{uh}{vh}"',
    "{uh}{vh}",
    "X-Request-Id: {u}",
    "session: {uh}{vh}",
]


@SETTINGS
@given(
    first=st.uuids(),
    second=st.uuids(),
    context=st.sampled_from(UUID_CONTEXTS),
    mention=MENTIONS,
    filler=FILLER,
    suffix=SAME_LINE_MENTION,
)
def test_uuids_are_not_keys(
    first: uuid.UUID,
    second: uuid.UUID,
    context: str,
    mention: list[str],
    filler: list[str],
    suffix: str,
) -> None:
    line = context.format(u=first, v=second, uh=first.hex, vh=second.hex)
    data = _not_a_key_file(mention, filler, line, suffix)
    assert _blocking(scan_bytes(data, "bot.txt")) == [], data.decode()


def _base64_value(seed: int, length: int) -> str:
    """Random base64 text holding both ``+`` and ``/`` (so it is base64, not a key)."""
    rng = random.Random(seed)
    chars = rng.choices(B64, k=length)
    for special in "+/":
        if special not in chars:
            chars[rng.randrange(length)] = special
    if "+" not in chars:  # the "/" may have overwritten the only "+"
        chars[chars.index("/") - 1 if chars.index("/") else 1] = "+"
    value = "".join(chars)
    return value + "=" * (-len(value) % 4) if rng.random() < 0.5 else value


BASE64_CONTEXTS = [
    'blob = "{b}"',
    '"payload": "{b}",',
    "data:image/png;base64,{b}",
    "signature={b}",
    "  ssh-ed25519 {b} bot@binance",
    "Authorization: Basic {b}",
    "secret: {b}",
    "{b}",
]


@SETTINGS
@given(
    seed=SEEDS,
    length=st.integers(min_value=40, max_value=400),
    context=st.sampled_from(BASE64_CONTEXTS),
    mention=MENTIONS,
    filler=FILLER,
    suffix=SAME_LINE_MENTION,
)
def test_random_base64_is_not_a_key(
    seed: int, length: int, context: str, mention: list[str], filler: list[str], suffix: str
) -> None:
    value = _base64_value(seed, length)
    assert "+" in value and "/" in value
    data = _not_a_key_file(mention, filler, context.format(b=value), suffix)
    assert _blocking(scan_bytes(data, "bot.txt")) == [], data.decode()


@SETTINGS
@given(
    seed=SEEDS,
    size=st.integers(min_value=96, max_value=1200),
    width=st.sampled_from([64, 76]),
    mention=MENTIONS,
    indent=st.sampled_from(["", "  ", "    "]),
)
# A line of the blob spells "Sec" and stands above a whole-key line: no caption.
@example(seed=13391216130136924662, size=603, width=64, mention=["# binance"], indent="")
def test_wrapped_base64_is_not_a_key(
    seed: int, size: int, width: int, mention: list[str], indent: str
) -> None:
    """Base64 of binary data wrapped at 64 (PEM style) or 76 (MIME) columns, no armour. At
    least two full lines: one bare 64-character line alone is exactly a key."""
    blob = base64.b64encode(random.Random(seed).randbytes(size)).decode()
    lines = [indent + blob[i : i + width] for i in range(0, len(blob), width)]
    data = ("\n".join([*mention, "data: |", *lines, "done: true"]) + "\n").encode()
    assert _blocking(scan_bytes(data, "export.yml")) == [], data.decode()


FENCES = st.sampled_from(["```", "```text", "```env", "~~~"])


@SETTINGS
@given(
    seed=SEEDS,
    size=st.integers(min_value=96, max_value=1200),
    fence=FENCES,
    mention=MENTIONS,
)
def test_fenced_wrapped_base64_is_not_a_key(
    seed: int, size: int, fence: str, mention: list[str]
) -> None:
    """The same blob in a Markdown code block: a size that is no multiple of 48 bytes leaves
    a shorter last line, so the block is not one of whole key-shaped lines."""
    assume(size % 48)
    blob = base64.b64encode(random.Random(seed).randbytes(size)).decode()
    lines = [blob[i : i + 64] for i in range(0, len(blob), 64)]
    data = ("\n".join([*mention, fence, *lines, fence[:3]]) + "\n").encode()
    assert _blocking(scan_bytes(data, "README.md")) == [], data.decode()


@SETTINGS
@given(
    seeds=st.lists(SEEDS, min_size=2, max_size=2, unique=True),
    fence=FENCES,
    caption=st.sampled_from(["", "Your API key and secret:", "API Key / Secret Key", "Keys:"]),
)
def test_a_fenced_key_and_secret_are_found(seeds: list[int], fence: str, caption: str) -> None:
    """A key and its secret pasted one a line in a Markdown code block: found, key first,
    where two whole key-shaped lines elsewhere read as a wrapped base64 blob (above)."""
    k, s = (_key(seed) for seed in seeds)
    data = f"## Binance API\n\n{caption}\n{fence}\n{k}\n{s}\n{fence[:3]}\n".encode()
    assert [(f.type, f.line) for f in _blocking(scan_bytes(data, "README.md"))] == [
        (API, 5),
        (SECRET, 6),
    ], data.decode()


@SETTINGS
@given(
    seeds=st.lists(SEEDS, min_size=2, max_size=2, unique=True),
    caption=st.sampled_from(
        [
            "Binance API key and secret:",
            "binance keys",
            "My Binance API Key / Secret",
            "BINANCE API KEYS",
        ]
    ),
    gap=st.sampled_from(["", "\n"]),
)
def test_a_captioned_key_and_secret_are_found(seeds: list[int], caption: str, gap: str) -> None:
    """A key and its secret pasted one a line under a caption that names keys or secrets
    (a notes file): found, key first, where the same two lines under a field's name
    ("data: |", above) are a wrapped blob."""
    k, s = (_key(seed) for seed in seeds)
    data = f"{caption}\n{gap}{k}\n{s}\n".encode()
    line = 3 if gap else 2
    assert [(f.type, f.line) for f in _blocking(scan_bytes(data, "notes.txt"))] == [
        (API, line),
        (SECRET, line + 1),
    ], data.decode()


WORDS = [
    "order", "book", "update", "price", "symbol", "socket", "client", "ticker", "stream",
    "depth", "balance", "account", "handler", "retry", "cancel", "limit", "market", "test",
    "should", "return", "when", "after", "before", "with", "without", "user", "data", "listen",
    "expired", "reconnect", "websocket", "futures", "margin", "position", "request", "response",
    "signature", "timestamp", "window", "server", "time", "exchange", "info", "filter",
    "quantity", "precision", "average", "trade", "history", "kline", "interval", "snapshot",
    "binance", "spot", "wallet", "asset", "deposit", "withdraw", "address", "network", "fee",
    "get", "set", "is", "to", "by", "of", "on", "api", "new", "all", "open",
]  # fmt: skip


def _identifier(words: list[str], style: str) -> str:
    """Words joined in camelCase or PascalCase, cut to exactly 64 characters."""
    parts = [w.capitalize() for w in words]
    if style == "camel":
        parts[0] = words[0]
    return "".join(parts)[:64]


def _words_in(words: list[str], length: int = 64) -> int:
    """How many of ``words`` (whole or cut) make up the first ``length`` characters."""
    total = 0
    for count, word in enumerate(words, 1):
        total += len(word)
        if total >= length:
            return count
    return len(words)


IDENTIFIER_CONTEXTS = [
    "def test_{i}():",
    "    def {i}(self) -> None:",
    "void {i}() {{",
    "const {i} = Binance();",
    "    {i}: Handler,",
    "api_key = {q}{i}{q}",
    "apiSecret: {q}{i}{q},",
    "import {{ {i} }} from './binance';",
    "self.{i}()",
    "{q}{i}{q}",
]


@SETTINGS
@given(
    words=st.lists(st.sampled_from(WORDS), min_size=20, max_size=40),
    style=st.sampled_from(["camel", "pascal"]),
    context=st.sampled_from(IDENTIFIER_CONTEXTS),
    quote=st.sampled_from(['"', "'", ""]),
    mention=MENTIONS,
    suffix=SAME_LINE_MENTION,
)
def test_identifiers_made_of_words_are_not_keys(
    words: list[str],
    style: str,
    context: str,
    quote: str,
    mention: list[str],
    suffix: str,
) -> None:
    ident = _identifier(words, style)
    assume(len(ident) == 64)
    # Names written by people average 5+ letters a word. A string of mostly 2-3 letter words
    # ("orderBookFeeFeeGetIsIsOfUp...", 3.8 letters a word) is as crumbly as a random key and
    # is on the other side of heuristics.MAX_MEAN_SEGMENT by design.
    assume(64 / _words_in(words) >= 4.5)
    data = _not_a_key_file(mention, [], context.format(i=ident, q=quote), suffix)
    assert _blocking(scan_bytes(data, "bot.py")) == [], data.decode()


@SETTINGS
@given(
    seed=SEEDS,
    size=st.integers(min_value=300, max_value=1200),
    lead=st.sampled_from(["# ", "// ", "-- ", " * "]),
    mention=MENTIONS,
)
def test_wrapped_base64_in_comments_is_not_a_key(
    seed: int, size: int, lead: str, mention: list[str]
) -> None:
    """A blob wrapped at 64 columns behind comment marks (PowerShell's Authenticode
    ``# SIG # Begin signature block``, a certificate pasted after ``//``): at least five
    lines, so one within a few lines of any whole-key line holds a "+", "/" or its tail."""
    blob = base64.b64encode(random.Random(seed).randbytes(size)).decode()
    lines = [lead + blob[i : i + 64] for i in range(0, len(blob), 64)]
    block = [f"{lead}SIG # Begin signature block", *lines, f"{lead}SIG # End signature block"]
    data = ("\n".join([*mention, *block]) + "\n").encode()
    assert _blocking(scan_bytes(data, "binance/Activate.ps1")) == [], data.decode()
