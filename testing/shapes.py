"""Adversarial input shapes for the scanner's cost: each builds about ``size`` bytes that
mention Binance, so every candidate goes through the full judgement (slot, proximity,
pairing). Shared by the linear-time test and bench/scan_shapes.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from binance_guard.detection import context, scanner
from testing.keys import fake_hex_key, fake_key

# Distinct values, cycled: more than pairing looks ahead at, and cheap to build.
KEYS = [fake_key(i) for i in range(101)]
HEX_KEYS = [fake_hex_key(i) for i in range(101)]


def forget_memos() -> None:
    """Forget what the scanner memoises (bounded, 2,048 judgements each), so that every
    measured scan is a first scan of its bytes: a repeated scan of a small input hits the
    memos for all its values while a large one cycles through them, a growth that is no
    property of the scanner."""
    for memo in (scanner._slot_after, scanner._value_verdict, context.classify_name):
        memo.cache_clear()


def _key(i: int) -> str:
    return KEYS[i % len(KEYS)]


def _fill(unit: Callable[[int], str], size: int, sep: str = "") -> bytes:
    parts: list[str] = []
    total, i = 0, 0
    while total < size:
        part = unit(i)
        parts.append(part)
        total += len(part) + len(sep)
        i += 1
    return sep.join(parts).encode()


def minified_bundle(size: int) -> bytes:
    """One long line of minified JavaScript that names Binance once, with a key now and then
    (the 5.3 MB bundle of issue 10)."""
    rng = random.Random(1)

    def unit(i: int) -> str:
        if i % 40 == 0:
            return f'var k{i}=f("{_key(i)}",{{a:[1,2,(3)]}});'
        return f"function a{i}(b,c){{return b[{rng.randrange(99)}]?c.d(b,{{e:(f)=>f+{i}}}):null}};"

    return b'import{Client}from"binance";' + _fill(unit, size)


def many_candidates(size: int) -> bytes:
    """Keys back to back on one line, after a Binance word: every one is a candidate and they
    all compete for pairing."""
    return b"binance " + _fill(lambda i: f'"{_key(i)}"', size, ", ")


def same_role_candidates(size: int) -> bytes:
    """Many named keys of one role on one line: none can pair with another."""
    return b"binance " + _fill(lambda i: f"api_key={_key(i)}", size, ";")


def many_binance_words(size: int) -> bytes:
    """A line of Binance words with a key every so often (API documentation, minified)."""

    def unit(i: int) -> str:
        return f" key={_key(i)} " if i % 50 == 0 else "binance X-MBX-APIKEY "

    return _fill(unit, size)


def many_runs(size: int) -> bytes:
    """Short lines, each a 64-character run: hex digests and keys in a Binance file."""

    def unit(i: int) -> str:
        value = HEX_KEYS[i % len(HEX_KEYS)] if i % 2 else _key(i)
        return f"binance_secret_{i} = {value}"

    return _fill(unit, size, "\n")


def single_line_json(size: int) -> bytes:
    """A huge single-line JSON document of exchange accounts (exported configuration)."""

    def unit(i: int) -> str:
        return (
            f'{{"exchange":{{"name":"binance","key":"{_key(2 * i)}",'
            f'"secret":"{_key(2 * i + 1)}","pairs":["BTC/USDT","ETH/USDT"]}}}}'
        )

    return b'{"accounts":[' + _fill(unit, size, ",") + b"]}"


def long_lines_then_keys(size: int) -> bytes:
    """Long lines, each followed by a short line of keys: look-back across lines."""

    def unit(i: int) -> str:
        return "(" * 2000 + f"\nbinance({_key(i)}, {_key(i + 1)})\n"

    return _fill(unit, size)


def many_pem_headers(size: int) -> bytes:
    """PEM headers that never close, next to keys: the armour search must not rescan."""

    def unit(i: int) -> str:
        if i % 20 == 0:
            return f"binance key {_key(i)}\n"
        return "-----BEGIN PRIVATE KEY-----\n"

    return _fill(unit, size)


def url_encoded_keys(size: int) -> bytes:
    """URL-encoded keys, a few to a line and on many lines: each line is decoded once."""

    def unit(i: int) -> str:
        sep = "\n" if i % 3 == 2 else "%26"
        return f"binance%22apiKey_{i}%22%3A%22{_key(i)}%22{sep}"

    return _fill(unit, size)


SHAPES: dict[str, Callable[[int], bytes]] = {
    "minified bundle": minified_bundle,
    "many candidates": many_candidates,
    "same-role candidates": same_role_candidates,
    "many Binance words": many_binance_words,
    "many 64-char runs": many_runs,
    "single-line JSON": single_line_json,
    "long lines then keys": long_lines_then_keys,
    "many PEM headers": many_pem_headers,
    "URL-encoded keys": url_encoded_keys,
}
