"""The shapes issue 15 found in real code, one judgement each, with its reason in ``reasons``.

Keys are generated per run (random, same alphabet as Binance's); the snippets are shaped after
files of the real-world corpus (fixtures/realworld).
"""

from __future__ import annotations

import base64
import secrets
import string

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from binance_guard.detection.heuristics import random_key_verdict
from binance_guard.detection.prefilter import has_candidates
from binance_guard.detection.scanner import scan_bytes
from binance_guard.finding import API_KEY, GENERIC_PRIVATE_KEY, SECRET_KEY, Confidence, Finding
from testing.keys import fake_ed25519_pem

ALNUM = string.ascii_letters + string.digits


def key() -> str:
    """A random key that also reads as one (about one in 400,000 spells "dummy" and the like)."""
    while True:
        value = "".join(secrets.choice(ALNUM) for _ in range(64))
        if random_key_verdict(value) is None and value.upper() != value:
            return value


def hex_key() -> str:
    return secrets.token_hex(32)


def scan(text: str, path: str = "app/main.js") -> list[Finding]:
    return scan_bytes(text.encode(), path)


def blocking(findings: list[Finding]) -> list[tuple[str, int]]:
    return [
        (f.type, f.line)
        for f in findings
        if f.confidence >= Confidence.MEDIUM and not f.public_example
    ]


@pytest.mark.parametrize("make", [key, hex_key])
def test_string_named_setter(make: object) -> None:
    k, s = make(), make()  # type: ignore[operator]
    text = (
        "const Binance = require('node-binance-api');\n"
        "const binance = new Binance().options()\n"
        f"binance.setOption('APIKEY', '{k}')\n"
        f"binance.setOption('APISECRET', '{s}')\n"
    )
    findings = scan(text)
    assert blocking(findings) == [(API_KEY, 3), (SECRET_KEY, 4)]
    assert "assigned to 'APIKEY'" in findings[0].reasons


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ('config.set("apiSecret", "{v}");', SECRET_KEY),
        ('props.put("binance.secret", "{v}");', SECRET_KEY),
        ('props.put("binance.apiKey", "{v}");', API_KEY),
        ('api_secret = os.getenv("{v}")', SECRET_KEY),
    ],
)
def test_named_by_a_string_argument(line: str, kind: str) -> None:
    text = "// binance client setup\n" + line.format(v=key()) + "\n"
    assert blocking(scan(text)) == [(kind, 2)]


def test_rspec_let_binding_far_from_the_binance_word() -> None:
    filler = "".join(f"  # spec helper line {n}\n" for n in range(20))
    text = (
        "RSpec.describe BinanceClient do\n"
        + filler
        + f"  let(:api_key) {{ '{key()}' }}\n"
        + f"  let(:api_secret) {{ '{key()}' }}\n"
    )
    assert blocking(scan(text, "spec/client_spec.rb")) == [(API_KEY, 22), (SECRET_KEY, 23)]


def test_values_alone_on_a_line_take_their_role_from_the_label_above() -> None:
    text = (
        "// Binance portfolio form\n"
        '<div className="key">API KEY :</div>\n'
        '<input type="text" placeholder="API key" />\n'
        "<span>\n"
        f"  {key()}\n"
        "</span>\n"
        '<div className="key">API SECRET :</div>\n'
        '<input type="text" placeholder="API secret" />\n'
        "<span>\n"
        f"  {key()}\n"
        "</span>\n"
    )
    findings = scan(text, "src/components/Portfolio.js")
    assert blocking(findings) == [(API_KEY, 5), (SECRET_KEY, 10)]
    assert any(r.startswith("labelled 'secret'") for r in findings[1].reasons)


def test_markdown_table_cell_names_the_value() -> None:
    text = f"# Binance bot setup\n\n| Name | Value |\n|---|---|\n| Secret Key | {key()} |\n"
    assert blocking(scan(text, "README.md")) == [(SECRET_KEY, 5)]


def test_openssl_hmac_argument_is_a_secret() -> None:
    text = (
        f'echo -n "$QUERY" | openssl dgst -sha256 -hmac "{key()}"\n'
        f'curl -H "X-MBX-APIKEY: {key()}" https://api.binance.com/api/v3/account\n'
    )
    assert blocking(scan(text, "buy.sh")) == [(SECRET_KEY, 1), (API_KEY, 2)]


@pytest.mark.parametrize(
    "name", ["JWT_SECRET", "SESSION_SECRET", "WEBHOOK_SECRET", "DB_PASSWORD", "KUCOIN_API_SECRET"]
)
def test_other_services_secrets_are_vetoed(name: str) -> None:
    text = f"BINANCE_API_KEY={key()}\n{name}={key()}\n"
    findings = scan(text, ".env")
    assert blocking(findings) == [(API_KEY, 1)]
    (other,) = [f for f in findings if f.line == 2]
    assert other.confidence is Confidence.LOW
    assert other.pair is None
    assert "another service's secret" in other.reasons[0]


def test_django_secret_key_is_not_a_binance_secret() -> None:
    text = (
        "INSTALLED_APPS = ['django.contrib.admin', 'trading']\n"
        f"SECRET_KEY = '{key()}'\n"
        "BINANCE_BASE_URL = 'https://api.binance.com'\n"
    )
    findings = scan(text, "settings.py")
    assert blocking(findings) == []
    assert "web framework" in findings[0].reasons[0]


def test_no_binance_context_is_never_blocking() -> None:
    text = f"FIRST = '{key()}'\nSECOND = '{key()}'\n"
    findings = scan(text, "settings.py")
    assert findings  # reported, but only as low
    assert all(f.confidence is Confidence.LOW for f in findings)


def test_minified_file_without_binance_is_quiet() -> None:
    chunk = "".join(f'var a{n}="{key()}",k{n}={{apiKey:"{key()}"}};' for n in range(1500))
    data = ("/*! bundle */\n" + chunk + "\n").encode()
    assert len(data) > 200_000
    assert scan_bytes(data, "dist/app.min.js") == []
    # Quiet because generated, not because blind: a short file of the same lines reports.
    assert scan_bytes(data[:2000], "dist/app.min.js")


def test_binance_published_private_key_is_a_public_example() -> None:
    fix_docs_key = (
        "-----BEGIN PRIVATE KEY-----\n"
        "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n"
        "-----END PRIVATE KEY-----\n"
    )
    (finding,) = scan("Binance FIX API logon example:\n" + fix_docs_key, "fix-api.md")
    assert finding.public_example
    assert "fix-api.md" in finding.reasons[-1]
    fresh = fake_ed25519_pem()
    (mine,) = scan("Binance FIX API logon example:\n" + fresh, "fix-api.md")
    assert not mine.public_example


@pytest.mark.parametrize("newline", ["", "\n"])
def test_kubernetes_secret_base64_data(newline: str) -> None:
    """``data:`` values are base64 (``echo key | base64`` adds the newline): decoded, named."""
    k, s = key(), key()

    def encode(value: str) -> str:
        return base64.b64encode((value + newline).encode()).decode()

    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: binance-bot\ntype: Opaque\ndata:\n"
        f"  BINANCE_API_KEY: {encode(k)}\n"
        f"  BINANCE_API_SECRET: {encode(s)}\n"
    )
    findings = scan(text, "k8s/secret.yaml")
    assert blocking(findings) == [(API_KEY, 7), (SECRET_KEY, 8)]
    assert [f.secret for f in findings] == [k, s]
    assert findings[0].reasons[0].startswith("base64-encoded once")


