"""Files on disk: what ``binance-guard scan`` reads.

Directories default to the files git would track (tracked plus untracked-but-not-ignored),
like detect-secrets; explicitly named files are always scanned.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator

from binance_guard.regex import compile_now
from binance_guard.sources import git
from binance_guard.sources.source import (
    DEFAULT_MAX_BYTES,
    STDIN_NAME,
    UNREADABLE_FILES,
    Skipped,
    Source,
    failed,
    is_within,
    read_file,
    read_stream,
)

STDIN_DISPLAY = "(standard input)"
UNREADABLE_DIRECTORIES = "directory(ies) unreadable"


def _display(path: str, top: str | None) -> str:
    """Relative to the top of the repository, whatever the current directory (so reports,
    baselines and SARIF agree); outside a repository, relative to the current directory."""
    if top is not None:
        where = os.path.join(os.path.realpath(os.path.dirname(path) or "."), os.path.basename(path))
        rel = os.path.relpath(where, top)
        if not rel.startswith(".."):
            return rel.replace(os.sep, "/")
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


# What ls-files says of a directory it could not list (and whose files it leaves out).
_UNLISTED_RE = compile_now(r"^warning: could not open directory '(.*)': (.*)$", re.MULTILINE)


def _git_files(directory: str, top: str) -> list[str | Skipped]:
    """The files git lists under ``directory``. Its names are relative to ``directory``, or
    to the top when ``directory`` is outside the work tree (GIT_WORK_TREE set elsewhere:
    they were looked for in the wrong place, and the run said clean)."""
    base = directory if is_within(directory, top) else top
    out, warnings = git.run_with_warnings(
        ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=directory
    )
    names = dict.fromkeys(os.fsdecode(n) for n in out.split(b"\0") if n)
    unlisted: list[str | Skipped] = [
        Skipped(
            _display(os.path.join(directory, match[1].rstrip("/")), top),
            f"unreadable directory: {match[2]}",
            UNREADABLE_DIRECTORIES,
        )
        for match in _UNLISTED_RE.finditer(warnings)
    ]
    return unlisted + [os.path.join(base, n) for n in names]


def _walk(directory: str, top: str | None) -> Iterator[str | Skipped]:
    """Every file below ``directory`` in sorted order, depth-first; with a stack, not
    recursion (Python 3.11's os.walk recurses: ~1,000 nested directories overflow it)."""
    stack = [directory]
    while stack:
        root = stack.pop()
        try:
            with os.scandir(root) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            yield failed(_display(root, top), "unreadable directory", exc, UNREADABLE_DIRECTORIES)
            continue
        subdirs = [e.path for e in entries if e.is_dir(follow_symlinks=False) and e.name != ".git"]
        yield from (e.path for e in entries if not e.is_dir(follow_symlinks=False))
        stack.extend(reversed(subdirs))


def paths_to_scan(
    paths: list[str], all_files: bool, notes: list[str]
) -> Iterator[tuple[str | Skipped, str | None]]:
    """(file, top of its repository or None) for every file to scan."""
    for path in paths:
        top = git.toplevel(path) if os.path.lexists(path) else None
        top = os.path.realpath(top) if top is not None else None
        if not os.path.isdir(path) or os.path.islink(path):
            yield path, top
            continue
        listed = None if all_files or top is None else _git_files(path, top)
        if listed is None:
            if not all_files:
                notes.append(f"{path}: not in a git repository, scanning every file")
            yield from ((name, top) for name in _walk(path, top))
        else:
            yield from ((name, top) for name in listed)


def file_sources(
    paths: list[str],
    all_files: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    notes: list[str] | None = None,
) -> Iterator[Source | Skipped]:
    named = set(paths)
    for path, top in paths_to_scan(paths, all_files, notes if notes is not None else []):
        if isinstance(path, Skipped):
            yield path
        elif path == STDIN_NAME and sys.stdin is None:  # started with fd 0 closed (<&-)
            yield Skipped(STDIN_DISPLAY, "unreadable: standard input is closed", UNREADABLE_FILES)
        elif path == STDIN_NAME:
            yield read_stream(sys.stdin.buffer, STDIN_DISPLAY, max_bytes)
        elif not os.path.lexists(path):
            yield Skipped(_display(path, top), "no such file or directory")
        else:
            yield read_file(path, _display(path, top), max_bytes, named=path in named)
