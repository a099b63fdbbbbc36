"""One fleet run on a Dask cluster: list every repository, scan each blob no run has scanned
(once, from whichever mirror listed it first), then attribute per repository.

Work goes out in steps (tasks.step): each is one Dask task holding the next pieces of work,
handed out as workers free up, two per worker thread so that none waits for the client. Each
task costs milliseconds of the client's and the worker's CPU, so a run sends few, and the
steps shrink as the listings run out, so that no worker waits long on another's last one.

Results stream back as steps finish; a repository is recorded complete only once every blob
it reaches is in the store and its attribution ran, so a killed run resumes where it stopped
and a failed step can only make repositories incomplete, never clean.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from binance_guard.errors import GuardError
from binance_guard.finding import Finding
from binance_guard.fleet import tasks
from binance_guard.fleet.discovery import RepoSpec
from binance_guard.fleet.mirrors import mirror_path
from binance_guard.fleet.store import Record, Store
from binance_guard.fleet.tasks import Hit
from binance_guard.policy import Policy
from binance_guard.report.redact import strip_credentials

if TYPE_CHECKING:
    from distributed import Client, Future

BATCH_BYTES = 16 << 20  # a batch is a few seconds of scanning: huge repositories spread out
BATCH_BLOBS = 20_000
GROUP_MAX = 32  # repositories listed or attributed by one step
RETRIES = 2  # a step that raised runs again elsewhere; lost workers are rescheduled anyway
STORE_NAME = "state.sqlite3"


UNREADABLE = "object(s) missing, corrupt or unreadable"


@dataclasses.dataclass
class RepoOutcome:
    spec: RepoSpec
    mirror: str
    status: str = "pending"  # complete | unchanged | incomplete
    error: str | None = None
    blobs: int = 0  # blobs its refs reach
    scanned: int = 0  # blobs this run scanned from its mirror (first to list them)
    oversized: int = 0
    unreadable: int = 0  # objects its refs reach that are missing or git cannot read
    notes: list[str] = dataclasses.field(default_factory=list)
    records: list[Record] = dataclasses.field(default_factory=list)
    # --verify only: this run's findings it signs with, with their secrets (tasks.Attributed)
    credentials: list[Finding] = dataclasses.field(default_factory=list)

    def fail(self, error: str) -> None:
        self.status, self.error = "incomplete", strip_credentials(error)


@dataclasses.dataclass
class _Step:
    """What one step carries: the references its results come back to."""

    batch: int | None
    attributes: list[str]
    lists: list[str]


@dataclasses.dataclass
class FleetResult:
    repos: list[RepoOutcome]
    blobs_scanned: int = 0
    bytes_scanned: int = 0
    binary: int = 0
    unique_blobs: int = 0  # distinct blobs listed this run (unchanged repositories list none)
    seconds: float = 0.0
    rules_changed: bool = False  # the cache's verdicts were other rules': all scanned again

    @property
    def incomplete(self) -> list[RepoOutcome]:
        return [r for r in self.repos if r.status == "incomplete"]


Progress = Callable[[FleetResult], None]


def policy_key(policy: Policy) -> str:
    """Stored with a repository's refs: a different policy must attribute again."""
    parts = (
        policy.min_confidence,
        policy.include_examples,
        # As the one joined pattern it once was: stored keys stay valid.
        "|".join(f"(?:{p.pattern})" for p in policy.exclude_files.patterns)
        if policy.exclude_files
        else None,
        sorted(policy.baseline.known) if policy.baseline else None,
    )
    # The settings file's [allowlist] drops findings at attribution like the rest: a changed
    # allowlist must reach an unchanged repository. Left out when empty (stored keys hold).
    allowlist = (
        *(
            tuple(p.pattern for p in a.patterns) if a else ()
            for a in (policy.allow_paths, policy.allow_lines)
        ),
        sorted(policy.fingerprints),
        policy.commits,
    )
    key = repr(parts) + (repr(allowlist) if any(allowlist) else "")
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _error(exc: BaseException | None) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0] if "\n" in text and len(text) > 300 else text


