"""A real HTTP server on 127.0.0.1 that answers the two endpoints verification uses, checking
timestamps and HMAC/Ed25519/RSA signatures the way Binance documents it, and logging every
request so tests can prove the secret never travels."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

ALL_RIGHTS_OFF = {
    "enableReading": True,
    "enableWithdrawals": False,
    "enableInternalTransfer": False,
    "enableMargin": False,
    "enableFutures": False,
    "permitsUniversalTransfer": False,
    "enableVanillaOptions": False,
    "enableFixApiTrade": False,
    "enableFixReadOnly": False,
    "enableSpotAndMarginTrading": False,
    "enablePortfolioMarginTrading": False,
}


@dataclasses.dataclass
class Account:
    """One API key as Binance knows it."""

    secret: str | None = None  # HMAC secret
    public_key: ed25519.Ed25519PublicKey | rsa.RSAPublicKey | None = None
    rights: dict[str, bool] = dataclasses.field(default_factory=dict)
    ip_restrict: bool = False
    trusted_ips: tuple[str, ...] = ("127.0.0.1",)
    age_days: float = 10.5
    throttle: int = 0  # answer 429 to this many requests first
    retry_after: int = 1


@dataclasses.dataclass(frozen=True)
class LoggedRequest:
    path: str
    raw: str  # request line and headers exactly as received
    at: float  # time.monotonic() on arrival


class FakeBinance:
    def __init__(self, clock_skew_ms: int = 0) -> None:
        self.accounts: dict[str, Account] = {}
        self.requests: list[LoggedRequest] = []
        self.clock_skew_ms = clock_skew_ms
        self.url = ""
        # Answers given to the next signed requests, whatever the key: a server-wide 429/418.
        self.queued: list[tuple[int, dict[str, Any], dict[str, str]]] = []

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_skew_ms

    def answer(
        self, path: str, query: str, api_key: str | None, client_ip: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if path == "/api/v3/time":
            return 200, {"serverTime": self.now_ms()}, {}
        if path != "/sapi/v1/account/apiRestrictions":
            return 404, {"code": -1000, "msg": "unknown endpoint"}, {}
        if self.queued:
            return self.queued.pop(0)
        if not api_key or len(api_key) != 64 or not api_key.isalnum():
            return 401, {"code": -2014, "msg": "API-key format invalid."}, {}
        account = self.accounts.get(api_key)
        if account is None:
            return (
                401,
                {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
                {},
            )
        if account.throttle > 0:
            account.throttle -= 1
            return (
                429,
                {"code": -1003, "msg": "Too many requests."},
                {"Retry-After": str(account.retry_after)},
            )
        payload, _, signature = query.partition("&signature=")
        params = dict(urllib.parse.parse_qsl(payload))
        timestamp = int(params.get("timestamp", "0"))
        window = int(params.get("recvWindow", "5000"))
        now = self.now_ms()
        if timestamp >= now + 1000 or now - timestamp > window:
            return (
                400,
                {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."},
                {},
            )
        if not self._signature_ok(account, payload.encode(), urllib.parse.unquote(signature)):
            return 400, {"code": -1022, "msg": "Signature for this request is not valid."}, {}
        if account.ip_restrict and client_ip not in account.trusted_ips:
            return (
                401,
                {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
                {},
            )
        body: dict[str, Any] = {
            "ipRestrict": account.ip_restrict,
            "createTime": int(now - account.age_days * 86_400_000),
            **ALL_RIGHTS_OFF,
            **account.rights,
        }
        return 200, body, {}

    @staticmethod
    def _signature_ok(account: Account, payload: bytes, signature: str) -> bool:
        if account.secret is not None:
            expected = hmac.new(account.secret.encode(), payload, hashlib.sha256).hexdigest()
            return hmac.compare_digest(expected, signature.lower())
        try:
            raw = base64.b64decode(signature, validate=True)
            if isinstance(account.public_key, ed25519.Ed25519PublicKey):
                account.public_key.verify(raw, payload)
                return True
            if isinstance(account.public_key, rsa.RSAPublicKey):
                account.public_key.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
                return True
        except (InvalidSignature, ValueError):
            return False
        return False


def _handler(server_state: FakeBinance) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            server_state.requests.append(
                LoggedRequest(
                    parts.path, self.requestline + "\n" + str(self.headers), time.monotonic()
                )
            )
            status, body, headers = server_state.answer(
                parts.path, parts.query, self.headers.get("X-MBX-APIKEY"), self.client_address[0]
            )
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running(fake: FakeBinance) -> Iterator[FakeBinance]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
