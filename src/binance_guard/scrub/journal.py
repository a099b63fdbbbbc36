"""What makes an in-place run recoverable: a private temporary directory, signals that unwind,
and a journal of the refs before it that ``--rollback`` (or the run itself) puts back."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from types import FrameType

from binance_guard.report.sanitize import shell
from binance_guard.scrub import NOTHING_CHANGED, Interrupted, ScrubError
from binance_guard.scrub.stash import StashEntry, write_stash
from binance_guard.sources import git

JOURNAL = "binance-guard-scrub.json"
TEMP_PREFIX = "binance-guard-scrub-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temp() -> None:
    """A SIGKILLed run cannot clean up: its private directory (0700; mirror clones, never the
    replacements) is removed by the next run, once its process is gone."""
    base = tempfile.gettempdir()
    with contextlib.suppress(OSError):
        for name in os.listdir(base):
            if not name.startswith(TEMP_PREFIX):
                continue
            pid = name[len(TEMP_PREFIX) :].split("-")[0]
            path = os.path.join(base, name)
            if pid.isdigit() and not _alive(int(pid)) and os.stat(path).st_uid == os.getuid():
                shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def private_dir() -> Iterator[str]:
    clean_stale_temp()
    path = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-")  # mode 0700
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


@contextlib.contextmanager
def signals_unwind() -> Iterator[None]:
    """SIGTERM, SIGHUP and SIGINT unwind the stack, so ``finally`` and the rollback run; the
    previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _raise_interrupted) for s in (signal.SIGTERM, signal.SIGHUP)}
    # Ctrl-C too, even where SIGINT was inherited as ignored (a job started in the background).
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def journal_path(repo: str) -> str:
    return git.git_path(repo, JOURNAL)


def current_head(repo: str) -> str:
    try:
        return "ref: " + git.run(["symbolic-ref", "-q", "HEAD"], cwd=repo).decode().strip()
    except git.GitError:
        return git.run(["rev-parse", "HEAD"], cwd=repo).decode().strip()


def write_journal(
    repo: str, refs: dict[str, str], backup: str | None, stash: list[StashEntry]
) -> None:
    record = {
        "pid": os.getpid(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "head": current_head(repo),
        "refs": refs,
        "stash": stash,
        "backup": backup,
    }
    fd = os.open(journal_path(repo), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
        handle.flush()
        os.fsync(handle.fileno())


def _read_journal(repo: str) -> dict[str, object] | None:
    try:
        with open(journal_path(repo), encoding="utf-8") as handle:
            record: dict[str, object] = json.load(handle)
    except FileNotFoundError:
        return None
    except ValueError:
        record = {"refs": None}
    return record


def refuse_after_interruption(repo: str) -> None:
    """Before anything else, even the scan: an interrupted run may have rewritten the refs."""
    git.open_repo(repo)  # "not a git repository" rather than a failing plumbing command
    record = _read_journal(repo)
    if record is None:
        return
    pid = record.get("pid")
    if isinstance(pid, int) and pid != os.getpid() and _alive(pid):
        raise ScrubError(f"another scrub (pid {pid}) is running on this repository")
    raise ScrubError(
        f"a scrub of this repository started {record.get('started', '?')} was interrupted: "
        f"{_describe_changes(repo, record)}; put every ref back exactly as it was with: "
        f"binance-guard scrub --rollback {shell(git.top(repo))} {NOTHING_CHANGED}"
    )


def _describe_changes(repo: str, record: dict[str, object]) -> str:
    before = record.get("refs")
    if not isinstance(before, dict):
        return "its journal is unreadable"
    now = git.refs(repo)
    moved = sorted(r for r in before.keys() | now.keys() if before.get(r) != now.get(r))
    if not moved:
        return "no ref had changed yet"
    shown = ", ".join(moved[:5]) + (f" and {len(moved) - 5} more" if len(moved) > 5 else "")
    return f"{len(moved)} ref(s) differ from before it ({shown})"


def _clear_stale_locks(repo: str) -> None:
    """An interrupted git-filter-repo step (its ``reset``) can leave lock files behind
    (``index.lock``, ``HEAD.lock``): git removes them on SIGTERM except in the instant between
    creating and registering one, and never on SIGKILL. Locks newer than the journal that no
    process holds open are those: removed, so that the rollback can move the refs and restore
    the index. Any other lock stays (the rollback then fails and says so)."""
    journal = journal_path(repo)
    since = os.stat(journal).st_mtime
    stale = []
    for root, dirs, files in os.walk(os.path.dirname(journal)):
        dirs[:] = [d for d in dirs if d != "objects"]
        for name in files:
            path = os.path.join(root, name)
            with contextlib.suppress(OSError):
                if name.endswith(".lock") and os.stat(path).st_mtime >= since:
                    stale.append(path)
    held = _open_files() if stale else None
    for lock in stale:
        if held is not None and os.path.realpath(lock) not in held:
            os.remove(lock)


def _open_files() -> set[str] | None:
    """What every process has open (Linux's /proc); None where that cannot be known."""
    try:
        pids = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return None
    found = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:  # gone, or not ours to look at
            continue
        for fd in fds:
            with contextlib.suppress(OSError):
                found.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return found


def rollback(repo: str) -> str:
    """Put refs, HEAD and the work tree back exactly as the journal recorded them."""
    git.open_repo(repo)
    record = _read_journal(repo)
    if record is None:
        raise ScrubError("no interrupted scrub to roll back in this repository")
    before = record.get("refs")
    if not isinstance(before, dict):
        raise ScrubError(
            f"the journal {journal_path(repo)} is unreadable; restore from the backup bundle "
            f"instead: git fetch --force --update-head-ok BUNDLE 'refs/*:refs/*'"
        )
    _clear_stale_locks(repo)
    described = _describe_changes(repo, record)
    now = git.refs(repo)
    commands = [f"update {ref} {sha}" for ref, sha in before.items() if now.get(ref) != sha]
    commands += [f"delete {ref}" for ref in now if ref not in before]
    if commands:
        git.run(["update-ref", "--stdin"], cwd=repo, stdin=("\n".join(commands) + "\n").encode())
    stash = record.get("stash")
    if isinstance(stash, list) and stash:  # each entry as git stash list showed it
        write_stash(repo, [(e[0], e[1], e[2], e[3], e[4]) for e in stash])
    head = record.get("head")
    if isinstance(head, str) and head.startswith("ref: "):
        git.run(["symbolic-ref", "HEAD", head[5:]], cwd=repo)
    elif isinstance(head, str) and head:
        git.run(["update-ref", "--no-deref", "HEAD", head], cwd=repo)
    if git.has_worktree(repo):  # it was clean before the run: make it match HEAD again
        git.run(["read-tree", "-u", "--reset", "HEAD"], cwd=repo)
    if git.refs(repo) != before:
        raise ScrubError("rollback incomplete: refs still differ; restore from the backup bundle")
    shutil.rmtree(git.git_path(repo, "filter-repo"), ignore_errors=True)
    backup = record.get("backup")
    if isinstance(backup, str):  # the repository itself is the original again
        with contextlib.suppress(FileNotFoundError):
            os.remove(backup)
    os.remove(journal_path(repo))
    return f"rolled back: {described}; every ref is as before the scrub"
