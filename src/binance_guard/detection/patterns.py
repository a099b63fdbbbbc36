"""What Binance credentials and their surroundings look like: data only, no logic.

Compiled once at import; only loaded once the prefilter has seen a candidate.
"""

from __future__ import annotations

import re

from binance_guard.regex import compile_later, compile_now

# Lower-cased byte strings whose presence makes a 64-character token a *Binance* credential.
BINANCE_WORDS = (b"binance", b"x-mbx-apikey")

# Any PEM/PGP armour block. Base64 bodies are wrapped at 64 columns, so a body line without
# "+" or "/" (about one in eight) would otherwise look exactly like an HMAC key.
ARMOR_MAX_BODY = 20000
ARMOR_MAX_LABEL = 40
ARMOR_BEGIN_RE = compile_later(rf"(?=-----BEGIN ([A-Z0-9 ]{{1,{ARMOR_MAX_LABEL}}})-----)")
ARMOR_END_RE = compile_later(rf"(?=-----END ([A-Z0-9 ]{{1,{ARMOR_MAX_LABEL}}})-----)")
# The most bytes from a block's "-----BEGIN " to the end of its END line.
ARMOR_MAX_SPAN = (
    len("-----BEGIN -----") + len("-----END -----") + 2 * ARMOR_MAX_LABEL + ARMOR_MAX_BODY
)
PRIVATE_KEY_LABEL_RE = compile_later(r"^(?:(ENCRYPTED|RSA|EC|DSA|OPENSSH) )?PRIVATE KEY$")

# RFC 1421 headers of a legacy encrypted key ("Proc-Type: 4,ENCRYPTED", "DEK-Info: …").
PEM_HEADER_RE = compile_later(r"(?m)^[\s\"'`]*[A-Za-z][A-Za-z-]*:[^\n]*$")
# Markdown blockquote marks starting a PEM body's lines ("> MIIEv…" in a quoted reply or a
# callout): not the "<…>" of a placeholder.
QUOTE_MARKS_RE = compile_later(r"(?m)^[ \t]*(?:>[ \t]?)+")
# A PEM body split over string literals joined by "+" (Java, JS): the joins are not base64.
STRING_JOIN_RE = compile_later(r"""["'`]\s*\+\s*["'`]""")
# Escaped newlines as they appear in JSON, notebooks and .env files ("\n", "\\n").
ESCAPED_NEWLINE_RE = compile_later(r"\\+[nrt]")
NOT_BASE64_RE = compile_later(r"[^A-Za-z0-9+/=]")
# Directories of other people's code a repository carries: package managers' installs, a
# committed virtualenv, vendored sources. Their PEM blocks are libraries' test keys (spdy,
# pycryptodome's SelfTest, twisted): 255 of 284 generic private keys in 560 bot repositories.
VENDORED_DIR_RE = compile_later(
    r"(?:^|/)(node_modules|bower_components|jspm_packages|site-packages|dist-packages|vendor"
    r"|third[_-]party|Pods|Carthage|lib(?:64)?/python[23][.0-9]*)/"
)
# "EXAMPLE" inside a body: documentation keys edited so that nobody mistakes them for real ones.
PEM_PLACEHOLDER_RE = compile_later(
    r"\.\.\.|…|<|>|your|x{4,}|\*{3}|redacted|changeme|example|sample|dummy", re.IGNORECASE
)

ED25519_PKCS8_PREFIX = "MC4CAQAwBQYDK2VwBCIEI"
# SEQUENCE { version 0, AlgorithmIdentifier { Ed25519 }, OCTET STRING { OCTET STRING (32) } }
ED25519_PKCS8_DER = bytes.fromhex("302e020100300506032b657004220420")
RSA_OID_B64 = "BgkqhkiG9w0BAQEF"
EC_OID_B64 = "ByqGSM49AgEG"

# detect-secrets' inline allowlist comments, same spelling rules.
ALLOWLIST_RE = compile_now(r"pragma:\s*allowlist[ -]secret", re.IGNORECASE)
ALLOWLIST_NEXTLINE_RE = compile_now(r"pragma:\s*allowlist[ -]nextline[ -]secret", re.IGNORECASE)
# Other scanners' inline markers, honoured as they do (anywhere on the line), so a line a
# user already marked for gitleaks, TruffleHog or ggshield needs no second comment.
PEER_ALLOWLIST_MARKERS = ("gitleaks:allow", "trufflehog:ignore", "ggignore")


