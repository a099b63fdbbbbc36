"""The detect-secrets adapter answers line by line from one scan of the whole file."""

from __future__ import annotations

from pathlib import Path

import pytest
from detect_secrets.util.code_snippet import get_code_snippet

from binance_guard.integrations.plugin import (
    BinanceApiKeyDetector,
    BinancePrivateKeyDetector,
    BinanceSecretKeyDetector,
)
from testing.keys import fake_key

KEY, SECRET = fake_key("plugin-key"), fake_key("plugin-secret")


def test_lines_are_judged_with_whole_file_context(tmp_path: Path) -> None:
    lines = [
        "from binance.client import Client",
        *[f"x{i} = {i}" for i in range(40)],
        f'API_KEY = "{KEY}"',
        f'API_SECRET = "{SECRET}"',
    ]
    path = tmp_path / "bot.py"
    path.write_text("\n".join(lines) + "\n")
    found = BinanceApiKeyDetector().analyze_line(str(path), lines[41], 42)
    assert [s.secret_value for s in found] == [KEY]
    assert BinanceSecretKeyDetector().analyze_line(str(path), lines[41], 42) == set()
    assert [
        s.secret_value for s in BinanceSecretKeyDetector().analyze_line(str(path), lines[42], 43)
    ] == [SECRET]


def test_lines_not_from_the_file_are_judged_on_their_snippet() -> None:
    lines = ["import ccxt", f"exchange = ccxt.binance({{'apiKey': '{KEY}'}})"]
    snippet = get_code_snippet(lines, 2)
    found = BinanceApiKeyDetector().analyze_line("<diff>", lines[1], 2, snippet)
    assert [s.secret_value for s in found] == [KEY]
    assert list(BinanceApiKeyDetector().analyze_string(f"BINANCE_API_KEY={KEY}")) == [KEY]


def test_min_confidence_is_configurable() -> None:
    detector = BinanceApiKeyDetector(min_confidence="low")
    assert list(detector.analyze_string(f'api_key = "{KEY}"')) == [KEY]
    assert list(BinanceApiKeyDetector().analyze_string(f'api_key = "{KEY}"')) == []
    assert detector.json() == {"name": "BinanceApiKeyDetector", "min_confidence": "low"}
    assert BinancePrivateKeyDetector().json() == {"name": "BinancePrivateKeyDetector"}
    with pytest.raises(TypeError):
        BinanceApiKeyDetector(min_confidence="extreme")
