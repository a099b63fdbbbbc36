"""Git objects as scanner input: every blob once, straight from ``git cat-file --batch``.

Reading blobs instead of ``git log -p`` diffs means each version of a file is read once
(not once per commit that touches it) and merge resolutions are seen like any other content.
git inflates objects in its own process while Python scans: two cores, one pipe.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import IO

from binance_guard.sources import git
from binance_guard.sources.git import READ_BUFFER


@dataclasses.dataclass(frozen=True)
class Blob:
    oid: str
    data: bytes = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class Oversized:
    oid: str
    size: int


def _read_batch(stream: IO[bytes], max_bytes: int) -> Iterator[Blob | Oversized | int]:
    """Parse ``cat-file --batch`` output; yields blobs, oversized blobs, and the size of
    every other object (commits, trees, tags: read and dropped)."""
    while header := stream.readline():
        parts = header.split()
        if len(parts) != 3:  # "<oid> missing"
            continue
        oid, kind, size = parts[0].decode(), parts[1], int(parts[2])
        if kind != b"blob" or size > max_bytes:
            remaining = size + 1
            while remaining:
                remaining -= len(stream.read(min(remaining, READ_BUFFER)))
            yield Oversized(oid, size) if kind == b"blob" else size
            continue
        data = stream.read(size)
        stream.read(1)
        yield Blob(oid, data)


def reachable_blobs(
    repo: str, revs: Sequence[str] | None, max_bytes: int
) -> Iterator[Blob | Oversized | int]:
    """Every object once: all objects in the repository by default, or those reachable from
    ``revs`` (``A..B``, ``--all ^X``) and not from their exclusions."""
    if revs is None:
        proc = git.popen(["cat-file", "--batch-all-objects", "--batch", "--unordered"], repo)
        assert proc.stdout is not None
        yield from _read_batch(proc.stdout, max_bytes)
        git.wait(proc, "git cat-file")
        return
    lister = git.popen(["rev-list", "--objects", "--no-object-names", *revs, "--"], repo)
    reader = git.popen(["cat-file", "--batch"], repo, stdin=lister.stdout)
    assert lister.stdout is not None and reader.stdout is not None
    lister.stdout.close()  # the reader owns it now
    yield from _read_batch(reader.stdout, max_bytes)
    git.wait(lister, "git rev-list")
    git.wait(reader, "git cat-file")


@dataclasses.dataclass(frozen=True)
class Message:
    sha: str
    author: str
    date: str
    text: bytes = dataclasses.field(repr=False)


def commit_messages(repo: str, revs: Sequence[str] | None) -> Iterator[Message]:
    proc = git.popen(
        ["log", "--format=%x01%H%x00%an <%ae>%x00%aI%x00%B", *(revs or ["--all"]), "--"], repo
    )
    assert proc.stdout is not None
    data = proc.stdout.read()
    git.wait(proc, "git log")
    for record in data.split(b"\x01")[1:]:
        sha, author, date, text = record.split(b"\x00", 3)
        yield Message(
            sha.decode(),
            author.decode("utf-8", "replace"),
            date.decode(),
            text,
        )
