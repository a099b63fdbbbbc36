"""What sources hand to the scanner: bytes with a name, or a reason they were skipped."""

from __future__ import annotations

import os
import stat

from binance_guard.detection.heuristics import is_binary
from binance_guard.detection.prefilter import has_candidates
from binance_guard.record import field, record
from binance_guard.regex import compile_later

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    from collections.abc import Container
    from typing import BinaryIO

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@record(frozen=True)
class Source:
    path: str
    data: bytes = field(repr=False)
    # Only findings on these lines count (a commit's added lines); None means all lines.
    lines: Container[int] | None = None


@record(frozen=True)
class Skipped:
    path: str
    reason: str
    # Empty for a choice (binary, a link, too large); for a failure to read, what is counted
    # in Report.incomplete ("file(s) unreadable"): the run did not look at everything.
    unread: str = ""


UNREADABLE_FILES = "file(s) unreadable"


# Names of descriptors the shell opened for the user: ``/dev/stdin``, ``<(...)`` (/dev/fd/63).
DESCRIPTOR_RE = compile_later(r"/dev/std(?:in|err|out)|/dev/fd/[0-9]+|/proc/self/fd/[0-9]+")
STDIN_NAME = "-"


def read_file(
    path: str, display: str, max_bytes: int = DEFAULT_MAX_BYTES, *, named: bool = False
) -> Source | Skipped:
    """Read one file for scanning; anything odd becomes a Skipped with a human reason.

    A path the user ``named`` is read as ``cat`` reads it when it is a stream (a pipe, a FIFO,
    a device: ``/dev/stdin``, ``<(...)``), even behind a symbolic link; other symbolic links
    are not followed, named or not, so that a repository's links cannot lead the scan away."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return failed(display, "cannot stat", exc)
    if named and stat.S_ISLNK(info.st_mode):
        try:
            target = os.stat(path)
        except OSError:
            target = None  # a broken link: not followed, like any other
        if target is not None and (DESCRIPTOR_RE.fullmatch(path) or _is_stream(target)):
            info = target
    if stat.S_ISLNK(info.st_mode):
        return Skipped(display, "symbolic link (not followed)")
    if stat.S_ISDIR(info.st_mode):
        return Skipped(display, "submodule or nested repository (not followed: scan it alone)")
    if not stat.S_ISREG(info.st_mode) and not (named and _is_stream(info)):
        return Skipped(display, "not a regular file")
    try:
        with open(path, "rb") as handle:
            if info.st_size > max_bytes and stat.S_ISREG(info.st_mode):
                return _oversized(
                    handle, display, f"larger than {max_bytes} bytes ({info.st_size})"
                )
            return read_stream(handle, display, max_bytes)
    except OSError as exc:
        return failed(display, "unreadable", exc)


OVERSIZED_FILES = "file(s) over --max-bytes that may hold keys"
PREFILTER_CHUNK = 8 << 20
PREFILTER_OVERLAP = 1024  # more than a key, a marker or either in UTF-32 across a boundary


def _oversized(handle: BinaryIO, display: str, reason: str, start: bytes = b"") -> Skipped:
    """A file or stream too large to scan (the user's limit on time and memory), ``start``
    of it already read: the rest is read through the prefilter, and one it flags is not
    called clean."""
    if not _may_hold_keys(handle, start):
        return Skipped(display, reason)
    return Skipped(
        display,
        f"{reason}, and may hold a key: not scanned (raise --max-bytes to scan it)",
        OVERSIZED_FILES,
    )


def _may_hold_keys(handle: BinaryIO, chunk: bytes) -> bool:
    """The prefilter over the whole file, a chunk at a time; binary ones are skipped as
    everywhere."""
    chunk = chunk or handle.read(PREFILTER_CHUNK)
    if is_binary(chunk):
        return False
    tail = b""
    while chunk:
        window = tail + chunk
        if has_candidates(window):
            return True
        tail = window[-PREFILTER_OVERLAP:]
        chunk = handle.read(PREFILTER_CHUNK)
    return False


def is_within(path: str, top: str) -> bool:
    """Whether ``path`` is ``top`` or below it, symbolic links resolved."""
    real, root = os.path.realpath(path), os.path.realpath(top)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def in_repository(path: str, top: str) -> str | None:
    """``path``'s name relative to the repository ``top`` ('/'-separated), taken as written
    (no link resolved: a link in a checkout under review is its content); None outside."""
    absolute = os.path.abspath(path)
    for root in {os.path.abspath(top), os.path.realpath(top)}:
        if absolute.startswith(root.rstrip(os.sep) + os.sep):
            return os.path.relpath(absolute, root).replace(os.sep, "/")
    return None


def as_committed(path: str, top: str, at: str) -> tuple[str, bytes | None] | None:
    """A file an option names, in the repository ``top`` as the commit ``at`` has it: its
    name there and content (None: the change under review adds it). None when it is not the
    repository's: outside it, or a file neither ``at`` nor the checkout's commit holds (one
    the workflow made), to read as named."""
    from binance_guard.sources import git

    named = in_repository(path, top)
    if named is None:
        return None
    data = git.file_at(top, at, named)
    if data is None and git.file_at(top, "HEAD", named) is None:
        return None
    return named, data


def failed(display: str, what: str, exc: OSError, unread: str = UNREADABLE_FILES) -> Skipped:
    """A file (or directory) gone since it was listed (deleted, renamed) holds nothing to
    scan; one that is there and cannot be read (permissions, I/O) makes the run incomplete."""
    if isinstance(exc, FileNotFoundError):
        return Skipped(display, "deleted while scanning")
    return Skipped(display, f"{what}: {exc.strerror}", unread)


def _is_stream(info: os.stat_result) -> bool:
    return stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode)


def read_stream(handle: BinaryIO, display: str, max_bytes: int) -> Source | Skipped:
    """Up to ``max_bytes`` from an open file, a pipe or standard input (``scan -``)."""
    data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        return _oversized(handle, display, f"larger than {max_bytes} bytes", data)
    return Source(display, data) if not is_binary(data) else Skipped(display, "binary")