@pytest.mark.parametrize(
    "line",
    [
        "hook?cfg=%7B%22exchange%22%3A%22binance%22%2C%22apiKey%22%3A%22{k}%22%2C"
        "%22secretKey%22%3A%22{s}%22%7D",
        "POST https://api.binance.com/x body=apikey%3d{k}%26secret%3d{s}%26recvWindow%3D5000",
    ],
)
def test_url_encoded_key_is_found_on_its_decoded_line(line: str) -> None:
    """JSON or a form body nested in a URL: the escape's hex digits join the key's run, and
    its name and quotes are escapes too; the line is read decoded."""
    k, s = key(), key()
    findings = scan("# binance webhook\n" + line.format(k=k, s=s) + "\n", "notes/webhooks.txt")
    assert blocking(findings) == [(API_KEY, 2), (SECRET_KEY, 2)]
    assert [f.secret for f in findings] == [k, s]
    assert findings[0].reasons[0].startswith("URL-encoded")
    assert "assigned to 'secret" in " ".join(findings[1].reasons)


@pytest.mark.parametrize(
    ("quote", "reason"), [("\\u0022", "JSON-escaped"), ("\\x22", "escaped"), ("%22", "URL-encoded")]
)
def test_quote_escaped_with_hex_digits(quote: str, reason: str) -> None:
    """A quote escaped as \\u0022 (.NET's System.Text.Json inside a string), \\x22 or %22: the
    escape's digits join the key's run; the line is read with them decoded."""
    k, s = key(), key()
    q = quote
    line = f"{q}exchange{q}:{q}binance{q},{q}apiKey{q}:{q}{k}{q},{q}secretKey{q}:{q}{s}{q}"
    findings = scan('{"config": "{' + line + '}"}\n', "logs/requests.json")
    assert blocking(findings) == [(API_KEY, 1), (SECRET_KEY, 1)]
    assert [f.secret for f in findings] == [k, s]
    assert findings[0].reasons[0].startswith(reason)


def test_url_encoded_base64_is_not_a_key() -> None:
    """A base64 blob URL-encoded ('+' as %2B, '/' as %2F) stays a blob once decoded."""
    k = key()
    text = f"binance image: data%3Aimage%2Fpng%3Bbase64%2C%2B{k}%2FAAAA%3D\n"
    assert blocking(scan(text, "page.html")) == []


@pytest.mark.parametrize(
    "name", ["CRYPTOCOMPARE_API_KEY", "COINGLASS_API_KEY", "AES_KEY", "LICENSE_KEY"]
)
@pytest.mark.parametrize("make", [key, hex_key])
def test_market_data_and_purpose_names_veto(name: str, make: object) -> None:
    """A bot's .env holds keys of market-data providers (a CryptoCompare key is 64 hex
    characters) and of its own encryption beside the Binance pair: only the pair is Binance's."""
    k, s, other = key(), key(), make()  # type: ignore[operator]
    text = f"BINANCE_API_KEY={k}\nBINANCE_API_SECRET={s}\n{name}={other}\n"
    findings = scan(text, ".env")
    assert blocking(findings) == [(API_KEY, 1), (SECRET_KEY, 2)]
    assert not [f for f in findings if f.line == 3 and f.confidence >= Confidence.MEDIUM]


def test_base64_that_is_not_a_key_is_ignored() -> None:
    blob = base64.b64encode(secrets.token_bytes(64)).decode()
    text = f"# binance bot state\ndata:\n  BINANCE_STATE: {blob}\n"
    assert scan(text, "k8s/secret.yaml") == []


def test_value_on_the_line_after_its_assignment() -> None:
    text = (
        'import { USDMClient } from "binance";\n'
        "const api_key =\n"
        f'\t"{hex_key()}"; //process.env.API_KEY;\n'
        "const api_secret =\n"
        f'\t"{hex_key()}"; //process.env.API_SECRET;\n'
    )
    findings = scan(text, "src/clients.ts")
    assert blocking(findings) == [(API_KEY, 3), (SECRET_KEY, 5)]
    assert "assigned to 'api_key'" in findings[0].reasons


def test_sha512_integrity_digests_do_not_wake_the_prefilter() -> None:
    """package-lock.json's base64 sha512 digests are 86 characters and "==" like an encoded
    key; one time in fifteen they are all alphanumeric. None of them decodes to a key."""
    digests = [base64.b64encode(secrets.token_bytes(64)).decode() for _ in range(2000)]
    lone = [d for d in digests if d.endswith("==") and d[:-2].isalnum()]
    assert lone  # the shape really occurs
    data = "".join(f'"integrity": "sha512-{d}",\n' for d in lone).encode()
    assert not has_candidates(data)


