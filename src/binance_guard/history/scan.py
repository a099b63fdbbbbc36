"""Scan a repository's history: blobs -> the one scanner -> attribution -> findings.

Pass 1 streams every object once. A blob's path is not known while streaming, so it is
scanned as if its path mentioned Binance (path context can only raise confidence): that gives
a superset of what any real path would yield. Pass 2 walks tree diffs to find who introduced
each secret at which path, and rescans those few blobs under their real paths, so history
and ``scan`` judge a file the same way.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence, Set

from binance_guard.detection.heuristics import is_binary
from binance_guard.detection.prefilter import has_candidates
from binance_guard.detection.scanner import scan_bytes
from binance_guard.errors import GuardError
from binance_guard.finding import Attribution, Commit, Finding, Introduction, Location
from binance_guard.history import attribution
from binance_guard.history.versions import Versions
from binance_guard.policy import Policy
from binance_guard.record import field, record, replace
from binance_guard.report import Report
from binance_guard.sources import git
from binance_guard.sources.objects import (
    Inventory,
    Message,
    TagMessage,
    commit_messages,
    inventory,
    start_commit_messages,
    stream_blobs,
    tag_messages,
)

UPPER_BOUND_PATH = "binance"

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing (~2 ms) to run a history
if TYPE_CHECKING:
    from multiprocessing.sharedctypes import Synchronized
    from typing import IO, NoReturn, TypeVar

    _Origin = TypeVar("_Origin")
Progress = Callable[[int, int, int], None]  # (blobs scanned, bytes scanned, blobs in all)


def scan_history(
    path: str,
    revs: Sequence[str] | None,
    policy: Policy,
    max_bytes: int,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> Report:
    """``jobs``: parallel blob readers, by default one per CPU this process may use."""
    repo, has_worktree = git.open_repo(path)
    result = Report(history=True)
    if not git.has_commits(repo):
        result.notes.append("the repository has no commits: nothing to scan")
        return result
    # Path-dependent rules wait for real paths (pass 2).
    first_pass = replace(policy, baseline=None, exclude_files=None, allow_paths=None)

    # Older stash entries: only refs/stash's reflog reaches them, not --all; git stash pop
    # brings them back and scrub rewrites them, so they are walked like refs.
    tips = stash_tips(repo) if revs is None else []
    walked = _walked(revs, tips)

    with contextlib.ExitStack() as running:
        # git lists the messages, and walks the commits once something was found, while the
        # blobs are read: neither needs anything from pass 1.
        messages = running.enter_context(start_commit_messages(repo, walked))
        walk: list[git.Spool] = []  # the changes, then the commit graph

        def found_something() -> None:
            if not walk:
                walk.append(running.enter_context(attribution.start_walk(repo, walked)))
                walk.append(running.enter_context(attribution.start_graph(repo, tips)))

        # What the refs reach but is not here: a partial clone fetches it first (as git's lazy
        # fetch would); otherwise it is only counted, so git lists it while the blobs are read.
        promisor = partial_clone_remote(repo)
        listing = None
        if promisor is None:
            listing = running.enter_context(git.Spool(_missing_args(walked), repo, "git rev-list"))
        else:
            missing = _account_for_unreadable(repo, revs, result, promisor, _missing(repo, walked))
        # Pass 1: every blob once, split between parallel readers.
        stock = inventory(repo, revs, max_bytes)
        result.skipped_objects[f"larger than {max_bytes} bytes"] += len(stock.oversized)
        result.bytes = stock.other_bytes + sum(size for _, size in stock.oversized)
        found: dict[str, list[Finding]] = {}
        corrupt = set(stock.unreadable)
        if stock.oversized:
            unread: list[str] = []
            suspects = oversized_suspects(repo, [oid for oid, _ in stock.oversized], unread)
            corrupt.update(unread)
            if suspects:
                result.incomplete[OVERSIZED_SUSPECTS] = suspects
        # What git listed meanwhile is read while the workers scan, not after; so is what
        # attribution asks git that needs nothing from pass 1 (each git started costs time).
        read_messages: list[Message] = []
        message_hits: list[tuple[Commit, Finding]] = []
        read_missing: list[str] = []
        early: list[tuple[bool | None, git.Tree, list[Finding]]] = []

        def meanwhile() -> None:
            read_messages.extend(commit_messages(repo, walked, messages))
            message_hits.extend(_commit_message_hits(read_messages, policy))
            if listing is not None:
                read_missing.extend(_read_missing(listing))
            shallow = git.is_shallow(repo) if listing is not None else None  # else asked
            early.append(
                (shallow, git.tree(repo, "HEAD"), _tag_findings(repo, revs, stock.tags, policy))
            )

        parts = _scan_blobs(repo, stock, first_pass, progress, jobs, found_something, meanwhile)
        for part in parts:
            corrupt.update(part.unreadable)
            found.update(part.found)
            result.skipped_objects["binary"] += part.binary
            result.skipped_objects[LFS_SKIPPED] += part.lfs
            result.blobs += part.blobs
            result.bytes += part.bytes
        result.skipped_objects = +result.skipped_objects  # drop zero counts
        shallow, head, tag_findings = early[0]
        if listing is not None:
            missing = _account_for_unreadable(repo, revs, result, None, read_missing, shallow)
        corrupt -= missing
        if corrupt:
            result.incomplete["object(s) corrupt or unreadable"] = len(corrupt)

        fingerprints = {oid: [f.fingerprint for f in fs] for oid, fs in found.items()}
        findings, notes = attribute(
            repo,
            revs,
            has_worktree,
            fingerprints,
            policy,
            walk=walk[0] if walk else None,
            messages=read_messages,
            message_hits=message_hits,
            graph=walk[1] if walk else None,
            tags=stock.tags,
            incomplete=result.incomplete,
            head=head,
            tag_findings=tag_findings,
            tips=tips,
        )
    result.findings.extend(findings)
    result.notes.extend(notes)
    return result


OVERSIZED_SUSPECTS = "blob(s) over --max-bytes that may hold keys"


def stash_tips(repo: str) -> list[tuple[str, str]]:
    """(commit, ``stash@{N}``) of each stash entry but the newest, which refs/stash names."""
    return [(commit, f"stash@{{{n}}}") for n, commit in enumerate(git.stash_commits(repo)) if n]


def _walked(revs: Sequence[str] | None, tips: Sequence[tuple[str, str]]) -> Sequence[str]:
    """The commits to walk: ``revs``, or all refs and the ``tips``."""
    return revs or ["--all", *(commit for commit, _ in tips)]


def oversized_suspects(repo: str, oids: Sequence[str], unreadable: list[str]) -> int:
    """Blobs over ``--max-bytes`` are not scanned (the user's limit on time and memory), but
    one the prefilter flags is not called clean either: a key in a pushed log or dump would
    pass. Read one at a time; binary ones are skipped as everywhere."""
    return sum(
        1
        for blob in stream_blobs(repo, oids, unreadable=unreadable)
        if not is_binary(blob.data) and has_candidates(blob.data)
    )


def attribute(
    repo: str,
    revs: Sequence[str] | None,
    has_worktree: bool,
    found: Mapping[str, Sequence[str]],
    policy: Policy,
    *,
    walk: git.Spool | None = None,
    messages: git.Spool | list[Message] | None = None,
    message_hits: list[tuple[Commit, Finding]] | None = None,
    graph: git.Spool | None = None,
    tags: Collection[str] = (),
    incomplete: dict[str, int] | None = None,
    head: git.Tree | None = None,
    tag_findings: list[Finding] | None = None,
    tips: Sequence[tuple[str, str]] = (),
) -> tuple[list[Finding], list[str]]:
    """Pass 2 for blobs scanned already (here or by ``fleet``): ``found`` maps each blob id
    with secrets to their fingerprints. Returns (attributed findings, notes); commit and tag
    messages are scanned here too. ``walk``, ``messages`` and ``graph``: that git work,
    started early (attribution.start_walk, objects.start_commit_messages,
    attribution.start_graph); ``messages`` may also be the messages, read already
    (objects.inventory_and_messages); ``message_hits``: what they hold, scanned already
    (``_commit_message_hits``), the messages read too; ``tags``: the annotated tags in
    ``revs`` (a pushed tag);
    ``incomplete``: where to count secrets of ``revs`` no commit holds; ``head`` (HEAD's
    tree) and ``tag_findings`` (``_tag_findings``): asked of git already; ``tips``: (commit,
    name) of places no ref names that ``found`` covers (:func:`stash_tips`)."""
    notes: list[str] = []
    if head is None:
        head = git.tree(repo, "HEAD")
    findings = _attribute(
        repo, revs, has_worktree, head, found, policy, notes, walk, graph, tips, incomplete
    )
    if not isinstance(messages, list):
        messages = list(commit_messages(repo, _walked(revs, tips), messages))
    if message_hits is None:
        message_hits = _commit_message_hits(messages, policy)
    if tag_findings is None:
        tag_findings = _tag_findings(repo, revs, tags, policy)
    known = [*findings, *(finding for _, finding in message_hits), *tag_findings]
    if known:
        again, tagged = _repeats(
            messages, _pushed_tags(repo, revs, tags), known, message_hits, tag_findings
        )
        message_hits = [*message_hits, *again]
        tag_findings = [*tag_findings, *(_tag_finding(tag, f) for tag, f in tagged)]
    findings.extend(_message_findings(repo, message_hits, graph, tips))
    findings.extend(tag_findings)
    for link in head.gitlinks:
        notes.append(f"{link}: submodule (gitlink) not followed; scan it separately")
    return [f for f in findings if policy.keeps_commits(f)], notes


def _tag_findings(
    repo: str, revs: Sequence[str] | None, tags: Collection[str], policy: Policy
) -> list[Finding]:
    """Secrets in the messages and taggers of the tags ``revs`` push."""
    tagged = _pushed_tags(repo, revs, tags)
    hits = [
        *_message_hits(((tag.text, tag) for tag in tagged), Location.TAG_MESSAGE, policy),
        *_message_hits(((tag.tagger.encode(), tag) for tag in tagged), Location.TAGGER, policy),
    ]
    return [_tag_finding(tag, finding) for tag, finding in hits]


def _pushed_tags(repo: str, revs: Sequence[str] | None, tags: Collection[str]) -> list[TagMessage]:
    """The annotated tags ``revs`` push: all, or those it names (a range holds the tags it
    names: a pushed tag's message)."""
    if revs is None:
        return list(tag_messages(repo))
    return [tag for tag in tag_messages(repo) if tag.oid in tags] if tags else []


def _places(message: Message) -> list[tuple[bytes, Location]]:
    """What a commit holds besides its tree: its message, author and (if another) committer."""
    places = [(message.text, Location.COMMIT_MESSAGE), (message.author.encode(), Location.AUTHOR)]
    if message.committer != message.author:
        places.append((message.committer.encode(), Location.COMMITTER))
    return places


def _tag_finding(tag: TagMessage, finding: Finding) -> Finding:
    return _message_finding(
        finding, Commit(tag.oid, tag.tagger, tag.date), (tag.ref,), in_head=False
    )


def _repeats(
    messages: Sequence[Message],
    tags: Sequence[TagMessage],
    known: Sequence[Finding],
    commit_hits: Sequence[tuple[Commit, Finding]],
    tag_findings: Sequence[Finding],
) -> tuple[list[tuple[Commit, Finding]], list[tuple[TagMessage, Finding]]]:
    """The value of a credential found anywhere, repeated bare where the scanner sees no
    context (a key as an email, in a message that only quotes it): scrub replaces every copy
    of a value it removes, so each copy is reported too, as the finding it repeats."""
    first: dict[bytes, Finding] = {}
    for finding in known:
        first.setdefault(finding.secret.encode("utf-8", "surrogateescape"), finding)
    pattern = re.compile(b"|".join(map(re.escape, sorted(first, key=len, reverse=True))))
    seen = {(c.sha, f.location, f.fingerprint) for c, f in commit_hits}
    seen |= {
        (f.attribution.introduced.commit.sha, f.location, f.fingerprint)
        for f in tag_findings
        if f.attribution
    }
    matches: dict[bytes, list[tuple[int, bytes]]] = {}

    def found_in(text: bytes, location: Location, sha: str) -> Iterator[Finding]:
        places = matches.get(text)
        if places is None:
            places = [(m.start(), m.group()) for m in pattern.finditer(text)]
            if location not in (Location.COMMIT_MESSAGE, Location.TAG_MESSAGE):
                matches[text] = places  # an identity: the same in many commits
        for start, value in places:
            original = first[value]
            if (sha, location, original.fingerprint) in seen:
                continue
            seen.add((sha, location, original.fingerprint))
            where = f"{original.path}:{original.line}"
            yield replace(
                original,
                path=location.label,
                line=text.count(b"\n", 0, start) + 1,
                column=start - text.rfind(b"\n", 0, start),
                location=location,
                reasons=(f"the value found at {where}, repeated",),
                pair=None,
                attribution=None,
            )

    clean: set[str] = set()  # names and emails that hold none of the values

    def bare(person: str) -> bool:
        if person not in clean and pattern.search(person.encode()) is None:
            clean.add(person)
        return person in clean

    again = [
        (Commit(message.sha, message.author, message.date), finding)
        for message in messages
        if pattern.search(message.text) or not (bare(message.author) and bare(message.committer))
        for text, location in _places(message)
        for finding in found_in(text, location, message.sha)
    ]
    tagged = [
        (tag, finding)
        for tag in tags
        for text, location in (
            (tag.text, Location.TAG_MESSAGE),
            (tag.tagger.encode(), Location.TAGGER),
        )
        for finding in found_in(text, location, tag.oid)
    ]
    return again, tagged


def _missing_args(revs: Sequence[str] | None) -> list[str]:
    """Every object the refs (or ``revs``) reach, those not in the repository marked ``?``,
    listed without fetching: a partial clone's absent blobs, a deleted or lost object."""
    revisions = git.revisions(revs) if revs else ["--all"]
    return [
        *git.PACK_WINDOWS,
        *("rev-list", "--objects", "--no-object-names", "--missing=print", *revisions, "--"),
    ]


def _read_missing(listing: git.Spool) -> list[str]:
    return [line[1:].strip().decode() for line in listing.output() if line.startswith(b"?")]


def _missing(repo: str, revs: Sequence[str] | None) -> list[str]:
    with git.Spool(_missing_args(revs), repo, "git rev-list") as listing:
        return _read_missing(listing)


def partial_clone_remote(repo: str) -> str | None:
    """The remote a partial clone fetches missing objects from, if it is one."""
    try:
        out = git.run(["config", "--get-regexp", r"^remote\..*\.promisor$"], cwd=repo).decode()
    except git.GitError:
        return None
    for line in out.splitlines():
        name, _, value = line.partition(" ")
        if value.strip().lower() in ("true", "yes", "on", "1"):
            return name.removeprefix("remote.").removesuffix(".promisor")
    return None


def _fetch(repo: str, remote: str, oids: Sequence[str]) -> None:
    """What git's own lazy fetch runs, for all the missing objects at once."""
    git.run(
        [
            "-c",
            "fetch.negotiationAlgorithm=noop",
            "fetch",
            "--no-tags",
            "--no-write-fetch-head",
            "--recurse-submodules=no",
            "--filter=blob:none",
            "--stdin",
            "--end-of-options",
            remote,
        ],
        cwd=repo,
        stdin="".join(f"{oid}\n" for oid in oids).encode(),
    )


def _account_for_unreadable(
    repo: str,
    revs: Sequence[str] | None,
    report: Report,
    remote: str | None,
    missing: list[str],
    shallow: bool | None = None,
) -> set[str]:
    """Fetch what a partial clone's promisor ``remote`` can give of the ``missing`` objects;
    count the rest, and the commits at a shallow boundary (the history beyond is not here), so
    nobody calls this clean. Returns the objects still missing. ``shallow``: whether the
    repository is shallow, if known."""
    if missing and remote is not None:
        try:
            _fetch(repo, remote, missing)
            report.notes.append(f"partial clone: fetched {len(missing)} object(s) from {remote}")
        except git.GitError:
            report.notes.append(
                f"partial clone: cannot fetch {len(missing)} object(s) from {remote}"
            )
        missing = _missing(repo, revs)
    if missing:
        where = "not fetched (partial clone)" if remote else "missing or lost"
        report.incomplete[f"object(s) {where}"] = len(missing)
    if shallow is None:
        shallow = git.is_shallow(repo)
    if shallow:
        with open(git.git_path(repo, "shallow"), encoding="ascii") as handle:
            boundary = set(handle.read().split())
        if revs:
            listed = git.run(["rev-list", *git.revisions(revs), "--"], cwd=repo).decode().split()
            boundary &= set(listed)
        if boundary:
            report.incomplete["commit(s) at a shallow boundary"] = len(boundary)
            report.notes.append(
                "shallow clone: commits beyond the shallow boundary are not here; run "
                "`git fetch --unshallow` to scan everything"
            )
    return set(missing)


UNATTRIBUTED = "secret(s) in no commit (a tag of a blob or tree?)"
# A pointer is scanned as text; the file it stands for sits on the LFS server (pushed by git
# lfs, never by git): not looked at, and said so.
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1\n"
LFS_SKIPPED = "Git LFS pointer, its file stored outside git (scan a checkout: git lfs pull)"
PARALLEL_MIN_BYTES = 32 << 20  # below this, starting worker processes costs more than it saves


@record()
class Part:
    found: dict[str, list[Finding]] = field(default_factory=dict)
    blobs: int = 0
    bytes: int = 0
    binary: int = 0
    lfs: int = 0  # Git LFS pointers: the file they stand for is not in git
    unreadable: list[str] = field(default_factory=list)  # git could not inflate


# Where a reader adds what it has read (blobs, bytes, blobs with findings), if anyone asks.
_reporter: Callable[[int, int, int], None] | None = None


def _init_worker(
    blobs: Synchronized[int], size: Synchronized[int], hits: Synchronized[int]
) -> None:
    def report(*counts: int) -> None:
        for counter, count in zip((blobs, size, hits), counts, strict=True):
            with counter.get_lock():
                counter.value += count

    global _reporter
    _reporter = report


def _report(blobs: int, size: int, hits: int) -> None:
    if _reporter is not None:
        _reporter(blobs, size, hits)


def scan_chunk(repo: str, oids: list[str], policy: Policy, also_in: Sequence[str] = ()) -> Part:
    """One reader: stream these blobs and keep the findings of each (runs in a worker).
    ``also_in``: other repositories some of the blobs are in."""
    part = Part()
    reported = (0, 0, 0)
    versions = Versions()
    for blob in stream_blobs(repo, oids, also_in, part.unreadable):
        part.blobs += 1
        part.bytes += len(blob.data)
        part.lfs += blob.data.startswith(LFS_POINTER)
        candidate = versions.candidate_runs(blob.data)
        if candidate is not None:
            runs, markers = candidate
            if is_binary(blob.data):
                part.binary += 1
            else:
                found = scan_bytes(blob.data, UPPER_BOUND_PATH, prefiltered=runs, markers=markers)
                kept = [f for f in found if policy.keeps(f, blob.data)]
                if kept:
                    part.found[blob.oid] = kept
        if part.blobs % 256 == 0:
            now = (part.blobs, part.bytes, len(part.found))
            _report(*(n - r for n, r in zip(now, reported, strict=True)))
            reported = now
    now = (part.blobs, part.bytes, len(part.found))
    _report(*(n - r for n, r in zip(now, reported, strict=True)))
    return part


CHUNKS_PER_JOB = 3  # a reader that finishes early takes the next chunk; each costs a git start
MAX_CHUNKS = 256  # a forked reader reads the next chunk's number as one byte


def default_jobs() -> int:
    """The CPUs this process may run on (affinity, then a cgroup v2 quota), at most 8: each
    reader holds git's delta cache, and more slices of one pack re-inflate more delta bases."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as handle:
            quota, period = handle.read().split()
        if quota != "max":
            cpus = min(cpus, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, min(cpus, 8))


def _chunks(stock: Inventory, count: int) -> list[list[str]]:
    """Contiguous runs of the pack-ordered blobs (delta chains stay with one reader), larger
    along the pack (sizes 1, 2, ... ``count``), returned last first: a reader that finishes
    takes the next, so the small ones come last and the readers finish together (equal chunks
    left one idle for a whole chunk, 0.7 s on freqtrade); and git packs old objects last,
    where keys since removed usually are, so the attribution walk that starts with the first
    finding starts early (freqtrade's are all past 89 % of the pack)."""
    shares = count * (count + 1) // 2
    targets = [stock.blob_bytes * (index + 1) // shares for index in range(count)]
    chunks: list[list[str]] = [[]]
    filled = 0
    for oid, size in zip(stock.blobs, stock.sizes, strict=True):
        if filled and filled + size // 2 > targets[len(chunks) - 1] and len(chunks) < count:
            chunks.append([])
            filled = 0
        chunks[-1].append(oid)
        filled += size
    return [chunk for chunk in reversed(chunks) if chunk]


def _scan_blobs(
    repo: str,
    stock: Inventory,
    policy: Policy,
    progress: Progress | None,
    jobs: int | None,
    found_something: Callable[[], None],
    meanwhile: Callable[[], None],
) -> list[Part]:
    """``meanwhile``: the parent's own work, done while the workers read (or after, alone)."""
    workers = jobs or default_jobs()
    total = len(stock.blobs)
    if workers == 1 or stock.blob_bytes < PARALLEL_MIN_BYTES:
        part = scan_chunk(repo, stock.blobs, policy)
        if progress is not None:
            progress(part.blobs, part.bytes, total)
        meanwhile()
        return [part]
    chunks = _chunks(stock, min(workers * CHUNKS_PER_JOB, MAX_CHUNKS))
    workers = min(workers, len(chunks))
    # Forked readers start at once with everything imported; spawned ones re-import the
    # package. Forking is unsafe once a thread runs (the progress bar draws from one).
    if sys.platform == "linux" and threading.active_count() == 1:
        return _forked(repo, chunks, policy, workers, (progress, total), found_something, meanwhile)
    return _spawned(repo, chunks, policy, workers, (progress, total), found_something, meanwhile)


def _forked(
    repo: str,
    chunks: list[list[str]],
    policy: Policy,
    workers: int,
    progress: tuple[Progress | None, int],
    found_something: Callable[[], None],
    meanwhile: Callable[[], None],
) -> list[Part]:
    """Readers forked straight from this process, without multiprocessing: importing it and
    concurrent.futures cost ~20 ms before the first blob (a tenth of a small repository's
    scan). Each takes the next chunk's number from one pipe, counts what it read in its slot
    of shared memory and appends its parts to its own file (nothing waits on a full pipe while
    this process does its own work); the readers are done when their common pipe closes."""
    import mmap
    import pickle
    import select
    import tempfile

    todo, todo_in = os.pipe()
    os.write(todo_in, bytes(range(len(chunks))))  # fits in any pipe: at most MAX_CHUNKS
    os.close(todo_in)
    alive, alive_in = os.pipe()
    counts = memoryview(mmap.mmap(-1, 24 * workers)).cast("q")
    report, total = progress
    with contextlib.ExitStack() as stack:
        outputs = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(workers)]
        pids: list[int] = []
        try:
            for slot, output in enumerate(outputs):
                pid = os.fork()
                if pid == 0:  # the reader: never returns
                    counted = counts[3 * slot : 3 * slot + 3]
                    _read_chunks(repo, chunks, policy, todo, counted, output)
                pids.append(pid)
            os.close(todo)
            os.close(alive_in)
            meanwhile()
            done = False
            while not done:
                done = bool(select.select([alive], [], [], 0.1)[0])  # closed: all exited
                if any(counts[2::3]):
                    found_something()
                if report is not None:
                    report(sum(counts[0::3]), sum(counts[1::3]), total)
        finally:
            for pid in pids:  # all gone unless this process was interrupted
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 15)
                os.waitpid(pid, 0)
            os.close(alive)
        parts: dict[int, Part] = {}
        for output in outputs:
            output.seek(0)
            with contextlib.suppress(EOFError):
                while True:
                    result = pickle.load(output)
                    if isinstance(result, BaseException):
                        raise result
                    parts[result[0]] = result[1]
    if len(parts) != len(chunks):
        raise GuardError("history: a blob reader died (out of memory?); nothing was reported")
    return [parts[number] for number in range(len(chunks))]  # in the order of the chunks


def _read_chunks(
    repo: str,
    chunks: list[list[str]],
    policy: Policy,
    todo: int,
    counts: memoryview,
    output: IO[bytes],
) -> NoReturn:
    """A forked reader: scan chunks until there are none left, then exit."""
    import pickle

    def report(*read: int) -> None:
        for index, count in enumerate(read):
            counts[index] += count

    global _reporter
    _reporter = report
    status = 0
    try:
        while number := os.read(todo, 1):
            pickle.dump((number[0], scan_chunk(repo, chunks[number[0]], policy)), output)
    except BaseException as exc:  # the parent raises it
        pickle.dump(exc, output)
        status = 1
    finally:
        output.flush()
        os._exit(status)


def _spawned(
    repo: str,
    chunks: list[list[str]],
    policy: Policy,
    workers: int,
    progress: tuple[Progress | None, int],
    found_something: Callable[[], None],
    meanwhile: Callable[[], None],
) -> list[Part]:
    """Readers started afresh (no fork here, or a thread runs), in a process pool."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, wait

    context = multiprocessing.get_context("spawn")
    blobs, size, hits = context.Value("q", 0), context.Value("q", 0), context.Value("q", 0)
    report, total = progress
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(blobs, size, hits)
    ) as pool:
        futures = [pool.submit(scan_chunk, repo, chunk, policy) for chunk in chunks]
        meanwhile()
        while not all(f.done() for f in futures):
            wait(futures, timeout=0.1)
            if hits.value:
                found_something()
            if report is not None:
                report(blobs.value, size.value, total)
        return [f.result() for f in futures]


def _tagged_object_advice(repo: str, refs: Sequence[str], holders: Set[str]) -> list[str]:
    """Name each ref that reaches a blob or tree with a secret no commit holds, and what to
    do: git-filter-repo rewrites commits and leaves such refs (and their secrets) as they are."""
    from binance_guard.report.sanitize import shell  # only when such a ref exists

    return [
        f"{ref} points at a blob or tree (no commit) holding secret(s): revoke the keys, "
        f"delete the ref (git update-ref -d {shell(ref)}) and its copy on every remote"
        for ref in refs
        if holders & git.reachable_objects(repo, [ref])
    ]


def _attribute(
    repo: str,
    revs: Sequence[str] | None,
    has_worktree: bool,
    head: git.Tree,
    found: Mapping[str, Sequence[str]],
    policy: Policy,
    notes: list[str],
    walk: git.Spool | None,
    graph: git.Spool | None,
    tips: Sequence[tuple[str, str]],
    incomplete: dict[str, int] | None = None,
) -> list[Finding]:
    if not found:
        return []
    blobs_with: dict[str, set[str]] = {}
    for oid, fingerprints in found.items():
        for fp in fingerprints:
            blobs_with.setdefault(fp, set()).add(oid)
    scanned_all = revs is None
    extra: dict[str, set[str]] = {}

    def has_secret(oid: str, fp: str) -> bool:
        if oid in blobs_with.get(fp, ()):
            return True
        if scanned_all:
            return False
        if oid not in extra:  # outside the range, never streamed: judge it on demand
            data = git.blob_contents([oid], cwd=repo).get(oid, b"")
            extra[oid] = {f.fingerprint for f in scan_bytes(data, UPPER_BOUND_PATH)}
        return fp in extra[oid]

    def secrets_in(oid: str) -> list[str]:
        return list(dict.fromkeys(found[oid]))

    committed: set[str] = set()  # blobs with secrets some commit of the walk holds

    def noting(commits: Iterable[attribution.CommitChanges]) -> Iterator[attribution.CommitChanges]:
        for item in commits:
            committed.update(change.new for change in item.changes)
            yield item

    intros: dict[tuple[str, str], list[tuple[Commit, str]]] = {}
    for fp, path, commit, blob in attribution.introductions(
        noting(attribution.walk_changes(repo, _walked(revs, tips), walk, found)),
        set(found),
        has_secret,
        secrets_in,
    ):
        intros.setdefault((fp, path), []).append((commit, blob))

    unattributed = {fp for fps in found.values() for fp in fps} - {fp for fp, _ in intros}
    # A range lists only what it reaches; all objects include unreachable ones, so only
    # those that refs to trees or blobs reach count there (git push --tags sends them).
    odd = git.refs_to_non_commits(repo) if scanned_all and unattributed else []
    reached = git.reachable_objects(repo, odd) if odd else set()
    outside = found.keys() & reached if scanned_all else found.keys() - committed
    uncommitted = {fp for oid in outside for fp in found[oid]} & unattributed
    if uncommitted and incomplete is not None:
        incomplete[UNATTRIBUTED] = len(uncommitted)
        unattributed -= uncommitted
        notes.extend(_tagged_object_advice(repo, odd, outside))
    if unattributed:
        # No ref or stash entry reaches them, a reflog may (git reflog): local, never pushed,
        # kept by scrub in its backup and deleted with --prune.
        where = (
            "only in unreachable objects (reset-away or deleted commits: git reflog)"
            if scanned_all
            else "already present before the range"
        )
        notes.append(f"{len(unattributed)} secret(s) {where}: not reported")

    blob_data = git.blob_contents(list({b for v in intros.values() for _, b in v}), cwd=repo)
    refs_cache = attribution.refs_containing(
        repo, list(dict.fromkeys(c.sha for v in intros.values() for c, _ in v)), graph, tips
    )
    # A file holding many secrets is scanned once per path (and blob), not once per secret.
    scans: dict[tuple[str | None, str, str], dict[str, Finding]] = {}

    def scanned(blob: str | None, path: str, at: str) -> dict[str, Finding]:
        """The first finding of each fingerprint in ``blob`` (None: the work tree's file at
        ``path``), judged as if at path ``at``."""
        key = (blob, "" if blob else path, at)
        if key not in scans:
            data = blob_data[blob] if blob else _worktree_file(repo, path)
            scans[key] = {}
            for f in scan_bytes(data, at):
                scans[key].setdefault(f.fingerprint, f)
        return scans[key]

    findings = []
    for (fp, path), history in intros.items():
        current = scanned(history[0][1], path, path).get(fp)
        first = history[0][1]
        text = blob_data[first] if first else _worktree_file(repo, path)
        if current is None or not policy.keeps(current, text):
            continue
        refs: dict[str, None] = {}
        for commit, _ in history:
            refs.update(dict.fromkeys(refs_cache[commit.sha]))
        introductions = [
            Introduction(commit, path, _line_of(scanned(blob, path, UPPER_BOUND_PATH), fp))
            for commit, blob in history
        ]
        head_blob = head.blobs.get(path)
        findings.append(
            replace(
                current,
                location=_file_or_note(refs),
                attribution=Attribution(
                    introduced=introductions[0],
                    reintroduced=tuple(introductions[1:]),
                    refs=tuple(refs),
                    in_head=head_blob is not None and head_blob in blobs_with.get(fp, ()),
                    in_worktree=(
                        fp in scanned(None, path, UPPER_BOUND_PATH) if has_worktree else None
                    ),
                ),
            )
        )
    return findings


def _file_or_note(refs: Collection[str]) -> Location:
    """A blob only notes refs reach is a git note: its path in their tree is the id of the
    object it annotates (fanned out as ``ab/cdef…``), no file anyone checks out."""
    if refs and all(ref.startswith("refs/notes/") for ref in refs):
        return Location.NOTE
    return Location.FILE


def _line_of(found: Mapping[str, Finding], fp: str) -> int:
    return found[fp].line if fp in found else 0


def _worktree_file(repo: str, path: str) -> bytes:
    try:
        with open(os.path.join(repo, path), "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _message_findings(
    repo: str,
    hits: list[tuple[Commit, Finding]],
    graph: git.Spool | None,
    tips: Sequence[tuple[str, str]],
) -> list[Finding]:
    """``in_head``: HEAD's history holds the commit, from the walk that finds its refs (a key
    in user.name is in hundreds of commits: a ``merge-base`` each cost seconds)."""
    if not hits:
        return []
    shas = list(dict.fromkeys(commit.sha for commit, _ in hits))
    head = git.resolve(repo, "HEAD^{commit}")
    refs = attribution.refs_containing(
        repo, shas, graph, [*tips, *([(head, HEAD)] if head else [])]
    )
    return [
        _message_finding(
            finding,
            commit,
            [ref for ref in refs[commit.sha] if ref != HEAD],
            in_head=HEAD in refs[commit.sha],
        )
        for commit, finding in hits
    ]


HEAD = "HEAD"


def _commit_message_hits(
    messages: Iterable[Message], policy: Policy
) -> list[tuple[Commit, Finding]]:
    """Secrets in each commit's message, and in its author's and committer's name and email
    (a key pasted as user.name is in every commit made with it: git pushes it, and scrub
    rewrites it). Each identity is scanned once however many commits carry it; a committer
    only where it is not the author."""
    texts = []
    identities: dict[tuple[bytes, Location], list[Commit]] = {}
    for message in messages:
        commit = Commit(message.sha, message.author, message.date)
        message_text, *people = _places(message)
        texts.append((message_text[0], commit))
        for person in people:
            identities.setdefault(person, []).append(commit)
    hits = _message_hits(texts, Location.COMMIT_MESSAGE, policy)
    for (identity, location), commits in identities.items():
        for _, finding in _message_hits([(identity, None)], location, policy):
            hits += [(commit, finding) for commit in commits]
    return hits


def _message_hits(
    texts: Iterable[tuple[bytes, _Origin]], location: Location, policy: Policy
) -> list[tuple[_Origin, Finding]]:
    return [
        (origin, replace(finding, location=location))
        for text, origin in texts
        if has_candidates(text)
        for finding in _once_each(
            [f for f in scan_bytes(text, location.label) if policy.keeps(f, text)]
        )
    ]


def _once_each(findings: list[Finding]) -> list[Finding]:
    """One finding per credential in a message that repeats it (a squash of several commits,
    a diff quoted by a fix): its most confident, then first, occurrence. A key pair is taken
    from one occurrence, so a value is never reported as a key and again as a secret."""
    groups: dict[object, list[Finding]] = {}
    for index, finding in enumerate(findings):
        groups.setdefault(finding.pair.id if finding.pair else index, []).append(finding)
    ranked = sorted(
        groups.values(),
        key=lambda group: (-max(f.confidence.rank for f in group), findings.index(group[0])),
    )
    taken: dict[str, Finding] = {}
    for group in ranked:
        for finding in group:
            taken.setdefault(finding.fingerprint, finding)
    kept = {id(f) for f in taken.values()}
    return [f for f in findings if id(f) in kept]


def _message_finding(
    finding: Finding, commit: Commit, refs: Sequence[str], *, in_head: bool
) -> Finding:
    """A message has no path and no later history: it was introduced by its own commit/tag."""
    return replace(
        finding,
        attribution=Attribution(
            introduced=Introduction(commit, finding.path, finding.line),
            reintroduced=(),
            refs=tuple(refs),
            in_head=in_head,
            in_worktree=None,
        ),
    )
