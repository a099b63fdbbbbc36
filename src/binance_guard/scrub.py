"""Rewrite history so no ref reaches a leaked secret, with git-filter-repo as the engine,
and prove that nothing but the secrets changed.

A dry run rewrites a fresh mirror clone and reports what changed there. ``--yes`` keeps such a
mirror, or (``--in-place``) rewrites the user's repository, and then only after the checks
git-filter-repo itself would make (and stricter ones): no operation in progress, no linked
worktree, a clean work tree, and a 0600 bundle backup that also holds what only reflogs reach.
Old objects and reflogs stay until the user consents (``--prune``), so nothing is destroyed.

An in-place run writes a journal (the refs before it) into the git directory first: a failure,
SIGTERM, SIGINT or a failed proof rolls the refs back to exactly that; after a SIGKILL the next
run refuses and names ``scrub --rollback``. Replacements (the secrets themselves) reach
git-filter-repo through pipes, never a file.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from importlib import metadata
from types import FrameType

from binance_guard.errors import GuardError
from binance_guard.finding import Finding
from binance_guard.history.scan import scan_history
from binance_guard.policy import Policy
from binance_guard.report.redact import strip_credentials
from binance_guard.sources import git

# No Binance, key or secret word: a marker must never give a neighbouring value key context,
# or a rescan would find what the first scan did not (scrub must be a fixed point).
MARKER = "***REMOVED***"
MIN_FILTER_REPO = (2, 38)
MIN_GIT = (2, 36)
MIN_CHUNK = 16
ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
# filter-repo's --replace-text leaves blobs with a NUL in their first 8 KiB alone (UTF-16 text
# among them): this callback gives them the same replacements (``apply``, as the proof does).
BLOB_CALLBACK = """\
if b"\\0" in blob.data[:8192]:
    for old, new in {rules!r}:
        blob.data = blob.data.replace(old, new)
"""
JOURNAL = "binance-guard-scrub.json"
TEMP_PREFIX = "binance-guard-scrub-"
IN_PROGRESS = {
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase or git am",
    "MERGE_HEAD": "a merge",
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "REVERT_HEAD": "a revert",
    "BISECT_LOG": "a bisect",
    "sequencer": "a cherry-pick or revert sequence",
}
NOTHING_CHANGED = "(nothing was changed)"


class ScrubError(GuardError, RuntimeError):
    """Scrubbing cannot proceed; the message says why and what to do."""


class Interrupted(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C, rolling back on the way out."""


@dataclasses.dataclass(frozen=True)
class Replacement:
    old: bytes
    new: bytes


def replacements(findings: Sequence[Finding]) -> list[Replacement]:
    """Literal replacements: HMAC values whole, and base64-encoded once as the scanner decodes
    them (a Kubernetes Secret's ``data:``, ``echo key | base64``: the marker's base64 keeps
    the field valid); PEM bodies by their 64-column lines, which is how they appear in a .pem
    file, a YAML block or a JSON string with \\n escapes alike. Each in UTF-8, UTF-16 and UTF-32
    (both byte orders), the encodings the scanner reads."""
    result: dict[bytes, bytes] = {}
    for finding in findings:
        pairs = [(finding.secret, MARKER)]
        if "PRIVATE KEY" in finding.secret:
            body = finding.secret.split("\n")[1]
            chunks = (body[i : i + 64] for i in range(0, len(body), 64))
            pairs = [(chunk, MARKER) for chunk in chunks if len(chunk) >= MIN_CHUNK]
        else:
            pairs += [(_b64(finding.secret + end), _b64(MARKER + end)) for end in ("", "\n")]
        for secret, marker in pairs:
            for encoding in ENCODINGS:
                result[secret.encode(encoding)] = marker.encode(encoding)
    return [Replacement(old, new) for old, new in sorted(result.items(), key=lambda i: -len(i[0]))]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def apply(data: bytes, rules: Sequence[Replacement]) -> bytes:
    for rule in rules:
        data = data.replace(rule.old, rule.new)
    return data


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def check_tools() -> None:
    try:
        filter_repo = _version(metadata.version("git-filter-repo"))
    except metadata.PackageNotFoundError:
        raise ScrubError(
            "git-filter-repo is not installed: pip install 'git-filter-repo>=2.38'"
        ) from None
    if filter_repo < MIN_FILTER_REPO:
        raise ScrubError(f"git-filter-repo {filter_repo} is too old: need >= 2.38")
    out = git.run(["--version"]).decode().split()[2]
    if _version(out) < MIN_GIT:
        raise ScrubError(f"git {out} is too old for git-filter-repo: need >= 2.36")


