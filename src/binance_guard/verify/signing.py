"""Request signatures as Binance computes them. Only the signature ever leaves the machine.

HMAC keys: hex HMAC-SHA256 of the payload keyed with the secret. Ed25519 and RSA
(RSASSA-PKCS1-v1_5 / SHA-256) keys: base64 signature of the payload, percent-encoded by the
caller as a query parameter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

from binance_guard.verify import PASSPHRASE_ENV

Signer = Callable[[bytes], str]


class UnusableKey(ValueError):
    """A private key that cannot sign (encrypted without passphrase, unsupported type)."""


def hmac_signer(secret: str) -> Signer:
    key = secret.encode()

    def sign(payload: bytes) -> str:
        return hmac.new(key, payload, hashlib.sha256).hexdigest()

    return sign


def _rewrap(pem: str) -> bytes:
    """PEM with 64-column body lines, whatever shape it was found in."""
    lines = [line.strip() for line in pem.strip().splitlines()]
    header, footer = lines[0], lines[-1]
    body = "".join(lines[1:-1])
    wrapped = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"{header}\n{wrapped}\n{footer}\n".encode()


def private_key_signer(pem: str, passphrase: bytes | None = None) -> Signer:
    """A signer for a PKCS#8 PEM private key; ``passphrase`` is used only if it is encrypted."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

    header = pem.strip().split("\n", 1)[0].strip()
    if not (header.startswith("-----BEGIN ") and header.endswith("PRIVATE KEY-----")):
        raise UnusableKey(
            "not a PEM private key (expected -----BEGIN PRIVATE KEY----- or "
            "-----BEGIN ENCRYPTED PRIVATE KEY-----)"
        )
    encrypted = "ENCRYPTED" in header
    if encrypted and not passphrase:
        raise UnusableKey(f"encrypted private key: no passphrase given ({PASSPHRASE_ENV})")
    try:
        key = serialization.load_pem_private_key(
            _rewrap(pem), password=passphrase if encrypted else None
        )
    except ValueError:
        raise UnusableKey(
            f"encrypted private key: wrong passphrase ({PASSPHRASE_ENV}), or a damaged key"
            if encrypted
            else "damaged or unsupported private key: its PEM body does not decode"
        ) from None
    except (TypeError, UnsupportedAlgorithm) as exc:
        raise UnusableKey(f"unusable private key: {exc}") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        ed_key = key

        def sign_ed25519(payload: bytes) -> str:
            return base64.b64encode(ed_key.sign(payload)).decode()

        return sign_ed25519
    if isinstance(key, rsa.RSAPrivateKey):
        rsa_key = key

        def sign_rsa(payload: bytes) -> str:
            signature = rsa_key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
            return base64.b64encode(signature).decode()

        return sign_rsa
    raise UnusableKey(f"Binance accepts Ed25519 and RSA keys, not {type(key).__name__}")
