"""Precision and recall on files from public repositories (issue 15).

``fixtures/realworld/manifest.json`` (format ``binance-guard-realworld/1``) lists, for each file,
where it came from (repository, path, commit, licence), what was replaced (every real-looking
credential became a random value of the same shape; PEM keys freshly generated keys of the same
type) and the hand-made labels: the credentials a scan must report (type and line), the lines
holding keys Binance itself publishes (to be reported as public examples, never blocking) and
lines with key-shaped strings that must not be flagged. The labels were written by reading the
files, not from the scanner's output.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from binance_guard.detection.prefilter import alnum_runs
from binance_guard.detection.scanner import scan_bytes
from binance_guard.finding import API_KEY, SECRET_KEY, Finding

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "realworld"
MANIFEST: dict[str, Any] = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
FILES: dict[str, dict[str, Any]] = MANIFEST["files"]
THRESHOLD = 0.99


def _blocks(finding: Finding) -> bool:
    return finding.confidence in ("medium", "high") and not finding.public_example


@cache
def _scan(name: str) -> tuple[Finding, ...]:
    """Scanned under the file's path in its repository: a path is context too."""
    return tuple(scan_bytes((ROOT / "files" / name).read_bytes(), FILES[name]["source"]["path"]))


def _score(name: str) -> tuple[int, int, int]:
    """True positives, false positives and false negatives of one file's findings.

    A credential is found when a blocking finding of its type starts on its line; one labelled
    ``"confidence": "low"`` (a file with no Binance word: reported, never blocking) when a
    low finding does. Every other blocking finding is a false positive."""
    credentials = FILES[name]["credentials"]
    expected = Counter((c["type"], c["line"]) for c in credentials if "confidence" not in c)
    expected_low = Counter((c["type"], c["line"]) for c in credentials if "confidence" in c)
    findings = _scan(name)
    found = Counter((f.type, f.line) for f in findings if _blocks(f))
    found_low = Counter(
        (f.type, f.line) for f in findings if f.confidence == "low" and not f.public_example
    )
    hits = sum((expected & found).values())
    hits_low = sum((expected_low & found_low).values())
    missed = sum(expected.values()) + sum(expected_low.values()) - hits - hits_low
    return hits + hits_low, sum(found.values()) - hits, missed


def _totals() -> tuple[int, int, int]:
    tp = fp = fn = 0
    for name in FILES:
        a, b, c = _score(name)
        tp, fp, fn = tp + a, fp + b, fn + c
    return tp, fp, fn


def test_manifest_describes_every_file() -> None:
    assert MANIFEST["format"] == "binance-guard-realworld/1"
    on_disk = sorted(p.name for p in (ROOT / "files").iterdir())
    assert on_disk == sorted(FILES)
    assert len(FILES) >= 100
    repos = {e["source"]["repo"] for e in FILES.values() if e["source"]["repo"]}
    assert len(repos) >= 50


@pytest.mark.parametrize("name", sorted(FILES))
def test_labels_point_at_key_shaped_lines(name: str) -> None:
    """Every labelled line holds a 64-character run or a PEM header: the labels match the file."""
    entry = FILES[name]
    lines = (ROOT / "files" / name).read_bytes().split(b"\n")
    public = entry["public_examples"]["lines"] if entry["public_examples"] else []
    labelled = [c["line"] for c in entry["credentials"]] + public + entry["must_not_flag"]
    for number in labelled:
        line = lines[number - 1]
        assert alnum_runs(line) or b"PRIVATE KEY-----" in line, (name, number)
    credential_lines = {c["line"] for c in entry["credentials"]}
    assert not credential_lines & set(entry["must_not_flag"]), name
    assert not credential_lines & set(public), name
    for credential in entry["credentials"]:
        assert credential["type"] in (API_KEY, SECRET_KEY, "binance_private_key"), name
        assert credential.get("confidence", "low") == "low", name


def test_precision_and_recall_on_real_code() -> None:
    tp, fp, fn = _totals()
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    misses = {n: _score(n) for n in FILES if _score(n)[1:] != (0, 0)}
    assert (precision, recall) >= (THRESHOLD, THRESHOLD) and min(precision, recall) >= THRESHOLD, (
        f"precision {precision:.3f} recall {recall:.3f}; (tp, fp, fn) per file: {misses}"
    )


def test_the_corpus_holds_credentials_to_find() -> None:
    """The score is over something: labelled credentials exist and most are already found."""
    tp, _fp, fn = _totals()
    assert tp + fn >= 35
    assert tp >= (tp + fn) // 2


@pytest.mark.parametrize(
    "name", sorted(n for n, e in FILES.items() if e["public_examples"] is not None)
)
def test_binance_published_keys_are_public_examples(name: str) -> None:
    """Keys Binance publishes (docs, signature examples, connector tests) are informational:
    reported as public examples, never blocking. (A hex example is only reported at all next
    to a Binance word, like any hex value.)"""
    findings = _scan(name)
    lines = (ROOT / "files" / name).read_text(encoding="utf-8").split("\n")
    public_lines = {f.line for f in findings if f.public_example}
    for number in FILES[name]["public_examples"]["lines"]:
        assert not [f for f in findings if _blocks(f) and f.line == number], number
        hex_only = re.search(r"(?<![0-9A-Za-z])[0-9a-f]{64}(?![0-9A-Za-z])", lines[number - 1])
        assert number in public_lines or hex_only, number
