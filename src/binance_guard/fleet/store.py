"""The fleet's memory between runs (SQLite in the cache directory, mode 0600).

It records every blob ever scanned (so no blob is scanned twice, across repositories and
runs), which of them hold secrets (fingerprints only), each repository's refs at its last
complete scan, and every finding with the time it was first seen. Secrets are never stored:
findings are kept in their serialised form, which holds fingerprints and redacted previews.

One run at a time uses a cache directory (:func:`exclusive`): two would list, clone and scan
the same work twice and interleave their records. Each update is one short transaction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from binance_guard.errors import GuardError
from binance_guard.fleet.tasks import Hit

SCHEMA = """
CREATE TABLE IF NOT EXISTS blob (oid BLOB PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hit (
    oid BLOB, fingerprint TEXT, confidence TEXT, public_example INTEGER,
    PRIMARY KEY (oid, fingerprint)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS repo (
    id TEXT PRIMARY KEY, name TEXT, source TEXT, refs TEXT, scanned_at REAL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS finding (
    repo TEXT, fingerprint TEXT, path TEXT, data TEXT,
    first_seen REAL, last_seen REAL, gone_at REAL,
    PRIMARY KEY (repo, fingerprint, path)
);
"""
CHUNK = 500  # ids per query: far below SQLite's variable limit
LOCK_NAME = "run.lock"


@contextlib.contextmanager
def exclusive(cache_dir: str) -> Iterator[None]:
    """Hold the cache directory for one run, or refuse at once naming the run that holds it.
    An OS lock (flock), not a pid file: it dies with its process, so a killed run leaves
    nothing stale behind. The holder's pid is written in the file only to be named."""
    fd = os.open(os.path.join(cache_dir, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise GuardError(
                f"another fleet run (pid {holder if holder.isdigit() else 'unknown'}) is "
                f"using the cache directory {cache_dir}: wait for it to finish, or give "
                "another --cache-dir"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


@dataclasses.dataclass(frozen=True)
class Record:
    """A finding as stored: its serialised form (no secret) and when it was first seen."""

    data: dict[str, Any]
    first_seen: float
    status: str  # new | unchanged | gone | known (this run could not look again)


class Store:
    def __init__(self, path: str) -> None:
        os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
        self._db = sqlite3.connect(path, timeout=120, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 120000")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def adopt(self, detector: str) -> bool:
        """Make ``detector`` (:func:`tasks.detector`) the judge of what is stored. Verdicts
        other rules gave are forgotten, and with them each repository's refs, so every blob
        is scanned and every repository listed again; findings stay, so the report says what
        the new rules found or no longer report. True if something was forgotten."""
        with self._write():
            row = self._db.execute("SELECT value FROM meta WHERE key = 'detector'").fetchone()
            if row is not None and row[0] == detector:
                return False
            stale = row is not None or bool(self._db.execute("SELECT 1 FROM repo").fetchone())
            if stale:
                for table in ("hit", "blob", "repo"):
                    self._db.execute(f"DELETE FROM {table}")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('detector', ?)", (detector,))
        return stale

    def scanned(self, oids: Sequence[str]) -> dict[str, list[Hit]]:
        """Those of these blobs some run has scanned, each with its secrets (mostly none),
        in one read: a blob and its hits are recorded in one transaction."""
        done: dict[str, list[Hit]] = {}
        for start in range(0, len(oids), CHUNK):
            chunk = [bytes.fromhex(o) for o in oids[start : start + CHUNK]]
            marks = ",".join("?" * len(chunk))
            for oid, fp, confidence, example in self._db.execute(
                "SELECT blob.oid, fingerprint, confidence, public_example FROM blob "
                f"LEFT JOIN hit ON hit.oid = blob.oid WHERE blob.oid IN ({marks})",
                chunk,
            ):
                hits = done.setdefault(oid.hex(), [])
                if fp is not None:
                    hits.append(Hit(oid.hex(), fp, confidence, bool(example)))
        return done

    def record_batch(self, oids: Iterable[str], hits: Iterable[Hit]) -> None:
        """A finished batch: its hits and its blobs, in one transaction (never half)."""
        with self._write():
            self._db.executemany(
                "INSERT OR REPLACE INTO hit VALUES (?, ?, ?, ?)",
                (
                    (bytes.fromhex(h.oid), h.fingerprint, h.confidence, h.public_example)
                    for h in hits
                ),
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO blob VALUES (?)", ((bytes.fromhex(o),) for o in oids)
            )

    def known_refs(self, repo: str) -> str | None:
        row = self._db.execute("SELECT refs FROM repo WHERE id = ?", (repo,)).fetchone()
        return None if row is None else str(row[0])

    def finish_repo(
        self, repo: str, name: str, source: str, refs: str, found: Sequence[dict[str, Any]]
    ) -> list[Record]:
        """Record a complete scan of ``repo`` at ``refs``: findings seen before keep their
        first-seen time, new ones start now, and those no ref reaches any more are gone."""
        now = time.time()
        current = {(d["fingerprint"], d["path"]): d for d in found}
        records: list[Record] = []
        with self._write():
            known = {
                (fp, path): (first, gone)
                for fp, path, first, gone in self._db.execute(
                    "SELECT fingerprint, path, first_seen, gone_at FROM finding WHERE repo = ?",
                    (repo,),
                )
            }
            for key, data in current.items():
                first, gone = known.get(key, (None, None))
                status = "unchanged" if first is not None and gone is None else "new"
                first = now if first is None else first
                self._db.execute(
                    "INSERT OR REPLACE INTO finding VALUES (?, ?, ?, ?, ?, ?, NULL)",
                    (repo, *key, json.dumps(data), first, now),
                )
                records.append(Record(data, first, status))
            for key, (first, gone) in known.items():
                if key not in current and gone is None:
                    self._db.execute(
                        "UPDATE finding SET gone_at = ? WHERE repo = ? AND fingerprint = ? "
                        "AND path = ?",
                        (now, repo, *key),
                    )
                    records.append(Record(self._data(repo, key), first, "gone"))
            self._db.execute(
                "INSERT OR REPLACE INTO repo VALUES (?, ?, ?, ?, ?)",
                (repo, name, source, refs, now),
            )
        return records

    def _data(self, repo: str, key: tuple[str, str]) -> dict[str, Any]:
        row = self._db.execute(
            "SELECT data FROM finding WHERE repo = ? AND fingerprint = ? AND path = ?",
            (repo, *key),
        ).fetchone()
        data: dict[str, Any] = json.loads(row[0])
        return data

    def current(self, repo: str, status: str = "unchanged") -> list[Record]:
        """Findings of a repository as of its last complete scan: ``unchanged`` when its refs
        did not move, ``known`` when this run could not look again."""
        return [
            Record(json.loads(data), first, status)
            for data, first in self._db.execute(
                "SELECT data, first_seen FROM finding WHERE repo = ? AND gone_at IS NULL "
                "ORDER BY first_seen, path",
                (repo,),
            )
        ]