@pytest.mark.parametrize("word", ["EXAMPLE", "Sample", "dummy", "PLACEHOLDER"])
def test_placeholder_word_inside_a_value(word: str) -> None:
    """Library docs write EXAMPLE into an otherwise random key (tiagosiebler/binance)."""
    real = key()
    fake = real[: 30 - len(word) // 2] + word + real[30 + (len(word) + 1) // 2 :]
    fake = fake[:64]
    assert len(fake) == 64
    text = f"// binance RSA example\nconst api_key =\n  '{fake}';\nconst other = '{real}';\n"
    assert blocking(scan(text, "examples/auth.ts")) == [(API_KEY, 4)]


def test_pem_body_with_example_is_a_placeholder() -> None:
    body = base64.b64encode(secrets.token_bytes(600)).decode()
    body = body[:20] + "EEEEXAMPLE" + body[30:]
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{lines}\n-----END RSA PRIVATE KEY-----"
    text = f"// binance\nconst k = `\n{pem}\n`;\n"
    assert scan(text, "examples/rest-private-rsa.ts") == []


def test_a_line_deep_in_a_long_armour_block_is_its_body() -> None:
    """Anything in an armour block is the block's (a PGP header's value here, 16 KB below its
    BEGIN line), not a key; a value after the block is judged as any other."""
    # Each body line starts with "/" (its first byte's top six bits set): no line is a run.
    body = [base64.b64encode(b"\xfc" + secrets.token_bytes(47)).decode() for _ in range(280)]
    body[250] = f"Secret: {key()}"
    cert = "\n".join(["-----BEGIN CERTIFICATE-----", *body, "-----END CERTIFICATE-----"])
    text = f'# binance\nAPI_KEY = "{key()}"\nCERT = """\n{cert}\n"""\nAPI_SECRET = "{key()}"\n'
    assert blocking(scan(text, "settings.py")) == [(API_KEY, 2), (SECRET_KEY, len(body) + 7)]


@pytest.mark.parametrize("name", ["BITVAVO_API_KEY", "BINGX_SECRET", "POLONIEX_API_SECRET"])
def test_other_exchanges_named_in_the_variable(name: str) -> None:
    text = f"BINANCE_API_KEY='{key()}'\n{name}='{hex_key()}'\n"
    findings = scan(text, "updater.py")
    assert blocking(findings) == [(API_KEY, 1)]


@pytest.mark.parametrize(
    ("opening", "closing"),
    [
        ('  "bitvavo": {\n    "credentials": {\n', "    }\n  },\n"),
        ('  "exchange_b": {\n      "name": "kucoin",\n', "  },\n"),
    ],
)
def test_a_block_of_another_exchange_vetoes_its_keys(opening: str, closing: str) -> None:
    """A multi-exchange config: the generic ``api_key`` inside another exchange's block."""
    text = (
        "{\n"
        + opening
        + f'      "api_key": "{hex_key()}",\n'
        + f'      "api_secret": "{key()}"\n'
        + closing
        + '  "binance": {\n'
        + f'    "api_key": "{key()}",\n'
        + f'    "api_secret": "{key()}"\n'
        + "  }\n}\n"
    )
    findings = scan(text, "config/exchanges.json")
    lines = text.split("\n")
    binance_key = next(n for n, line in enumerate(lines, 1) if line == '  "binance": {') + 1
    assert blocking(findings) == [(API_KEY, binance_key), (SECRET_KEY, binance_key + 1)]
    vetoed = [f for f in findings if f.line < binance_key]
    assert vetoed and all(f.confidence is Confidence.LOW for f in vetoed)
    assert any(r.startswith("inside '") for r in vetoed[0].reasons)


def test_toml_section_of_another_exchange() -> None:
    text = f"[binance]\napi_key = '{key()}'\n\n[bybit]\napi_key = '{key()}'\n"
    assert blocking(scan(text, "config.toml")) == [(API_KEY, 2)]


def test_named_hex_pair_far_below_the_binance_import() -> None:
    filler = "".join(f"\t// step {n}\n" for n in range(15))
    text = (
        'import "github.com/adshao/go-binance/v2/futures"\n'
        + filler
        + f'\tApiKey := "{hex_key()}"\n'
        + f'\tSecretKey := "{hex_key()}"\n'
    )
    findings = scan(text, "cex/wrapper.go")
    assert blocking(findings) == [(API_KEY, 17), (SECRET_KEY, 18)]
    assert "each under its own name" in findings[0].reasons[-2]
    # A lone hex value under a key name that far away is still taken for a digest.
    lone = text.replace(text.split("\n")[17], "")
    assert blocking(scan(lone, "cex/wrapper.go")) == []


def test_named_hex_pair_without_binance_is_low() -> None:
    text = f'{{\n  "apiKey": "{hex_key()}",\n  "secretKey": "{hex_key()}",\n  "testnet": true\n}}\n'
    findings = scan(text, "settings.json")
    assert [(f.type, f.line) for f in findings] == [(API_KEY, 2), (SECRET_KEY, 3)]
    assert all(f.confidence is Confidence.LOW for f in findings)
    # A lock file of digests never says "secret": its hex runs are not even read.
    lock = "".join(f'checksum = "{hex_key()}"\n' for _ in range(50))
    assert scan(lock, "Cargo.lock") == []


def test_hmac_output_under_a_published_secret_is_not_a_key() -> None:
    """Binance's derivatives docs print ``(stdin)= <hmac>`` under ``openssl dgst -hmac``: the
    digest must not pair with the secret above and borrow its confidence."""
    secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
    text = (
        "Binance options API: signed request example\n"
        f'$ echo -n "symbol=BTC&timestamp=1" | openssl dgst -sha256 -hmac "{secret}"\n'
        f"(stdin)= {hex_key()}\n"
    )
    findings = scan(text, "docs/general-info.md")
    assert [f.line for f in findings] == [2]
    assert findings[0].public_example and findings[0].pair is None


def test_algo_order_example_key_is_published() -> None:
    example = "autoApiKey7mM4kPWaRuTUypdTEZKG8U8tDjO64xdBJBrmE1nXU2XSwdxGPyXcYx"
    text = f'{{\n  "params": {{\n    "apiKey": "{example}",\n'
    (finding,) = scan("Binance futures New Algo Order\n" + text, "New-Algo-Order.md")
    assert finding.public_example


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("- **API Key**: `{v}`", API_KEY),
        ("- **API Secret**: `{v}`", SECRET_KEY),
        ("Secret Key: {v}", SECRET_KEY),
        ("*Secret Key*: {v}", SECRET_KEY),
    ],
)
def test_labels_in_prose_and_markdown_emphasis(label: str, kind: str) -> None:
    text = "# Binance testnet keys\n\n" + label.format(v=hex_key()) + "\n"
    findings = scan(text, "notes.md")
    assert blocking(findings) == [(kind, 3)]


def test_code_keywords_do_not_join_the_name() -> None:
    text = f'// binance\nclass C {{\n  private apiKey = "{key()}";\n}}\n'
    (finding,) = scan(text, "client.ts")
    assert finding.type == API_KEY
    assert "assigned to 'apiKey'" in finding.reasons


def test_wallet_private_key_in_web3_code_is_not_a_binance_secret() -> None:
    text = (
        "from web3 import Web3\n"
        'web3 = Web3(Web3.HTTPProvider("https://data-seed-prebsc-1-s1.binance.org:8545/"))\n'
        'wallet_address = "0x9e428f4042Be817983C2a810eDeA37CBa6aB940E"\n'
        f'private_key = "{hex_key()}"\n'
    )
    findings = scan(text, "wrap.py")
    assert blocking(findings) == []
    assert "blockchain wallet" in findings[0].reasons[0]
    # The same name without a wallet around it is still a Binance futures-testnet secret.
    testnet = f'# Binance futures testnet\napi_key = "{hex_key()}"\nprivate_key = "{hex_key()}"\n'
    assert blocking(scan(testnet, "config.py")) == [(API_KEY, 2), (SECRET_KEY, 3)]


def test_wrapped_arguments_keep_their_position() -> None:
    """binance-rs: ``Binance::new(Some("…".into()), Some("…".into()))``."""
    text = (
        "use binance::api::*;\n"
        f'let account: Account = Binance::new(Some("{key()}".into()), Some("{key()}".into()));\n'
    )
    assert blocking(scan(text, "src/main.rs")) == [(API_KEY, 2), (SECRET_KEY, 2)]


@pytest.mark.parametrize(
    ("call", "kind"),
    [
        ("config.setSecretKey", SECRET_KEY),
        ("builder.apiKey", API_KEY),
        ("withApiSecret", SECRET_KEY),
    ],
)
def test_a_setter_names_its_argument(call: str, kind: str) -> None:
    text = f'// binance client\n{call}("{key()}");\n'
    assert blocking(scan(text, "Main.java")) == [(kind, 2)]


def test_sql_values_take_their_column_names() -> None:
    text = (
        "-- binance accounts\n"
        "INSERT INTO api_keys (exchange, api_key, api_secret) "
        f"VALUES ('binance', '{key()}', '{key()}');\n"
    )
    findings = scan(text, "seed.sql")
    assert blocking(findings) == [(API_KEY, 2), (SECRET_KEY, 2)]
    assert "assigned to 'api_secret'" in findings[1].reasons


@pytest.mark.parametrize(
    "line",
    [
        "@click.option('--secret', default='{v}')",
        "parser.add_argument('--api-secret', default='{v}')",
    ],
)
def test_a_default_takes_the_name_of_its_option(line: str) -> None:
    text = "# binance bot\n" + line.format(v=key()) + "\n"
    findings = scan(text, "cli.py")
    assert blocking(findings) == [(SECRET_KEY, 2)]


def _ed25519_body() -> str:
    return fake_ed25519_pem().split("\n")[1]


