"""Refs read from a repository's files say what git says, or the reader defers to git."""

from __future__ import annotations

import subprocess
from pathlib import Path

from binance_guard.fleet import mirrors
from binance_guard.sources import git as plumbing
from testing.git_repo import commit, git, make_repo


def _by_git(repo: Path) -> tuple[bytes, bytes]:
    """(for-each-ref, HEAD) as fleet's refs digest asked git for them before."""
    refs = subprocess.run(
        ["git", "for-each-ref", "--format=%(objectname) %(refname)"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout
    head = subprocess.run(["git", "symbolic-ref", "-q", "HEAD"], cwd=repo, capture_output=True)
    if head.returncode == 0:
        return refs, head.stdout
    detached = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True)
    return refs, detached.stdout if refs else b""


def _by_files(repo: Path) -> tuple[bytes, bytes]:
    files = plumbing.ref_files(str(repo))
    assert files is not None, repo
    refs = b"".join(b"%s %s\n" % (oid, name) for name, oid in files.refs)
    return refs, files.head + b"\n" if refs or not files.detached else b""


def test_loose_packed_symbolic_and_detached_refs_read_as_git_lists_them(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    assert _by_files(repo) == _by_git(repo)  # unborn HEAD, no refs
    for name in ("main", "x/y", "x-y", "x.y", "Zed", "é"):
        git(repo, "checkout", "-q", "-B", name)
        commit(repo, {"f": name}, name)
    git(repo, "tag", "-a", "v1", "-m", "annotated")  # packed with a peeled line below
    git(repo, "tag", "light")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))  # origin/HEAD: a symbolic ref
    git(clone, "pack-refs", "--all")
    commit(clone, {"g": "loose after packing"}, "loose")  # main: loose and stale in packed
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--mirror", str(clone), str(bare))
    for each in (repo, clone, bare):
        assert _by_files(each) == _by_git(each), each
    # What fleet relies on to skip a fetch: a mirror has its source's digest.
    assert mirrors.refs_digest(str(bare)) == mirrors.refs_digest(str(clone))
    packed = (clone / ".git" / "packed-refs").read_bytes()
    assert b"\n^" in packed and b"refs/remotes/origin/HEAD" in _by_files(clone)[0]


def test_anything_unusual_is_left_to_git(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "work")
    commit(repo, {"f": "x"}, "start")
    git(repo, "worktree", "add", "-q", str(tmp_path / "linked"))
    assert plumbing.ref_files(str(tmp_path / "linked")) is None  # a .git file
    digest = mirrors.refs_digest(str(repo))
    broken = repo / ".git" / "refs" / "heads" / "broken"
    broken.write_text("not an object id\n")
    assert plumbing.ref_files(str(repo)) is None
    broken.unlink()
    (repo / ".git" / "refs" / "heads" / "main.lock").write_text("")  # a writer at work
    assert plumbing.ref_files(str(repo)) is None
    assert mirrors.refs_digest(str(repo)) == digest  # from git, which skips the lock
    (repo / ".git" / "refs" / "heads" / "main.lock").unlink()
    heads = repo / ".git" / "refs" / "heads"
    (heads / "link").symlink_to(heads / "main")
    assert plumbing.ref_files(str(repo)) is None
