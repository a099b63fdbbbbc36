"""A connected socket whose every send and receive stops at one deadline: a server that
drips a byte at a time resets any per-operation timeout, and would keep a run for ever.
The verify client and fleet's GitHub discovery talk to servers through it."""

from __future__ import annotations

import io
import socket
import time
from typing import Any


class Expired(TimeoutError):
    """The exchange's deadline passed."""


class DeadlineSocket:
    """The little of a socket that ``http.client`` uses once connected, with every send and
    receive bounded by what is left until ``ends`` (time.monotonic)."""

    def __init__(self, sock: socket.socket, ends: float) -> None:
        self.sock = sock
        self.ends = ends

    def arm(self) -> None:
        remaining = self.ends - time.monotonic()
        if remaining <= 0:
            raise Expired
        self.sock.settimeout(remaining)

    def sendall(self, data: bytes) -> None:
        self.arm()
        self.sock.sendall(data)

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self))

    def close(self) -> None:
        """http.client closes its socket as soon as it has the headers of a closing answer,
        whose body is still to read: the owner of the real socket closes it when done."""


class _DeadlineReader(io.RawIOBase):
    def __init__(self, owner: DeadlineSocket) -> None:
        self.owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.owner.arm()
        return self.owner.sock.recv_into(buffer)
