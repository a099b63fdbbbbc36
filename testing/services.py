"""Real services on 127.0.0.1 for fleet's tests: git daemon, a Dask scheduler and workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def _dask(module: str, *args: str, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", f"distributed.cli.{module}", *args],
            start_new_session=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


class DaskCluster:
    """A real ``dask scheduler`` and ``dask worker`` processes, each its own process."""

    def __init__(self, tmp: Path, workers: int) -> None:
        self.tmp = tmp
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
        )

    def wait_for_workers(self, count: int, timeout: float = 120) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(count, timeout=timeout)

    def close(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            stop(proc)
