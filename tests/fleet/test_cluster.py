"""fleet over the git protocol, on a real Dask scheduler with worker processes, and through
failures: a worker killed mid-run, the command itself killed and run again."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from binance_guard.finding import fingerprint
from testing import synthetic
from testing.cli import run_cli
from testing.fleet import KEYS, env_file, fleet, found, store_bytes, unique_blobs
from testing.git_repo import GIT_ENV, commit, make_repo
from testing.services import DaskCluster, git_daemon

BASES = 10
ARGS = ("--format", "json", "--no-progress")
EXPECTED = {
    (name, key, "config/bot.env")
    for names, key in ((("b00", "f00"), 0), (("b03", "f03", "b07", "f07"), 1))
    for name in names
}


@pytest.fixture
def org(tmp_path: Path) -> Path:
    """Ten repositories and a fork of each: b00 had key 0 (history only now), b03 has key 1
    at HEAD and b07 vendors the same file (one blob shared by unrelated repositories)."""
    root = tmp_path / "org"
    keys = {
        0: {2: env_file(KEYS[0]), 5: "BINANCE_API_KEY=${FROM_VAULT}\n"},
        3: {4: env_file(KEYS[1])},
        7: {9: env_file(KEYS[1])},
    }
    for index in range(BASES):
        base = synthetic.repository(root / f"b{index:02}", f"b{index:02}", 12, 6, keys.get(index))
        synthetic.fork(base, root / f"f{index:02}", f"f{index:02}")
    return root


def _repos(org: Path) -> list[Path]:
    return sorted(p for p in org.iterdir() if p.is_dir())


def _stored_blobs(cache: Path) -> int:
    try:
        with sqlite3.connect(f"file:{cache / 'state.sqlite3'}?mode=ro", uri=True, timeout=5) as db:
            count: int = db.execute("SELECT count(*) FROM blob").fetchone()[0]
            return count
    except sqlite3.Error:
        return 0


def _start(cache: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "binance_guard", "fleet", "--cache-dir", str(cache), *ARGS, *args],
        env={**os.environ, **GIT_ENV, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _when_some_blobs_are_stored(cache: Path, proc: subprocess.Popen[str]) -> int:
    while (stored := _stored_blobs(cache)) == 0:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    return stored


def test_git_daemon_and_a_real_dask_cluster_give_the_local_findings(
    org: Path, tmp_path: Path
) -> None:
    local = fleet(tmp_path / "local-cache", str(org))
    assert found(local) == EXPECTED
    assert local["summary"]["blobs_scanned"] == len(unique_blobs(*_repos(org)))

    cluster = DaskCluster(tmp_path, workers=2)
    try:
        with git_daemon(org) as url:
            listing = tmp_path / "repos.txt"
            listing.write_text("# the fleet\n" + "".join(f"{url}/{p.name}\n" for p in _repos(org)))
            remote = fleet(
                tmp_path / "remote-cache", "--from", str(listing), "--scheduler", cluster.address
            )
    finally:
        cluster.close()
    assert {r["source"].startswith("git://127.0.0.1:") for r in remote["repos"]} == {True}
    assert found(remote) == EXPECTED
    strip = [
        {k: v for k, v in f.items() if k not in ("repo", "first_seen")} for f in remote["findings"]
    ]
    expected = [
        {k: v for k, v in f.items() if k not in ("repo", "first_seen")} for f in local["findings"]
    ]
    key = repr
    assert sorted(strip, key=key) == sorted(expected, key=key)
    assert remote["summary"]["blobs_scanned"] == local["summary"]["blobs_scanned"]


def test_a_worker_killed_mid_run_costs_only_its_tasks(org: Path, tmp_path: Path) -> None:
    cluster = DaskCluster(tmp_path, workers=2)
    cache = tmp_path / "cache"
    try:
        proc = _start(cache, str(org), "--scheduler", cluster.address)
        _when_some_blobs_are_stored(cache, proc)
        os.killpg(cluster.workers[0].pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=600)
    finally:
        cluster.close()
    assert proc.returncode == 1, err + out
    doc = json.loads(out)
    assert {r["status"] for r in doc["repos"]} == {"complete"}
    assert found(doc) == EXPECTED
    assert doc["summary"]["blobs_scanned"] == len(unique_blobs(*_repos(org)))


def test_a_killed_run_resumes_without_rescanning_finished_work(org: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    proc = _start(cache, str(org), "--workers", "1")
    _when_some_blobs_are_stored(cache, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = _stored_blobs(cache)
    unique = len(unique_blobs(*_repos(org)))
    assert 0 < stored < unique

    resumed = fleet(cache, str(org))
    assert resumed["summary"]["blobs_scanned"] == unique - stored
    # Repositories the killed run finished are "unchanged"; the rest complete now.
    statuses = {r["status"] for r in resumed["repos"]}
    assert "complete" in statuses and statuses <= {"complete", "unchanged"}
    assert found(resumed) == EXPECTED


def _not_dask(greeting: bytes) -> Iterator[str]:
    """tcp://127.0.0.1:PORT where something other than Dask accepts connections and sends
    ``greeting`` (as sshd does), or nothing at all, and keeps them open."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        with server:
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn:
                    conn.sendall(greeting)
                    stop.wait()

    threading.Thread(target=serve, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    server.close()


@pytest.fixture
def sshd() -> Iterator[str]:
    yield from _not_dask(b"SSH-2.0-OpenSSH_9.6p1 Debian-3\r\n")


@pytest.fixture
def silent() -> Iterator[str]:
    yield from _not_dask(b"")


@pytest.mark.parametrize("address", ["nonsense", "tcp://127.0.0.1:port", "sshd", "silent"])
def test_a_scheduler_that_is_not_there_is_one_error_line(
    tmp_path: Path, address: str, request: pytest.FixtureRequest
) -> None:
    if not address.startswith(("nonsense", "tcp")):
        address = request.getfixturevalue(address)
    repo = synthetic.repository(tmp_path / "r", "r", 2, 1)
    proc = run_cli(
        "fleet",
        "--cache-dir",
        str(tmp_path / "c"),
        "--scheduler",
        address,
        str(repo),
        env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"},
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"binance-guard: error: --scheduler {address}: cannot connect to a")
    assert proc.stdout == ""


def test_a_repository_that_cannot_be_fetched_keeps_its_known_findings(
    org: Path, tmp_path: Path
) -> None:
    """The server is down on the second run: each repository is incomplete, and the keys its
    last complete scan found are still reported, as known (not looked at again), never
    dropped, as if the fleet had no leaked key, nor gone."""
    cache, listing = tmp_path / "cache", tmp_path / "repos.txt"
    with git_daemon(org) as url:
        listing.write_text("".join(f"{url}/{p.name}\n" for p in _repos(org)))
        first = fleet(cache, "--from", str(listing))
    down = fleet(cache, "--from", str(listing), code=(2,))
    assert {r["status"] for r in down["repos"]} == {"incomplete"}
    assert found(down, "known") == found(first) == EXPECTED
    assert down["summary"]["findings"] == {"new": 0, "unchanged": 0, "gone": 0, "known": 6}
    assert {k["redacted"] for k in down["keys"]} == {k["redacted"] for k in first["keys"]}


def test_a_second_run_on_one_cache_is_refused_while_the_first_runs(
    org: Path, tmp_path: Path
) -> None:
    """Two runs on one cache would list, clone and scan the same work and interleave their
    records: the second is refused, naming the first; a run killed holding the cache leaves
    no lock behind (the OS drops it with the process)."""
    cache = tmp_path / "cache"
    first = _start(cache, str(org), "--workers", "1")
    _when_some_blobs_are_stored(cache, first)
    os.killpg(first.pid, signal.SIGSTOP)  # it holds the cache for as long as the test needs
    second = _start(cache, str(org), "--workers", "1")
    try:
        # Without the lock it waited for the stopped run's mirror locks: not for ever here.
        out, err = second.communicate(timeout=300)
    finally:
        os.killpg(first.pid, signal.SIGCONT)
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)
    assert second.returncode == 2, err + out
    (line,) = err.splitlines()
    assert line.startswith(f"binance-guard: error: another fleet run (pid {first.pid}) is using")
    assert out == ""
    out, err = first.communicate(timeout=600)
    assert first.returncode == 1, err + out
    assert found(json.loads(out)) == EXPECTED

    stale = tmp_path / "stale"
    killed = _start(stale, str(org), "--workers", "1")
    _when_some_blobs_are_stored(stale, killed)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    assert (stale / "run.lock").read_text() == f"{killed.pid}\n"  # the file stays, not the lock
    assert found(fleet(stale, str(org))) == EXPECTED


