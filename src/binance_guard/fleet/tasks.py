"""The work a fleet run sends to Dask workers; workers import it from the installed package.

Tasks read blobs themselves from the mirror path and send back only what they found (blob
ids, fingerprints, findings in their serialised form with redacted previews), never contents
and never a secret: the Dask connection, on an external cluster a network, carries none. The
one exception is ``--verify``, which signs with the secrets on the client (see
:class:`Attributed`). Each task is safe to run twice: a retried or duplicated task gives the
same answer.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata, resources
from typing import Any, TypeVar

from binance_guard.errors import GuardError
from binance_guard.finding import API_KEY, PRIVATE_KEY, SECRET_KEY, Confidence, Finding
from binance_guard.fleet import mirrors
from binance_guard.fleet.discovery import RepoSpec
from binance_guard.history import scan as history
from binance_guard.policy import Policy
from binance_guard.report.redact import mask
from binance_guard.sources import git
from binance_guard.sources.objects import inventory_and_messages

T = TypeVar("T")

# Blob results are stored for every later policy: keep everything, the run's policy filters.
EVERYTHING = Policy(min_confidence=Confidence.LOW, include_examples=True)


@functools.cache
def detector() -> str:
    """Who judged a blob: binance-guard's version and its detection package's source. A store
    written under other rules is scanned again, and a worker judging by other rules than the
    client is refused (its verdicts would be stored as the client's)."""
    digest = hashlib.sha256(metadata.version("binance-guard").encode())
    package = resources.files("binance_guard.detection")
    for entry in sorted(package.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py"):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()[:16]


# What verification signs with: the API keys and what verify.verifier pairs them with.
SIGNING = frozenset({API_KEY, SECRET_KEY, PRIVATE_KEY})


@dataclasses.dataclass(frozen=True)
class Attributed:
    """A repository's findings as they leave the worker: serialised (fingerprints, redacted
    previews) and masked, so no secret travels, not even as a path or an author's name.

    ``--verify`` alone adds the findings it signs with, secrets and all: it verifies on the
    client, not on the workers, because it runs in the user's environment (the private-key
    passphrase, HTTPS_PROXY, what --api-url reaches: workers may have no way out at all),
    checks each key once for the whole fleet within one deadline, and asks Binance from the
    user's address (an IP-restricted key answers by caller)."""

    found: list[dict[str, Any]]
    notes: list[str]
    credentials: list[Finding]  # empty unless the client verifies


def attributed(findings: Sequence[Finding], notes: Sequence[str], verify: bool) -> Attributed:
    secrets = [f.secret for f in findings]
    return Attributed(
        [f.as_dict() for f in mask(list(findings), secrets)],
        mask(list(notes), secrets),
        [f for f in findings if f.type in SIGNING] if verify else [],
    )


@dataclasses.dataclass(frozen=True)
class Listing:
    refs: str  # mirrors.refs_digest
    unchanged: bool  # the refs were those of the last complete run: nothing listed
    blobs: list[str] = dataclasses.field(default_factory=list)
    sizes: list[int] = dataclasses.field(default_factory=list)
    oversized: int = 0
    suspects: int = 0  # of those, blobs the prefilter flags: the repository is not clean
    unreadable: int = 0  # objects its refs reach that are missing or git cannot read
    # The attribution if no blob holds a secret (messages, tags, notes): most repositories
    # then need no attribution task.
    clean: Attributed | None = None


@dataclasses.dataclass(frozen=True)
class Hit:
    """A secret in a blob, judged as if its path mentioned Binance (an upper bound)."""

    oid: str
    fingerprint: str
    confidence: str
    public_example: bool


@dataclasses.dataclass(frozen=True)
class Batch:
    hits: list[Hit]
    blobs: int
    bytes: int
    binary: int
    unreadable: list[str]  # blobs git could not inflate: the rest is scanned


@dataclasses.dataclass(frozen=True)
class StepResult:
    batch: Batch | str | None  # the error if the batch could not be scanned
    attributed: list[Attributed | str]
    listings: list[Listing | str]


def step(
    scan: Mapping[str, str] | None,
    attribute: Sequence[tuple[str, Mapping[str, Sequence[str]]]],
    lists: Sequence[tuple[RepoSpec, str, str | None]],
    max_bytes: int,
    policy: Policy,
    verify: bool,
) -> StepResult:
    """One task: :func:`scan_batch`, :func:`attribute_many` and :func:`list_many` on what the
    client has ready, since each Dask task costs milliseconds of the client's and the
    worker's CPU. A part that fails gives its error, not the step's. ``verify``: the client
    verifies (:class:`Attributed`)."""
    return StepResult(
        None if scan is None else _or_error(scan_batch, scan),
        attribute_many(attribute, policy, verify),
        list_many(lists, max_bytes, policy, verify),
    )


def unchanged(spec: RepoSpec, mirror: str, known_refs: str, ask_git: bool = True) -> bool:
    """A local source's refs are read directly: equal to the mirror's at its last complete
    scan, there is nothing to fetch or list (a mirror copies refs one to one). Without
    ``ask_git``, refs git alone can read count as changed."""
    if not (os.path.isabs(spec.source) and os.path.isdir(mirror)):
        return False
    read = mirrors.refs_digest if ask_git else mirrors.refs_digest_from_files
    return read(spec.source) == known_refs


def _list(
    spec: RepoSpec,
    mirror: str,
    known_refs: str | None,
    max_bytes: int,
    policy: Policy,
    verify: bool,
) -> Listing:
    if known_refs and unchanged(spec, mirror, known_refs):
        return Listing(known_refs, unchanged=True)
    refs = mirrors.sync(spec, mirror)
    if refs == known_refs:
        return Listing(refs, unchanged=True)
    stock, messages = inventory_and_messages(mirror, ["--all"], max_bytes)
    unreadable = list(stock.unreadable)
    suspects = 0
    if stock.oversized:
        suspects = history.oversized_suspects(mirror, [o for o, _ in stock.oversized], unreadable)
    findings, notes = history.attribute(mirror, None, False, {}, policy, messages=messages)
    return Listing(
        refs,
        False,
        stock.blobs,
        stock.sizes,
        len(stock.oversized),
        suspects,
        len(set(unreadable)),
        attributed(findings, notes, verify),
    )


def sync_and_list(
    spec: RepoSpec,
    mirror: str,
    known_refs: str | None,
    max_bytes: int,
    policy: Policy,
    verify: bool,
) -> Listing:
    """Clone or fetch the mirror and list the blobs all its refs reach (unless its refs are
    ``known_refs``). A mirror git cannot update or read, or that lacks objects, is cloned
    afresh once (unless its source is a partial clone: a new mirror would lack them too); it
    is kept if the source cannot be cloned either. What a fresh clone lacks, the source lacks
    (a partial clone, a lost object): counted, and the rest listed."""
    with mirrors.locked(mirror):
        old = os.path.isdir(mirror)
        try:
            listing = _list(spec, mirror, known_refs, max_bytes, policy, verify)
            if not (old and listing.unreadable) or _partial(spec):
                return listing
        except git.GitError:
            if not os.path.isdir(mirror):
                raise
        mirrors.clone(spec, mirror)
        return _list(spec, mirror, None, max_bytes, policy, verify)


def _partial(spec: RepoSpec) -> bool:
    return os.path.isabs(spec.source) and history.partial_clone_remote(spec.source) is not None


def scan_batch(parts: Mapping[str, str]) -> Batch:
    """Scan these blobs (``parts``: mirror -> blob ids, one a line) with the one scanner;
    every one is read or said unreadable. The new blobs of many small repositories are read
    by one git (the other mirrors as alternates): starting git costs more than reading a few
    blobs."""
    repos = list(parts)
    oids = [oid for repo in repos for oid in parts[repo].split()]
    part = history.scan_chunk(repos[0], oids, EVERYTHING, repos[1:])
    if part.blobs + len(part.unreadable) != len(oids):
        missing = len(oids) - part.blobs - len(part.unreadable)
        raise git.GitError(f"{missing} blob(s) missing from the mirrors {', '.join(repos)}")
    hits: dict[tuple[str, str], Hit] = {}
    for oid, findings in part.found.items():
        for f in findings:
            known = hits.get((oid, f.fingerprint))
            if known is None or f.confidence > known.confidence:
                hits[(oid, f.fingerprint)] = Hit(
                    oid, f.fingerprint, str(f.confidence), f.public_example
                )
    return Batch(list(hits.values()), part.blobs, part.bytes, part.binary, part.unreadable)


def list_many(
    jobs: Sequence[tuple[RepoSpec, str, str | None]], max_bytes: int, policy: Policy, verify: bool
) -> list[Listing | str]:
    """:func:`sync_and_list` for several repositories; one that fails gives its error, not
    the group's."""
    return [
        _or_error(sync_and_list, spec, mirror, known, max_bytes, policy, verify)
        for spec, mirror, known in jobs
    ]


def attribute_many(
    jobs: Sequence[tuple[str, Mapping[str, Sequence[str]]]], policy: Policy, verify: bool
) -> list[Attributed | str]:
    """``history``'s second pass on each mirror: who introduced each secret, where, whether
    HEAD still has it (and the commit and tag messages). ``found`` maps each blob id with
    secrets to their fingerprints."""
    return [_or_error(_attribute, mirror, found, policy, verify) for mirror, found in jobs]


def _attribute(
    mirror: str, found: Mapping[str, Sequence[str]], policy: Policy, verify: bool
) -> Attributed:
    return attributed(*history.attribute(mirror, None, False, found, policy), verify)


def _or_error(fn: Callable[..., T], *args: Any) -> T | str:
    try:
        return fn(*args)
    except (GuardError, OSError) as exc:
        return str(exc) or type(exc).__name__
