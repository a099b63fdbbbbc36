"""Real services on 127.0.0.1 for fleet's tests: git daemon, git over HTTPS, a Dask scheduler
and workers."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"service exited early: {proc.args!r}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listening on port {port}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process this test started (its own session: its children too)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@contextmanager
def git_daemon(base: Path) -> Iterator[str]:
    """``git://127.0.0.1:PORT/`` serving every repository under ``base``."""
    port = free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            "--informative-errors",
            f"--base-path={base}",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(base),
        ],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc)
        yield f"git://127.0.0.1:{port}"
    finally:
        stop(proc)


def _dask(
    module: str, *args: str, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", f"distributed.cli.{module}", *args],
            start_new_session=True,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=None if env is None else {**os.environ, **env},
        )


class DaskCluster:
    """A real ``dask scheduler`` and ``dask worker`` processes, each its own process."""

    def __init__(self, tmp: Path, workers: int, env: dict[str, str] | None = None) -> None:
        """``env``: added to the workers' environment (a PYTHONPATH with other code)."""
        self.tmp = tmp
        self.env = env
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self.scheduler = _dask(
            "dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-dashboard",
            log=tmp / "scheduler.log",
        )
        wait_for_port(port, self.scheduler)
        self.workers = [self._worker(f"w{i}") for i in range(workers)]
        self.wait_for_workers(workers)

    def _worker(self, name: str) -> subprocess.Popen[bytes]:
        return _dask(
            "dask_worker",
            self.address,
            "--nthreads",
            "1",
            "--nworkers",
            "1",
            "--no-nanny",
            "--name",
            name,
            "--host",
            "127.0.0.1",
            "--no-dashboard",
            "--local-directory",
            str(self.tmp / name),
            log=self.tmp / f"{name}.log",
            env=self.env,
        )

    def wait_for_workers(self, count: int, timeout: float = 120) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(count, timeout=timeout)

    def close(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            stop(proc)


Request = tuple[int, str, str, str | None]  # server port, method, path, Authorization


class GitHTTP(BaseHTTPRequestHandler):
    """Git's smart HTTP for every repository under ``root`` (``git http-backend``, as a web
    server runs it), noting each request's Authorization header in ``requests``. Subclasses
    set ``root`` and ``requests`` and may answer some paths themselves."""

    root: Path
    requests: list[Request]

    def do_GET(self) -> None:
        self.git()

    def do_POST(self) -> None:
        self.git(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

    def noted(self) -> None:
        port: int = self.connection.getsockname()[1]
        self.requests.append((port, self.command, self.path, self.headers.get("Authorization")))

    def git(self, body: bytes = b"") -> None:
        self.noted()
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
        }
        out = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=True
        ).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        fields = [line.split(": ", 1) for line in head.decode().split("\r\n") if ": " in line]
        status = next((int(v.split()[0]) for k, v in fields if k.lower() == "status"), 200)
        self.send_response(status)
        for name, value in fields:
            if name.lower() != "status":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def https(handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext) -> Iterator[str]:
    """``https://127.0.0.1:PORT`` served by ``handler``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