@dataclasses.dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclasses.dataclass
class Outcome:
    target: str
    dry_run: bool
    changed_commits: int = 0
    changed_refs: list[str] = dataclasses.field(default_factory=list)
    changed_files: set[str] = dataclasses.field(default_factory=set)
    checks: list[Check] = dataclasses.field(default_factory=list)
    backup: str | None = None
    signed: tuple[int, int] = (0, 0)  # (commits, tags) whose signatures the rewrite drops
    reflog_only: int = 0  # commits only reflogs reach: kept, and in the backup
    pruned: bool = False
    rolled_back: bool = False

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


# --- refusing what cannot be rewritten safely -------------------------------------------------


def _in_progress(repo: str) -> list[str]:
    return [what for name, what in IN_PROGRESS.items() if os.path.exists(git.git_path(repo, name))]


def _linked_worktrees(repo: str) -> list[tuple[str, bool]]:
    """(path, locked) of each linked worktree."""
    out = git.run(["worktree", "list", "--porcelain", "-z"], cwd=repo)
    records = [record.split(b"\0") for record in out.split(b"\0\0") if record.strip(b"\0")]
    return [
        (
            os.fsdecode(fields[0].removeprefix(b"worktree ")),
            any(f == b"locked" or f.startswith(b"locked ") for f in fields),
        )
        for fields in records[1:]
    ]


def _worktrees_refusal(linked: list[tuple[str, bool]]) -> str:
    """Why linked worktrees stop an in-place scrub, and the commands that clear each kind."""
    present = [(path, locked) for path, locked in linked if os.path.isdir(path)]
    gone = [(path, locked) for path, locked in linked if not os.path.isdir(path)]

    def paths(group: list[tuple[str, bool]]) -> str:
        return ", ".join(path for path, _ in group)

    def unlock(group: list[tuple[str, bool]]) -> str:
        locked = any(locked for _, locked in group)
        return " (a locked one after git worktree unlock PATH)" if locked else ""

    reasons = []
    if present:
        reasons.append(
            f"linked worktree(s) exist ({paths(present)}): their index and files would "
            "keep the secret and their HEADs would point into the old history; remove them "
            f"(git worktree remove PATH){unlock(present)} or scrub a mirror clone instead "
            "(without --in-place)"
        )
    if gone:
        reasons.append(
            f"linked worktree(s) whose directory is gone ({paths(gone)}) are still "
            "registered, their HEADs and indexes pointing into the old history: "
            f"`git worktree prune` forgets them{unlock(gone)}"
        )
    return "; ".join(reasons) + f" {NOTHING_CHANGED}"


def _hidden_from_status(repo: str) -> list[str]:
    """Files whose changes ``git status`` does not show (skip-worktree, assume-unchanged)."""
    if not git.has_worktree(repo):
        return []
    out = git.run(["ls-files", "-v", "-z"], cwd=repo)
    return [
        os.fsdecode(entry[2:])
        for entry in out.split(b"\0")
        if entry[:1] == b"S" or entry[:1].islower()
    ]


def _reflog_only(repo: str) -> list[str]:
    """Commits that only reflogs reach (reset-away work, older stash entries)."""
    out = git.run(["rev-list", "--reflog", "--not", "--all"], cwd=repo)
    return out.decode().split()