def test_ed25519_private_key_without_its_armour() -> None:
    """``BINANCE_PRIVATE_KEY=MC4CAQAw…`` in a .env: the PKCS#8 body on its own line, with or
    without "+" and "/" (without them it is also a 64-character run, reported once)."""
    plain: list[str] = []  # about one body in four has no "+" or "/"
    other: list[str] = []
    while len(plain) < 4 or len(other) < 4:
        body = _ed25519_body()
        (plain if body.isalnum() else other).append(body)
    for body in plain[:4] + other[:4]:
        text = f"BINANCE_API_KEY={key()}\nBINANCE_PRIVATE_KEY={body}\n"
        assert has_candidates(f"PRIVATE_KEY={body}\n".encode())
        findings = scan(text, ".env")
        assert [(f.type, f.line) for f in findings] == [(API_KEY, 1), ("binance_private_key", 2)]
        loaded = serialization.load_pem_private_key(findings[1].secret.encode(), None)
        assert isinstance(loaded, ed25519.Ed25519PrivateKey)
        assert findings[1].reasons[0] == "an Ed25519 PKCS#8 body without its PEM armour"


def _rsa_pkcs8_body(public: bool = False) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if public
        else key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return "".join(pem.decode().strip().split("\n")[1:-1])


def test_rsa_private_key_without_its_armour() -> None:
    """A Spring bot's ``binance.private-key=MIIEvQIBADAN…`` (devso95/bot-binance-api's
    application.properties): the RSA PKCS#8 body on one line, no BEGIN/END lines. Reported as
    the armoured key is; cut short, or a public key, it is not one."""
    body = _rsa_pkcs8_body()
    properties = f"binance.api-key={key()}\nbinance.private-key={body}\n"
    findings = scan(properties, "src/main/resources/application.properties")
    assert blocking(findings) == [(API_KEY, 1), ("binance_private_key", 2)]
    assert findings[1].reasons[0] == "an RSA PKCS#8 body without its PEM armour"
    assert findings[1].algorithm == "rsa"
    loaded = serialization.load_pem_private_key(findings[1].secret.encode(), None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    (generic,) = scan(f"SIGNING_KEY={body}\n", ".env")
    assert (generic.type, generic.confidence) == (GENERIC_PRIVATE_KEY, Confidence.MEDIUM)
    (quoted,) = scan(f'{{"binance": {{"privateKey": "{body}"}}}}\n', "config.json")
    assert quoted.type == "binance_private_key"
    assert scan(f"binance\nKEY={body[:-40]}\n", ".env") == []
    assert scan(f"binance\nPUBLIC_KEY={_rsa_pkcs8_body(public=True)}\n", ".env") == []
    assert scan(f"binance\nKEY=x{body}\n", ".env") == []  # part of a longer token


def test_bare_ed25519_placeholders_and_other_services() -> None:
    zeros = "MC4CAQAwBQYDK2VwBCIEI" + "A" * 43
    assert scan(f"binance\nK={zeros}\n", ".env") == []
    (coinbase,) = scan(f"# binance, coinbase\nCOINBASE_ED25519_KEY={_ed25519_body()}\n", ".env")
    assert coinbase.type == "private_key"


def test_define_named_after_another_service() -> None:
    """``define('JUPITER_API_KEY', '…')``: the first argument names the value, a key's
    fragments never do (a 64-character first argument is not a name)."""
    k, s = key(), key()
    text = (
        f"<?php\ndefine('BINANCE_API_KEY', '{k}');\ndefine('BINANCE_API_SECRET', '{s}');\n"
        f"define('JUPITER_API_KEY', '{key()}');\n"
    )
    findings = scan(text, "includes/config.php")
    assert blocking(findings) == [(API_KEY, 2), (SECRET_KEY, 3)]
    assert findings[2].confidence is Confidence.LOW
    positional = f'from binance.client import Client\nclient = Client("{k}", "{s}")\n'
    assert blocking(scan(positional, "bot.py")) == [(API_KEY, 2), (SECRET_KEY, 2)]


def test_pem_example_cut_short_is_not_a_key() -> None:
    """tiagosiebler/binance's examples: ``MC4CAQAwasdf…`` in armour is not a whole DER key."""
    text = (
        "// binance ws api\nconst privateKey = `-----BEGIN PRIVATE KEY-----\n"
        "MC4CAQAwasdfasfasf4VI6HF5a1mmn6Xwbbwqj5CzUuTy1\n-----END PRIVATE KEY-----\n`;\n"
    )
    assert scan(text, "examples/ws-api.ts") == []


def test_pem_split_over_joined_string_literals() -> None:
    pem = fake_ed25519_pem().strip().split("\n")
    java = 'String key = "' + '\\n" +\n    "'.join(pem) + '";\n'
    (finding,) = scan("// binance\n" + java, "Keys.java")
    assert finding.type == "binance_private_key"


def test_bech32_contract_addresses_are_not_keys() -> None:
    """CoinGecko's coin list in a Binance bot: Terra contracts are 64 lower-case characters."""
    address = "terra1nsuqsk6kh58ulczatwev87ttq2z6r3pusulg9r24mfj2fvtzd4uq3exn26"
    text = f'id,platforms\nastro,"{{""binance-smart-chain"":""0x1"",""terra-2"":""{address}""}}"\n'
    assert scan(text, "data/coins.csv") == []


def test_hex_secret_key_that_signs_jwts() -> None:
    """FastAPI's recipe (``openssl rand -hex 32``, HS256) beside a Binance key in one .env."""
    text = (
        f"BINANCE_API_KEY={key()}\nBINANCE_API_SECRET={key()}\n"
        f"SECRET_KEY={hex_key()}\nALGORITHM=HS256\nACCESS_TOKEN_EXPIRE_MINUTES=30\n"
    )
    findings = scan(text, ".env")
    assert blocking(findings) == [(API_KEY, 1), (SECRET_KEY, 2)]
    assert "web framework" in findings[2].reasons[0]
    # A mixed-case SECRET_KEY is a Binance secret even where JWTs are signed too.
    mixed = f"# binance\nAPI_KEY={key()}\nSECRET_KEY={key()}\nJWT_SECRET=change-me\n"
    assert blocking(scan(mixed, ".env")) == [(API_KEY, 2), (SECRET_KEY, 3)]


@pytest.mark.parametrize(
    "template",
    [
        "# binance\nBINANCE_CREDENTIALS={k}:{s}\n",
        '{{"binance": {{"{k}": "{s}"}}}}\n',
        "# Binance keys\n\n| {k} | {s} |\n",
    ],
)
def test_a_key_in_a_names_place_does_not_name_its_secret(template: str) -> None:
    """Fragments of a random key spell "id", "tx" or "db" once in about a hundred keys: read
    as a name, they vetoed the secret after it."""
    for _ in range(100):
        k, s = key(), key()
        findings = scan(template.format(k=k, s=s), "keys.txt")
        assert [(f.secret, f.type) for f in findings if f.confidence >= Confidence.MEDIUM] == [
            (k, API_KEY),
            (s, SECRET_KEY),
        ]


def test_a_settings_registry_names_by_its_constant() -> None:
    """ABP's seed data: ``AddSettingIfNotExists(CryptoBotNames.BinanceKey, "…")``; a call that
    takes credentials by position still reads them by position."""
    text = (
        "//Binance\n"
        f'AddSettingIfNotExists(CryptoBotNames.BinanceKey, "{key()}", null, 2);\n'
        f'AddSettingIfNotExists(CryptoBotNames.BinanceSecret, "{key()}", null, 2);\n'
    )
    assert blocking(scan(text, "Seed/DefaultSettingsCreator.cs")) == [(API_KEY, 2), (SECRET_KEY, 3)]
    positional = f'// binance\nclient.setCredentials(API_KEY, "{key()}");\n'
    assert blocking(scan(positional, "Main.java")) == [(SECRET_KEY, 2)]


def test_a_client_of_another_exchange_vetoes_its_keys() -> None:
    text = (
        "import ccxt\n"
        f"binance = ccxt.binance({{'apiKey': '{key()}', 'secret': '{key()}'}})\n"
        f"kucoin = ccxt.kucoin({{\n    'apiKey': '{hex_key()}',\n}})\n"
        f"signals = Py3CW(key='{hex_key()}')\nTHREECOMMAS_API_KEY = '{hex_key()}'\n"
    )
    findings = scan(text, "exchanges.py")
    assert blocking(findings) == [(API_KEY, 2), (SECRET_KEY, 2)]
    assert any(r.startswith("inside 'ccxt.kucoin'") for f in findings for r in f.reasons)
    # Storing a Binance key is not handing it to another service.
    row = f"{{'api_key': '{key()}', 'api_secret': '{key()}'}}"
    stored = f"# binance keys\ndb.users.insert_one({row})\n"
    assert blocking(scan(stored, "seed.py")) == [(API_KEY, 2), (SECRET_KEY, 2)]


def test_a_comment_heading_a_group_of_env_lines() -> None:
    """``# Bybit`` right above generic names heads them; a blank line ends the group, and a
    comment that is not a header (``# TODO: telegram alerts``) heads nothing."""
    text = (
        f"# Binance\nBINANCE_API_KEY={key()}\nBINANCE_API_SECRET={key()}\n\n"
        f"# Bybit\nAPI_KEY={key()}\nAPI_SECRET={key()}\n\n"
        f"# TODO: telegram alerts\nKEY={key()}\n"
    )
    findings = scan(text, ".env")
    assert blocking(findings) == [(API_KEY, 2), (SECRET_KEY, 3), (API_KEY, 10)]
    assert findings[2].reasons[0].startswith("inside 'bybit'")


def test_a_transposed_secret_name_still_names_a_secret() -> None:
    text = f'# binance accounts\n"ApiKey": "{key()}",\n"SecertKey": "{key()}"\n'
    assert blocking(scan(text, "setting.py")) == [(API_KEY, 2), (SECRET_KEY, 3)]


@pytest.mark.parametrize(
    ("call", "kind"),
    [
        ("generateSignature(uri, ", SECRET_KEY),
        ("getSignature(query, ", SECRET_KEY),
        ("sign(", SECRET_KEY),
        ("verifySignature(", None),
    ],
)
def test_a_call_that_signs_takes_the_secret(call: str, kind: str | None) -> None:
    text = f'// Binance REST client\nString signature = {call}"{key()}");\n'
    assert blocking(scan(text, "BinanceApiServiceImpl.java")) == ([(kind, 2)] if kind else [])


def test_bare_lines_of_a_file_named_for_them() -> None:
    """credentials.txt holding a key and its secret, one a line: reported (low without a
    Binance word), where two such lines elsewhere read as a wrapped base64 blob."""
    text = f"{key()}\n{key()}\n"
    findings = scan(text, "credentials.txt")
    assert [(f.type, f.line, f.confidence) for f in findings] == [
        (API_KEY, 1, Confidence.LOW),
        (SECRET_KEY, 2, Confidence.LOW),
    ]
    assert "a file named 'credentials.txt'" in findings[0].reasons[0]
    assert scan(text, "notes.txt") == []
    assert blocking(scan(text, "binance/credentials")) == [(API_KEY, 1), (SECRET_KEY, 2)]


@pytest.mark.parametrize(
    "line",
    [
        "const API_SECRET = process.env.BINANCE_API_SECRET?.trim() || '{}';",
        'api_secret = os.environ.get("BINANCE_API_SECRET") or "{}"',
        "apiSecret: process.env.SECRET ?? '{}',",
    ],
)
def test_a_fallback_default_is_named_by_its_assignment(line: str) -> None:
    text = "// binance client\n" + line.format(key()) + "\n"
    (finding,) = scan(text, "index.js")
    assert (finding.type, finding.line) == (SECRET_KEY, 2)
    assert finding.confidence >= Confidence.MEDIUM


def test_an_inline_object_of_another_exchange_vetoes_its_secret() -> None:
    """Accounts exported on one line: the object's own "exchange" field decides."""
    accounts = [("Binance", key(), key()), ("Gate", secrets.token_hex(16), hex_key())]
    row = ",".join(f'{{"exchange":"{e}","apiKey":"{k}","secret":"{s}"}}' for e, k, s in accounts)
    findings = scan(f'{{"data":[{row}]}}', "accounts.json")
    assert blocking(findings) == [(API_KEY, 1), (SECRET_KEY, 1)]
    (gate,) = [f for f in findings if f.secret == accounts[1][2]]
    assert gate.confidence is Confidence.LOW
    assert gate.reasons[0].startswith("inside 'Gate'")


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ('<meta name="twitter-site-verification" content="{}"/>', None),
        ('<meta name="google-site-verification" content="{}"/>', None),
        ('<input type="text" name="apiSecret" value="{}">', SECRET_KEY),
    ],
)
def test_a_sibling_attribute_names_the_value(tag: str, kind: str | None) -> None:
    text = "<title>Binance</title>" + tag.format(key()) + "\n"
    assert blocking(scan(text, "page.html")) == ([(kind, 1)] if kind else [])


