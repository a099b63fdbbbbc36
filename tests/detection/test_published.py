"""Keys Binance publishes are public examples wherever they are copied, whatever their
wrapping; one changed character makes a key nobody published, and it blocks (issue 15)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from binance_guard.detection.patterns import (
    EXAMPLE_KEY_FINGERPRINTS,
    EXAMPLE_KEY_SOURCES,
    EXAMPLE_PRIVATE_KEY_SOURCES,
)
from binance_guard.detection.scanner import scan_bytes
from binance_guard.finding import API_KEY, PRIVATE_KEY, SECRET_KEY, Finding, fingerprint
from binance_guard.report import Report
from binance_guard.report.github import annotated, summary, workflow_commands
from binance_guard.report.json import render as render_json
from binance_guard.report.sarif import render as render_sarif
from testing.keys import fake_key

FILES = Path(__file__).resolve().parents[2] / "fixtures" / "realworld" / "files"
# Published private keys, read from the corpus copies of their sources.
RSA_PEM = (FILES / "001_private_key.pem").read_text()
FIX_PEM = re.search(
    r"-----BEGIN PRIVATE KEY-----\n.*?\n-----END PRIVATE KEY-----\n",
    (FILES / "007_fix-api.md").read_text(),
    re.S,
)
assert FIX_PEM is not None
ED25519_PEM = FIX_PEM.group(0)
ED25519_SOURCE = "Binance's spot API docs (binance/binance-spot-api-docs: fix-api.md, its example"


def _blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.confidence != "low" and not f.public_example]


def _body(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


def _change_one(body: str) -> str:
    """One base64 character of the key material changed (the middle: not the DER header)."""
    middle = len(body) // 2
    return body[:middle] + ("A" if body[middle] != "A" else "B") + body[middle + 1 :]


def _next_of_its_class(char: str) -> str:
    """Another character of the same class (digit, lower, upper): the value keeps its shape."""
    for alphabet in ("0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        if char in alphabet:
            return alphabet[(alphabet.index(char) + 1) % len(alphabet)]
    raise ValueError(char)


def _pem(body: str, width: int = 64, newline: str = "\n", label: str = "PRIVATE KEY") -> str:
    lines = [body[i : i + width] for i in range(0, len(body), width)]
    return newline.join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])


@pytest.mark.parametrize("value", sorted(EXAMPLE_KEY_SOURCES))
def test_every_published_key_is_an_example_in_a_bot(value: str) -> None:
    """Each published value, pasted into a bot's config as the user's own, is informational
    and names its source (or, typed-looking like 'pqia91ma19a5s61cv…', not reported at all)."""
    bot = (
        "from binance.client import Client\n"
        f'BINANCE_API_KEY = "{value}"\n'
        f'BINANCE_API_SECRET = "{fake_key("bot-secret")}"\n'
        "client = Client(BINANCE_API_KEY, BINANCE_API_SECRET)\n"
    ).encode()
    findings = scan_bytes(bot, "bot/config.py")
    ours = [f for f in findings if f.secret == value]
    assert all(f.public_example for f in ours)
    assert all(f.published_in == EXAMPLE_KEY_SOURCES[value] for f in ours)
    reason = f"public example published in {EXAMPLE_KEY_SOURCES[value]}"
    assert all(reason in f.reasons for f in ours)
    # The user's own secret beside it still blocks.
    assert [f.type for f in _blocking(findings)] == [SECRET_KEY]


@pytest.mark.parametrize("value", sorted(EXAMPLE_KEY_SOURCES)[:3])
def test_a_published_key_with_one_character_changed_blocks(value: str) -> None:
    changed = value[:-2] + _next_of_its_class(value[-2]) + value[-1]
    bot = f'BINANCE_API_KEY = "{changed}"\nBINANCE_SECRET = "{fake_key("near-miss")}"\n'
    findings = scan_bytes(bot.encode(), ".env")
    assert {f.type for f in _blocking(findings)} == {API_KEY, SECRET_KEY}
    assert not any(f.public_example or f.published_in for f in findings)


def test_keys_known_by_fingerprint_are_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys committed to Binance's examples are kept by sha256, never in the clear: a value
    whose digest is listed is an example with its source; its neighbour is not."""
    assert all(re.fullmatch("[0-9a-f]{64}", digest) for digest in EXAMPLE_KEY_FINGERPRINTS)
    committed = fake_key("committed-to-an-example")
    monkeypatch.setitem(EXAMPLE_KEY_FINGERPRINTS, fingerprint(committed), "an example's history")
    text = f'key = "{committed}"\nsecret = "{fake_key("x")}"\nclient = Client(key, secret)\n'
    findings = scan_bytes(f"# binance\n{text}".encode(), "examples/spot.py")
    (example,) = [f for f in findings if f.secret == committed]
    assert example.public_example and example.published_in == "an example's history"
    assert [f.type for f in _blocking(findings)] == [SECRET_KEY]


