"""A small Binance REST client for one question: what can this key do?

stdlib ``http.client`` only: two GET requests do not justify an HTTP stack. Sends the API key
in ``X-MBX-APIKEY`` and a signature; the secret never leaves the process.

The server is not trusted, whoever answers at the URL. No redirect is followed (``urllib``
would follow it, API key header and signed query included). Every exchange must be complete
before a deadline: a socket timeout alone restarts with each byte, so a server dripping one
byte a second would hold the run for ever. Bodies are capped. A 429 makes every later request
wait for its ``Retry-After``, and a 418 (IP banned) stops the run, as Binance asks.
"""

from __future__ import annotations

import base64
import dataclasses
import email.utils
import http.client
import ipaddress
import json
import math
import socket
import ssl
import time
import urllib.parse
from typing import Any

from binance_guard.net import DeadlineSocket, Expired
from binance_guard.report.sanitize import shown
from binance_guard.verify import InsecureURL, Settings
from binance_guard.verify.signing import Signer

RECV_WINDOW_MS = 10_000
# After a 429 at least this long, whatever Retry-After says: 0, a negative number or a past
# date would have every later request sent at once, the hammering Binance bans IPs for.
DEFAULT_BACKOFF_S = 1.0
USER_AGENT = "binance-guard (key verification)"
# Plausible millisecond timestamps: Binance opened in 2017; 2100 is far enough.
MIN_TIME_MS, MAX_TIME_MS = 1_483_228_800_000, 4_102_444_800_000


class VerifyFailure(Exception):
    """A key could not be checked; ``status`` is what its verification reports."""

    status = "unreachable"


class Unreachable(VerifyFailure):
    """No complete answer: connection, TLS or the deadline failed."""


class InvalidAnswer(VerifyFailure):
    """An answer that is not one Binance gives: a redirect, too large, malformed."""

    status = "invalid_answer"


class RateLimited(VerifyFailure):
    """HTTP 429 with a wait past the deadline, or 418 (IP banned)."""

    status = "rate_limited"


class NotChecked(VerifyFailure):
    """Nothing was sent for this key: the run stopped or its deadline passed."""

    status = "not_checked"


# Answers after which every later request would get the same: the run stops.
STOPPERS: dict[int, tuple[type[VerifyFailure], str]] = {
    418: (RateLimited, "Binance banned this IP for ignoring rate limits"),
    451: (Unreachable, "Binance serves no API to this location"),
}


def as_json(value: object) -> str:
    """A field's value as the server sent it (compact JSON), safe to print."""
    return shown(json.dumps(value, separators=(",", ":")))


def check_base_url(url: str) -> str:
    # Not the value itself in the message: it may hold a password.
    malformed = InsecureURL("API URL: expected https://HOST[:PORT][/PATH], no user, query or #")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not one: "x:99999", "[::1")
    except ValueError:
        raise malformed from None
    if parts.username is not None or not parts.hostname or parts.query or parts.fragment:
        raise malformed
    if parts.scheme == "https":
        return url.rstrip("/")
    if parts.scheme == "http":
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = parts.hostname == "localhost"
        if loopback:
            return url.rstrip("/")
    raise InsecureURL(f"{shown(url)}: use https (plain http is only allowed to localhost)")


@dataclasses.dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any]
    retry_after: float | None = None