def test_names_glued_without_separators() -> None:
    text = (
        f'BINANCESECRETKEY = "{key()}"\nBINACEAPIKEY = "{key()}"\n'
        f'KUCOINAPIKEY = "{key()}"\nJWTSECRET = "{key()}"\n'
    )
    findings = scan(text, "config/config.py")
    assert blocking(findings) == [(SECRET_KEY, 1), (API_KEY, 2)]
    assert [f.confidence for f in findings[2:]] == [Confidence.LOW, Confidence.LOW]


def test_a_bnb_chain_wallet_key_is_not_an_api_secret() -> None:
    text = (
        "use Binance\\Client\\BncClient;\n"
        f"$privateKey = '{hex_key()}';\n"
        "$bncClient = new BncClient('https://data-seed-pre-2-s1.binance.org');\n"
    )
    (finding,) = scan(text, "Examples/CancelOrder.php")
    assert finding.confidence is Confidence.LOW
    assert "blockchain wallet" in finding.reasons[0]


def test_a_value_repeated_bare_takes_the_role_it_was_named_with() -> None:
    """A commented copy of the pair below it (``//<key>``): the same credentials again."""
    k, s = key(), key()
    text = f"# binance\n$key='{k}';\n$secret='{s}';\n\n//{k}\n//{s}\n"
    assert blocking(scan(text, "tests/key_secret.php")) == [
        (API_KEY, 2),
        (SECRET_KEY, 3),
        (API_KEY, 5),
        (SECRET_KEY, 6),
    ]
    assert "named elsewhere" in scan(text, "tests/key_secret.php")[2].reasons[0]
    # Base64 around a run ("…/<run>") still hides it.
    assert scan(f"# binance\nblob = 'abc/{k}'\n", "x.py") == []


