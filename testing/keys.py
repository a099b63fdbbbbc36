"""Generated fake credentials for tests: random, never real, never the documented examples."""

from __future__ import annotations

import random
import string

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

ALNUM = string.ascii_letters + string.digits


def fake_key(seed: int | str = 0) -> str:
    """A 64-character value with the statistics of a real Binance HMAC key."""
    rng = random.Random(f"binance-guard-fake-{seed}")
    while True:
        value = "".join(rng.choices(ALNUM, k=64))
        if any(c.isdigit() for c in value) and any(c.isupper() for c in value):
            return value


def fake_hex_key(seed: int | str = 0) -> str:
    """A futures-testnet-shaped key: 64 lowercase hex characters."""
    rng = random.Random(f"binance-guard-hex-{seed}")
    return "".join(rng.choices("0123456789abcdef", k=64))


def fake_ed25519_pem() -> str:
    """A fresh Ed25519 private key in PKCS#8 PEM, the form Binance's API key pages take."""
    return (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
