"""Git objects as scanner input: every blob once, straight from ``git cat-file --batch``.

Reading blobs instead of ``git log -p`` diffs means each version of a file is read once
(not once per commit that touches it) and merge resolutions are seen like any other content.
Objects are listed from their headers first, then read by as many ``git cat-file`` readers as
there are workers, each inflating in its own process while a Python process scans.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone

from binance_guard.record import field, record
from binance_guard.regex import compile_now
from binance_guard.sources import git


@record(frozen=True)
class Blob:
    oid: str
    data: bytes = field(repr=False)


@record()
class Inventory:
    """What there is to read, listed from object headers only (no inflating)."""

    blobs: list[str] = field(default_factory=list)  # pack order: deltas stay close
    sizes: list[int] = field(default_factory=list)  # of each blob, to batch by bytes
    blob_bytes: int = 0
    other_bytes: int = 0  # commits, trees, tags: counted, never read
    tags: list[str] = field(default_factory=list)  # annotated tag objects
    oversized: list[tuple[str, int]] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # absent or corrupt


CHECK_FORMAT = "--batch-check=%(objectname) %(objecttype) %(objectsize)"


def inventory(repo: str, revs: Sequence[str] | None, max_bytes: int) -> Inventory:
    """Every object once: all objects in the repository by default, or those reachable from
    ``revs`` (``A..B``, ``--all ^X``) and not from their exclusions."""
    if revs is None:
        listing = ["cat-file", "--batch-all-objects", CHECK_FORMAT, "--unordered"]
        proc = git.popen([*git.PACK_WINDOWS, *listing], repo)
        procs = [proc]
    else:
        # A missing object is counted by history's own listing (--missing=print), not fatal.
        lister = git.popen(
            [
                *git.PACK_WINDOWS,
                *("rev-list", "--objects", "--no-object-names", "--missing=allow-any"),
                *git.revisions(revs),
                "--",
            ],
            repo,
        )
        proc = git.popen([*git.PACK_WINDOWS, "cat-file", CHECK_FORMAT], repo, stdin=lister.stdout)
        assert lister.stdout is not None
        lister.stdout.close()  # cat-file owns it now
        procs = [lister, proc]
    assert proc.stdout is not None
    result = _checked(proc.stdout, max_bytes)
    for each in procs:
        git.wait(each, "listing objects")
    return result


def _checked(lines: Iterable[bytes], max_bytes: int) -> Inventory:
    """An inventory from ``cat-file --batch-check`` lines."""
    result = Inventory()
    for line in lines:
        parts = line.split()
        if len(parts) != 3:  # "<oid> missing": absent, or its header does not inflate
            result.unreadable.append(parts[0].decode())
            continue
        oid, kind, size = parts[0].decode(), parts[1], int(parts[2])
        if kind != b"blob":
            result.other_bytes += size
            if kind == b"tag":
                result.tags.append(oid)
        elif size > max_bytes:
            result.oversized.append((oid, size))
        else:
            result.blobs.append(oid)
            result.sizes.append(size)
            result.blob_bytes += size
    return result


def inventory_and_messages(
    repo: str, revs: Sequence[str], max_bytes: int
) -> tuple[Inventory, list[Message]]:
    """:func:`inventory` of what ``revs`` reach and what :func:`commit_messages` gives, from
    one ``git rev-list`` instead of a rev-list and a log: a fleet lists hundreds of small
    repositories, where starting git costs more than the listing. Each record ends with its
    own id, which no message can hold (the id is the hash of the message). An object the
    refs reach but the repository lacks (a partial clone, a lost object) is ``unreadable``,
    as one git cannot inflate, where git rev-list died on it."""
    record_format = f"{MESSAGE_FORMAT}%x00%x02%H%x02"
    args = [
        *("rev-list", "--objects", "--no-object-names", "--missing=print"),
        f"--format={record_format}",
    ]
    with git.Spool([*args, *git.revisions(revs), "--"], repo, "git rev-list") as spool:
        data = spool.output().read()
    messages: list[Message] = []
    ids: list[bytes] = []
    at = 0
    try:
        while at < len(data):
            if data[at] == 1:  # \x01<id>\x00author\x00date\x00message\x00\x02<id>\x02
                sha = data[at + 1 : data.index(b"\x00", at)]
                end = data.index(b"\x00\x02" + sha + b"\x02\n", at)
                # git log's record: the message and the newline that ends each record.
                messages.append(_message(data[at + 1 : end] + b"\n"))
                ids.append(sha)
                at = end + len(sha) + 4
                continue
            line_end = data.index(b"\n", at)
            line = data[at:line_end]
            at = line_end + 1
            if not line.startswith(b"commit "):  # a record's header, else an object
                ids.append(line.removeprefix(b"?"))  # cat-file then says it is missing
    except ValueError:
        raise git.GitError("git rev-list: a record without its end") from None
    with tempfile.TemporaryFile() as listed:
        listed.write(b"".join(oid + b"\n" for oid in ids))
        listed.seek(0)
        proc = git.popen(["cat-file", CHECK_FORMAT], repo, stdin=listed)
        assert proc.stdout is not None
        result = _checked(proc.stdout, max_bytes)
        git.wait(proc, "listing objects")
    return result, messages


# Per reader, instead of git's 96 MiB: the same CPU time on the synthetic 20,000-commit pack
# (deep delta chains; 32 MiB cost 40 % more), and freqtrade's whole process tree peaks at
# 370 MiB RSS instead of 530.
DELTA_CACHE = "64m"


def stream_blobs(
    repo: str,
    oids: Sequence[str],
    also_in: Sequence[str] = (),
    unreadable: list[str] | None = None,
) -> Iterator[Blob]:
    """Stream blobs with one ``git cat-file --batch``; ids go in through a file so that
    writing them can never block reading the contents. ``--buffer``: git writes in blocks
    instead of flushing each object. ``also_in``: more repositories to read objects from
    (as alternates: one git for the new blobs of many small repositories).

    A blob git cannot inflate (damaged pack bytes) kills ``cat-file``: with ``unreadable``,
    its id goes there (tried alone, to be sure which one it was) and a new ``cat-file``
    reads the blobs after it; without, GitError."""
    env = {}
    if also_in:
        env["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = os.pathsep.join(
            _quoted(_objects(os.path.abspath(other))) for other in also_in
        )
    start = 0
    while start < len(oids):
        answered = yield from _cat_file(repo, oids[start:], env)
        if answered is None:
            return
        start += answered
        if (yield from _cat_file(repo, oids[start : start + 1], env)) is not None:
            if unreadable is None:
                raise git.GitError(f"git cat-file: object {oids[start]} is corrupt")
            unreadable.append(oids[start])
        start += 1


def _cat_file(
    repo: str, oids: Sequence[str], env: dict[str, str]
) -> Generator[Blob, None, int | None]:
    """One ``git cat-file --batch`` over ``oids``: None when it answered for all of them,
    else how many it answered for before it died (on the next one)."""
    with tempfile.TemporaryFile() as ids:
        ids.write("".join(f"{oid}\n" for oid in oids).encode())
        ids.seek(0)
        proc = git.popen(
            [
                *git.PACK_WINDOWS,
                *("-c", f"core.deltaBaseCacheLimit={DELTA_CACHE}"),
                *("cat-file", "--batch", "--buffer"),
            ],
            repo,
            stdin=ids,
            env=env,
        )
        assert proc.stdout is not None
        stream = proc.stdout
        answered = 0
        while header := stream.readline():
            parts = header.split()
            if len(parts) == 3:
                size = int(parts[2])
                data = stream.read(size)
                if len(data) < size or stream.read(1) != b"\n":
                    break  # git died inside this object
                yield Blob(parts[0].decode(), data)
            answered += 1
        try:
            git.wait(proc, "git cat-file")
        except git.GitError:
            if answered >= len(oids):
                raise  # not about an object
            return answered
        return None


def _objects(repo: str) -> str:
    work_tree = os.path.join(repo, ".git", "objects")
    return work_tree if os.path.isdir(work_tree) else os.path.join(repo, "objects")


def _quoted(path: str) -> str:
    """An entry of GIT_ALTERNATE_OBJECT_DIRECTORIES: C-quoted if it holds the separator."""
    if not any(c in path for c in (os.pathsep, '"', "\\", "\n")):
        return path
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


@record(frozen=True)
class Message:
    sha: str
    author: str  # name <email>, as the commit holds them (no .mailmap)
    date: str
    committer: str
    text: bytes = field(repr=False)


# A record starts with \x01 and an object id: a \x01 inside a message or a name (git allows
# both) does not start one.
_COMMIT_RECORD = compile_now(rb"\x01(?=[0-9a-f]{40}(?:[0-9a-f]{24})?\x00)")
_TAG_RECORD = compile_now(rb"\x01(?=[a-z]+\x00[0-9a-f]{40}(?:[0-9a-f]{24})?\x00)")


# Each name is followed by " <" and each email by ">", never by the \x00 that ends a field.
MESSAGE_FORMAT = "%x01%H%x00%an <%ae>%x00%aI%x00%cn <%ce>%x00%B"


def start_commit_messages(repo: str, revs: Sequence[str] | None) -> git.Spool:
    """Start listing commit messages, to read with :func:`commit_messages` when needed."""
    return git.Spool(
        [
            *git.PACK_WINDOWS,
            "log",
            f"--format={MESSAGE_FORMAT}",
            *git.revisions(revs or ["--all"]),
            "--",
        ],
        repo,
        "git log",
    )


def commit_messages(
    repo: str, revs: Sequence[str] | None, started: git.Spool | None = None
) -> Iterator[Message]:
    with started or start_commit_messages(repo, revs) as spool:
        data = spool.output().read()
    for entry in _COMMIT_RECORD.split(data)[1:]:
        yield _message(entry)


def _message(entry: bytes) -> Message:
    """A record of :data:`MESSAGE_FORMAT` without its leading \x01."""
    sha, author, date, committer, text = entry.split(b"\x00", 4)
    return Message(
        sha.decode(),
        author.decode("utf-8", "replace"),
        date.decode(),
        committer.decode("utf-8", "replace"),
        text,
    )


@record(frozen=True)
class TagMessage:
    oid: str  # the tag object
    ref: str
    tagger: str
    date: str
    text: bytes = field(repr=False)


def tag_messages(repo: str) -> Iterator[TagMessage]:
    """Messages of the annotated tags the refs reach: pushed with ``--tags``, and no commit
    holds them. Those under other refs too (``refs/original/`` of git filter-branch, a
    remote's tags fetched elsewhere), and a tag of a tag, whose own ref may be gone."""
    files = git.ref_files(repo)
    if files is not None and all(name.startswith(b"refs/heads/") for name, _ in files.refs):
        return  # git refuses a tag object under refs/heads/: no git to start (fleet asks)
    out = git.run(
        [
            "for-each-ref",
            "--format=%(if:equals=tag)%(objecttype)%(then)%01tag%00%(objectname)%00%(refname)"
            "%00%(taggername) %(taggeremail)%00%(taggerdate:iso-strict)%00%(*objecttype)"
            "%00%(*objectname)%00%(contents)%(end)",
        ],
        cwd=repo,
    )
    nested: dict[str, str] = {}  # a tag a tag points at -> a ref that reaches it
    for entry in _TAG_RECORD.split(out)[1:]:
        _, oid, ref, tagger, date, inner_kind, inner, text = entry.split(b"\x00", 7)
        yield TagMessage(
            oid.decode(),
            os.fsdecode(ref),
            tagger.decode("utf-8", "replace"),
            date.decode(),
            text,
        )
        if inner_kind == b"tag":
            nested.setdefault(inner.decode(), os.fsdecode(ref))
    seen: set[str] = set()
    while nested.keys() - seen:
        raw = git.blob_contents(sorted(nested.keys() - seen), cwd=repo)
        seen.update(nested)
        for oid, data in raw.items():
            message, target = _tag_object(oid, nested[oid], data)
            yield message
            if target is not None:
                nested.setdefault(target, nested[oid])


def _tag_object(oid: str, ref: str, raw: bytes) -> tuple[TagMessage, str | None]:
    """A tag object's message as ``for-each-ref`` gives it, and the tag it points at if any."""
    head, _, text = raw.partition(b"\n\n")
    fields = dict(line.split(b" ", 1) for line in head.split(b"\n") if b" " in line)
    tagger, date = b"", ""
    if b"tagger" in fields:
        tagger, stamp, zone = fields[b"tagger"].rsplit(b" ", 2)
        offset = (1 if zone[:1] == b"+" else -1) * (int(zone[1:3]) * 60 + int(zone[3:5]))
        when = datetime.fromtimestamp(int(stamp), timezone(timedelta(minutes=offset)))
        date = when.isoformat()
    target = fields[b"object"].decode() if fields.get(b"type") == b"tag" else None
    return TagMessage(oid, ref, tagger.decode("utf-8", "replace"), date, text), target