class _Run:
    def __init__(
        self,
        client: Client,
        store: Store,
        specs: Sequence[RepoSpec],
        cache_dir: str,
        policy: Policy,
        max_bytes: int,
        progress: Progress | None,
        verify: bool,
    ) -> None:
        from distributed import as_completed

        self.verify = verify
        self.client, self.store, self.policy, self.max_bytes = client, store, policy, max_bytes
        self.key = policy_key(policy)
        self.progress = progress
        self.outcomes = {s.id: RepoOutcome(s, mirror_path(cache_dir, s)) for s in specs}
        self.result = FleetResult(list(self.outcomes.values()))
        self.futures: dict[Any, tuple[Future[Any], _Step]] = {}
        self.stream = as_completed()
        self.lists: collections.deque[tuple[str, Any]] = collections.deque()  # not sent yet
        self.queued: collections.deque[int] = collections.deque()  # batches not sent yet
        self.planned: dict[str, int] = {}  # blob id -> batch scanning it
        self.batches: dict[int, dict[str, list[str]]] = {}  # id -> mirror -> blob ids
        self.next_batch = 0
        self.filling: tuple[int, int, int] | None = None  # batch not sent yet: id, bytes, blobs
        self.clean: dict[str, tasks.Attributed] = {}  # repository -> attribution if no secret
        self.suspects: dict[str, int] = {}  # repository -> oversized blobs that may hold keys
        self.waiting: dict[int, set[str]] = {}  # batch -> repositories waiting for it
        self.needs: dict[str, set[int]] = {}  # repository -> batches it waits for
        self.blobs: dict[str, list[str]] = {}  # repository -> blobs its refs reach
        self.refs: dict[str, str] = {}
        self.listed: set[str] = set()  # blobs seen this run: the store is asked once each
        self.failed: set[str] = set()  # blobs whose batch failed: planned again if seen again
        self.hits: dict[str, list[Hit]] = {}  # blobs seen this run that hold secrets
        self.ready: list[tuple[str, tuple[str, dict[str, list[str]]]]] = []
        self.threads = 1

    def start(self) -> None:
        for repo, outcome in self.outcomes.items():
            if outcome.spec.error:
                outcome.fail(outcome.spec.error)
                continue
            refs, _, key = (self.store.known_refs(repo) or "").partition(":")
            known = refs if key == self.key and not self.verify else None
            if known and self._unchanged(outcome, known):
                continue
            self.lists.append((repo, (outcome.spec, outcome.mirror, known)))
        self.threads = sum(self.client.nthreads().values()) or 1
        self._dispatch()

    def _unchanged(self, outcome: RepoOutcome, known: str) -> bool:
        """Checked here first, from files only: an unchanged fleet then costs no task and no
        process (the listing task checks again, with git if need be, and reports what this
        cannot read)."""
        if not tasks.unchanged(outcome.spec, outcome.mirror, known, ask_git=False):
            return False
        self._list_done(outcome.spec.id, tasks.Listing(known, unchanged=True))
        return True

    def loop(self) -> FleetResult:
        from distributed.client import ClosedClientError

        started = time.monotonic()
        unfinished = "not finished"  # cannot happen while the scheduler stays
        try:
            self.start()
            self._tick()
            for future in self._finished():
                self._collect(future)
                self._dispatch()
                self._tick()
        except ClosedClientError:  # the client gave up reconnecting to a lost scheduler
            unfinished = "the Dask scheduler went away mid-run (run again to resume)"
        for repo, outcome in self.outcomes.items():
            if outcome.status == "pending":
                outcome.fail(unfinished)
            if outcome.status == "incomplete" and not outcome.records:
                # Not looked at again is not gone: what it leaked is leaked still.
                outcome.records = self.store.current(repo, "known")
        self.result.seconds = time.monotonic() - started
        return self.result

    def _finished(self) -> Iterator[Future[Any]]:
        """The steps as they finish. Iterating as_completed alone waited for ever once the
        client, having lost the scheduler, closed: some futures are then neither done nor
        cancelled."""
        from distributed.client import ClosedClientError

        while not self.stream.is_empty():
            if self.stream.has_ready():
                yield next(self.stream)
            elif self.client.status in ("closing", "closed"):
                raise ClosedClientError(self.client.status)
            else:
                with self.stream.thread_condition:  # as as_completed waits itself
                    self.stream.thread_condition.wait(timeout=0.1)

    def _collect(self, future: Future[Any]) -> None:
        _, step = self.futures.pop(future.key)
        try:
            # Waits if the worker holding the result died meanwhile: Dask recomputes it.
            value = future.result()
        except Exception as exc:  # the step's own error, KilledWorker, cancellation
            self._step_failed(step, _error(exc))
        else:
            self._step_done(step, value)
        future.release()

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self.result)

    def _dispatch(self) -> None:
        """Steps out until every worker thread has two (the second runs while the client
        reads the first's results)."""
        while len(self.futures) < 2 * self.threads and (composed := self._next_step()):
            step, args = composed
            future = self.client.submit(
                tasks.step,
                *args,
                self.max_bytes,
                self.policy,
                self.verify,
                retries=RETRIES,
                pure=False,
            )
            self.futures[future.key] = (future, step)
            self.stream.add(future)

    def _next_step(self) -> tuple[_Step, tuple[Any, ...]] | None:
        """A batch to scan, repositories to attribute and, unless more of those wait (a
        listing's follow-ups go first: repositories finish as the run goes), repositories to
        list: fewer each time as they run out."""
        batch = self.queued.popleft() if self.queued else None
        scan = None
        if batch is not None:
            # One string per mirror: Dask walks lists in arguments item by item.
            scan = {mirror: "\n".join(oids) for mirror, oids in self.batches[batch].items()}
        ready, self.ready = self.ready[:GROUP_MAX], self.ready[GROUP_MAX:]
        lists: list[tuple[str, Any]] = []
        if self.lists and not self.queued and not self.ready:
            size = min(GROUP_MAX, -(-len(self.lists) // (2 * self.threads)))
            lists = [self.lists.popleft() for _ in range(size)]
        if scan is None and not ready and not lists:
            return None
        step = _Step(batch, [repo for repo, _ in ready], [repo for repo, _ in lists])
        return step, (scan, [job for _, job in ready], [job for _, job in lists])

    def _step_done(self, step: _Step, result: tasks.StepResult) -> None:
        if step.batch is not None:
            if isinstance(result.batch, tasks.Batch):
                self._batch_done(step.batch, result.batch)
            else:
                self._batch_failed(step.batch, str(result.batch))
        self._attributes_done(step.attributes, result.attributed)
        self._lists_done(step.lists, result.listings)

    def _step_failed(self, step: _Step, error: str) -> None:
        if step.batch is not None:
            self._batch_failed(step.batch, error)
        for repo in step.attributes:
            self._attribute_failed(repo, error)
        for repo in step.lists:
            self._list_failed(repo, error)

    def _lists_done(self, repos: list[str], results: list[tasks.Listing | str]) -> None:
        for repo, result in zip(repos, results, strict=True):
            if isinstance(result, str):
                self._list_failed(repo, result)
            else:
                self._list_done(repo, result)
        self._send_batch()  # the group's new blobs, scanned together

    def _list_done(self, repo: str, listing: tasks.Listing) -> None:
        outcome = self.outcomes[repo]
        self.refs[repo] = listing.refs
        if listing.unchanged:
            outcome.status, outcome.records = "unchanged", self.store.current(repo)
            return
        outcome.blobs, outcome.oversized = len(listing.blobs), listing.oversized
        outcome.unreadable = listing.unreadable
        if outcome.oversized:
            outcome.notes.append(f"{outcome.oversized} blob(s) larger than --max-bytes: skipped")
        if listing.suspects:
            self.suspects[repo] = listing.suspects
        first = [o for o in listing.blobs if o not in self.listed or o in self.failed]
        self.listed.update(listing.blobs)
        self.result.unique_blobs = len(self.listed)
        self.blobs[repo] = listing.blobs
        if listing.clean is not None:
            self.clean[repo] = listing.clean
        done = self.store.scanned(first)
        self.hits.update((oid, hits) for oid, hits in done.items() if hits)
        unscanned = {o for o in first if o not in done}
        needs = set()
        for oid, size in zip(listing.blobs, listing.sizes, strict=True):
            batch_id = self.planned.get(oid)
            if batch_id is None and oid in unscanned:
                self.failed.discard(oid)
                batch_id = self._plan(outcome.mirror, oid, size)
                outcome.scanned += 1
            if batch_id is not None:
                needs.add(batch_id)
        for batch_id in needs:
            self.waiting[batch_id].add(repo)
        self.needs[repo] = needs
        if not needs:
            self._attribute(repo)

    def _new_batch(self) -> int:
        batch_id = self.next_batch
        self.next_batch += 1
        self.batches[batch_id], self.waiting[batch_id] = {}, set()
        return batch_id

    def _plan(self, mirror: str, oid: str, size: int) -> int:
        """Put a blob in the batch being filled (sent when full or at the end of a group)."""
        if self.filling is None:
            self.filling = (self._new_batch(), 0, 0)
        batch_id, filled, count = self.filling
        self.batches[batch_id].setdefault(mirror, []).append(oid)
        self.planned[oid] = batch_id
        self.filling = (batch_id, filled + size, count + 1)
        if filled + size >= BATCH_BYTES or count + 1 >= BATCH_BLOBS:
            self._send_batch()
        return batch_id

    def _send_batch(self) -> None:
        if self.filling is not None:
            self.queued.append(self.filling[0])
            self.filling = None

    def _list_failed(self, repo: str, error: str) -> None:
        self.outcomes[repo].fail(f"clone/fetch/list failed: {error}")

    def _batch_done(self, batch_id: int, batch: tasks.Batch) -> None:
        """Blobs git could not inflate are not recorded (the next run tries again) and count
        against each repository reaching them; the rest of the batch counts as usual."""
        oids = [oid for part in self.batches.pop(batch_id).values() for oid in part]
        unreadable = set(batch.unreadable)
        self.store.record_batch([o for o in oids if o not in unreadable], batch.hits)
        self.failed.update(unreadable)
        for hit in batch.hits:
            self.hits.setdefault(hit.oid, []).append(hit)
        self.result.blobs_scanned += batch.blobs
        self.result.bytes_scanned += batch.bytes
        self.result.binary += batch.binary
        for oid in oids:
            del self.planned[oid]
        for repo in self.waiting.pop(batch_id):
            if unreadable:
                self.outcomes[repo].unreadable += len(unreadable.intersection(self.blobs[repo]))
            self.needs[repo].discard(batch_id)
            if not self.needs[repo] and self.outcomes[repo].status == "pending":
                self._attribute(repo)

    def _batch_failed(self, batch_id: int, error: str) -> None:
        parts, waiting = self.batches.pop(batch_id), self.waiting.pop(batch_id)
        if len(parts) > 1:
            self._split(parts, waiting, batch_id)
            return
        for oid in (oid for part in parts.values() for oid in part):
            del self.planned[oid]
            self.failed.add(oid)
        names = ", ".join(os.path.basename(mirror) for mirror in parts)
        for repo in waiting:
            self.outcomes[repo].fail(f"scanning blobs of {names} failed: {error}")

    def _split(self, parts: dict[str, list[str]], waiting: set[str], failed: int) -> None:
        """A batch of several mirrors failed: each mirror's blobs again, alone, so that one
        damaged mirror fails only the repositories that need its blobs."""
        for mirror, oids in parts.items():
            batch_id = self._new_batch()
            self.batches[batch_id][mirror] = oids
            for oid in oids:
                self.planned[oid] = batch_id
            mine = set(oids)
            for repo in waiting:
                if not mine.isdisjoint(self.blobs[repo]):
                    self.needs[repo].add(batch_id)
                    self.waiting[batch_id].add(repo)
            self.queued.append(batch_id)
        for repo in waiting:
            self.needs[repo].discard(failed)

    def _attribute(self, repo: str) -> None:
        """Queued: every repository one event makes ready goes out in as few tasks as fit."""
        found = {
            oid: fps
            for oid in self.blobs.pop(repo)
            if (hits := self.hits.get(oid))
            and (
                fps := [
                    h.fingerprint
                    for h in hits
                    if self.policy.admits(h.confidence, h.public_example)
                ]
            )
        }
        clean = self.clean.pop(repo, None)
        if not found and clean is not None:  # the listing attributed it already
            self._attribute_done(repo, clean)
        else:
            self.ready.append((repo, (self.outcomes[repo].mirror, found)))

    def _attributes_done(self, repos: list[str], results: list[tasks.Attributed | str]) -> None:
        for repo, result in zip(repos, results, strict=True):
            if isinstance(result, str):
                self._attribute_failed(repo, result)
            else:
                self._attribute_done(repo, result)

    def _attribute_done(self, repo: str, attributed: tasks.Attributed) -> None:
        outcome = self.outcomes[repo]
        outcome.credentials = attributed.credentials
        outcome.notes = outcome.notes + attributed.notes
        suspects = self.suspects.pop(repo, 0)
        missed = []
        if outcome.unreadable:
            missed.append(
                f"{outcome.unreadable} {UNREADABLE} (a partial clone? a damaged repository?): "
                "not scanned"
            )
        if suspects:
            missed.append(
                f"{suspects} blob(s) larger than --max-bytes may hold keys: not scanned "
                "(raise --max-bytes to scan them)"
            )
        # Findings are recorded either way; refs marked incomplete are listed again next run.
        outcome.records = self.store.finish_repo(
            repo,
            outcome.spec.name,
            outcome.spec.display,
            f"{self.refs[repo]}:{self.key}" + (":incomplete" if missed else ""),
            attributed.found,
        )
        if missed:
            outcome.fail("; ".join(missed))
        else:
            outcome.status = "complete"

    def _attribute_failed(self, repo: str, error: str) -> None:
        self.outcomes[repo].fail(f"attribution failed: {error}")


def run(
    client: Client,
    specs: Sequence[RepoSpec],
    cache_dir: str,
    policy: Policy,
    max_bytes: int,
    progress: Progress | None = None,
    verify: bool = False,
) -> FleetResult:
    """``verify``: the client verifies: every repository is attributed again even if its
    refs did not change, and the findings it signs with come back with their secrets
    (:class:`tasks.Attributed`); blobs are still scanned only once."""
    detector = tasks.detector()
    others = {w: d for w, d in client.run(tasks.detector).items() if d != detector}
    if others:
        shown = ", ".join(sorted(others)[:3]) + (" and more" if len(others) > 3 else "")
        raise GuardError(
            f"{len(others)} Dask worker(s) ({shown}) judge by other detection rules than this "
            "client: install the same binance-guard on the workers and here"
        )
    store = Store(os.path.join(cache_dir, STORE_NAME))
    try:
        changed = store.adopt(detector)
        result = _Run(client, store, specs, cache_dir, policy, max_bytes, progress, verify).loop()
    finally:
        store.close()
    result.rules_changed = changed
    return result
