"""The fixture corpus: every format users put Binance keys in, and the hard negatives.

``fixtures/expected.json`` (format ``binance-guard-corpus/2``, described in
``fixtures/generate.py``) lists, for each file, the findings it must produce. The blocking ones
(confidence medium or high, not a documented example) must match exactly.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from binance_guard.detection.prefilter import alnum_runs
from binance_guard.detection.scanner import scan_bytes
from binance_guard.finding import GENERIC_PRIVATE_KEY, PRIVATE_KEY, Confidence, Finding
from fixtures import generate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CORPUS = FIXTURES / "corpus"
MANIFEST: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text())
FILES: dict[str, dict[str, Any]] = MANIFEST["files"]

# Corpus files whose expectation the detector does not meet yet: strict xfails, with why.
# The test starts failing (XPASS) the day a fix lands, so the entry goes then.
KNOWN_BUGS: dict[str, str] = {}


def _params(names: list[str]) -> list[Any]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name]))
        if name in KNOWN_BUGS
        else name
        for name in names
    ]


def _scan(name: str) -> list[Finding]:
    return scan_bytes((CORPUS / name).read_bytes(), name)


def _blocks(finding: Finding) -> bool:
    return finding.confidence in ("medium", "high") and not finding.public_example


def test_manifest_describes_every_file_of_the_corpus() -> None:
    assert MANIFEST["format"] == "binance-guard-corpus/2"
    on_disk = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file())
    assert on_disk == sorted(FILES)
    for name, entry in FILES.items():
        assert set(entry) == {"description", "key_shaped_tokens", "findings"}, name
        for expected in entry["findings"]:
            assert set(expected) == {
                "type",
                "line",
                "min_confidence",
                "public_example",
                "pair_line",
            }
            assert expected["min_confidence"] in Confidence.names()
        blocking = [e for e in entry["findings"] if not e["public_example"]]
        assert bool(blocking) == name.startswith("positives/"), name
    assert KNOWN_BUGS.keys() <= FILES.keys()


@pytest.mark.parametrize("name", _params(sorted(FILES)))
def test_blocking_findings_are_exactly_the_expected_ones(name: str) -> None:
    findings = _scan(name)
    expected = [e for e in FILES[name]["findings"] if not e["public_example"]]
    blocking = [f for f in findings if _blocks(f)]
    assert Counter((f.type, f.line) for f in blocking) == Counter(
        (e["type"], e["line"]) for e in expected
    )
    for exp in expected:
        found = next(f for f in blocking if (f.type, f.line) == (exp["type"], exp["line"]))
        assert found.confidence >= exp["min_confidence"], found.reasons
        assert (found.pair.line if found.pair else None) == exp["pair_line"], found.reasons


@pytest.mark.parametrize(
    "name", sorted(n for n, e in FILES.items() if any(f["public_example"] for f in e["findings"]))
)
def test_documented_examples_are_reported_as_public(name: str) -> None:
    findings = _scan(name)
    expected = [e for e in FILES[name]["findings"] if e["public_example"]]
    public = [f for f in findings if f.public_example]
    assert Counter((f.type, f.line) for f in public) == Counter(
        (e["type"], e["line"]) for e in expected
    )


@pytest.mark.parametrize("name", sorted(FILES))
def test_serialised_findings_never_contain_the_secret(name: str) -> None:
    for finding in _scan(name):
        rendered = json.dumps(finding.as_dict())
        # Every 12-character piece of the value, PEM bodies included (armour lines aside).
        material = "".join(
            line for line in finding.secret.splitlines() if not line.startswith("-----")
        )
        assert len(material) >= 40
        leaked = {material[i : i + 12] for i in range(len(material) - 11)} & {
            rendered[i : i + 12] for i in range(len(rendered) - 11)
        }
        assert not leaked, finding.type
        assert finding.secret not in repr(finding)
        assert finding.with_secret()["secret"] == finding.secret


@pytest.mark.parametrize("name", sorted(FILES))
def test_pairs_point_at_each_other(name: str) -> None:
    findings = _scan(name)
    for finding in findings:
        if finding.pair is None:
            continue
        # The same value can occur twice (a documented example): the line tells them apart.
        (partner,) = [
            f
            for f in findings
            if (f.fingerprint, f.line, f.type)
            == (finding.pair.fingerprint, finding.pair.line, finding.pair.type)
        ]
        assert partner is not finding
        assert partner.pair is not None
        assert (partner.pair.fingerprint, partner.pair.line, partner.pair.type) == (
            finding.fingerprint,
            finding.line,
            finding.type,
        )
        assert partner.pair.id == finding.pair.id
        assert finding.pair.path == partner.pair.path == name
        assert {finding.type, partner.type} == {"binance_api_key", "binance_secret_key"}


@pytest.mark.parametrize("name", sorted(FILES))
def test_key_shaped_token_count_matches_the_prefilter(name: str) -> None:
    """The generator's own count of 64-alphanumeric runs agrees with the prefilter: the hard
    negatives really do contain key-shaped strings."""
    assert len(alnum_runs((CORPUS / name).read_bytes())) == FILES[name]["key_shaped_tokens"]


def test_hard_negatives_are_hard() -> None:
    """Most negative files hold values with exactly a key's shape, in Binance context."""
    hard = [
        name
        for name, entry in FILES.items()
        if name.startswith("negatives/") and entry["key_shaped_tokens"] > 0
    ]
    assert len(hard) >= 15
    for name in hard:
        assert b"binance" in (CORPUS / name).read_bytes().lower(), name


@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n, e in FILES.items()
        if any(f["type"] in (PRIVATE_KEY, GENERIC_PRIVATE_KEY) for f in e["findings"])
    ),
)
def test_private_keys_are_real_pkcs8_that_the_finding_reproduces(name: str) -> None:
    """The fake private keys are well formed, and the scanner's normalised PEM loads."""
    for finding in _scan(name):
        if finding.type not in (PRIVATE_KEY, GENERIC_PRIVATE_KEY):
            continue
        encrypted = finding.algorithm == "encrypted"
        password = generate.ENCRYPTED_KEY_PASSWORD if encrypted else None
        key = load_pem_private_key(finding.secret.encode(), password)
        if finding.algorithm == "ed25519" or encrypted:
            assert isinstance(key, ed25519.Ed25519PrivateKey)
        else:
            assert finding.algorithm == "rsa"
            assert isinstance(key, rsa.RSAPrivateKey)
            assert key.key_size == 2048


def test_corpus_is_what_the_generator_writes(tmp_path: Path) -> None:
    """The committed files are reproducible from fixtures/generate.py (no hand edits)."""
    manifest = generate.write(tmp_path)
    assert manifest == MANIFEST
    assert json.loads((tmp_path / "expected.json").read_text()) == MANIFEST
    for name in FILES:
        assert (tmp_path / "corpus" / name).read_bytes() == (CORPUS / name).read_bytes(), name
