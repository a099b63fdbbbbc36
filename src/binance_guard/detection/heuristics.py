"""Character statistics that separate a random 64-character key from strings that only
share its shape: digests, identifiers made of words, placeholders, base64 bodies.

Thresholds come from the statistics of uniform random strings over [A-Za-z0-9]
(see tests/detection/test_heuristics.py, which measures them on generated keys).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

from binance_guard.detection.patterns import NAME_PART_RE, PLACEHOLDER_WORDS, SEQUENCES
from binance_guard.detection.prefilter import BINARY_SNIFF, wide_codec
from binance_guard.regex import compile_now

HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
# A Cosmos-chain address or contract: lower-case prefix, "1", then the bech32 alphabet (no "1",
# "b", "i", "o"). Binance keys mix cases, so none is ever one.
BECH32_RE = compile_now(r"[a-z]{2,12}1[02-9ac-hj-np-z]{38,60}")

# Random 64-char strings over 62 symbols: entropy 5.0-5.6 bits/char, 30-48 distinct symbols,
# word segments of 1.4-3.4 chars on average. The limits leave wide margins on both sides.
MIN_ENTROPY = 4.3
MIN_DISTINCT = 20
MAX_MEAN_SEGMENT = 4.0
MAX_SAME_RUN = 5
# Hand-typed sequences: the share of characters one step from the one a stride before.
MAX_STRIDE = 4
COUNTING_SHARE = 0.6


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def is_hex(value: str) -> bool:
    return all(c in HEX_DIGITS for c in value)


def is_word_identifier(value: str) -> bool:
    """``testThatOrderBookIsUpdated...`` splits into long words; a key splits into crumbs."""
    parts = NAME_PART_RE.findall(value)
    return bool(parts) and len(value) / len(parts) > MAX_MEAN_SEGMENT


def longest_same_run(value: str) -> int:
    best = run = 1
    for prev, cur in itertools.pairwise(value):
        run = run + 1 if cur == prev else 1
        best = max(best, run)
    return best


def counts_up(value: str) -> bool:
    """Interleaved runs typed by hand (a1b2c3…, AaBbCc…, Aa1Bb2Cc3…): at some stride up to 4,
    most characters are the one before plus or minus one (alphanumerics one apart are always
    of one kind). Random keys never pass half: at most 0.16 of the pairs in 100,000 keys,
    0.32 in hex ones. Only a value whose first two characters step so is counted (about one
    random key in 250): it is judged for every candidate."""
    codes = value.encode()
    for stride in range(1, MAX_STRIDE + 1):
        if abs(codes[stride] - codes[0]) != 1 or abs(codes[stride + 1] - codes[1]) != 1:
            continue
        pairs = zip(codes, codes[stride:], strict=False)
        if sum(abs(after - before) == 1 for before, after in pairs) > COUNTING_SHARE * (
            len(codes) - stride
        ):
            return True
    return False


def is_placeholder(value: str) -> bool:
    """Made-up values: repeated or sequential characters, a placeholder word, or a short motif
    repeated."""
    if len(set(value)) < 8 or longest_same_run(value) > MAX_SAME_RUN:
        return True
    lowered = value.lower()
    if any(seq in lowered for seq in SEQUENCES) or counts_up(value):
        return True
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        return True
    # "yourapikeyyourapikey..." and friends: the value is a repeated motif.
    return any(
        value[:n] * (len(value) // n) == value[: n * (len(value) // n)] for n in range(2, 17)
    )


def random_key_verdict(value: str) -> str | None:
    """Why a mixed-alphabet 64-char value is *not* a random key, or None if it looks like one."""
    if is_placeholder(value):
        return "placeholder (repeated or sequential characters)"
    if is_word_identifier(value):
        return "identifier made of words"
    if BECH32_RE.fullmatch(value):
        return "a bech32 address (terra1…, cosmos1…)"
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
        )
    )
    if classes < 2:
        return "single character class"
    if len(set(value)) < MIN_DISTINCT:
        return "too few distinct characters"
    if shannon_entropy(value) < MIN_ENTROPY:
        return "low entropy"
    return None


def is_binary(data: bytes) -> bool:
    """NUL bytes mean binary, except in UTF-16 and UTF-32 text."""
    return b"\x00" in data[:BINARY_SNIFF] and wide_codec(data) is None
