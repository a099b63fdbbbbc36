"""Running git: one place that turns git's failures into errors a person can act on."""

from __future__ import annotations

import os
import re
import stat

from binance_guard.errors import GuardError
from binance_guard.record import record
from binance_guard.regex import compile_later
from binance_guard.sources import process

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Mapping, Sequence
    from typing import IO

READ_BUFFER = 1 << 20
# For git reading much of a repository (history's readers and walks): the pack mapped in
# windows of 16 MiB, 64 MiB at once. By default (1 GiB windows, up to 8 GiB) every page it
# had touched stayed mapped and counted in its RSS (reading all of freqtrade: 377 MiB RSS ->
# 179 MiB, the same CPU time).
PACK_WINDOWS = ("-c", "core.packedGitWindowSize=16m", "-c", "core.packedGitLimit=64m")

# Before every command: paths unquoted; objects as they are, not as ``git replace`` shows them
# locally (push, clone and fetch send the originals: a leaky commit replaced by a clean twin
# was invisible to history and pre-push, and still pushed); no core.fsmonitor command (a
# scanned directory's own .git/config names it, and git runs it to list the work tree).
OPTIONS = ("-c", "core.quotePath=false", "-c", "core.fsmonitor=false", "--no-replace-objects")

# A commit id: SHA-1 or SHA-256, full length (what event payloads and git's plumbing give).
OBJECT_ID = compile_later(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
# What git check-ref-format refuses anywhere in a name, or at its start or end.
_BAD_IN_REF = compile_later(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.|\.lock/")
# Revision-selecting options this package itself puts in a revision list; everything else
# in the list is a revision (after --end-of-options, so "--upload-pack=..." is just a bad name).
_SELECTORS = ("--all", "--not", "--branches", "--tags", "--remotes")
_SELECTOR_PREFIXES = ("--branches=", "--tags=", "--remotes=", "--exclude=", "--glob=")


class GitError(GuardError, RuntimeError):
    """git failed or is missing; the message says what to do."""


def is_ref_name(name: str) -> bool:
    """A name git accepts for a branch or ref (check-ref-format --branch): safe to pass on."""
    return (
        bool(name)
        and name != "@"
        and not _BAD_IN_REF.search(name)
        and not name.startswith(("-", "/", "."))
        and not name.endswith(("/", ".", ".lock"))
    )


def revisions(revs: Sequence[str]) -> list[str]:
    """rev-list/log arguments for ``revs`` with every revision after ``--end-of-options``.

    Only the selectors above stay options; their order is kept (``--exclude`` applies to the
    next selector) and a revision that followed ``--not`` keeps its meaning as ``^rev``.
    """
    options: list[str] = []
    values: list[str] = []
    negated = False
    for rev in revs:
        if rev == "--not":
            negated = not negated
            options.append(rev)
        elif rev in _SELECTORS or rev.startswith(_SELECTOR_PREFIXES):
            options.append(rev)
        elif negated:
            values.append(rev[1:] if rev.startswith("^") else f"^{rev}")
        else:
            values.append(rev)
    return [*options, *(["--not"] if negated else []), "--end-of-options", *values]


def run(
    args: Sequence[str],
    cwd: str | None = None,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    return run_with_warnings(args, cwd, stdin, env)[0]


def run_with_warnings(
    args: Sequence[str],
    cwd: str | None = None,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[bytes, str]:
    """stdout, and what git said on stderr though it succeeded (``warning: could not open
    directory``: ls-files skips what it cannot read and exits 0)."""
    # -C, not a working directory: os.posix_spawnp has none (see sources/process.py)
    where = ["-C", cwd] if cwd is not None else []
    try:
        code, out, err = process.run(
            ["git", *where, *OPTIONS, *args],
            stdin=stdin,
            env={**os.environ, **env} if env else None,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if code != 0:
        message = err.decode("utf-8", "replace").strip() or f"exit {code}"
        raise GitError(f"git {' '.join(args[:2])} failed: {message}")
    return out, err.decode("utf-8", "surrogateescape")


def toplevel(path: str) -> str | None:
    """The work tree containing ``path``, or None outside any repository."""
    directory = path if os.path.isdir(path) else os.path.dirname(path) or "."
    try:
        out = run(["rev-parse", "--show-toplevel"], cwd=directory)
    except GitError:
        return None
    return os.fsdecode(out.rstrip(b"\n")) or None


def blob_contents(object_ids: Sequence[str], cwd: str | None = None) -> dict[str, bytes]:
    """Contents of a few blobs, in memory, with one ``git cat-file --batch`` (for many, stream
    them with :func:`binance_guard.sources.objects.stream_blobs`)."""
    if not object_ids:
        return {}
    out = run(
        ["cat-file", "--batch"], cwd=cwd, stdin="".join(f"{o}\n" for o in object_ids).encode()
    )
    return parse_batch(out, object_ids)


def blob_sizes(object_ids: Sequence[str], cwd: str) -> dict[str, int]:
    """The sizes of blobs, without reading them (one ``cat-file --batch-check``)."""
    stdin = "".join(f"{o}\n" for o in object_ids).encode()
    out = run(["cat-file", "--batch-check=%(objectname) %(objectsize)"], cwd=cwd, stdin=stdin)
    rows = [line.split() for line in out.decode().splitlines()]
    return {row[0]: int(row[1]) for row in rows if len(row) == 2 and row[1].isdigit()}


def parse_batch(out: bytes, object_ids: Sequence[str]) -> dict[str, bytes]:
    """What ``git cat-file --batch`` answered to ``object_ids``: contents by id, missing
    objects left out."""
    blobs: dict[str, bytes] = {}
    pos = 0
    for oid in object_ids:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].split()
        if header[-1] == b"missing":
            pos = header_end + 1
            continue
        size = int(header[2])
        start = header_end + 1
        blobs[oid] = out[start : start + size]
        pos = start + size + 1
    return blobs


def succeeds(args: Sequence[str], cwd: str) -> bool:
    """Whether a git question (``cat-file -e``, ``merge-base --is-ancestor``…) answers yes."""
    try:
        run(args, cwd=cwd)
    except GitError:
        return False
    return True


def is_git_dir(path: str) -> bool:
    """A bare repository or a .git directory: objects, not files to scan as text."""
    try:
        return run(["rev-parse", "--is-inside-git-dir"], cwd=path).strip() == b"true"
    except GitError:
        return False


def has_commit(repo: str, sha: str) -> bool:
    return succeeds(["cat-file", "-e", "--end-of-options", f"{sha}^{{commit}}"], repo)


def has_ref(repo: str, ref: str) -> bool:
    return succeeds(["rev-parse", "--verify", "-q", "--end-of-options", ref], repo)


def resolve(repo: str, rev: str) -> str | None:
    """The object ``rev`` names, None if it names none (HEAD of an empty or bare repository)."""
    try:
        return (
            run(["rev-parse", "--verify", "-q", "--end-of-options", rev], cwd=repo).decode().strip()
        )
    except GitError:
        return None


def is_bare(repo: str) -> bool:
    return run(["rev-parse", "--is-bare-repository"], cwd=repo).strip() == b"true"


def object_format(repo: str) -> str:
    """``sha1`` or ``sha256``: a repository made beside this one must use the same ids."""
    return run(["rev-parse", "--show-object-format"], cwd=repo).strip().decode()


def is_shallow(repo: str) -> bool:
    return run(["rev-parse", "--is-shallow-repository"], cwd=repo).strip() == b"true"


def has_commits(repo: str) -> bool:
    return bool(run(["rev-list", "-n", "1", "--all"], cwd=repo).strip())


def stash_commits(repo: str) -> list[str]:
    """The stash's entries, newest (stash@{0}, refs/stash) first; none without a stash. The
    older ones live only in refs/stash's reflog, which ``--all`` does not read."""
    out = run(["rev-list", "--walk-reflogs", "--ignore-missing", "refs/stash", "--"], cwd=repo)
    return out.decode().split()


def detached_worktrees(repo: str) -> list[tuple[str, str]]:
    """(HEAD, path) of each other work tree of the repository whose HEAD is detached: ``--all``
    walks those HEADs, and no ref names them. None where git cannot say (-z: git 2.36)."""
    try:
        out = run(["worktree", "list", "--porcelain", "-z"], cwd=repo)
    except GitError:
        return []
    here = os.path.realpath(repo)
    found = []
    for entry in out.split(b"\0\0"):
        fields = dict(f.partition(b" ")[::2] for f in entry.strip(b"\0").split(b"\0") if f)
        path = os.fsdecode(fields.get(b"worktree", b""))
        if b"detached" in fields and b"HEAD" in fields and os.path.realpath(path) != here:
            found.append((fields[b"HEAD"].decode(), path))
    return found


def count_commits(repo: str, revs: Sequence[str]) -> int:
    return int(run(["rev-list", "--count", *revisions(revs), "--"], cwd=repo).strip())


def open_repo(path: str) -> tuple[str, bool]:
    """(directory to run git in, whether it has a work tree); GitError if not a repository."""
    if not os.path.isdir(path):
        raise GitError(f"{path}: not a directory")
    try:
        bare = is_bare(path)
    except GitError:
        raise GitError(f"{path}: not a git repository") from None
    if bare:
        return path, False
    return os.fsdecode(run(["rev-parse", "--show-toplevel"], cwd=path).strip()), True


@record(frozen=True)
class Tree:
    blobs: dict[str, str]  # path -> blob id
    gitlinks: list[str]  # submodule paths


def tree(repo: str, rev: str = "HEAD") -> Tree:
    """A commit's files and submodules, from one ``ls-tree``; empty if there is no such commit."""
    try:
        out = run(["ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev], cwd=repo)
    except GitError:
        return Tree({}, [])
    found = Tree({}, [])
    for entry in filter(None, out.split(b"\0")):
        meta, _, raw_path = entry.partition(b"\t")
        _mode, kind, oid = meta.split()
        path = os.fsdecode(raw_path)
        if kind == b"blob":
            found.blobs[path] = oid.decode()
        elif kind == b"commit":
            found.gitlinks.append(path)
    return found


@record(frozen=True)
class RefFiles:
    refs: list[tuple[bytes, bytes]]  # (name, object id), in for-each-ref's order
    head: bytes  # the ref HEAD names, or the object id it holds when detached
    detached: bool


_OID = compile_later(rb"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_LOOSE_REF = compile_later(rb"(?:ref: (refs/.+)|([0-9a-f]{40}(?:[0-9a-f]{24})?))\n?")


def ref_files(repo: str) -> RefFiles | None:
    """What ``for-each-ref`` and HEAD say, read from a repository's files without starting
    git (a fleet checks hundreds of repositories for changes). None for anything but plain
    files refs (a linked work tree, reftable, a symlink, a broken or oddly named ref, GIT_DIR
    set): ask git then. Loose refs are read before packed-refs, as git does, so that a
    concurrent ``pack-refs`` cannot hide a ref."""
    dot_git = os.path.join(repo, ".git")
    gitdir = dot_git if os.path.lexists(dot_git) else repo
    if (
        os.path.islink(gitdir)
        or not os.path.isdir(os.path.join(gitdir, "refs"))
        or any(os.path.lexists(os.path.join(gitdir, f)) for f in ("commondir", "reftable"))
        or any(v in os.environ for v in ("GIT_DIR", "GIT_COMMON_DIR", "GIT_REF_STORAGE"))
    ):
        return None
    try:
        head = _LOOSE_REF.fullmatch(_read_regular(os.path.join(gitdir, "HEAD")))
        loose: dict[bytes, re.Match[bytes]] = {}
        top = os.path.join(os.fsencode(gitdir), b"refs")
        for directory, dirs, files in os.walk(top, onerror=_raise):
            if any(os.path.islink(os.path.join(directory, d)) for d in dirs):
                return None
            for file in files:
                path = os.path.join(directory, file)
                name = b"refs" + path[len(top) :]
                match = _LOOSE_REF.fullmatch(_read_regular(path))
                if match is None or not is_ref_name(os.fsdecode(name)):
                    return None
                loose[name] = match
        try:
            lines = _read_regular(os.path.join(gitdir, "packed-refs")).splitlines()
        except FileNotFoundError:
            lines = []
    except (OSError, ValueError):
        return None
    packed: dict[bytes, bytes] = {}
    for line in lines:
        if not line.startswith((b"#", b"^")):
            oid, _, name = line.partition(b" ")
            if not _OID.fullmatch(oid) or not is_ref_name(os.fsdecode(name)):
                return None
            packed[name] = oid
    if head is None or (head[1] and not is_ref_name(os.fsdecode(head[1]))):
        return None

    def resolve(name: bytes, depth: int = 0) -> bytes | None:
        match = loose.get(name)
        if match is None:
            return packed.get(name)
        if match[2] is not None:
            return match[2]
        return resolve(match[1], depth + 1) if depth < 5 else None

    refs = []
    for name in sorted(loose.keys() | packed.keys()):
        target = resolve(name)
        if target is None:  # a dangling symbolic ref: git warns and skips it
            return None
        refs.append((name, target))
    return RefFiles(refs, head[1] or head[2], head[2] is not None)


def _raise(error: OSError) -> None:
    raise error


def _read_regular(path: str | bytes) -> bytes:
    """A file's bytes; ValueError for a symlink or anything but a regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(path)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def popen(
    args: Sequence[str],
    cwd: str,
    stdin: IO[bytes] | int | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """A streaming git process; pair with :func:`wait` to surface its failure."""
    import subprocess  # here: run() is on the commit hook's path, streams are not

    try:
        return subprocess.Popen(
            ["git", *OPTIONS, *args],
            cwd=cwd,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=READ_BUFFER,
            env={**os.environ, **env} if env else None,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None


class Spool:
    """A git command running alongside other work, its output going to a temporary file:
    nothing waits on a pipe, and the output sits in the page cache, not in our memory."""

    def __init__(self, args: Sequence[str], cwd: str, what: str) -> None:
        import subprocess  # here: sources.git is on the commit hook's path, spools are not
        import tempfile

        self.what = what
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self._proc: subprocess.Popen[bytes] = subprocess.Popen(
                ["git", *OPTIONS, *args],
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=self._out,
                stderr=self._err,
            )
        except FileNotFoundError:
            self.close()
            raise GitError("git is not installed or not on PATH") from None

    def output(self) -> IO[bytes]:
        """The whole output, once git has finished (GitError if it failed)."""
        if self._proc.wait() != 0:
            self._err.seek(0)
            message = self._err.read().decode("utf-8", "replace").strip()
            raise GitError(f"{self.what} failed: {message}")
        self._out.seek(0)
        return self._out

    def close(self) -> None:
        """Stop git if it still runs (its output was not needed) and drop the output."""
        if getattr(self, "_proc", None) is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._out.close()
        self._err.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def wait(proc: subprocess.Popen[bytes], what: str) -> None:
    stderr = proc.stderr.read() if proc.stderr else b""
    if proc.wait() != 0:
        raise GitError(f"{what} failed: {stderr.decode('utf-8', 'replace').strip()}")


# --- repository state (what scrub checks, records and compares) -------------------------------


def has_worktree(repo: str) -> bool:
    return run(["rev-parse", "--is-bare-repository"], cwd=repo).strip() != b"true"


def top(repo: str) -> str:
    """The work tree's top directory, or the repository itself when bare."""
    if not has_worktree(repo):
        return os.path.abspath(repo).rstrip("/")
    return os.fsdecode(run(["rev-parse", "--show-toplevel"], cwd=repo).strip())


def git_path(repo: str, name: str) -> str:
    """Absolute path of ``name`` inside the repository's (worktree-aware) git directory."""
    path = os.fsdecode(run(["rev-parse", "--git-path", name], cwd=repo).rstrip(b"\n"))
    return os.path.abspath(os.path.join(repo, path))


def is_dirty(repo: str) -> bool:
    return has_worktree(repo) and bool(run(["status", "--porcelain"], cwd=repo).strip())


def refs(repo: str) -> dict[str, str]:
    """Every ref but symbolic ones (``refs/remotes/origin/HEAD``), with its target."""
    out = run(["for-each-ref", "--format=%(refname) %(objectname) %(symref)"], cwd=repo).decode()
    rows = [line.split(" ") for line in out.splitlines()]
    return {row[0]: row[1] for row in rows if not row[2]}


def refs_to_non_commits(repo: str) -> list[str]:
    """Refs that reach no commit: to a tree or a blob, directly or through tags."""
    out = run(
        ["for-each-ref", "--format=%(refname) %(objecttype) %(*objecttype)"], cwd=repo
    ).decode()
    rows = [line.split(" ") for line in out.splitlines()]
    kinds = {row[0]: row[2] or row[1] for row in rows}
    nested = [ref for ref, kind in kinds.items() if kind == "tag"]  # %(*...) peels one tag
    if nested:
        peeled = run(
            ["cat-file", "--batch-check=%(objecttype)"],
            cwd=repo,
            stdin="".join(f"{ref}^{{}}\n" for ref in nested).encode(),
        ).decode()
        kinds.update(zip(nested, peeled.split(), strict=True))
    return [ref for ref, kind in kinds.items() if kind != "commit"]


def paths_changed(repo: str, revs: Sequence[str], paths: Sequence[str]) -> list[str]:
    """Which of ``paths`` the commits ``revs`` select change."""
    out = run(["log", "--format=", "--name-only", *revisions(revs), "--", *paths], cwd=repo)
    return sorted({os.fsdecode(name) for name in out.split(b"\n") if name})


def commit_of(repo: str, rev: str) -> str:
    """The id of the commit ``rev`` names now (a ref can move while a run reads it)."""
    out = run(["rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}"], cwd=repo)
    return out.strip().decode()


def empty_tree(repo: str) -> str:
    """The id of the tree with nothing in it, which every repository has: the settings of a
    range with no commit to trust are those of no file."""
    return run(["hash-object", "-t", "tree", "--stdin"], cwd=repo, stdin=b"").strip().decode()


def file_at(repo: str, commit: str, path: str) -> bytes | None:
    """The file at ``path`` (relative to the top) in ``commit``'s tree, from git's objects and
    not the work tree; None when the tree has no such entry. A directory, link or submodule
    there is a GitError: taken for absent, other settings would apply without a word."""
    listed = run(
        ["ls-tree", "-z", "--full-tree", "--end-of-options", commit, "--", path],
        cwd=repo,
        env={"GIT_LITERAL_PATHSPECS": "1"},
    )
    entry = listed.split(b"\0")[0]
    if not entry:
        return None
    meta, _, _name = entry.partition(b"\t")
    mode, _kind, oid = meta.split()
    if mode not in (b"100644", b"100755"):
        raise GitError(f"{path} in commit {commit[:12]}: not a file")
    return blob_contents([oid.decode()], cwd=repo)[oid.decode()]


def changes_matching(
    repo: str, revs: Sequence[str], regex: str
) -> list[tuple[str, str, str | None, str]]:
    """(commit, path, blob before or None, blob after) of each file the commits ``revs``
    select change with an added or removed line matching the extended ``regex``, case
    ignored (a first sieve: the caller reads the lines); oldest first. Merges are not diffed."""
    out = run(
        [
            *("log", "-z", "--raw", "--no-abbrev", "--no-renames", "--no-textconv"),
            *("--reverse", "--format=%x00%H", "-i", f"-G{regex}", *revisions(revs), "--"),
        ],
        cwd=repo,
    )
    changes: list[tuple[str, str, str | None, str]] = []
    commit, meta = "", b""
    for token in out.split(b"\0"):
        if meta:  # the path after a change's modes and ids, whatever it looks like
            _old_mode, new_mode, old, new, _status = meta.split()
            if new_mode in (b"100644", b"100755"):
                before = None if old.strip(b"0") == b"" else old.decode()
                changes.append((commit, os.fsdecode(token), before, new.decode()))
            meta = b""
        elif token.lstrip(b"\n").startswith(b":"):
            meta = token.lstrip(b"\n")[1:]
        elif token:
            commit = token.decode()
    return changes


def reachable_objects(repo: str, revs: Sequence[str]) -> set[str]:
    """Every object ``revs`` reach (for a few refs: those naming a tree or blob)."""
    out = run(
        ["rev-list", "--objects", "--no-object-names", "--missing=allow-any", *revisions(revs)],
        cwd=repo,
    )
    return set(out.decode().split())


def entry_names(repo: str) -> set[bytes]:
    """The name of every entry of every tree the refs reach: each file and directory name the
    history holds (``rev-list --objects`` names an object once, under one of its paths)."""
    listed = run(
        ["rev-list", "--objects", "--all", "--no-object-names", "--filter=object:type=tree"],
        cwd=repo,
    )
    typed = run(  # commits and tags are listed too, whatever the filter
        ["cat-file", "--batch-check=%(objecttype) %(objectname)"], cwd=repo, stdin=listed
    ).decode()
    trees = [line[5:] for line in typed.splitlines() if line.startswith("tree ")]
    size = 32 if object_format(repo) == "sha256" else 20
    names: set[bytes] = set()
    for start in range(0, len(trees), 10_000):  # a few MiB in memory at a time
        for data in blob_contents(trees[start : start + 10_000], cwd=repo).values():
            pos = 0
            while pos < len(data):  # entries: "<mode> <name>\0<id>"
                end = data.index(b"\0", pos)
                names.add(data[data.index(b" ", pos) + 1 : end])
                pos = end + 1 + size
    return names


def commit_map(repo: str) -> dict[str, str]:
    """Old commit -> new commit for each commit git-filter-repo's last run changed."""
    with open(git_path(repo, "filter-repo/commit-map"), encoding="ascii") as handle:
        rows = [line.split() for line in handle.read().splitlines()[1:]]
    return {old: new for old, new in rows if old != new}


def notes_commit_map(repo: str) -> dict[str, str]:
    """:func:`commit_map` for the commits of notes refs, which git-filter-repo rewrites (a
    key in a note) but leaves out of its commit-map: each commit pairs with the rewrite at
    its place in the other history, listed in the same order (none where their counts
    differ: then a commit was lost or added, which the caller must see)."""
    with open(git_path(repo, "filter-repo/ref-map"), encoding="ascii") as handle:
        rows = [line.split() for line in handle.read().splitlines()[1:]]
    pairs: dict[str, str] = {}
    for old, new, ref in rows:
        if ref.startswith("refs/notes/") and old != new:
            olds, news = (
                run(["rev-list", "--topo-order", "--reverse", tip, "--"], cwd=repo).split()
                for tip in (old, new)
            )
            if len(olds) == len(news):
                pairs.update(
                    (a.decode(), b.decode()) for a, b in zip(olds, news, strict=True) if a != b
                )
    return pairs
