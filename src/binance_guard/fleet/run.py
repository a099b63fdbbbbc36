"""One fleet run on a Dask cluster: list every repository, scan each blob no run has scanned
(once, from whichever mirror listed it first), then attribute per repository.

Results stream back as tasks finish; a repository is recorded complete only once every blob
it reaches is in the store and its attribution ran, so a killed run resumes where it stopped
and a failed task can only make a repository incomplete, never clean.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from binance_guard.finding import Finding
from binance_guard.fleet import tasks
from binance_guard.fleet.discovery import RepoSpec, strip_credentials
from binance_guard.fleet.mirrors import mirror_path
from binance_guard.fleet.store import Record, Store
from binance_guard.fleet.tasks import Hit
from binance_guard.policy import Policy
from binance_guard.report.redact import mask

if TYPE_CHECKING:
    from distributed import Client, Future

BATCH_BYTES = 16 << 20  # a batch is a few seconds of scanning: huge repositories spread out
BATCH_BLOBS = 20_000
GROUP_MAX = 16  # repositories listed or attributed by one task
RETRIES = 2  # a task that raised runs again elsewhere; lost workers are rescheduled anyway
STORE_NAME = "state.sqlite3"
# A listing's follow-ups go first: repositories finish as the run goes, and its end waits
# only for the last listings' scans and attributions.
PRIORITY = {"lists": 0, "attributes": 1, "batch": 2}


@dataclasses.dataclass
class RepoOutcome:
    spec: RepoSpec
    mirror: str
    status: str = "pending"  # complete | unchanged | incomplete
    error: str | None = None
    blobs: int = 0  # blobs its refs reach
    scanned: int = 0  # blobs this run scanned from its mirror (first to list them)
    oversized: int = 0
    notes: list[str] = dataclasses.field(default_factory=list)
    records: list[Record] = dataclasses.field(default_factory=list)
    findings: list[Finding] = dataclasses.field(default_factory=list)  # this run's, for --verify

    def fail(self, error: str) -> None:
        self.status, self.error = "incomplete", strip_credentials(error)


@dataclasses.dataclass
class FleetResult:
    repos: list[RepoOutcome]
    blobs_scanned: int = 0
    bytes_scanned: int = 0
    binary: int = 0
    unique_blobs: int = 0  # distinct blobs listed this run (unchanged repositories list none)
    seconds: float = 0.0

    @property
    def incomplete(self) -> list[RepoOutcome]:
        return [r for r in self.repos if r.status == "incomplete"]


Progress = Callable[[FleetResult], None]


def policy_key(policy: Policy) -> str:
    """Stored with a repository's refs: a different policy must attribute again."""
    parts = (
        policy.min_confidence,
        policy.include_examples,
        policy.exclude_files.pattern if policy.exclude_files else None,
        sorted(policy.baseline.known) if policy.baseline else None,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


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
        relist: bool,
    ) -> None:
        from distributed import as_completed

        self.relist = relist
        self.client, self.store, self.policy, self.max_bytes = client, store, policy, max_bytes
        self.key = policy_key(policy)
        self.progress = progress
        self.outcomes = {s.id: RepoOutcome(s, mirror_path(cache_dir, s)) for s in specs}
        self.result = FleetResult(list(self.outcomes.values()))
        self.futures: dict[Any, tuple[Future[Any], str, Any]] = {}
        self.stream = as_completed()
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
        self.group = 1

    def submit(self, kind: str, ref: Any, fn: Callable[..., Any], *args: Any) -> None:
        future = self.client.submit(fn, *args, retries=RETRIES, pure=False, priority=PRIORITY[kind])
        self.futures[future.key] = (future, kind, ref)
        self.stream.add(future)

    def start(self) -> None:
        jobs = []
        for repo, outcome in self.outcomes.items():
            if outcome.spec.error:
                outcome.fail(outcome.spec.error)
                continue
            refs, _, key = (self.store.known_refs(repo) or "").partition(":")
            known = refs if key == self.key and not self.relist else None
            if known and self._unchanged(outcome, known):
                continue
            jobs.append((repo, (outcome.spec, outcome.mirror, known)))
        workers = len(self.client.scheduler_info().get("workers", {})) or 1
        # A few groups per worker: enough to balance, few enough to keep overhead down.
        self.group = max(1, min(GROUP_MAX, -(-len(jobs) // (4 * workers))))
        self._submit_groups("lists", tasks.list_many, jobs, self.max_bytes, self.policy)

    def _unchanged(self, outcome: RepoOutcome, known: str) -> bool:
        """Checked here first, from files only: an unchanged fleet then costs no task and no
        process (the listing task checks again, with git if need be, and reports what this
        cannot read)."""
        if not tasks.unchanged(outcome.spec, outcome.mirror, known, ask_git=False):
            return False
        self._list_done(outcome.spec.id, tasks.Listing(known, unchanged=True))
        return True

    def loop(self) -> FleetResult:
        started = time.monotonic()
        self.start()
        self._tick()
        for future in self.stream:
            _, kind, ref = self.futures.pop(future.key)
            try:
                # Waits if the worker holding the result died meanwhile: Dask recomputes it.
                value = future.result()
            except Exception as exc:  # the task's own error, KilledWorker, cancellation
                getattr(self, f"_{kind}_failed")(ref, _error(exc))
            else:
                getattr(self, f"_{kind}_done")(ref, value)
            future.release()
            self._flush_ready()
            self._tick()
        for outcome in self.outcomes.values():
            if outcome.status == "pending":  # cannot happen: every path ends a repository
                outcome.fail("not finished")
        self.result.seconds = time.monotonic() - started
        return self.result

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self.result)

    def _lists_done(self, repos: list[str], results: list[tasks.Listing | str]) -> None:
        for repo, result in zip(repos, results, strict=True):
            if isinstance(result, str):
                self._list_failed(repo, result)
            else:
                self._list_done(repo, result)
        self._send_batch()  # the group's new blobs, scanned together

    def _lists_failed(self, repos: list[str], error: str) -> None:
        for repo in repos:
            self._list_failed(repo, error)

    def _list_done(self, repo: str, listing: tasks.Listing) -> None:
        outcome = self.outcomes[repo]
        self.refs[repo] = listing.refs
        if listing.unchanged:
            outcome.status, outcome.records = "unchanged", self.store.current(repo)
            return
        outcome.blobs, outcome.oversized = len(listing.blobs), listing.oversized
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
            batch_id = self.filling[0]
            self.filling = None
            self._send(batch_id)

    def _send(self, batch_id: int) -> None:
        # One string per mirror: Dask walks lists in arguments item by item.
        parts = {mirror: "\n".join(oids) for mirror, oids in self.batches[batch_id].items()}
        self.submit("batch", batch_id, tasks.scan_batch, parts)

    def _list_failed(self, repo: str, error: str) -> None:
        self.outcomes[repo].fail(f"clone/fetch/list failed: {error}")

    def _batch_done(self, batch_id: int, batch: tasks.Batch) -> None:
        oids = [oid for part in self.batches.pop(batch_id).values() for oid in part]
        self.store.record_batch(oids, batch.hits)
        for hit in batch.hits:
            self.hits.setdefault(hit.oid, []).append(hit)
        self.result.blobs_scanned += batch.blobs
        self.result.bytes_scanned += batch.bytes
        self.result.binary += batch.binary
        for oid in oids:
            del self.planned[oid]
        for repo in self.waiting.pop(batch_id):
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
            self._send(batch_id)
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

    def _flush_ready(self) -> None:
        ready, self.ready = self.ready, []
        self._submit_groups("attributes", tasks.attribute_many, ready, self.policy)

    def _submit_groups(
        self, kind: str, fn: Callable[..., Any], jobs: Sequence[tuple[str, Any]], *args: Any
    ) -> None:
        """``fn`` over ``self.group`` repositories' jobs per task (each task costs
        milliseconds of scheduling); the repositories are the task's reference."""
        for start in range(0, len(jobs), self.group):
            chunk = jobs[start : start + self.group]
            self.submit(kind, [repo for repo, _ in chunk], fn, [job for _, job in chunk], *args)

    def _attributes_done(self, repos: list[str], results: list[tasks.Attributed | str]) -> None:
        for repo, result in zip(repos, results, strict=True):
            if isinstance(result, str):
                self._attribute_failed(repo, result)
            else:
                self._attribute_done(repo, result)

    def _attributes_failed(self, repos: list[str], error: str) -> None:
        for repo in repos:
            self._attribute_failed(repo, error)

    def _attribute_done(self, repo: str, attributed: tasks.Attributed) -> None:
        outcome = self.outcomes[repo]
        outcome.findings, outcome.notes = attributed.findings, outcome.notes + attributed.notes
        suspects = self.suspects.pop(repo, 0)
        # Findings are recorded either way; refs marked incomplete are listed again next run.
        # What is stored and reported has no secret, not even as a path or an author's name:
        # masked here, the last place that knows the secrets.
        stored = mask(attributed.findings, [f.secret for f in attributed.findings])
        outcome.records = self.store.finish_repo(
            repo,
            outcome.spec.name,
            outcome.spec.display,
            f"{self.refs[repo]}:{self.key}" + (":incomplete" if suspects else ""),
            [f.as_dict() for f in stored],
        )
        if suspects:
            outcome.fail(
                f"{suspects} blob(s) larger than --max-bytes may hold keys: not scanned "
                "(raise --max-bytes to scan them)"
            )
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
    relist: bool = False,
) -> FleetResult:
    """``relist``: attribute every repository again even if its refs did not change (the
    findings then carry their secrets in memory, as ``--verify`` needs); blobs are still
    scanned only once."""
    store = Store(os.path.join(cache_dir, STORE_NAME))
    try:
        return _Run(client, store, specs, cache_dir, policy, max_bytes, progress, relist).loop()
    finally:
        store.close()