def test_a_scheduler_lost_mid_run_leaves_the_rest_incomplete(org: Path, tmp_path: Path) -> None:
    """The run reports what it finished and, for the rest, that the scheduler went away:
    exit 2, and the next run resumes."""
    cluster = DaskCluster(tmp_path, workers=1)
    cache = tmp_path / "cache"
    try:
        # The client stops waiting for the scheduler to come back after 5 s, not 30.
        proc = _start(
            cache,
            str(org),
            "--scheduler",
            cluster.address,
            env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "5s"},
        )
        _when_some_blobs_are_stored(cache, proc)
        os.killpg(cluster.scheduler.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=600)
    finally:
        cluster.close()
    assert proc.returncode == 2, err
    (line,) = err.splitlines()  # no log lines, no traceback
    assert line.startswith("binance-guard: INCOMPLETE: "), err
    doc = json.loads(out)
    lost = [r["error"] for r in doc["repos"] if r["status"] == "incomplete"]
    assert any("the Dask scheduler went away" in error for error in lost), lost
    assert {r["status"] for r in doc["repos"]} <= {"complete", "incomplete"}
    resumed = fleet(cache, str(org))
    assert found(resumed) == EXPECTED
    assert resumed["summary"]["blobs_scanned"] < len(unique_blobs(*_repos(org)))