def test_a_google_service_account_key_is_not_a_binance_key() -> None:
    """A Firebase project named after Binance still holds Google's key."""
    pem = fake_ed25519_pem().strip().replace("\n", "\\n")
    text = (
        '{\n  "type": "service_account",\n  "project_id": "binance-2ac0a",\n'
        f'  "private_key_id": "{secrets.token_hex(20)}",\n  "private_key": "{pem}",\n}}\n'
    )
    (finding,) = scan(text, "notification.schema.ts")
    assert finding.type == "private_key"
    assert "service-account" in finding.reasons[-1]


def test_a_value_named_as_an_identifier_elsewhere_is_one() -> None:
    """A listenKey printed bare (a README's "View Output") and assigned to ``listenKey`` a few
    lines below is that listenKey; printed without the assignment it reads as a key."""
    listen_key = key()
    output = (
        "# Binance user data streams\n<details><summary>View Output</summary>\n"
        f"<pre>{listen_key}</pre>\n</details>\n"
    )
    named = f'```java\nString listenKey = "{listen_key}";\n```\n'
    assert blocking(scan(output + named, "README.md")) == []
    assert blocking(scan(output, "README.md")) == [(API_KEY, 3)]


@pytest.mark.parametrize(
    ("caption", "types"),
    [
        ("Binance API key and secret:", [API_KEY, SECRET_KEY]),
        ("Binance apiKey / secretKey", [API_KEY, SECRET_KEY]),
        ("Binance API Secret Key:", [SECRET_KEY]),
    ],
)
def test_a_caption_naming_a_key_before_a_secret_captions_both(
    caption: str, types: list[str]
) -> None:
    """'API key and secret:' over two values gives each its place in that order; a caption
    that names a secret ('API Secret Key') makes the value under it one."""
    values = "\n".join(f"<code>{key()}</code>" for _ in types)
    findings = scan(f"<p>{caption}</p>\n{values}\n", "docs/setup.html")
    assert blocking(findings) == [(kind, 2 + i) for i, kind in enumerate(types)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [('"listenKey"', []), ('"api_key"', [(API_KEY, 4)]), (":secret_key", [(SECRET_KEY, 4)])],
)
def test_a_value_on_the_line_after_an_arrow_is_named_by_it(
    name: str, expected: list[tuple[str, int]]
) -> None:
    """mix format and rubocop break ``"listenKey" => "<value>"`` after the arrow: the name
    on the line above still names the value (a recorded listenKey is not a key)."""
    text = f'# Binance.CoinFutures\nassert %{{\n  {name} =>\n    "{key()}"\n}}\n'
    assert blocking(scan(text, "test/coin_test.exs")) == expected


@pytest.mark.parametrize("call", ["check_valid_api_and_secret", "client.setKeyAndSecret"])
def test_a_call_named_for_a_key_and_a_secret_takes_them_in_order(call: str) -> None:
    """A setter names its one argument (setSecretKey("…")); a call named for both takes
    the key first and the secret second, over one line or two."""
    text = f'# binance account check\n{call}("{key()}",\n    "{key()}")\n'
    assert blocking(scan(text, "modules.py")) == [(API_KEY, 2), (SECRET_KEY, 3)]


def pay_secret() -> str:
    """A Binance Pay merchant secret: lower-case letters and digits (one in about 120 such
    strings reads as words or a placeholder, and would make the test fail at random)."""
    while True:
        value = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(64))
        if random_key_verdict(value) is None:
            return value


@pytest.mark.parametrize(
    "call",
    [
        'CryptoJS.HmacSHA512(\n  payload,\n  "{v}"\n)',
        "crypto.createHmac('sha512', '{v}').update(payload)",
        'hex(hmac("sha512", payload.getBytes(), "{v}".getBytes()))',
    ],
)
def test_the_key_argument_of_an_hmac_call_is_a_secret(call: str) -> None:
    """An HMAC call's name says digest ('hmac', 'sha512'), but a literal passed to it is the
    key it signs with: Binance Pay's merchant secret in its request signing."""
    text = "// https://bpay.binanceapi.com/binancepay/openapi/v3/order\n" + call.format(
        v=pay_secret()
    )
    findings = blocking(scan(text + "\n", "src/query.ts"))
    assert [kind for kind, _ in findings] == [SECRET_KEY]


@pytest.mark.parametrize(
    "line",
    [
        'secret = b"{v}"',  # Python bytes, raw, f- and u-strings
        "secret = rb'{v}'",
        'secret = f"{v}"',
        'secret = u"{v}"',
        'pub static secret: &\'static str = "{v}";',  # Rust lifetime, raw string
        'let secret: &\'a str = "{v}";',
        'let secret = r#"{v}"#;',
        'var secret = @"{v}";',  # C# verbatim and interpolated
        'string secret = $"{v}";',
        "secret=$'{v}'",  # shell ANSI-C quoting
        'std::string secret = R"({v})";',  # C++ raw string
        "secret = ~s({v})",  # Elixir sigil
        'val secret: String? = "{v}"',  # Kotlin nullable, TypeScript optional
        'secret?: string = "{v}"',
    ],
)
@pytest.mark.parametrize(("name", "kind"), [("api_key", API_KEY), ("api_secret", SECRET_KEY)])
def test_a_string_literals_opener_is_not_its_name(line: str, name: str, kind: str) -> None:
    """The letters glued to a literal's quote (``b"…"``, ``@"…"``, ``r#"…"#``) or a type's
    lifetime and optional mark were taken for the value's name: a lone secret became an API
    key at medium confidence (``assigned to 'b'``), a key and secret could swap."""
    text = f"# binance\n{line.replace('secret', name).format(v=key())}\n"
    findings = scan(text, "bot/settings.txt")
    assert blocking(findings) == [(kind, 2)]
    assert findings[0].confidence == Confidence.HIGH
    assert f"assigned to '{name}'" in findings[0].reasons


@pytest.mark.parametrize(
    "around",
    [
        'private String roseValidator = "bva1rxnydtfjccaz2tck7wrentntdylrnnqzmspush";',
        "Wallet wallet = new Wallet(jackPrivKey, BinanceDexEnvironment.PROD);",
        "import com.binance.dex.api.client.Wallet;",
        '$keystoreData = $keystore->generateKeyStore($privateKey, "ABC123456@");',
        '$keystore->RestoreKeyStore($keystoreData, "ABC123456@", "tbnb");',
    ],
)
def test_a_binance_dex_sdk_wallet_key_is_not_an_api_secret(around: str) -> None:
    """The BNB Beacon Chain (Binance DEX) SDKs name test wallets' hex keys jackPrivKey or
    privateKey beside bva1 validators, com.binance.dex or a keystore: wallet keys, not API
    secrets."""
    text = f'// binance dex staking\nprivate String jackPrivKey = "{hex_key()}";\n{around}\n'
    (finding,) = scan(text, "SideChainStakingNodeExample.java")
    assert finding.confidence is Confidence.LOW
    assert "blockchain wallet" in finding.reasons[0]


def test_commented_keys_stay_keys_next_to_each_other() -> None:
    """Two commented lines that are whole keys are a pair; the same lines inside a blob
    wrapped in comments (a "+" in the line above) are base64."""
    pair = f"// binance\n// {key()}\n// {key()}\n"
    assert blocking(scan(pair, "bot.php")) == [(API_KEY, 2), (SECRET_KEY, 3)]
    blob = (
        f"# Binance\n# SIG # Begin signature block\n# MIIh+AYJKoZIhvcNAQcC/{'A' * 40}\n# {key()}\n"
    )
    assert blocking(scan(blob, "bot.ps1")) == []


