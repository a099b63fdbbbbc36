"""Opt-in verification: ask Binance what a key can do, sending only signatures."""

from binance_guard.errors import GuardError

API_URL_ENV = "BINANCE_GUARD_API_URL"
DEFAULT_API_URL = "https://api.binance.com"
PASSPHRASE_ENV = "BINANCE_PRIVATE_KEY_PASSPHRASE"


class InsecureURL(GuardError, ValueError):
    """Refused: an API key must not travel over plain HTTP to a remote host."""