def test_workers_judging_by_other_rules_are_refused(org: Path, tmp_path: Path) -> None:
    """An external cluster's workers run their own install: verdicts by other detection rules
    than the client's would be stored as its own (and never looked at again)."""
    import binance_guard

    other = tmp_path / "other"
    shutil.copytree(Path(binance_guard.__file__).parent, other / "binance_guard")
    with open(other / "binance_guard" / "detection" / "scanner.py", "a") as handle:
        handle.write("# another release's rules\n")
    cluster = DaskCluster(tmp_path, workers=1, env={"PYTHONPATH": str(other)})
    try:
        proc = run_cli(
            "fleet",
            "--cache-dir",
            str(tmp_path / "cache"),
            *ARGS,
            str(org),
            "--scheduler",
            cluster.address,
        )
    finally:
        cluster.close()
    assert proc.returncode == 2, proc.stderr + proc.stdout
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("binance-guard: error: 1 Dask worker(s) (tcp://127.0.0.1:")
    assert "judge by other detection rules than this client" in line
    assert not (tmp_path / "cache" / "state.sqlite3").exists()  # nothing stored by them


@pytest.mark.parametrize("verify", [False, True])
def test_no_secret_leaves_a_worker_unless_the_client_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verify: bool
) -> None:
    """What the workers send back (as Dask pickles it) has the findings' fingerprints and no
    secret: a key pair in a file, a key in a commit message, a key in its file's name too.
    Only --verify's client gets the keys it signs with. The state store on disk holds none."""
    from binance_guard.fleet import discovery
    from binance_guard.fleet import run as fleet_run
    from binance_guard.policy import Policy
    from binance_guard.sources.source import DEFAULT_MAX_BYTES

    held = make_repo(tmp_path / "org" / "held")
    commit(held, {"bot.env": env_file(KEYS[0], KEYS[5])}, "add bot key")
    commit(held, {f"keys/{KEYS[0]}.env": env_file(KEYS[0])}, "a file named by its key")
    said = make_repo(tmp_path / "org" / "said")
    commit(said, {"README.md": "hi\n"}, f"BINANCE_API_KEY={KEYS[1]}")
    received: list[bytes] = []

    class Recording(fleet_run._Run):
        def _step_done(self, step: Any, result: Any) -> None:
            received.append(pickle.dumps(result))
            super()._step_done(step, result)

    monkeypatch.setattr(fleet_run, "_Run", Recording)
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    specs = discovery.expand([str(tmp_path / "org")])
    cluster = DaskCluster(tmp_path, workers=1)
    try:
        from distributed import Client

        with Client(cluster.address) as client:
            result = fleet_run.run(
                client, specs, str(cache), Policy(), DEFAULT_MAX_BYTES, verify=verify
            )
    finally:
        cluster.close()
    assert {r.status for r in result.repos} == {"complete"}
    travelled = b"".join(received)
    signed = {KEYS[0], KEYS[1], KEYS[5]}
    assert {k for k in signed if k.encode() in travelled} == (signed if verify else set())
    for key in signed:
        assert fingerprint(key).encode() in travelled
    assert {f.secret for r in result.repos for f in r.credentials} == (signed if verify else set())
    files = sorted(cache.glob("state.sqlite3*"))
    assert files and {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}
    stored = store_bytes(cache)
    assert fingerprint(KEYS[0]).encode() in stored
    for key in KEYS:
        assert key.encode() not in stored
