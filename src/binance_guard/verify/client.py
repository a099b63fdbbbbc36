"""A small Binance REST client for one question: what can this key do?

stdlib ``urllib`` only: two GET requests do not justify an HTTP stack. Sends the API key in
``X-MBX-APIKEY`` and a signature; the secret never leaves the process.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from binance_guard.verify import DEFAULT_API_URL, InsecureURL
from binance_guard.verify.signing import Signer

RECV_WINDOW_MS = 10_000
TIMEOUT_S = 10.0
MAX_RETRY_AFTER_S = 30.0
USER_AGENT = "binance-guard (key verification)"


def check_base_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return url.rstrip("/")
    if parts.scheme == "http" and parts.hostname:
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = parts.hostname == "localhost"
        if loopback:
            return url.rstrip("/")
    raise InsecureURL(f"{url}: use https (plain http is only allowed to localhost)")


@dataclasses.dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any]
    retry_after: float | None = None


class Client:
    def __init__(
        self,
        base_url: str = DEFAULT_API_URL,
        timeout: float = TIMEOUT_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.timeout = timeout
        self.sleep = sleep
        self._offset_ms: int | None = None

    def _get(self, path: str, query: str = "", api_key: str | None = None) -> Response:
        url = f"{self.base_url}{path}" + (f"?{query}" if query else "")
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        if api_key is not None:
            request.add_header("X-MBX-APIKEY", api_key)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                return Response(reply.status, _json(reply.read()))
        except urllib.error.HTTPError as err:
            retry = err.headers.get("Retry-After")
            return Response(err.code, _json(err.read()), float(retry) if retry else None)

    def server_offset_ms(self, refresh: bool = False) -> int:
        """Server clock minus ours, so a skewed local clock does not cause -1021."""
        if self._offset_ms is None or refresh:
            before = time.time()
            reply = self._get("/api/v3/time")
            after = time.time()
            server = int(reply.body.get("serverTime", 0))
            self._offset_ms = server - int((before + after) / 2 * 1000) if server else 0
        return self._offset_ms

    def signed_get(self, path: str, api_key: str, sign: Signer) -> Response:
        """GET a USER_DATA endpoint; retries once on clock skew and waits out short 429s."""
        for attempt in range(3):
            timestamp = int(time.time() * 1000) + self.server_offset_ms(refresh=attempt > 0)
            query = urllib.parse.urlencode({"timestamp": timestamp, "recvWindow": RECV_WINDOW_MS})
            query += "&signature=" + urllib.parse.quote(sign(query.encode()), safe="")
            reply = self._get(path, query, api_key)
            if reply.status in (429, 418) and reply.retry_after is not None:
                if reply.status == 418 or reply.retry_after > MAX_RETRY_AFTER_S or attempt == 2:
                    return reply
                self.sleep(reply.retry_after)
                continue
            if reply.body.get("code") == -1021 and attempt < 2:
                continue
            return reply
        return reply


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {"msg": raw[:200].decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {"value": value}