@pytest.mark.parametrize(
    ("path", "confidence"),
    [
        ("node_modules/spdy/test/fixtures.js", Confidence.LOW),
        (".venv/lib/python3.12/site-packages/Crypto/SelfTest/test_pss.py", Confidence.LOW),
        ("env/lib/python3.9/twisted/conch/test/keydata.py", Confidence.LOW),
        ("vendor/phpseclib/tests/keys.php", Confidence.LOW),
        ("ssl/server.key", Confidence.MEDIUM),  # the repository's own: it blocks
        ("infra/ansible/files/deploy.pem", Confidence.MEDIUM),
        ("src/vendors.js", Confidence.MEDIUM),
    ],
)
def test_a_generic_private_key_in_vendored_code_is_low(path: str, confidence: Confidence) -> None:
    """Libraries' test keys in a committed node_modules or virtualenv are not the
    repository's secrets: in 560 bot repositories they were 255 of 284 generic private keys."""
    pem = fake_ed25519_pem()  # no Binance word anywhere: a generic private key
    findings = scan(f"KEY = '''{pem}'''\n", path)
    assert [(f.type, f.confidence) for f in findings] == [(GENERIC_PRIVATE_KEY, confidence)]


def test_a_yaml_sequence_item_is_named_by_the_key_above() -> None:
    """VCR cassettes record headers as YAML lists ("X-Mbx-Apikey:" then "- <key>"): 101
    recorded keys in two Ruby clients were medium, 'Binance context' their only reason."""
    text = (
        "    uri: https://api.binance.com/api/v3/account\n"
        "    headers:\n"
        "      User-Agent:\n"
        "      - rest-client/2.0.2\n"
        "      X-Mbx-Apikey:\n"
        f"      - {key()}\n"
        "      Accept:\n"
        "      - application/json\n"
    )
    findings = scan(text, "spec/fixtures/vcr_cassettes/account.yml")
    assert [(f.type, f.line, f.confidence) for f in findings] == [(API_KEY, 6, Confidence.HIGH)]
    assert "assigned to 'X-Mbx-Apikey'" in findings[0].reasons


@pytest.mark.parametrize(
    "template",
    [
        "const exchanges = {{\n  binance: {{ apiKey: '{k}', secret: '{s}' }},\n"
        "  gate: {{ apiKey: '{gk}', secret: '{gs}' }},\n}};\n",
        "ACCOUNTS = {{\n    'binance': {{'apiKey': '{k}', 'secret': '{s}'}},\n"
        "    'gateio': {{'apiKey': '{gk}', 'secret': '{gs}'}},\n}}\n",
    ],
)
def test_an_object_bound_to_another_exchange_on_its_line_vetoes_its_secret(template: str) -> None:
    """Gate.io's secrets are 64 hex characters; a one-line block named after Gate holds one."""
    text = template.format(k=key(), s=key(), gk=secrets.token_hex(16), gs=hex_key())
    findings = scan(text, "keys.js")
    assert blocking(findings) == [(API_KEY, 2), (SECRET_KEY, 2)]
    (gate,) = [f for f in findings if f.line == 3]
    assert gate.reasons[0].startswith("inside 'gate")
    # A block named after infrastructure may hold the Binance key itself.
    stored = f"# binance\ndb_row = {{'api_key': '{key()}', 'api_secret': '{key()}'}}\n"
    assert blocking(scan(stored, "seed.py")) == [(API_KEY, 2), (SECRET_KEY, 2)]


def test_a_passphrase_is_not_a_binance_credential() -> None:
    """A TradingView alert's (or OKX's, KuCoin's) passphrase: Binance API keys have none."""
    text = (
        '{\n  "passphrase": "' + key() + '",\n  "exchange": "BINANCE",\n  "ticker": "BTCUSDT"\n}\n'
    )
    (finding,) = scan(text, "alert.json")
    assert finding.confidence is Confidence.LOW
    assert "another service's secret" in finding.reasons[0]


def test_flask_app_secret_key_is_the_frameworks() -> None:
    text = (
        "from flask import Flask\nfrom binance.client import Client\n"
        f'app = Flask(__name__)\napp.secret_key = "{key()}"\n'
        f'client.secret_key = "{key()}"\n'
    )
    findings = scan(text, "app.py")
    assert blocking(findings) == [(SECRET_KEY, 5)]
    (flask,) = [f for f in findings if f.line == 4]
    assert "web framework" in flask.reasons[0]


@pytest.mark.parametrize("name", ["api_key", "keys.txt", "credentials.txt"])
def test_a_file_named_for_keys_holds_a_key_then_its_secret(name: str) -> None:
    """A committed ``api_key`` file of two lines: the key, then the secret."""
    findings = scan(f"# binance\n{key()}\n{key()}\n", name)
    assert blocking(findings) == [(API_KEY, 2), (SECRET_KEY, 3)]
    assert findings[1].reasons[0] == f"alone on a line of a file named '{name}'"


def test_a_hex_secret_key_beside_a_binance_secret_named_as_such() -> None:
    """A bot's .env names its Binance pair BINANCE_API_*; the hex SECRET_KEY under it is the
    app's (``openssl rand -hex 32``), filled in or not."""
    for binance in (
        f"BINANCE_API_KEY={key()}\nBINANCE_API_SECRET={key()}\n",
        "BINANCE_API_SECRET=\n",
    ):
        findings = scan(
            binance + f"SECRET_KEY={hex_key()}\nDATABASE_URL=postgresql://db/bot\n", ".env"
        )
        (app,) = [f for f in findings if f.secret.islower()]
        assert app.confidence is Confidence.LOW
        # (A random key that spells "jwt" or "rails" makes it a web framework's instead.)
        assert "SECRET_KEY' " in app.reasons[0]
    lone = f"BINANCE_API_SECRET=\nSECRET_KEY={hex_key()}\n"
    assert "has a name of its own" in scan(lone, ".env")[0].reasons[0]
    # A mixed-case one is still a Binance secret (those are hex only on the futures testnet).
    mixed = f"BINANCE_API_SECRET=\nSECRET_KEY={key()}\n"
    assert blocking(scan(mixed, ".env")) == [(SECRET_KEY, 2)]


def test_a_flask_sqlalchemy_config_class_keeps_its_secret_key() -> None:
    text = (
        "class Config:\n"
        '    BINANCE_API_KEY = os.getenv("BINANCE_API_KEY")\n'
        f'    SECRET_KEY = "{key()}"\n'
        '    SQLALCHEMY_DATABASE_URI = "sqlite:///bot.db"\n'
    )
    (finding,) = scan(text, "config.py")
    assert finding.confidence is Confidence.LOW
    assert "web framework" in finding.reasons[0]


def test_a_hex_key_right_under_a_wallets_mnemonic_is_the_wallets() -> None:
    """binance-chain/swift-sdk: ``let key = "<hex>"`` under ``let mnemonic = "…"``, both
    handed to Wallet(…); a pair named as API credentials there stays one."""
    phrase = "quality mind spend rigid ladder toast settle toward nature drop witness phrase"
    wallet = f'// BinanceChain wallet test\nlet mnemonic = "{phrase}"\nlet key = "{hex_key()}"\n'
    (finding,) = scan(wallet, "Sources/Util/Test.swift")
    assert finding.confidence is Confidence.LOW
    assert "blockchain wallet" in finding.reasons[0]
    api = f'# binance futures testnet\nmnemonic = "{phrase}"\napi_key = "{hex_key()}"\n'
    api += f'api_secret = "{hex_key()}"\n'
    assert blocking(scan(api, "bot.py")) == [(API_KEY, 3), (SECRET_KEY, 4)]


