from __future__ import annotations

from binance_guard.finding import Confidence
from binance_guard.policy import Policy, scan_sources
from binance_guard.sources.source import Skipped, Source
from testing.keys import fake_key

EXAMPLE = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"


def _source(text: str, lines: set[int] | None = None) -> Source:
    return Source("bot.py", text.encode(), lines)


def test_policy_filters_by_confidence() -> None:
    unnamed_context_free = _source(f'api_key = "{fake_key(1)}"\n')  # low: no Binance context
    assert scan_sources([unnamed_context_free], Policy()).findings == []
    low = scan_sources([unnamed_context_free], Policy(min_confidence=Confidence.LOW)).findings
    assert [f.confidence for f in low] == ["low"]


def test_public_examples_are_opt_in_and_never_block() -> None:
    source = _source(f"BINANCE_API_KEY={EXAMPLE}\n")
    assert scan_sources([source], Policy()).findings == []
    result = scan_sources([source], Policy(include_examples=True))
    assert [f.public_example for f in result.findings] == [True]
    assert result.blocking == []


def test_only_requested_lines_are_reported_but_context_comes_from_all() -> None:
    text = "from binance.client import Client\n" + "\n" * 30 + f'API_KEY = "{fake_key(2)}"\n'
    result = scan_sources([_source(text, lines={32})], Policy())
    assert [(f.line, f.confidence) for f in result.findings] == [(32, "high")]
    assert scan_sources([_source(text, lines={1})], Policy()).findings == []


def test_skipped_sources_are_counted_not_scanned() -> None:
    result = scan_sources([Skipped("logo.png", "binary")], Policy())
    assert result.skipped == [Skipped("logo.png", "binary")]
    assert result.files == 0
