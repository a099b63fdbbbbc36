"""Opt-in verification: ask Binance what a key can do, sending only signatures."""

from collections import Counter
from collections.abc import Iterable

from binance_guard.errors import GuardError
from binance_guard.finding import Verification
from binance_guard.record import record

API_URL_ENV = "BINANCE_GUARD_API_URL"
DEFAULT_API_URL = "https://api.binance.com"
PASSPHRASE_ENV = "BINANCE_PRIVATE_KEY_PASSPHRASE"

# Defaults of --verify-timeout, --verify-deadline and --max-response-bytes. Here, not in
# client.py, so that building the command line does not import the HTTP machinery.
KEY_TIMEOUT_S = 15.0  # one key: every request, retry and wait for it
RUN_DEADLINE_S = 120.0  # the whole run: keys not started by then are "not_checked"
MAX_RESPONSE_BYTES = 1 << 20  # Binance's answers are a few hundred bytes


@record(frozen=True)
class Settings:
    """Where to verify, and how long and how much it may take (``--api-url``,
    ``--verify-timeout``, ``--verify-deadline``, ``--max-response-bytes``)."""

    api_url: str = DEFAULT_API_URL
    key_timeout: float = KEY_TIMEOUT_S
    deadline: float = RUN_DEADLINE_S
    max_response_bytes: int = MAX_RESPONSE_BYTES


# Statuses of keys that could not be checked: a run that asked to verify and has any of
# them is incomplete (exit 2).
INCOMPLETE = frozenset({"unreachable", "invalid_answer", "rate_limited", "not_checked"})


def unchecked(results: Iterable[Verification]) -> Counter[str]:
    """Keys that could not be checked, by status, as a run's incomplete counts (one result
    per key): a verified run that has them has not looked at everything."""
    return Counter(f"key(s) not verified ({r.status})" for r in results if r.status in INCOMPLETE)


class InsecureURL(GuardError, ValueError):
    """Refused: an API key must not travel over plain HTTP to a remote host."""