def test_a_default_in_parentheses_after_or_is_named_by_its_assignment() -> None:
    """``BINANCE_SECRET_KEY = _env or (\\n "<secret>"\\n if testnet else None\\n)``: the
    parentheses group a default, they are no call named "or" (whose first argument was
    taken for a key)."""
    text = (
        "    # binance testnet fallback\n    x = 1\n"
        f'    BINANCE_SECRET_KEY = _env_secret_key or (\n        "{key()}"\n'
        "        if _is_testnet else None\n    )\n"
    )
    (finding,) = scan(text, "config.py")
    assert (finding.type, finding.line) == (SECRET_KEY, 4)
    assert finding.reasons[0] == "assigned to 'BINANCE_SECRET_KEY'"


@pytest.mark.parametrize(
    "name", ["KuCoinApiSecret", "ByBitApiSecret", "CoinBaseSecret", "coinMarketCapApiKey"]
)
def test_a_service_name_split_by_camel_case_still_names_it(name: str) -> None:
    """KuCoin's, Bybit's and CoinMarketCap's own spellings split into "Ku"+"Coin",
    "By"+"Bit", "Coin"+"Market"+"Cap": the words joined back name the service."""
    text = f'// Binance and other exchanges\npublic static string {name} = "{key()}";\n'
    (finding,) = scan(text, "Keys.cs")
    assert finding.confidence is Confidence.LOW
    assert "another service's secret" in finding.reasons[0]


def test_a_cryptocompare_key_is_not_a_binance_key() -> None:
    """CryptoCompare's API keys are 64 hex characters, beside a bot's Binance lines."""
    text = f"BINANCE_API_KEY=\nBINANCE_API_SECRET=\nCRYPTOCOMPARE_API_KEY={hex_key()}\n"
    (finding,) = scan(text, ".env")
    assert finding.confidence is Confidence.LOW


@pytest.mark.parametrize(
    "text",
    [
        "validatePrivateKey({{\n  chain: 'binance-smart-chain',\n  privateKey:\n    '{v}',\n}})\n",
        "# Binance + Ethereum arbitrage\nETHEREUM_PRIVATE_KEY={v}\n",
        "# binance smart chain\nBSC_PRIVATE_KEY={v}\n",
    ],
)
def test_a_hex_private_key_where_a_chain_is_named_is_a_wallets(text: str) -> None:
    """hummingbot's gateway tests: a wallet's hex privateKey for chain 'binance-smart-chain'."""
    (finding,) = scan(text.format(v=hex_key()), "wallet.test.ts")
    assert finding.confidence is Confidence.LOW
    assert "blockchain wallet" in finding.reasons[0]


def test_a_key_id_beside_a_key_secret_is_the_api_key() -> None:
    """cryptofeed's config.yaml names an exchange's pair key_id / key_secret: the id of an
    API key is the key (an order_id or a tx_id stays an identifier)."""
    text = f"binance_futures:\n    key_id: '{key()}'\n    key_secret: '{key()}'\n"
    assert blocking(scan(text, "config.yaml")) == [(API_KEY, 2), (SECRET_KEY, 3)]
    ids = f"# binance\norder_id = '{key()}'\ntx_id = '{hex_key()}'\n"
    assert scan(ids, "orders.py") == []


@pytest.mark.parametrize("name", ["LICENSE_API_TOKEN", "RECAPTCHA_SECRET", "WALLET_SEED"])
def test_secrets_binance_never_issues_are_not_its_credentials(name: str) -> None:
    """jesse's .env keeps its licence token beside the Binance sections; a CAPTCHA service's
    secret and a wallet's seed are no Binance API credentials either."""
    text = f"# Binance Perpetual Futures\nBINANCE_API_KEY=\n{name}={key()}\n"
    (finding,) = scan(text, ".env")
    assert finding.confidence is Confidence.LOW
    assert "another service's secret" in finding.reasons[0]


def test_an_initialisation_vector_is_no_key() -> None:
    assert scan(f'# binance keys, encrypted\ncipher_iv = "{key()}"\n', "store.py") == []


def test_a_yaml_list_item_of_another_exchange_vetoes_its_secret() -> None:
    """accounts: - exchange: gate / api_secret: <64 hex>: the item's own field names it."""
    text = (
        f"accounts:\n  - exchange: binance\n    api_key: {key()}\n    api_secret: {key()}\n"
        f"  - exchange: gate\n    api_key: {secrets.token_hex(16)}\n    api_secret: {hex_key()}\n"
    )
    findings = scan(text, "accounts.yml")
    assert blocking(findings) == [(API_KEY, 3), (SECRET_KEY, 4)]
    (gate,) = [f for f in findings if f.line == 7]
    assert gate.reasons[0].startswith("inside 'gate'")


def test_rfc_8032_test_vectors_are_public_examples() -> None:
    """nautilus_trader's Binance adapter tests sign with RFC 8032's TEST 1 key, passed bare as
    api_secret: a published test vector, informational; a key one character off blocks."""
    test_1 = "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g"
    text = f'// binance spot data client\napi_secret: Some(\n    "{test_1}".to_string(),\n),\n'
    (finding,) = scan(text, "crates/adapters/binance/tests/spot/data_client.rs")
    assert finding.public_example
    assert "RFC 8032" in finding.reasons[-1]
    other = test_1[:-2] + ("Ag" if test_1[-2:] != "Ag" else "Aw")
    assert blocking(scan(text.replace(test_1, other), "data_client.rs")) == [
        ("binance_private_key", 3)
    ]


def test_a_one_line_block_of_jwt_or_session_holds_its_own_secret() -> None:
    """``jwt: { secret: '…', expiresIn: '1d' }`` beside ``binance: { apiKey: … }``: the bare
    secret is the JWT's, as it is in a block over several lines."""
    text = (
        "export default {\n  binance: { apiKey: process.env.BINANCE_API_KEY },\n"
        f"  jwt: {{ secret: '{key()}', expiresIn: '1d' }},\n"
        f"  session: {{ secret: '{key()}' }},\n}};\n"
    )
    findings = scan(text, "config.ts")
    assert [f.confidence for f in findings] == [Confidence.LOW, Confidence.LOW]
    assert findings[0].reasons[0].startswith("inside 'jwt'")


def test_a_class_named_after_another_exchange_holds_its_keys() -> None:
    """``class GateConfig:`` under ``class BinanceConfig:``. A function, even one named after
    another service (``def telegram_handler():``), may hold Binance's."""
    classes = (
        f'class BinanceConfig:\n    API_KEY = "{key()}"\n    API_SECRET = "{key()}"\n\n\n'
        f'class GateConfig:\n    API_KEY = "{secrets.token_hex(16)}"\n'
        f'    API_SECRET = "{hex_key()}"\n'
    )
    findings = scan(classes, "config.py")
    assert blocking(findings) == [(API_KEY, 2), (SECRET_KEY, 3)]
    (gate,) = [f for f in findings if f.line == 8]
    assert gate.reasons[0].startswith("inside 'GateConfig'")
    handler = f'# binance\ndef telegram_handler():\n    api_secret = "{key()}"\n'
    assert blocking(scan(handler, "bot.py")) == [(SECRET_KEY, 3)]