COPIES: dict[str, Callable[[str], str]] = {
    "as published": lambda pem: pem,
    "CRLF": lambda pem: pem.replace("\n", "\r\n"),
    "wrapped at 76": lambda pem: _pem(_body(pem), width=76),
    "one line": lambda pem: _pem(_body(pem), width=10_000),
    "indented in YAML": lambda pem: (
        "binance:\n  private_key: |\n    " + pem.strip().replace("\n", "\n    ")
    ),
    "JSON string": lambda pem: json.dumps({"binance_private_key": pem}),
    "Markdown blockquote": lambda pem: "\n".join(f"> {line}" for line in pem.strip().splitlines()),
    "Java concatenation": lambda pem: (
        'String BINANCE_KEY = "' + '\\n" +\n    "'.join(pem.strip().splitlines()) + '";'
    ),
}


@pytest.mark.parametrize("copy", sorted(COPIES))
@pytest.mark.parametrize("pem", [RSA_PEM, ED25519_PEM], ids=["rsa", "ed25519"])
def test_a_published_private_key_is_an_example_however_copied(pem: str, copy: str) -> None:
    text = f"# binance bot signing key\n{COPIES[copy](pem)}\n"
    findings = scan_bytes(text.encode(), "bot/keys.txt")
    keys = [f for f in findings if f.type == PRIVATE_KEY]
    assert keys and all(f.public_example and f.published_in for f in keys), copy
    assert not _blocking(findings), copy


@pytest.mark.parametrize("copy", sorted(COPIES))
@pytest.mark.parametrize("pem", [RSA_PEM, ED25519_PEM], ids=["rsa", "ed25519"])
def test_a_private_key_one_character_from_a_published_one_blocks(pem: str, copy: str) -> None:
    near = _pem(_change_one(_body(pem)))
    findings = scan_bytes(f"# binance bot signing key\n{COPIES[copy](near)}\n".encode(), "k.txt")
    assert [f.type for f in _blocking(findings)] == [PRIVATE_KEY], copy


def test_the_fix_docs_key_without_its_armour() -> None:
    body = _body(ED25519_PEM)
    findings = scan_bytes(f"BINANCE_ED25519_KEY={body}\n".encode(), ".env")
    (key,) = findings
    assert key.public_example and key.published_in is not None
    assert key.published_in.startswith(ED25519_SOURCE)
    near = scan_bytes(f"BINANCE_ED25519_KEY={_change_one(body)}\n".encode(), ".env")
    assert [f.type for f in _blocking(near)] == [PRIVATE_KEY]


def test_every_private_key_source_names_where() -> None:
    """A source says which repository or docs page printed the key."""
    for source in {*EXAMPLE_PRIVATE_KEY_SOURCES.values(), *EXAMPLE_KEY_SOURCES.values()}:
        assert re.search(
            r"binance/|developers\.binance\.com|python-binance|node-binance|rfc-editor\.org",
            source,
        ), source


def test_json_and_sarif_name_the_source_not_the_key() -> None:
    findings = scan_bytes(f"# binance FIX logon key\n{ED25519_PEM}".encode(), "fix/logon.md")
    report = Report(findings)
    (entry,) = json.loads(render_json(report))["findings"]
    assert entry["public_example"] is True and entry["published_in"].startswith(ED25519_SOURCE)
    (result,) = json.loads(render_sarif(findings))["runs"][0]["results"]
    assert result["properties"]["publishedIn"] == entry["published_in"]
    assert "public example published in Binance's spot API docs" in result["message"]["text"]
    body = _body(ED25519_PEM)
    assert body not in render_json(report) and body not in render_sarif(findings)


def test_an_included_example_is_a_note_ranked_after_a_leak() -> None:
    """With --include-examples a published key is shown as a note (SARIF), a notice (GitHub)
    naming its source, after the user's own key, and is never told to be revoked."""
    leak = f'BINANCE_API_KEY = "{fake_key("github-leak")}"\n'
    findings = scan_bytes(f"# binance FIX logon key\n{ED25519_PEM}{leak}".encode(), "bot.py")
    example, key = sorted(findings, key=lambda f: f.public_example, reverse=True)
    assert example.public_example and not key.public_example
    results = json.loads(render_sarif(findings))["runs"][0]["results"]
    assert {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]: r["level"] for r in results
    } == {
        example.line: "note",
        key.line: "error",
    }
    commands = workflow_commands(findings).splitlines()
    assert (
        commands[0].startswith("::error ") and "Delete it in Binance API Management" in commands[0]
    )
    assert commands[1].startswith("::notice ") and "a public example published in" in commands[1]
    assert "fix-api.md" in commands[1] and "Delete" not in commands[1]
    assert "| public example | " in summary(findings, "bot.py")
    assert annotated([example, key], unread="") == [key, example]
