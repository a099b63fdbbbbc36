"""The fixture corpus: every format users put Binance keys in, and the hard negatives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from binance_guard.detection.scanner import scan_bytes

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EXPECTED: dict[str, list[list[object]]] = json.loads((FIXTURES / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_blocking_findings_are_exactly_the_expected_ones(name: str) -> None:
    data = (FIXTURES / "corpus" / name).read_bytes()
    findings = scan_bytes(data, name)
    blocking = sorted(
        [f.type, f.line]
        for f in findings
        if f.confidence in ("medium", "high") and not f.public_example
    )
    assert blocking == EXPECTED[name]
    for finding in findings:
        rendered = json.dumps(finding.as_dict())
        assert finding.secret not in rendered
        if finding.pair is not None:
            partner = next(f for f in findings if f.fingerprint == finding.pair.fingerprint)
            assert partner.pair is not None and partner.pair.fingerprint == finding.fingerprint


def test_documented_examples_are_recognised() -> None:
    data = (FIXTURES / "corpus" / "negatives" / "docs_examples.md").read_bytes()
    assert [f.public_example for f in scan_bytes(data, "docs.md")] == [True, True]


def test_corpus_is_what_the_generator_writes(tmp_path: Path) -> None:
    """The committed files are reproducible from fixtures/generate.py (no hand edits)."""
    copy = tmp_path / "fixtures"
    copy.mkdir()
    (copy / "generate.py").write_text((FIXTURES / "generate.py").read_text())
    subprocess.run([sys.executable, str(copy / "generate.py")], check=True)
    assert json.loads((copy / "expected.json").read_text()) == EXPECTED
    for name in EXPECTED:
        assert (copy / "corpus" / name).read_bytes() == (FIXTURES / "corpus" / name).read_bytes()