def preflight(repo: str, *, in_place: bool) -> None:
    """Refuse, changing nothing, whatever a rewrite of ``repo`` could lose or leave behind."""
    refuse_after_interruption(repo)
    if in_place:
        busy = _in_progress(repo)
        if busy:
            raise ScrubError(
                f"{' and '.join(busy)} is in progress: a rewrite would strand it (its saved "
                "commits and MERGE_HEAD would point into the old history); finish or abort it "
                "(e.g. git rebase --abort, git merge --abort, git bisect reset) "
                f"{NOTHING_CHANGED}"
            )
        hidden = _hidden_from_status(repo)
        if hidden:
            raise ScrubError(
                f"{', '.join(hidden[:5])} {'is' if len(hidden) == 1 else 'are'} marked "
                "--skip-worktree or --assume-unchanged: git status cannot vouch for them, and the "
                "rewrite's reset of the work tree would fail or overwrite them; clear the mark "
                "(git update-index --no-skip-worktree --no-assume-unchanged PATH; in a sparse "
                "checkout, git sparse-checkout disable), commit or stash, and run again, or "
                f"scrub a mirror clone instead (without --in-place) {NOTHING_CHANGED}"
            )
        linked = _linked_worktrees(repo)
        if linked:
            raise ScrubError(_worktrees_refusal(linked))
    if git.is_dirty(repo):
        raise ScrubError(
            "the working tree has uncommitted changes: commit or stash them first, so the "
            f"rewrite cannot lose work {NOTHING_CHANGED}"
        )
    odd = git.refs_to_non_commits(repo)
    if odd:
        raise ScrubError(
            f"{', '.join(odd)} point(s) at a file or tree, not a commit; git-filter-repo cannot "
            "rewrite such refs, so a secret in them would survive: delete them first (e.g. "
            f"git tag -d NAME) and run again {NOTHING_CHANGED}"
        )


def _refuse_names_holding_secrets(repo: str, rules: Sequence[Replacement]) -> None:
    """git-filter-repo rewrites contents and messages, not names: a file or ref named after a
    key would keep it in the rewritten history while every check said ok."""
    names = [*git.entry_names(repo), *(ref.encode() for ref in git.refs(repo))]
    held = sorted(
        {shown.decode(errors="replace") for n in names if (shown := apply(n, rules)) != n}
    )
    if held:
        raise ScrubError(
            f"{len(held)} file or ref name(s) hold a secret ({', '.join(held[:3])}, the secret "
            f"shown as {MARKER}): a rewrite replaces contents and messages, not names; rename "
            "them in every commit first (a branch: git branch -m; a tag: tag again and delete "
            "the old one; a file: git filter-repo --path-rename OLD:NEW), then scrub again "
            f"{NOTHING_CHANGED}"
        )


# --- signatures -----------------------------------------------------------------------------


def signed_to_lose(repo: str, findings: Sequence[Finding]) -> tuple[int, int]:
    """(signed commits, signed tags) the rewrite will change: every commit from one that
    brought a secret on, and tags whose message holds one or whose commit changes."""
    seeds: set[str] = set()
    for finding in findings:
        if finding.attribution is not None:
            seeds.add(finding.attribution.introduced.commit.sha)
            seeds.update(i.commit.sha for i in finding.attribution.reintroduced)
    out = git.run(["rev-list", "--all", "--topo-order", "--reverse", "--header"], cwd=repo)
    changed: set[str] = set()
    signed = 0
    for record in filter(None, out.split(b"\0")):
        lines = record.split(b"\n")
        sha = lines[0].decode()
        headers = lines[1 : lines.index(b"")] if b"" in lines else lines[1:]
        parents = [h[7:].decode() for h in headers if h.startswith(b"parent ")]
        if sha in seeds or any(p in changed for p in parents):
            changed.add(sha)
            signed += any(h.startswith(b"gpgsig") for h in headers)
    tags = git.run(
        [
            "for-each-ref",
            "--format=%(objectname) %(*objectname) %(contents:signature)%00",
            "refs/tags",
        ],
        cwd=repo,
    )
    signed_tags = 0
    for row in filter(None, (r.strip() for r in tags.split(b"\0"))):
        oid, _, rest = row.partition(b" ")
        target, _, signature = rest.partition(b" ")
        if signature.strip() and (oid.decode() in seeds or target.decode() in changed):
            signed_tags += 1
    return signed, signed_tags


def resign_advice(signed: tuple[int, int]) -> str:
    commits, tags = signed
    if not commits and not tags:
        return ""
    lines = [
        f"signatures: {commits} signed commit(s) and {tags} signed tag(s) will be rewritten and "
        "lose their signatures (a signature cannot survive a change to what it signs).",
        "  Re-sign after checking the result: commits with",
        "    git rebase --rebase-merges --exec 'git commit --amend --no-edit --no-verify -S' "
        "<first rewritten commit>^",
        "  and tags with  git tag -f -s <tag> <tag>^{}",
    ]
    return "\n".join(lines)


