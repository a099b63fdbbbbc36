"""``binance-guard audit``: the posture of your own key, for periodic review."""

from __future__ import annotations

import json
import os
import sys
import time

from binance_guard.commands.common import read_option_file
from binance_guard.errors import UsageError
from binance_guard.exit_codes import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from binance_guard.finding import redact
from binance_guard.report import text as text_report
from binance_guard.report.redact import mask
from binance_guard.verify import PASSPHRASE_ENV, Settings, unchecked
from binance_guard.verify.client import Client
from binance_guard.verify.signing import UnusableKey, hmac_signer, private_key_signer
from binance_guard.verify.verifier import verify_credential

MAX_KEY_FILE = 1 << 20  # a PEM private key is a few hundred bytes


def run(*, verify: Settings, private_key_file: str | None, fmt: str) -> int:
    api_key = os.environ.get("BINANCE_API_KEY", "")
    if not api_key:
        raise UsageError("set BINANCE_API_KEY (and BINANCE_API_SECRET or --private-key-file)")
    try:
        if private_key_file:
            # Not UTF-8 is not PEM: decoded leniently, the signer says it is not a PEM key.
            pem = read_option_file(private_key_file, "--private-key-file", MAX_KEY_FILE)
            secret = pem.decode("utf-8", errors="replace")
            passphrase = os.environ.get(PASSPHRASE_ENV)
            sign = private_key_signer(secret, passphrase.encode() if passphrase else None)
        elif os.environ.get("BINANCE_API_SECRET"):
            secret = os.environ["BINANCE_API_SECRET"]
            sign = hmac_signer(secret)
        else:
            raise UsageError("set BINANCE_API_SECRET, or pass --private-key-file")
    except UnusableKey as exc:
        raise UsageError(f"{private_key_file}: {exc}") from None
    # The server's words (a message, a field's name or value) may echo the key: masked as
    # every report masks what it found.
    result = mask(verify_credential(Client(verify), api_key, sign, time.time()), [api_key, secret])
    if fmt == "json":
        document = {
            "api_key": redact(api_key),
            "verification": result.as_dict(),
            "incomplete": dict(unchecked([result])),  # counted as every command counts it
        }
        print(json.dumps(document, indent=2))
    else:
        sys.stdout.write(text_report.render_audit(redact(api_key), result))
    if result.status != "live":
        return EXIT_ERROR
    return EXIT_CLEAN if result.severity == "low" else EXIT_FINDINGS