class Client:
    def __init__(self, settings: Settings) -> None:
        self.base_url = check_base_url(settings.api_url)
        parts = urllib.parse.urlsplit(self.base_url)
        self._https = parts.scheme == "https"
        self._host = str(parts.hostname)
        self._port = parts.port or (443 if self._https else 80)
        self._netloc = parts.netloc
        self._prefix = parts.path
        self._tls: ssl.SSLContext | None = None
        self._proxy = _https_proxy(self._host) if self._https else None
        self.settings = settings
        self._run_ends = time.monotonic() + settings.deadline
        self._offset_ms: int | None = None
        self._not_before = 0.0  # monotonic time before which nothing is sent (429)
        self._stopped: str | None = None  # why nothing more is sent (418, 451)

    def signed_get(self, path: str, api_key: str, sign: Signer) -> Response:
        """GET a USER_DATA endpoint within one key's deadline; resynchronises the clock once
        on -1021 and waits out a 429 if its Retry-After ends before the deadline."""
        ends = self._key_deadline()
        skewed = False
        for attempt in range(3):
            offset = self._server_offset_ms(ends, refresh=skewed)
            timestamp = int(time.time() * 1000) + offset
            query = urllib.parse.urlencode({"timestamp": timestamp, "recvWindow": RECV_WINDOW_MS})
            query += "&signature=" + urllib.parse.quote(sign(query.encode()), safe="")
            reply = self._get(f"{path}?{query}", ends, api_key)
            last = attempt == 2
            if reply.status == 429 and not last and self._not_before < ends:
                continue
            if reply.status == 429:
                raise RateLimited(self._limited(reply, ends))
            skewed = reply.body.get("code") == -1021
            if skewed and not last:
                continue
            return reply
        return reply

    def _key_deadline(self) -> float:
        now = time.monotonic()
        if now >= self._run_ends:
            raise NotChecked(
                f"nothing sent: the run's {self.settings.deadline:g} s deadline passed "
                "(--verify-deadline)"
            )
        return min(self._run_ends, now + self.settings.key_timeout)

    def _server_offset_ms(self, ends: float, refresh: bool) -> int:
        """Server clock minus ours, so a skewed local clock does not cause -1021."""
        if self._offset_ms is None or refresh:
            before = time.time()
            reply = self._get("/api/v3/time", ends)
            after = time.time()
            if reply.status == 429:
                raise RateLimited(self._limited(reply, ends))
            server = reply.body.get("serverTime")
            if reply.status != 200 or type(server) is not int:
                raise InvalidAnswer(
                    f"/api/v3/time: HTTP {reply.status}, serverTime {as_json(server)}: "
                    "not a time in milliseconds"
                )
            if not MIN_TIME_MS <= server <= MAX_TIME_MS:
                raise InvalidAnswer(f"/api/v3/time: serverTime {server} is not a plausible time")
            self._offset_ms = server - int((before + after) / 2 * 1000)
        return self._offset_ms

    def _limited(self, reply: Response, ends: float) -> str:
        wait = f"; Binance asks to wait {reply.retry_after:g} s" if reply.retry_after else ""
        past = " past this key's deadline" if self._not_before >= ends else ""
        return f"HTTP 429: rate limited{wait}{past} (Retry-After)"

    def _get(self, target: str, ends: float, api_key: str | None = None) -> Response:
        """One exchange, after any wait a 429 imposed on every request. A 418 (IP banned) or
        451 (restricted location) stops the run: every later request would get the same."""
        if self._stopped:
            raise NotChecked(f"nothing sent: {self._stopped}")
        wait = self._not_before - time.monotonic()
        if wait > 0:
            if self._not_before >= ends:
                raise NotChecked(
                    f"nothing sent: Binance asked to wait {wait:.0f} s more (HTTP 429 "
                    "Retry-After), past the deadline"
                )
            time.sleep(wait)
        reply = self._exchange(target, ends, api_key)
        if reply.status in STOPPERS:
            failure, why = STOPPERS[reply.status]
            self._stopped = f"{why} (HTTP {reply.status})"
            after = f"; Binance asks to wait {reply.retry_after:g} s" if reply.retry_after else ""
            raise failure(f"HTTP {reply.status}: {why}{after}; the run stopped")
        if reply.status == 429:
            backoff = max(DEFAULT_BACKOFF_S, reply.retry_after or 0.0)
            self._not_before = max(self._not_before, time.monotonic() + backoff)
        return reply

    def _exchange(self, target: str, ends: float, api_key: str | None) -> Response:
        sock: socket.socket | None = None
        connection = http.client.HTTPConnection(self._host, self._port)
        try:
            address = self._proxy[0] if self._proxy else (self._host, self._port)
            sock = socket.create_connection(address, self._remaining(ends))
            if self._proxy:
                self._tunnel(sock, ends)
            if self._https:
                sock.settimeout(self._remaining(ends))  # the handshake as a whole
                sock = self._tls_context().wrap_socket(sock, server_hostname=self._host)
            # Set, not connect()ed: http.client then only formats the request and parses the
            # answer, through reads and writes that all stop at the deadline.
            connection.sock = DeadlineSocket(sock, ends)
            connection.putrequest(
                "GET", self._prefix + target, skip_host=True, skip_accept_encoding=True
            )
            connection.putheader("Host", self._netloc)
            connection.putheader("User-Agent", USER_AGENT)
            connection.putheader("Accept", "application/json")
            connection.putheader("Connection", "close")
            if api_key is not None:
                connection.putheader("X-MBX-APIKEY", api_key)
            connection.endheaders()
            answer = connection.getresponse()
            if 300 <= answer.status < 400:
                raise InvalidAnswer(self._redirect(answer.status, answer.getheader("Location")))
            retry_after = _retry_after(answer.getheader("Retry-After"))
            if answer.status == 429 or answer.status in STOPPERS:  # the status says it all
                return Response(answer.status, {}, retry_after)
            return Response(answer.status, self._json(answer), retry_after)
        except (Expired, TimeoutError):
            raise Unreachable(
                f"no complete answer within this key's {self._budget(ends)} "
                "(--verify-timeout, --verify-deadline)"
            ) from None
        except http.client.RemoteDisconnected:
            raise Unreachable("the server closed the connection without answering") from None
        except http.client.HTTPException as exc:
            raise InvalidAnswer(f"malformed HTTP answer ({type(exc).__name__})") from None
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise Unreachable(f"could not reach {shown(self._netloc)}: {shown(reason)}") from None
        finally:
            connection.close()
            if sock is not None:
                sock.close()

    def _tunnel(self, sock: socket.socket, ends: float) -> None:
        """CONNECT through the HTTPS proxy: it sees the host, never the key, which only
        travels inside the TLS session with the API's host."""
        assert self._proxy is not None
        (proxy_host, proxy_port), authorization = self._proxy
        target = f"[{self._host}]" if ":" in self._host else self._host
        tunnel = http.client.HTTPConnection(proxy_host, proxy_port)
        tunnel.sock = DeadlineSocket(sock, ends)
        tunnel.putrequest("CONNECT", f"{target}:{self._port}", True, True)
        tunnel.putheader("Host", f"{target}:{self._port}")
        if authorization:
            tunnel.putheader("Proxy-Authorization", authorization)
        tunnel.endheaders()
        # The proxy says nothing after its headers until the server speaks, and the server
        # waits for our TLS hello: nothing of the tunnel is left in the reader's buffer.
        reply = tunnel.getresponse()
        if reply.status != 200:
            raise Unreachable(
                f"the HTTPS proxy {proxy_host}:{proxy_port} refused the tunnel to "
                f"{shown(self._netloc)}: HTTP {reply.status} {shown(reply.reason or '')}".rstrip()
            )

    def _remaining(self, ends: float) -> float:
        remaining = ends - time.monotonic()
        if remaining <= 0:
            raise Expired
        return remaining

    def _budget(self, ends: float) -> str:
        if ends >= self._run_ends:
            return f"time (the run's {self.settings.deadline:g} s deadline)"
        return f"{self.settings.key_timeout:g} s"

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    def _redirect(self, status: int, location: str | None) -> str:
        """Names where the server wanted the key to go; it does not go there."""
        if not location:
            return f"HTTP {status}: a redirect without a target; not followed"
        target = urllib.parse.urlsplit(urllib.parse.urljoin(self.base_url + "/", location))
        port = _port(target)
        where = f"{target.scheme}://{target.hostname or ''}" + (f":{port}" if port else "")
        return (
            f"HTTP {status}: redirect to {shown(where)} not followed (the API key is only "
            f"sent to {shown(self._netloc)})"
        )

    def _json(self, answer: http.client.HTTPResponse) -> dict[str, Any]:
        cap = self.settings.max_response_bytes
        too_big = InvalidAnswer(
            f"HTTP {answer.status}: the answer is larger than {cap} bytes (--max-response-bytes)"
        )
        if answer.length is not None and answer.length > cap:
            raise too_big
        raw = bytearray()
        while chunk := answer.read1(65536):
            raw += chunk
            if len(raw) > cap:
                raise too_big
        if answer.length:  # read1() takes an early end quietly: bytes still owed
            raise Unreachable(
                f"HTTP {answer.status}: the server closed the connection {answer.length} "
                "bytes short of the answer it announced"
            )
        try:
            value = json.loads(raw or b"{}")
        except (ValueError, RecursionError):
            raise InvalidAnswer(f"HTTP {answer.status}: the answer is not JSON") from None
        if not isinstance(value, dict):
            raise InvalidAnswer(
                f"HTTP {answer.status}: the answer is a JSON {type(value).__name__}, not an object"
            )
        return value


def _https_proxy(host: str) -> tuple[tuple[str, int], str | None] | None:
    """The proxy HTTPS_PROXY / NO_PROXY name for ``host`` (as urllib would use it): its
    address and Proxy-Authorization; None for a direct connection."""
    import urllib.request  # only here: heavy, and only its proxy settings are wanted

    url = urllib.request.getproxies().get("https")
    if not url or urllib.request.proxy_bypass(host):
        return None
    parts = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    try:
        port = parts.port or 80
    except ValueError:
        port = 0
    if parts.scheme != "http" or not parts.hostname or not port:
        # Not the value itself: it may hold a password.
        raise InsecureURL("HTTPS_PROXY: expected http://[USER:PASSWORD@]HOST[:PORT]")
    authorization = None
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        authorization = f"Basic {token}"
    return (parts.hostname, port), authorization


def _port(parts: urllib.parse.SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date); None if unusable."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return None if math.isnan(seconds) else max(seconds, 0.0)  # inf: wait for ever
