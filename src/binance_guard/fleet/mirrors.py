"""Bare mirrors in the cache: cloned once, fetched on later runs, one writer at a time.

A mirror is cloned beside its final path and renamed into place, so an interrupted clone
never leaves a half mirror; a mirror git cannot fetch into or read is cloned afresh once.
Automatic gc is off: another run's readers may be streaming objects from it.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import hashlib
import os
import re
import shutil
import urllib.parse
from collections.abc import Iterator

from binance_guard.fleet.discovery import TOKEN_ENV, RepoSpec
from binance_guard.sources import git

# Never wait for a password or a host key prompt: a fleet runs unattended.
GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
SSH_COMMAND = "ssh -o BatchMode=yes -o ConnectTimeout=30"
# Give up on a stalled transfer instead of hanging the run.
NETWORK_CONFIG = [("http.lowSpeedLimit", "1000"), ("http.lowSpeedTime", "60")]


def mirror_path(cache_dir: str, spec: RepoSpec) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", spec.name.rsplit("/", 1)[-1])[:40].strip("._")
    return os.path.join(cache_dir, "mirrors", f"{slug or 'repo'}-{spec.id}.git")


@contextlib.contextmanager
def locked(mirror: str) -> Iterator[None]:
    """One process at a time clones, fetches or lists a mirror (across concurrent runs)."""
    os.makedirs(os.path.dirname(mirror), mode=0o700, exist_ok=True)
    fd = os.open(f"{mirror}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@functools.cache
def _users_ssh() -> bool:
    """Whether the user chose how git runs ssh (GIT_SSH_COMMAND, GIT_SSH, core.sshCommand: a
    deploy key, a jump host): theirs is kept, where ours would override it."""
    if os.environ.get("GIT_SSH_COMMAND") or os.environ.get("GIT_SSH"):
        return True
    try:
        return bool(git.run(["config", "--get", "core.sshCommand"], cwd="/").strip())
    except git.GitError:  # not set
        return False


def _env(source: str, auth: bool) -> dict[str, str]:
    """Settings travel in the environment: the token never in argv, and only to the
    source's own host. With the token, redirects are not followed: after one, git sends the
    rest of the clone to the new URL, extra header and all."""
    config = list(NETWORK_CONFIG)
    token = os.environ.get(TOKEN_ENV)
    parts = urllib.parse.urlsplit(source)
    if auth and token and parts.scheme == "https":
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        config += [
            (f"http.https://{parts.netloc}/.extraheader", f"AUTHORIZATION: basic {basic}"),
            ("http.followRedirects", "false"),
        ]
    env = {**GIT_ENV, "GIT_CONFIG_COUNT": str(len(config))}
    if not _users_ssh():
        env["GIT_SSH_COMMAND"] = SSH_COMMAND
    for index, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{index}"], env[f"GIT_CONFIG_VALUE_{index}"] = key, value
    return env


def clone(spec: RepoSpec, mirror: str) -> None:
    """A new mirror beside the old one, swapped in only once complete."""
    temporary, old = f"{mirror}.tmp-{os.getpid()}", f"{mirror}.old-{os.getpid()}"
    shutil.rmtree(temporary, ignore_errors=True)
    try:
        git.run(
            ["clone", "--mirror", "--quiet", "--config", "gc.auto=0", "--", spec.source, temporary],
            env=_env(spec.source, spec.auth),
        )
        if os.path.isdir(mirror):
            os.rename(mirror, old)
        os.rename(temporary, mirror)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def sync(spec: RepoSpec, mirror: str) -> str:
    """Clone or fetch (pruning refs deleted at the source) and return the mirror's
    :func:`refs_digest`. A local source whose refs the mirror has already is not fetched: a
    mirror copies refs one to one, and a fetch costs several processes. Caller holds
    :func:`locked`."""
    if not os.path.isdir(mirror):
        clone(spec, mirror)
        return refs_digest(mirror)
    if os.path.isabs(spec.source):
        refs = refs_digest(mirror)
        if refs == refs_digest(spec.source):
            return refs
    git.run(
        ["fetch", "--prune", "--quiet", "origin"],
        cwd=mirror,
        env=_env(spec.source, spec.auth),
    )
    return refs_digest(mirror)


def refs_digest(repo: str) -> str:
    """What a repository holds, in one hash: every ref's target and where HEAD points. Read
    from its files when they are plain (no process to start), else from git: both give the
    same bytes."""
    digest = refs_digest_from_files(repo)
    if digest is not None:
        return digest
    refs = git.run(["for-each-ref", "--format=%(objectname) %(refname)"], cwd=repo)
    try:
        head = git.run(["symbolic-ref", "-q", "HEAD"], cwd=repo)
    except git.GitError:  # detached
        head = git.run(["rev-parse", "-q", "--verify", "HEAD"], cwd=repo) if refs else b""
    return hashlib.sha256(refs + b"\0" + head).hexdigest()


def refs_digest_from_files(repo: str) -> str | None:
    """:func:`refs_digest` if the files say it (:func:`git.ref_files`), else None."""
    files = git.ref_files(repo)
    if files is None:
        return None
    refs = b"".join(b"%s %s\n" % (oid, name) for name, oid in files.refs)
    head = files.head + b"\n" if refs or not files.detached else b""
    return hashlib.sha256(refs + b"\0" + head).hexdigest()
