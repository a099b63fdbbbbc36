"""Real HTTP(S) servers on 127.0.0.1 that misbehave on purpose, for the verify client: they
redirect, drip, flood, hang and lie, byte by byte. Every request is logged, and every byte
sent counted, so tests can prove what reached which server and what the client read."""

from __future__ import annotations

import contextlib
import datetime
import io
import ipaddress
import json
import socket
import socketserver
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from testing.fake_binance import LoggedRequest

TIME_PATH = "/api/v3/time"
SIGNED_PATH = "/sapi/v1/account/apiRestrictions"
LIVE_BODY = {"ipRestrict": False, "createTime": 1_700_000_000_000, "enableReading": True}


class Wire:
    """The connection to one client, for a behaviour to write to; counts what it sent."""

    def __init__(self, out: io.BufferedIOBase, server: Hostile) -> None:
        self._out = out
        self._server = server

    def write(self, data: bytes) -> None:
        self._out.write(data)
        self._out.flush()
        with self._server.lock:
            self._server.sent += len(data)

    def pause(self, seconds: float) -> bool:
        """Waits; False once the server is shutting down (end the behaviour)."""
        return not self._server.stopping.wait(seconds)


Behaviour = Callable[[Wire], None]


def head(status: int, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} Whatever", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(status: int, body: object, headers: dict[str, str] | None = None) -> Behaviour:
    """A complete answer; ``body`` as JSON unless it is bytes."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()

    def behave(wire: Wire) -> None:
        wire.write(head(status, {**(headers or {}), "Content-Length": str(len(data))}) + data)

    return behave


def raw(data: bytes) -> Behaviour:
    """Exactly these bytes, then the connection closes."""
    return lambda wire: wire.write(data)


def redirect(status: int, location: str) -> Behaviour:
    return answer(status, {}, {"Location": location})


def drip(prefix: bytes, byte: bytes = b" ", every: float = 0.05) -> Behaviour:
    """``prefix`` at once, then one byte at a time for ever: each byte resets a socket
    timeout, so only a deadline on the whole exchange ends it."""

    def behave(wire: Wire) -> None:
        wire.write(prefix)
        while wire.pause(every):
            wire.write(byte)

    return behave


def flood(headers: dict[str, str] | None = None, status: int = 200) -> Behaviour:
    """An answer whose body never ends (or is declared huge): 64 KiB blocks as fast as the
    client takes them."""
    block = b" " * 65536

    def behave(wire: Wire) -> None:
        wire.write(head(status, headers) + b"{")
        while wire.pause(0):
            wire.write(block)

    return behave


def hang(wire: Wire) -> None:
    """Reads the request and never answers."""
    while wire.pause(0.05):
        pass


class Hostile:
    """Answers ``/api/v3/time`` honestly (unless ``time`` is given) and everything else
    with ``signed``. ``requests`` is everything that arrived, ``sent`` every byte written."""

    def __init__(self, signed: Behaviour, time: Behaviour | None = None) -> None:
        self.signed = signed
        self.time = time
        self.requests: list[LoggedRequest] = []
        self.sent = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.url = ""

    def behaviour(self, path: str) -> Behaviour:
        if path == TIME_PATH:
            return self.time or answer(200, {"serverTime": int(time.time() * 1000)})
        return self.signed

    @property
    def signed_requests(self) -> list[LoggedRequest]:
        return [r for r in self.requests if r.path != TIME_PATH]


def _handler(hostile: Hostile) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            request = self.requestline + "\n" + str(self.headers)
            with hostile.lock:
                hostile.requests.append(LoggedRequest(path, request, time.monotonic()))
            with contextlib.suppress(OSError):  # the client hung up: what the tests want
                hostile.behaviour(path)(Wire(self.wfile, hostile))
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


class _Server(ThreadingHTTPServer):
    block_on_close = False  # drips end when the client or the test goes away

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that hung up mid-handshake or mid-request: expected here


@contextmanager
def serving(hostile: Hostile, tls: ssl.SSLContext | None = None) -> Iterator[Hostile]:
    server = _Server(("127.0.0.1", 0), _handler(hostile))
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls else "http"
    hostile.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hostile
    finally:
        hostile.stopping.set()
        server.shutdown()
        server.server_close()


def localhost_tls(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for 127.0.0.1 and the CA file that makes clients trust it (point
    ``SSL_CERT_FILE`` at it): a real TLS server, no verification turned off anywhere."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "binance-guard test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = directory / "server.pem"
    chain.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return context, ca_file


class ConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that records each tunnel request and every byte it
    relays; with ``answer``, it sends those bytes instead of opening the tunnel."""

    def __init__(self, answer: bytes | None = None) -> None:
        self.answer = answer
        self.requests: list[str] = []
        self.relayed = bytearray()
        self.lock = threading.Lock()
        self.url = ""

    def handle(self, client: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request and len(request) < 65536:
            chunk = client.recv(4096)
            if not chunk:
                return
            request += chunk
        with self.lock:
            self.requests.append(request.decode("latin-1"))
        if self.answer is not None:
            client.sendall(self.answer)
            return
        host, _, port = request.split()[1].decode().rpartition(":")
        with socket.create_connection((host.strip("[]"), int(port)), timeout=30) as upstream:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            relays = [
                threading.Thread(target=self._relay, args=(client, upstream), daemon=True),
                threading.Thread(target=self._relay, args=(upstream, client), daemon=True),
            ]
            for relay in relays:
                relay.start()
            for relay in relays:
                relay.join(30)

    def _relay(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                with self.lock:
                    self.relayed += data
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@contextmanager
def proxying(proxy: ConnectProxy) -> Iterator[ConnectProxy]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            with contextlib.suppress(OSError):
                proxy.handle(self.request)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        block_on_close = False

    server = Server(("127.0.0.1", 0), Handler)
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