# --- temporary files, signals, the journal ------------------------------------------------------


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
def _private_dir() -> Iterator[str]:
    clean_stale_temp()
    path = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-")  # mode 0700
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


@contextlib.contextmanager
def _signals_unwind() -> Iterator[None]:
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


def _journal_path(repo: str) -> str:
    return git.git_path(repo, JOURNAL)


def _head(repo: str) -> str:
    try:
        return "ref: " + git.run(["symbolic-ref", "-q", "HEAD"], cwd=repo).decode().strip()
    except git.GitError:
        return git.run(["rev-parse", "HEAD"], cwd=repo).decode().strip()


def _write_journal(repo: str, refs: dict[str, str], backup: str | None) -> None:
    record = {
        "pid": os.getpid(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "head": _head(repo),
        "refs": refs,
        "backup": backup,
    }
    fd = os.open(_journal_path(repo), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
        handle.flush()
        os.fsync(handle.fileno())


def _read_journal(repo: str) -> dict[str, object] | None:
    try:
        with open(_journal_path(repo), encoding="utf-8") as handle:
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
        f"binance-guard scrub --rollback {git.top(repo)} {NOTHING_CHANGED}"
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
    journal = _journal_path(repo)
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
            f"the journal {_journal_path(repo)} is unreadable; restore from the backup bundle "
            f"instead: git fetch --force --update-head-ok BUNDLE 'refs/*:refs/*'"
        )
    _clear_stale_locks(repo)
    described = _describe_changes(repo, record)
    now = git.refs(repo)
    commands = [f"update {ref} {sha}" for ref, sha in before.items() if now.get(ref) != sha]
    commands += [f"delete {ref}" for ref in now if ref not in before]
    if commands:
        git.run(["update-ref", "--stdin"], cwd=repo, stdin=("\n".join(commands) + "\n").encode())
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
    os.remove(_journal_path(repo))
    return f"rolled back: {described}; every ref is as before the scrub"


# --- the backup -------------------------------------------------------------------------------


def default_backup(repo: str, stamp: str) -> str:
    top = git.top(repo)  # beside the repository, never inside its work tree
    return _unused(os.path.join(os.path.dirname(top), f"{os.path.basename(top)}.backup-{stamp}"))


def _unused(base: str, suffix: str = ".bundle") -> str:
    """``base + suffix``, or with ``-2``, ``-3``… when two runs fall in the same second."""
    path, n = base + suffix, 1
    while os.path.lexists(path):
        n += 1
        path = f"{base}-{n}{suffix}"
    return path


def _check_backup_path(repo: str, path: str) -> None:
    real = os.path.realpath(path)
    for inside in {os.path.realpath(git.top(repo)), os.path.realpath(git.git_path(repo, "."))}:
        if real == inside or real.startswith(inside + os.sep):
            raise ScrubError(
                f"--output {path} is inside the repository: the backup holds every secret and "
                f"would be committed or pushed with it; choose a path outside {NOTHING_CHANGED}"
            )
    if os.path.lexists(path):
        raise ScrubError(f"{path} already exists: choose another --output {NOTHING_CHANGED}")


def write_backup(repo: str, path: str, keep: Sequence[str], work: str) -> None:
    """A bundle of every ref and of each reflog-only commit, created 0600. A scratch
    repository borrows the objects (alternates) and holds the extra refs, so the user's
    repository gains no ref, even if this run is killed."""
    scratch = os.path.join(work, "backup.git")
    git.run(["init", "-q", "--bare", f"--object-format={git.object_format(repo)}", scratch])
    objects = git.git_path(repo, "objects")
    with open(os.path.join(scratch, "objects", "info", "alternates"), "w") as handle:
        handle.write(objects + "\n")
    rows = [f"create {ref} {sha}" for ref, sha in git.refs(repo).items()]
    rows += [f"create refs/kept-by-binance-guard/{sha} {sha}" for sha in keep]
    git.run(["update-ref", "--stdin"], cwd=scratch, stdin=("\n".join(rows) + "\n").encode())
    head = _head(repo)
    if head.startswith("ref: "):
        git.run(["symbolic-ref", "HEAD", head[5:]], cwd=scratch)
    else:
        git.run(["update-ref", "--no-deref", "HEAD", head], cwd=scratch)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            proc = subprocess.run(
                ["git", *git.OPTIONS, "bundle", "create", "-", "--all"],
                cwd=scratch,
                stdout=handle,
                stderr=subprocess.PIPE,
                check=False,
            )
        if proc.returncode != 0:
            raise ScrubError(f"backup failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    except BaseException:
        os.remove(path)
        raise


# --- the rewrite ------------------------------------------------------------------------------


def _feed(data: bytes) -> tuple[int, threading.Thread]:
    """A pipe git-filter-repo reads replacements from: the secrets never touch a disk."""
    read_end, write_end = os.pipe()

    def write() -> None:
        with contextlib.suppress(BrokenPipeError), os.fdopen(write_end, "wb") as handle:
            handle.write(data)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return read_end, thread


def _filter_repo(repo: str, rules: Sequence[Replacement], *, fresh_clone: bool) -> None:
    # A previous run's state would make filter-repo merge its old commit map into this one
    # (or, a day later, ask a hidden Y/N question): each scrub is a run of its own.
    shutil.rmtree(git.git_path(repo, "filter-repo"), ignore_errors=True)
    literals = b"".join(b"literal:" + r.old + b"==>" + r.new + b"\n" for r in rules)
    text_fd, text_writer = _feed(literals)
    message_fd, message_writer = _feed(literals)
    callback = BLOB_CALLBACK.format(rules=[(r.old, r.new) for r in rules])
    blob_fd, blob_writer = _feed(callback.encode())
    # --partial rewrites every ref where it stands (no refs/remotes/origin/* -> refs/heads/*
    # migration, origin kept for the push) and leaves reflogs and old objects alone. --force
    # only replaces filter-repo's fresh-clone test when ours held: preflight passed and the
    # backup (with reflog-only commits) exists. Empty and degenerate commits are kept.
    args = [
        sys.executable,
        "-m",
        "git_filter_repo",
        *([] if fresh_clone else ["--force"]),
        "--quiet",
        "--partial",
        "--replace-text",
        f"/dev/fd/{text_fd}",
        "--replace-message",
        f"/dev/fd/{message_fd}",
        "--blob-callback",
        f"/dev/fd/{blob_fd}",
        "--prune-empty",
        "never",
        "--prune-degenerate",
        "never",
        "--preserve-commit-hashes",
        "--preserve-commit-encoding",
    ]
    try:
        proc = subprocess.Popen(
            args,
            cwd=repo,
            pass_fds=(text_fd, message_fd, blob_fd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own group: stopped whole, fast-import included
            env={**os.environ, "GIT_NO_REPLACE_OBJECTS": "1"},  # the objects git pushes
        )
    finally:
        os.close(text_fd)
        os.close(message_fd)
        os.close(blob_fd)
    try:
        _, stderr = proc.communicate()
    except BaseException:
        # Interrupted: stop filter-repo and its git fast-import, which would otherwise finish
        # on its own and move refs after the rollback.
        _stop_group(proc)
        raise
    finally:
        text_writer.join(timeout=5)
        message_writer.join(timeout=5)
        blob_writer.join(timeout=5)
    if proc.returncode != 0:
        err = stderr.decode("utf-8", "replace").strip()
        for rule in rules:  # filter-repo may echo expressions: never show them
            err = err.replace(rule.old.decode(), "<secret>")
        raise ScrubError(f"git-filter-repo failed: {err}")


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process group and wait until none of it runs. SIGTERM first: git removes its
    lock files (``index.lock`` of filter-repo's ``reset``) on SIGTERM, never on SIGKILL, and a
    lock left behind would make the rollback fail; SIGKILL for whatever is left after that."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        deadline = time.monotonic() + 5.0
        while _group_alive(proc) and time.monotonic() < deadline:
            time.sleep(0.02)
        if not _group_alive(proc):
            return


def _group_alive(proc: subprocess.Popen[bytes]) -> bool:
    """Whether a process of ``proc``'s group still runs (zombies do not count)."""
    if proc.poll() is None:
        return True
    try:
        entries = os.listdir("/proc")
    except OSError:  # not Linux: the leader is gone, give its children a moment
        time.sleep(0.2)
        return False
    for entry in filter(str.isdigit, entries):
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == proc.pid and fields[0] != b"Z":  # pgrp, state
            return True
    return False


def prune(repo: str) -> None:
    """Only with the user's consent: forget reflogs and delete the old objects."""
    git.run(["reflog", "expire", "--expire=now", "--all"], cwd=repo)
    git.run(["gc", "--quiet", "--prune=now"], cwd=repo)


# --- the proof --------------------------------------------------------------------------------


def prove(
    original: str,
    rewritten: str,
    rules: Sequence[Replacement],
    *,
    found: set[str],
    scrubbed: set[str],
    before: dict[str, int],
    policy: Policy,
    max_bytes: int,
    outcome: Outcome,
) -> None:
    """No secret left, no new finding, no commit lost, nothing changed outside replaced spans.
    The rescan is the first scan again (same detection, every object, same limits)."""
    after = {f.fingerprint for f in scan_history(rewritten, None, policy, max_bytes).findings}
    left, new = after & scrubbed, after - found
    outcome.checks.append(
        Check(
            "no ref reaches a scrubbed secret",
            not left and not new,
            "history rescanned: none found"
            if not left and not new
            else f"{len(left)} still reachable, {len(new)} new finding(s)",
        )
    )
    counts = git.commit_counts(rewritten, list(before))
    lost = [r for r in before if counts.get(r) != before[r]]
    outcome.checks.append(
        Check(
            "commits per ref unchanged",
            not lost,
            f"{len(before)} refs, {sum(before.values())} commits counted"
            if not lost
            else "changed: " + ", ".join(f"{r} {before[r]}->{counts.get(r)}" for r in lost),
        )
    )
    mapping = git.commit_map(rewritten)
    outcome.changed_commits = len(mapping)
    bad: list[str] = []
    same: dict[tuple[str, str], bool] = {}
    for old, new_commit in mapping.items():
        old_text = git.identity_and_message(original, old)
        if apply(old_text, rules) != git.identity_and_message(rewritten, new_commit):
            bad.append(f"{old[:12]}: author, committer or message differ")
        old_tree = git.tree_entries(original, old)
        new_tree = git.tree_entries(rewritten, new_commit)
        if old_tree.keys() != new_tree.keys():
            bad.append(f"{old[:12]}: file list differs")
            continue
        differing = [p for p in old_tree if old_tree[p] != new_tree[p]]
        # A rewritten blob is in every later commit's tree: each (old, new) pair is compared
        # once, where comparing it again per commit made the proof cubic in the keys.
        pairs = {
            (old_tree[p][1], new_tree[p][1]) for p in differing if old_tree[p][0] == new_tree[p][0]
        } - same.keys()
        if pairs:
            olds = git.blob_contents([a for a, _ in pairs], cwd=original)
            news = git.blob_contents([b for _, b in pairs], cwd=rewritten)
            same.update({(a, b): apply(olds[a], rules) == news[b] for a, b in pairs})
        for path in differing:
            if old_tree[path][0] != new_tree[path][0]:
                bad.append(f"{old[:12]}:{path}: mode differs")
            elif not same[(old_tree[path][1], new_tree[path][1])]:
                bad.append(f"{old[:12]}:{path}: content differs outside the secrets")
            else:
                outcome.changed_files.add(path)
    outcome.checks.append(
        Check(
            "every file identical except the replaced spans",
            not bad,
            f"{len(mapping)} rewritten commits compared tree by tree"
            if not bad
            else "; ".join(bad[:5]),
        )
    )


# --- the whole run ----------------------------------------------------------------------------


def scrub(
    repo: str,
    findings: Sequence[Finding],
    policy: Policy,
    *,
    found: set[str],
    in_place: bool,
    apply_changes: bool,
    output: str | None,
    prune_old: bool,
    max_bytes: int,
    say: Callable[[str], None],
) -> Outcome:
    """``found``: the fingerprints the first scan reported (the rescan may find no other)."""
    check_tools()
    preflight(repo, in_place=in_place)
    rules = replacements(findings)
    _refuse_names_holding_secrets(repo, rules)
    scrubbed = {f.fingerprint for f in findings}
    refs_before = git.refs(repo)
    before = git.commit_counts(repo, list(refs_before))
    signed = signed_to_lose(repo, findings)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if apply_changes and in_place:
        backup = os.path.abspath(output or default_backup(repo, stamp))
        _check_backup_path(repo, backup)
    elif apply_changes:
        mirror = output or _unused(os.path.abspath(repo).rstrip("/") + f".scrubbed-{stamp}", ".git")
        if os.path.exists(mirror):
            raise ScrubError(f"{mirror} already exists: choose another --output {NOTHING_CHANGED}")
    if apply_changes and signed != (0, 0):
        say(resign_advice(signed))
    with _private_dir() as work, _signals_unwind():
        if apply_changes and in_place:
            outcome = _in_place(
                repo,
                rules,
                found,
                scrubbed,
                before,
                refs_before,
                policy,
                max_bytes,
                backup,
                work,
                prune_old=prune_old,
                say=say,
            )
        else:
            target = mirror if apply_changes else os.path.join(work, "dry-run.git")
            outcome = Outcome(target=target, dry_run=not apply_changes)
            try:
                git.run(
                    [
                        "clone",
                        "-q",
                        "--mirror",
                        "--no-local",
                        "--end-of-options",
                        os.path.abspath(repo),
                        target,
                    ]
                )
                _filter_repo(target, rules, fresh_clone=True)
                _finish(
                    repo,
                    target,
                    rules,
                    found,
                    scrubbed,
                    before,
                    refs_before,
                    policy,
                    max_bytes,
                    outcome,
                )
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)  # a half-made mirror helps no one
                raise
            if apply_changes and outcome.ok:
                prune(target)  # our own copy: the old objects are still in the original
                outcome.pruned = True
    outcome.signed = signed
    return outcome


def _finish(
    original: str,
    target: str,
    rules: Sequence[Replacement],
    found: set[str],
    scrubbed: set[str],
    before: dict[str, int],
    refs_before: dict[str, str],
    policy: Policy,
    max_bytes: int,
    outcome: Outcome,
) -> None:
    refs_after = git.refs(target)
    outcome.changed_refs = [r for r in refs_before if refs_after.get(r) != refs_before[r]]
    prove(
        original,
        target,
        rules,
        found=found,
        scrubbed=scrubbed,
        before=before,
        policy=policy,
        max_bytes=max_bytes,
        outcome=outcome,
    )
    if outcome.ok:
        outcome.changed_refs += _carry_notes(target)


def _in_place(
    repo: str,
    rules: Sequence[Replacement],
    found: set[str],
    scrubbed: set[str],
    before: dict[str, int],
    refs_before: dict[str, str],
    policy: Policy,
    max_bytes: int,
    backup: str,
    work: str,
    *,
    prune_old: bool,
    say: Callable[[str], None],
) -> Outcome:
    """Journal, backup, rewrite, proof; any failure or signal rolls the refs back. The old
    objects stay in the repository until the proof passed, so it compares against them."""
    keep = _reflog_only(repo)
    _write_journal(repo, refs_before, backup)
    outcome = Outcome(target=git.top(repo), dry_run=False, backup=backup, reflog_only=len(keep))
    try:
        write_backup(repo, backup, keep, work)
        say(f"backup of all refs written to {backup} (restore: git clone {backup})")
        stashes = _stash_log(repo)
        _filter_repo(repo, rules, fresh_clone=False)
        _restore_stash_list(repo, stashes)
        _finish(repo, repo, rules, found, scrubbed, before, refs_before, policy, max_bytes, outcome)
    except BaseException as exc:
        say(_rolled_back(repo, exc))
        raise
    if not outcome.ok:
        say(_rolled_back(repo, None))
        outcome.rolled_back = True
        return outcome
    os.remove(_journal_path(repo))
    if prune_old:
        prune(repo)
        outcome.pruned = True
    return outcome


def _stash_log(repo: str) -> list[str]:
    if not git.has_worktree(repo):
        return []
    try:
        return (
            git.run(["reflog", "show", "--format=%H", "refs/stash", "--"], cwd=repo)
            .decode()
            .split()
        )
    except git.GitError:
        return []


def _restore_stash_list(repo: str, before: list[str]) -> None:
    """Moving refs/stash logs the rewritten entry on top of the old one: drop the old one so
    ``git stash list`` reads as before (it stays in the backup, and its objects here)."""
    after = _stash_log(repo)
    if before and after[1:] == before and after[0] != before[0]:
        git.run(["reflog", "delete", "--rewrite", "refs/stash@{1}"], cwd=repo)


def _rolled_back(repo: str, exc: BaseException | None) -> str:
    if exc is None:
        why = "the proof failed"
    elif isinstance(exc, (Interrupted, KeyboardInterrupt)):
        why = f"interrupted by {exc or 'SIGINT'}"
    else:
        why = "the rewrite failed"
    try:
        return f"binance-guard: {why}; {rollback(repo)}"
    except (GuardError, OSError) as failure:
        return (
            f"binance-guard: {why}; automatic rollback failed ({failure}); run: "
            f"binance-guard scrub --rollback {git.top(repo)}"
        )


def _carry_notes(repo: str) -> list[str]:
    """git notes are keyed by commit id: move them to the rewritten commits (after the
    checks, which compare commits only), then drop the ones left on vanished commits."""
    mapping = "".join(f"{old} {new}\n" for old, new in git.commit_map(repo).items())
    out = git.run(["for-each-ref", "--format=%(refname)", "refs/notes/"], cwd=repo)
    moved = []
    for ref in os.fsdecode(out).split():
        before = git.run(["rev-parse", ref], cwd=repo)
        git.run(["notes", f"--ref={ref}", "copy", "--stdin"], cwd=repo, stdin=mapping.encode())
        git.run(["notes", f"--ref={ref}", "prune"], cwd=repo)
        if git.run(["rev-parse", ref], cwd=repo) != before:
            moved.append(ref)
    return moved


def push_remote(repo: str, in_place: bool) -> str:
    """Where the user's branches live. A mirror's own origin is the local clone it was made
    from, so its pushes name the clone's origin URL; in place, the remote by name (origin,
    or the only one there is), and a placeholder when there is none to guess."""
    try:
        if not in_place:  # a token in the URL is not printed: git asks for it again
            url = git.run(["remote", "get-url", "origin"], cwd=repo).decode().strip()
            return strip_credentials(url)
        names = git.run(["remote"], cwd=repo).decode().split()
    except git.GitError:
        return "<your-remote-url>"
    if "origin" in names:
        return "origin"
    return names[0] if len(names) == 1 else "<your-remote>"


def next_steps(outcome: Outcome, remote: str) -> str:
    where = "git " if outcome.dry_run else f"git -C {outcome.target} "
    lines = [
        "Next steps, in this order:",
        "  1. Revoke the keys first: delete them in Binance (Profile > API Management) and",
        "     create new ones. Rewriting history does not un-leak a key that was pushed.",
        "  2. Push every rewritten branch and tag (and notes):",
    ]
    pushes = {
        ref: ref
        for ref in outcome.changed_refs
        if ref.startswith(("refs/heads/", "refs/tags/", "refs/notes/"))
    }
    # A fresh clone has most branches only as origin's remote-tracking refs: those were
    # rewritten too, and the remote keeps the secrets unless they are pushed as well.
    for ref in outcome.changed_refs:
        branch = ref.removeprefix("refs/remotes/origin/")
        if branch != ref and branch != "HEAD" and f"refs/heads/{branch}" not in pushes.values():
            pushes[ref] = f"refs/heads/{branch}"
    for source, destination in pushes.items():
        lines.append(f"       {where}push --force {remote} {source}:{destination}")
    lines += [
        "  3. Every collaborator must re-clone (a pull would bring the old history back).",
        "  4. Hosted copies keep the old commits: pull-request refs, forks and caches need the",
        "     host's support to purge (GitHub: contact support with the affected commit ids).",
    ]
    if outcome.backup:
        lines += [
            f"  5. The backup {outcome.backup} (mode 0600) holds the whole history as it was,",
            "     every removed secret included"
            + (
                f", and {outcome.reflog_only} commit(s) only reflogs reached"
                if outcome.reflog_only
                else ""
            )
            + ". Keep it off shared",
            "     disks; delete it once the keys are revoked and the pushed history checked:",
            f"       rm {outcome.backup}",
        ]
    if outcome.backup and not outcome.pruned:
        lines += [
            "  6. This repository still holds the old objects (reflogs, stash entries, old",
            "     commits; never pushed by git). Once you no longer need them:",
            f"       {where}reflog expire --expire=now --all && {where}gc --prune=now",
        ]
    return "\n".join(lines)