def marks_allowed(line: str) -> bool:
    """A line whose own values are allowed: detect-secrets' pragma or another scanner's marker
    (a ``nextline`` pragma allows the line after it instead)."""
    return bool(ALLOWLIST_RE.search(line)) or any(m in line for m in PEER_ALLOWLIST_MARKERS)


# Name tokens: the identifier a value is assigned to, or a call it is passed to.
NAME_AT_END_RE = compile_now(r"([A-Za-z_][A-Za-z0-9_.\-]*)[\"'`\]\s]*$")
NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
ASSIGNMENT_END_RE = compile_now(r"(?:=>|:=|::|->|[=:])\s*[\[{(]?$")
NAME_PART_RE = compile_now(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
NAME_SPLIT_RE = compile_now(r"[_\-.\s]+")

SECRET_WORDS = frozenset(
    {
        "secret",
        "secretkey",
        "apisecret",
        "privatekey",
        "private",
        "sec",
        "apisec",
        "secrets",
        "hmac",
    }
)
# "SecertKey", "sercet": hand-typed names transpose letters of "secret" and still name one.
_SECRET_LETTERS = sorted("secret")


def is_secret_word(word: str) -> bool:
    return word in SECRET_WORDS or (len(word) == 6 and sorted(word) == _SECRET_LETTERS)


KEY_WORDS = frozenset({"key", "apikey", "apikeys", "keys", "mbx", "akey"})
CREDENTIAL_WORDS = frozenset(
    {
        "token",
        "password",
        "passwd",
        "pass",
        "pwd",
        "auth",
        "credential",
        "credentials",
        "cred",
        "creds",
    }
)
# Names under which a 64-character value is a digest, an id or a one-time value, never a key.
NEGATIVE_WORDS = frozenset(
    {
        "hash",
        "hashed",
        "hashes",
        "digest",
        "checksum",
        "checksums",
        "integrity",
        "signature",
        "signed",
        "sha",
        "sha1",
        "sha256",
        "sha512",
        "sha3",
        "md5",
        "blake2b",
        "blake3",
        "txid",
        "txhash",
        "uuid",
        "guid",
        "nonce",
        "salt",
        "etag",
        "commit",
        "fingerprint",
        "address",
        "listen",
        "listenkey",
        "sri",
        "merkle",
        "verification",
    }
)
# "stream": a user-data stream is named after its listenKey.
NEGATIVE_LAST_WORDS = frozenset(
    {"id", "ids", "sum", "sig", "oid", "ref", "rev", "h1", "tx", "stream", "streams", "iv"}
)

# Words naming another service's secret: a 64-character JWT_SECRET, SESSION_SECRET,
# WEBHOOK_SECRET, DB_PASSWORD or KUCOIN_API_SECRET in a project that also talks to Binance is
# not a Binance credential (a name with "binance" in it still is, unless it is a webhook's).
# Infrastructure first: a call named after it (db.insert(…), send_email(…)) may store a
# Binance key, where a call named after another service (below) takes that service's key.
INFRASTRUCTURE_WORDS = frozenset(
    {
        "jwt",
        "session",
        "webhook",
        "cookie",
        "csrf",
        "django",
        "flask",
        "rails",
        "db",
        "database",
        "postgres",
        "postgresql",
        "mysql",
        "redis",
        "mongo",
        "mongodb",
        "smtp",
        "mail",
        "email",
        "encryption",
        "fernet",
        "aes",
        "oauth",
        "refresh",
        # A webhook's or another exchange's passphrase (TradingView alerts, OKX, KuCoin):
        # Binance API keys have none.
        "passphrase",
        "passphase",
        # A vendor's licence (jesse's LICENSE_API_TOKEN), a CAPTCHA service's key, a
        # wallet's seed: none is issued by Binance's API.
        "license",
        "licence",
        "captcha",
        "recaptcha",
        "seed",
    }
)
# Other services, and the client calls named after them (ccxt.kucoin(…), TelegramClient(…)).
OTHER_SERVICE_WORDS = frozenset(
    {
        "nextauth",
        "stripe",
        "telegram",
        "discord",
        "slack",
        "github",
        "gitlab",
        "openai",
        "aws",
        "supabase",
        "firebase",
        "sentry",
        "twilio",
        "sendgrid",
        "bybit",
        "okx",
        "kucoin",
        "coinbase",
        "kraken",
        "bitget",
        "mexc",
        "huobi",
        "bitfinex",
        "bitmex",
        "gateio",
        "gate",
        "okex",
        "htx",
        "bitrue",
        "blofin",
        "bitunix",
        "weex",
        "ftx",
        "alpaca",
        "deribit",
        "bitstamp",
        "gemini",
        "phemex",
        "bitvavo",
        "bingx",
        "bitmart",
        "poloniex",
        "hitbtc",
        "upbit",
        "bithumb",
        "coinex",
        "lbank",
        "whitebit",
        "ascendex",
        "bitso",
        "bitflyer",
        "coincheck",
        "btcturk",
        "wazirx",
        "coindcx",
        "bitpanda",
        "hyperliquid",
        "dydx",
        "jupiter",
        "coinmarketcap",
        "cmc",
        "coingecko",
        "etherscan",
        "bscscan",
        "infura",
        "alchemy",
        "moralis",
        "twitter",
        "anthropic",
        "deepseek",
        "groq",
        "threecommas",
        "commas",
        "pionex",
        "cryptohopper",
        "tradingview",
        # Market-data and node services crypto bots use beside Binance (CryptoCompare's
        # keys are 64 hex characters).
        "cryptocompare",
        "lunarcrush",
        "glassnode",
        "santiment",
        "messari",
        "coinapi",
        "cryptopanic",
        "taapi",
        "finnhub",
        "alphavantage",
        "newsapi",
        "twelvedata",
        "bitquery",
        "covalent",
        "nansen",
        "birdeye",
        "ankr",
        "quicknode",
        "helius",
        "coinglass",
        "coinpaprika",
        "nomics",
        "polygonscan",
    }
)
OTHER_SECRET_WORDS = INFRASTRUCTURE_WORDS | OTHER_SERVICE_WORDS

# A web framework's own signing key, in a file that configures that framework.
FRAMEWORK_SECRET_NAMES = frozenset(
    {"SECRET_KEY", "secret_key", "SECRET_KEY_BASE", "secret_key_base"}
)
# The objects that carry it as an attribute: Flask's ``app.secret_key``, ``settings.SECRET_KEY``.
FRAMEWORK_OBJECTS = frozenset({"app", "application", "server", "settings", "config"})
WEB_FRAMEWORK_MARKERS = (
    b"django",
    b"installed_apps",
    b"flask",
    b"app.config",
    b"rails",
    b"sqlalchemy_database_uri",  # a Flask-SQLAlchemy config class
)
# A hex SECRET_KEY (``openssl rand -hex 32``) beside these signs JWTs, as FastAPI's tutorial
# has it; a mixed-case one is still taken for a Binance secret (those are never hex-only
# except on the futures testnet).
TOKEN_SIGNING_MARKERS = (b"fastapi", b"hs256", b"access_token_expire", b"jwt", b"jose")
# A Binance secret under its own name (BINANCE_API_SECRET=, binance_secret_key:): a hex
# SECRET_KEY beside it is the application's.
BINANCE_SECRET_NAME_RE = compile_later(rb"binance[\w.\-]{0,24}?secret")

# A blockchain wallet's private key is 64 hex characters too: named as a private key (or a
# wallet's) in a file that holds a 0x address or drives web3, it signs transactions on BNB
# Chain or Ethereum, not Binance API requests.
WALLET_KEY_WORDS = frozenset({"private", "privkey", "priv", "pk", "wallet", "mnemonic", "seed"})
WALLET_MARKERS_RE = compile_later(
    rb"(?<![0-9A-Za-z])0x[0-9a-fA-F]{40}(?![0-9A-Za-z])|web3|ethers|eth_account"
    # BNB Beacon Chain and BSC: nodes under binance.org (the exchange's API is binance.com),
    # bech32 bnb1/tbnb1 addresses and bva1 validators, its DEX SDKs (com.binance.dex,
    # BinanceDexApiClientFactory), a wallet's mnemonic.
    rb"|binance\.org|(?<![0-9A-Za-z])t?(?:bnb|bva)1[02-9ac-hj-np-z]{38}(?![0-9a-z])|mnemonic"
    rb"|binance\.dex|BinanceDex"
    # A wallet keystore (Binance\Crypto\Keystore, generateKeyStore) and the chain's "tbnb"
    # or "bnb" address prefix passed as a string.
    rb"|[Kk]ey[Ss]tore|[\"']t?bnb[\"']"
    # A chain named (chain: 'binance-smart-chain', ETHEREUM_PRIVATE_KEY, BSC_…, "solana").
    rb"|(?i:ethereum|solana|smart[-_ ]?chain|(?<![a-z])(?:bsc|evm)(?![a-z]))"
)

# Attribute names that say nothing about what a value is (``<input value="…">``): the label
# around it does.
GENERIC_VALUE_NAMES = frozenset(
    {"value", "defaultvalue", "val", "text", "content", "data", "default", "children"}
)

# Words written into an invented "key" (AWS's "...EXAMPLE" convention, "dummy", "sample"): five
# given letters, in either case, turn up in fewer than one random 64-character key in 400,000.
PLACEHOLDER_WORDS = ("example", "sample", "dummy", "placeholder", "redacted", "changeme")

# Runs a human types when inventing a "key", in any case ("QwErTyUiOp"): a keyboard's row or
# column too.
SEQUENCES = ("0123456789", "abcdefghij", "qwertyuiop", "qazwsxedcr")

# Keys published by Binance (and by the libraries whose tests copy them), with where they are
# printed: public, never a leak (see binance-facts.md). The source is shown with each finding.
_SPOT_DOCS = "Binance's spot API docs (binance/binance-spot-api-docs: {})"
_REST_DOCS = _SPOT_DOCS.format("rest-api.md SIGNED request examples")
_WS_DOCS = _SPOT_DOCS.format("web-socket-api.md request examples")
_FIX_DOCS = _SPOT_DOCS.format("fix-api.md Logon examples")
_KEY_TYPES_FAQ = _SPOT_DOCS.format("faqs/api_key_types.md")
_TESTNET_DOCS = _SPOT_DOCS.format("testnet/general-info.md")
_RSA_DOCS = _SPOT_DOCS.format("RSA signature examples, 2023-2025")
_DERIVATIVES_DOCS = (
    "Binance's derivatives API docs (developers.binance.com: USDⓈ-M and COIN-M futures, "
    "options, portfolio margin; SIGNED and WebSocket API examples)"
)
_LISTEN_KEYS = (
    "a listenKey example of Binance's (binance/binance-spot-api-docs: user-data-stream.md, "
    "developers.binance.com derivatives user-data-streams, binance-api-postman, connector tests)"
)
_SPECIAL_KEYS = (
    "the margin special-key examples of Binance's connectors (binance/binance-connector-python, "
    "-js, -go, -rust: margin_trading trade API tests)"
)
_SIGNATURE_EXAMPLES = (
    "Binance's signing examples (binance/binance-signature-examples: python/private_key.pem, "
    "python/encrypted_private_key.pem; also binance-connector-python and -dotnet tests)"
)
_HMAC_EXAMPLE = (
    "Binance's HMAC signing example (binance/binance-signature-examples: typescript/request.ts; "
    "binance-futures-connector-python README.md)"
)
_FIX_KEY = _SPOT_DOCS.format("fix-api.md, its example Ed25519 private key")
_JAVA_TESTS = (
    "binance/binance-connector-java's unit tests (clients/*/src/test/resources/test-*-prv-key.pem)"
)
_JAVA_ED25519 = (
    "the unit tests of binance/binance-connector-java and binance-futures-connector-java "
    "(src/test/java/unit/signature/Ed25519PrivateKeyExample.pem)"
)
_ED25519_TESTS = (
    "the Ed25519 test key of binance/binance-connector-python (tests/lib/test_authentication.py) "
    "and binance-connector-rust (src/utils.rs)"
)
_RUST_TESTS = (
    "binance/binance-connector-rust's and binance-spot-connector-rust's tests (src/utils.rs)"
)
_FIX_CONNECTOR = "binance/binance-fix-connector-python's tests (tests/unit_test_key.pem)"
_TOOLBOX = (
    "Binance's toolbox examples (binance/binance-toolbox-java: src/main/java/PrivateConfig.java)"
)
_PYTHON_BINANCE = (
    "python-binance's test suite (tests/conftest.py, .github/workflows/python-app.yml)"
)
_PYTHON_BINANCE_KEYS = "python-binance's test suite (tests/test_cryptography.py)"
_RFC_8032 = "RFC 8032's Ed25519 test vectors (www.rfc-editor.org/rfc/rfc8032, section 7.1)"
_NODE_BINANCE = "node-binance-api's test suite (test.js)"
EXAMPLE_KEY_SOURCES: dict[str, str] = {
    value: source
    for source, values in (
        (
            _REST_DOCS,
            (
                "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
                "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
                "4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO",
                "245UFWkiW1elpgtVAmJPbogcAv6rSlokztAfWk296ZJXzRDYAtzGH0gq7CgSJKfH",
            ),
        ),
        (_RSA_DOCS, ("CAvIjXy3F44yW6Pou5k8Dy1swsYDWJZLeoK2r8G4cFDnE9nosRppc2eKc1T8TRTQ",)),
        (
            _WS_DOCS,
            (
                "u5lgqJb97QWXWfgeV4cROuHbReSJM9rgQL0IvYcYc7BVeA5lpAqqc3a5p2OARIFk",
                "Rf07JlnL9PHVxjs27O5CvKNyOsV4qJ5gXdrRfpvlOdvMZbGZbPO5Ce2nIwfRP0iA",
                "nQ6kG5gDExDd5MZSO0MfOOWEVZmdkRllpNMfm1FjMjkMnmw1NUd3zPDfvcnDJlil",
                "mjcKCrJzTU6TChLsnPmgnQJJMR616J4yWvdZWDUeXkk6vL6dLyS7rcVOQlADlVjA",
                "duwNf97YPLqhFIk7kZF0dDdGYVAXStA7BeEz0fIT9RAhUbixJtyS6kJ3hhzJsRXC",
                "aHb4Ur1cK1biW3sgibqUFs39SE58f9d5Xwf4uEW0tFh7ibun5g035QKSktxoOBfE",
                "T59MTDLWlpRW16JVeZ2Nju5A5C98WkMm8CSzWC4oqynUlTm1zXOxyauT8LmwXEv9",
                "Rl1KOMDCpSg6xviMYOkNk9ENUB5QOTnufXukVe0Ijd40yduAlpHn78at3rJyJN4F",
                "N3Swv7WaBF7S2rzA12UkPunM3udJiDddbgv1W7CzFGnsQXH9H62zzSCST0CndjeE",
                "2wiKgTLyllTCu0QWXaEtKWX9tUQ5iQMiDQqTQPdUe2bZ1IVT9aXoS6o19wkYIKl2",
            ),
        ),
        (
            _FIX_DOCS,
            (
                "sBRXrJx2DsOraMXOaUovEhgVRcjOvCtQwnWj8VxkOh1xqboS02SPGfKi2h8spZJb",
                "W5rcOD30c0gT4jHK8oX5d5NbzWoa0k4SFVoTHIFNJVZ3NuRpYb6ZyJznj8THyx5d",
            ),
        ),
        (
            _KEY_TYPES_FAQ,
            (
                "Fhs4lGae2qAi6VNjbJjebUAwXrIChb7mlf372UOICMwdKaNdNBGKtfdeUff2TTTT",
                "8nUlqtrrxC8DEOAczw9SKATDYZN9nbLfYlbBFfHzRQUXdAtYCPI6XtxmJBS7aOBb",
            ),
        ),
        (_TESTNET_DOCS, ("hPMuBVVD3IhjBfIc7EEM438LbtayMDx4dviPWwm127jwn8qd9H3kv5JBoDfsdYMB",)),
        (
            _HMAC_EXAMPLE,
            (
                "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9",
                "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83",
            ),
        ),
        # Found in copies of those docs shipped by python-binance (utils/*_docs.txt).
        (
            _DERIVATIVES_DOCS,
            (
                "vE3BDAL1gP1UaexugRLtteaAHg3UO8Nza20uexEuW1Kh3tVwQfFHdAiyjjY428o2",
                "yeqKcXjtA9Eu4Tr3nJk61UJAGzXsEmFqqfVterxpMpR4peNfqE7Zl7oans8Qj089",
                "HMOchcfii9ZRZnhjp2XjGXhsOBd6msAhKz9joQaWwZ7arcJTlD2hGPHQj1lGdTjR",
                "HMOchcfiT9ZRZnhjp2XjGXhsOBd6msAhKz9joQaWwZ7arcJTlD2hGPHQj1lGdTjR",
                "HsOehcfih8ZRxnhjp2XjGXhsOBd6msAhKz9joQaWwZ7arcJTlD2hGOGQj1lGdTjR",
                "xTaDyrmvA9XT2oBHHjy39zyPzKCvMdtH3b9q4xadkAg2dNSJXQGCxzui26L823W2",
                "vmPUZE6mv9SD5VNHk9HlWFsOr9aLE2zvsw0MuIgwCIPy8atIco14y7Ju91duEh8A",
                "YtP1BudNOWZE1ag5uzCkh4hIC7qSmQOu797r5EJBFGhxBYivjj8HIX0iiiPof5yG",
                "22BjeOROKiXJ3NxbR3zjh3uoGcaflPu3VMyBXAg8Jj2J1xVSnY0eB4dzacdE9IWn",
                # USDⓈ-M futures WebSocket API, New Algo Order example request.
                "autoApiKey7mM4kPWaRuTUypdTEZKG8U8tDjO64xdBJBrmE1nXU2XSwdxGPyXcYx",
            ),
        ),
        # User-data-stream listenKeys: not credentials, but key-shaped.
        (
            _LISTEN_KEYS,
            (
                "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1",
                "OfYGbUzi3PraNagEkdKuFwUHn48brFsItTdsuiIXrucEvD0rhRXZ7I6URWfE8YE8",
                "3HBntNTepshgEdjIwSUIBgB9keLyOCg5qv3n6bYAtktG8ejcaW5HXz9Vx1JgIieg",
                "gN0SiRrevtS4O0ufdCpzd4N0MzHu2lVmwbHh6hj4g9eTT9Yfe55eUc4klmsEhnwC",
                "vmNt6gl1so8bXVsaAY153FG5tf63QaODxUarKUM8V8rY4ElSwEe431DNIYNKOkQp",
                # COIN-M futures docs: user-data-streams.md, Event-User-Data-Stream-Expired.md.
                "XaEAKTsQSRLZAGH9tuIu37plSRsdjmlAVBoNYPUITlTAko1WI22PgmBMpI1rS8Yh",
                "WsCMN0a4KHUPTQuX6IUnqEZfB1inxmv1qR4kbf1LuEjur5VdbzqvyxqG9TSjVVxv",
            ),
        ),
        # The "special key" (low-latency margin) API's example responses.
        (
            _SPECIAL_KEYS,
            (
                "npOzOAeLVgr2TuxWfNo43AaPWpBbJEoKezh1o8mSQb6ryE2odE11A4AoVlJbQoGx",
                "87ssWB7azoy6ACRfyp6OVOL5U3rtZptX31QWw2kWjl1jHEYRbyM1pd6qykRBQw8p",
                "znpOzOAeLVgr2TuxWfNo43AaPWpBbJEoKezh1o8mSQb6ryE2odE11A4AoVlJbQoG",
            ),
        ),
        (
            _PYTHON_BINANCE,
            (
                "u4L8MG2DbshTfTzkx2Xm7NfsHHigvafxeC29HrExEmah1P8JhxXkoOu6KntLICUc",
                "hBZEqhZUUS6YZkk7AIckjJ3iLjrgEFr5CRtFPp5gjzkrHKKC9DAv4OH25PlT6yq5",
                "HjhMFvuF1veWQVdUbLIy7TiCYe9fj4W6sEukmddD8TM9kPVRHMK6nS2SdV5mwE5u",
                "Suu9pWcO9zbvVuc6cSQsVuiiw2DmmA8DgHrUfePF9s2RtaHa0zxK3eAF4MfIk7Pd",
                "227719da8d8499e8d3461587d19f259c0b39c2b462a77c9b748a6119abd74401",
                "b14b935f9cfacc5dec829008733c40da0588051f29a44625c34967b45c11d73c",
            ),
        ),
        (
            _TOOLBOX,
            (
                "HgqYVs88y09aQkLfLpkI0Ag0eCefl5X1R8D1QQVudrKcLP7jwjRQDf49R8GeCbs3",
                "ozGtlLjBTYcuyLRw2hZCh3PnAk1L828vR3qsWaFDFLeW4ffCfY3LWxlzYm9FxsZ9",
            ),
        ),
        (
            _NODE_BINANCE,
            (
                "5enQYcMQk2J3syHCao9xgJOnnPoGtDMhSRRAzG2Gxo90TBzXPG1itcXikQc2VRDh",
                "uWJQXigS3AjftKe8c6xK2t3rkTqkmfeeNPwcycBLGXXsuU4eUvLkPY9qcOnB2UYI",
            ),
        ),
    )
    for value in values
}

# Keys Binance's own examples once held as someone's working (testnet) keys, found by scanning
# the whole history of Binance's repositories: public since, copied with the examples, so
# informational; kept by sha256 of the value, as they were never meant as examples.
_COMMITTED = "a key committed to Binance's {} (public in its history)"
_COMMITTED_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "binance-connector-go examples/c2c/GetC2CTradeHistory/GetC2CTradeHistory.go",
        (
            "e3b2f88011bc6ca17b7a0b0ffecc7847369016ec01b071ef403fae0a1253aae2",
            "fe7ae7f14e84ea2e7d94175349561a7a4974e907e8622003a38c69dbb9946016",
        ),
    ),
    (
        "binance-connector-java src/test/java/examples/PrivateConfig.java",
        ("c4afd71ab7b75cdf28e749303d14472fe867e8cfaadc3ea25fcfc197449c99db",),
    ),
    (
        "binance-connector-python clients/convert/examples (list_all_convert_pairs.py)",
        (
            "ba0def0d89b0fd3077e2cf0ac2ab1d82a6cb0dd40245d0068a51a57d33d241b6",
            "1ddf3901c52fabb03f9049d81a501a6f1c6cb472a3d4d903cc047e4f055e29d4",
        ),
    ),
    (
        "binance-connector-python examples/websocket/spot (all.py, user_data.py)",
        (
            "12843c55e9c45e8fdb29f01de349896733396e2a8e8008c37642f5c238d2163b",
            "0b657c3b32b075a12ace1f6f3e76409f81e76484d20ea95cc409d184b088ae5e",
        ),
    ),
    (
        "binance-connector-python examples/spot/blvt/user_limit_info.py",
        (
            "837c36e0e488641f69d273dfe538bf13bcca586f04322630b87812623e91340a",
            "9620a6a5f4b28bdcdb0219c2045c20b8fc5b9fe8fc39e17ed929674ed282aaed",
        ),
    ),
    (
        "binance-connector-python examples/futures/account/change_position_side.py",
        (
            "25b06ff6dd81bbb405c9fe22ead1fccff58ed6142bcca308837163630acd8b63",
            "fbb5d1d8bdb1ea2eef31bc33068cd5139b147fbb2e3e0636292d033221c78984",
        ),
    ),
    (
        "binance-connector-python examples/testnet-intial.py",
        (
            "1f303d764551577aec8156dfbe4424a7d6b13ddb2b5c775ea5a457935e54b8a3",
            "b7dc3abe56063a5a89b5289b82551b5401e15ef9be0f156d5951ac839d40a167",
        ),
    ),
    (
        "binance-public-data download_api notebook (pull requests 81-82, by a Binance author)",
        ("3be828096fe22a570434f2c6c55f7178f88b39299c46bbd74f723210a78fb4e6",),
    ),
    (
        "binance-futures-connector-python README.md",
        (
            "88dbb106d035e0bc06e19b75433582eb1de9b6c801aa06843fb5cd64f826852d",
            "0650076ad34c0b9a91504801e2cc3d560284773f83ec159c80c1de340be610f7",
        ),
    ),
)
# php-binance-api's examples/constructor.php (2018 to now; composer installs it under
# vendor/jaggedsoft/php-binance-api), whose first pair node-binance-api's test.js held in 2018.
_PHP_BINANCE = (
    "php-binance-api's examples (examples/constructor.php, in vendor/jaggedsoft/php-binance-api)"
)
_PHP_BINANCE_KEYS = (
    "d0b9d1c98e839103403d8e493e8e62361073203d50bbfe0de500b0a1d2a48f50",
    "ca717f948c37751b18e0ab2f3ccbe67343dbf53a4d0ada098412824700a691c1",
    "0c6b2f7693aac237ecb75801ec87d83adf6f766d1efcf178cfec984574d21863",
    "b5845dd10dcc0d1c368a3ec00d184ea8cdbde9e0323be23fe0450a9009371f99",
    "db23d4509047670023695b152c4c2ddd4b22d3c58d2ef3c77de2a997a59d3ee5",
    "5bb0bc4805025b6bf46e5d823348e2b999be7b1be08f9eba0eb83348635bae58",
)
EXAMPLE_KEY_FINGERPRINTS: dict[str, str] = {
    fingerprint: source
    for source, fingerprints in (
        (_PHP_BINANCE, _PHP_BINANCE_KEYS),
        *((_COMMITTED.format(where), keys) for where, keys in _COMMITTED_KEYS),
    )
    for fingerprint in fingerprints
}

