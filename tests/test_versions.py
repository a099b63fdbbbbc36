"""history.versions: a new version's prefilter facts, found from an older version's outside the
changed lines, are exactly what looking at the whole of it finds."""

from __future__ import annotations

import base64
import random

from binance_guard.detection.prefilter import (
    BARE_ED25519_MARKER,
    BARE_RSA_MARKER,
    PRIVATE_KEY_MARKER,
    key_markers,
    key_runs,
)
from binance_guard.history.versions import MIN_BYTES, Versions, changed_lines
from testing.keys import fake_key


def _line(rng: random.Random, markers: int = 0) -> bytes:
    """Code, a key (alone, assigned, base64-encoded), an edge of one (a run one short), or one
    time in ``markers`` a private key's marker."""
    kind = rng.randrange(10)
    key = fake_key(rng.randrange(1000)).encode()
    if markers and not rng.randrange(markers):
        return rng.choice([PRIVATE_KEY_MARKER, BARE_ED25519_MARKER, BARE_RSA_MARKER])
    if kind == 0:
        return b'api_key = "' + key + b'"'
    if kind == 1:
        return b"secret: " + base64.b64encode(key + b"\n")
    if kind == 2:
        return key
    if kind == 3:
        return key[:-1] + b" " + key + b"x KEY- QYDK"
    return b"    value_%d = compute(%d)  # Y" % (rng.randrange(10**6), rng.randrange(99))


def _edited(rng: random.Random, lines: list[bytes]) -> list[bytes]:
    lines = list(lines)
    for _ in range(rng.randrange(1, 4)):
        at = rng.randrange(len(lines) + 1)
        action = rng.randrange(3)
        if action == 0:
            lines[at:at] = [_line(rng, markers=20) for _ in range(rng.randrange(1, 5))]
        elif action == 1:
            del lines[at : at + rng.randrange(1, 5)]
        else:
            lines[at : at + 1] = (
                [lines[at][: rng.randrange(80)] + _line(rng)] if at < len(lines) else []
            )
    return lines


def test_facts_of_versions_are_those_of_the_whole() -> None:
    rng = random.Random("versions")
    for trial in range(15):
        lines = [_line(rng) for _ in range(3000)]
        versions = Versions()
        for _ in range(6):
            data = b"\n".join(lines) + rng.choice([b"", b"\n"])
            assert len(data) >= MIN_BYTES
            assert versions.facts(data) == (key_runs(data), key_markers(data)), trial
            lines = _edited(rng, lines)


def test_changed_lines_span_every_difference() -> None:
    base = b"".join(b"line %d\n" % n for n in range(100))
    for old, new in [(b"line 5\n", b"line 5 changed\n"), (b"line 99\n", b""), (b"line 0\n", b"x")]:
        data = base.replace(old, new)
        start, end = changed_lines(base, data)
        assert data[:start] == base[:start] and base.endswith(data[end:])
        assert start == 0 or data[start - 1 : start] == b"\n"
        assert end == len(data) or data[end : end + 1] == b"\n"
        assert new.rstrip(b"\n") in data[start:end]
