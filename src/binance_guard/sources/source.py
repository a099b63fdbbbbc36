"""What sources hand to the scanner: bytes with a name, or a reason they were skipped."""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Container

from binance_guard.detection.heuristics import is_binary

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Source:
    path: str
    data: bytes = dataclasses.field(repr=False)
    # Only findings on these lines count (a commit's added lines); None means all lines.
    lines: Container[int] | None = None


@dataclasses.dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def read_file(path: str, display: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Source | Skipped:
    """Read one file for scanning; anything odd becomes a Skipped with a human reason."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return Skipped(display, f"cannot stat: {exc.strerror}")
    if stat.S_ISLNK(info.st_mode):
        return Skipped(display, "symbolic link (not followed)")
    if stat.S_ISDIR(info.st_mode):
        return Skipped(display, "directory (a submodule or nested repository: not followed)")
    if not stat.S_ISREG(info.st_mode):
        return Skipped(display, "not a regular file")
    if info.st_size > max_bytes:
        return Skipped(display, f"larger than {max_bytes} bytes ({info.st_size})")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return Skipped(display, f"unreadable: {exc.strerror}")
    if len(data) > max_bytes:
        return Skipped(display, f"larger than {max_bytes} bytes")
    return Source(display, data) if not is_binary(data) else Skipped(display, "binary")