# Private keys Binance publishes, by sha256 of the PEM body's base64 (armour, newlines and
# "\n" escapes removed), so that any wrapping or quoting of a copy matches.
EXAMPLE_PRIVATE_KEY_SOURCES: dict[str, str] = {
    "b608935f7ef9f033854043a898e181c6382c9fbb99f377646f8a3b5b0afbc948": _SIGNATURE_EXAMPLES,
    "0a43f2da37197a03bef77c986aa65c3763bf6a6612f0834ab32bbbc30c321212": _SIGNATURE_EXAMPLES,
    "5053ebf5ac726b85783e41f802c78d0144c7c675236324d218ffe9090963528e": _FIX_KEY,
    "a3f08b75ebcbed21f68a43ad58b69ca50a8b6228239929b59d027e0ae507b920": _ED25519_TESTS,
    "bba6cbcfdae18dfc26b8e44fd327b254263f88abca390ebda781ce5bd0ec33c7": _JAVA_TESTS,
    "52f7a9e619e1d0788f0d45eff616af0e29506ea4e6ffa6ebfbf23b11b403585b": _JAVA_TESTS,
    "ffa3908055e4c4b8741db9b6b9284bf3ea05ccebf2f7d85628efc45679dfde8c": _JAVA_TESTS,
    "62ed44339c2ee4ea12644b6aa9a34a4c93068a12ea538627fa1c0a90a774dd65": _JAVA_TESTS,
    "3b170255f79fdd0517956136cbd165cf4f182d99fdee4a5ccbe5c96c395e513a": _JAVA_ED25519,
    "e9e08f9eac93655af6521cdad358720a2cd9f16a53b837f5586d4a7ba77795da": _FIX_CONNECTOR,
    # binance-connector-rust (2022-2023): its RSA test key plain and encrypted.
    "bc6a3677d7a95c660a643dda4c61dea6722aecd9688fb10cfe3472e834d705a8": _RUST_TESTS,
    "5c7e4ebaf4d9f40c6d680b0186f0bc581f1edd47a5cad02023b6f5a16db5a20c": _RUST_TESTS,
    "074e981635519756cf6f1e500796f418f2edd1e58bacb9119aa0df712bacce61": _PYTHON_BINANCE_KEYS,
    "a2679d72737928799000dd61bb04799a8e99ad065a593ab51fb51e710db9f870": _PYTHON_BINANCE_KEYS,
    # RFC 8032's Ed25519 test vectors (TEST 1, 2, 3, 1024, SHA(abc)): Binance clients' tests
    # sign with them (nautilus_trader's Binance adapter passes TEST 1 as its api_secret).
    "264d6dd92426f38122f7d15401d8acec52e6938858064e18695129710368516c": _RFC_8032,
    "eb591bdd633c3db3d3b85a2fcdb9733a678ae7f14336489fcac81dbfa90ac081": _RFC_8032,
    "cf76db321a89154fe29e064ed6c16ed4f7d21ac365447f317d51ed2fc6193617": _RFC_8032,
    "a02056003b674149f4f37a060f40a556f4ddaaa78ac7e4796bea79d03e5bdd1e": _RFC_8032,
    "afc580cbf0d7f255ecbbda439c9c6a5d013268aa3fe2c2a1249f2e3dddaa53a0": _RFC_8032,
}
