"""Staged changes: the lines a commit adds, with the index blobs around them for context.

Module top level imports only ``os`` (and the prefilter and process runner, which import only
``os``): :func:`clean_without_scanning` is the hook's clean path and must cost about one
``git diff`` on top of Python's start-up.
"""

from __future__ import annotations

import os

from binance_guard.detection.prefilter import has_candidates, patch_has_candidates, wide_codec
from binance_guard.sources import process

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~5 ms here
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from binance_guard.sources.source import Skipped, Source

# --raw: each file's mode and staged blob head the patch (read by staged_entries: a blocked
# commit needs no second git diff), blob ids cut to 40 digits (SHA-256's 64 would look like
# keys to the prefilter); --text: a file marked -diff or binary in .gitattributes still shows
# its lines (real binaries are skipped later, by content); --no-textconv: line numbers must be
# those of the raw blob; --inter-hunk-context=0: no context lines, whatever the configuration
# says.
PATCH_ARGS = (
    "diff",
    "--cached",
    "--raw",
    "--abbrev=40",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--text",
    "--find-renames",
    "-U0",
    "--inter-hunk-context=0",
    "--diff-filter=ACMRT",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)
# git as sources/git.py runs it (its OPTIONS; importing it here would cost the clean path ``re``):
# names unquoted, and objects as they are, not as ``git replace`` shows them locally (a staged
# blob replaced by a clean twin would be scanned as the twin, and committed as it is), and no
# core.fsmonitor command.
GIT = ("git", "-c", "core.quotePath=false", "-c", "core.fsmonitor=false", "--no-replace-objects")
# Hook options that take a value: their values are not file names (see commands/parser.py).
# --format and --output ask for a report even of a clean commit: the full path writes it.
REPORT_OPTIONS = frozenset({"--format", "--output"})
VALUE_OPTIONS = frozenset(
    {
        "--baseline",
        "--min-confidence",
        "--max-bytes",
        "--exclude-files",
        "--exclude-lines",
        "--config",
    }
    | REPORT_OPTIONS
)
FLAG_OPTIONS = frozenset(
    {
        "-v",
        "--verbose",
        "--include-examples",
        "--no-config",
        "--exit-zero",
        "--show-secrets",
        "--allow-incomplete",
    }
)


def _spawn_git(args: Iterable[str]) -> bytes | None:
    """stdout of git, or None if it failed (the slow path then reports why). Run from a
    subdirectory, the patch still holds the whole index: diff.relative would cut it to that
    directory (and call a commit clean whose key sits elsewhere)."""
    try:
        code, out, _ = process.run(
            [*GIT, "-c", "diff.relative=false", *args],
            stderr=False,
        )
    except OSError:
        return None
    return out if code == 0 else None


def names_after_options(args: list[str]) -> list[str]:
    """The hook's arguments with the names of existing files that look like options moved
    after ``--``. pre-commit appends the staged files' names to the hook's arguments: a file
    named ``--exclude-files=.*`` (``pre-commit run --all-files`` on a pull request) excluded
    every finding, ``--show-secrets`` printed them, ``--output=README.md`` overwrote it."""
    named, skip = [], False
    for arg in args:
        if arg == "--":
            break
        if not skip and arg.startswith("-") and os.path.lexists(arg):
            named.append(arg)
        skip = not skip and arg in VALUE_OPTIONS  # a value, even one that exists as a file
    if not named:
        return args
    rest = [a for a in args if a not in named]
    return [*rest, *([] if "--" in rest else ["--"]), *named]


def file_arguments(args: list[str]) -> list[str] | None:
    """The file names among the hook's arguments; None when an argument is neither a known
    option nor plainly a name (``-notes.md``): the full parser must decide."""
    names, skip = [], False
    for index, arg in enumerate(args):
        if skip:
            skip = False
        elif arg == "--":
            names += args[index + 1 :]
            break
        elif arg.split("=", 1)[0] in REPORT_OPTIONS:
            return None
        elif arg in VALUE_OPTIONS or arg in FLAG_OPTIONS:
            skip = arg in VALUE_OPTIONS
        elif arg.split("=", 1)[0] in VALUE_OPTIONS:
            pass  # --max-bytes=5
        elif arg.startswith("-"):
            return None
        else:
            names.append(arg)
    return names


def clean_without_scanning(args: list[str]) -> tuple[bool, Prefetch | None]:
    """(True, None) when the staged change provably contains nothing the scanner could
    report; else (False, what was read and started for the full scan, if git could be
    asked), so that a blocked commit does not wait for git twice."""
    names = file_arguments(args)
    if names is None:
        return False, None
    patch = _spawn_git(PATCH_ARGS)
    if patch is None:
        return False, None
    # Headers start a line; the same words inside a staged patch file start with "+".
    lines = b"\n" + patch
    if not patch_has_candidates(patch) and all(
        f"\ndiff --git a/{name} b/{name}\n".encode("utf-8", "surrogateescape") in lines
        for name in names
    ):
        return True, None
    return False, Prefetch(patch, names)


def _start_git(args: list[str], stdin: bytes | None = None) -> Callable[[], bytes | None]:
    """git started now; calling the result gives its output, or None if it failed (the full
    path then asks again and reports why)."""
    try:
        finish = process.start([*GIT, *args], stdin=stdin, stderr=False)
    except OSError:
        return lambda: None

    def output() -> bytes | None:
        code, out, _ = finish()
        return out if code == 0 else None

    return output


class Prefetch:
    """A commit the clean path could not call clean: the patch it read, and git already at
    work on what the full scan asks next (the top of the work tree, the staged blobs),
    answering on the other core while the scanner is imported. Each answer is taken once."""

    def __init__(self, patch: bytes, files: list[str]) -> None:
        self.lines = added_lines(patch)
        self.entries = staged_entries(patch)
        self.blob_ids = scanned_blobs(self.entries, self.lines, files)
        self._toplevel = _start_git(["rev-parse", "--show-toplevel"])
        request = "".join(f"{o}\n" for o in self.blob_ids).encode()
        self._blobs = _start_git(["cat-file", "--batch"], request) if request else lambda: b""

    def toplevel(self) -> str | None:
        """The top of the work tree, None outside one."""
        out = self._toplevel()
        return os.fsdecode(out.rstrip(b"\n")) or None if out is not None else None

    def blob_batch(self, blob_ids: list[str]) -> bytes | None:
        """``git cat-file --batch``'s answer for ``blob_ids``; None when those are not the
        blobs asked for (other file arguments, another patch) or git failed."""
        out = self._blobs()
        return out if blob_ids == self.blob_ids else None


_C_ESCAPES = {
    ord("a"): 7,
    ord("b"): 8,
    ord("t"): 9,
    ord("n"): 10,
    ord("v"): 11,
    ord("f"): 12,
    ord("r"): 13,
    ord('"'): 34,
    ord("\\"): 92,
}


def unquote_path(raw: bytes) -> bytes:
    """Undo git's C-style quoting of unusual path names."""
    if not raw.startswith(b'"'):
        return raw
    body, out, i = raw[1:-1], bytearray(), 0
    while i < len(body):
        if body[i] == 0x5C and i + 1 < len(body):
            nxt = body[i + 1]
            if 0x30 <= nxt <= 0x37:
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out.append(_C_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(body[i])
        i += 1
    return bytes(out)


def added_lines(patch: bytes) -> dict[str, set[int]]:
    """Map each file in a ``-U0`` patch to the new-side line numbers it adds."""
    result: dict[str, set[int]] = {}
    current: set[int] | None = None
    in_header = False
    line_no = 0
    for line in patch.split(b"\n"):
        if line.startswith(b"diff --git "):
            in_header, current = True, None
        elif in_header and line.startswith(b"+++ "):
            # git ends the name with a tab when it contains a space (for GNU patch)
            target = unquote_path(line[4:].removesuffix(b"\t"))
            if target.startswith(b"b/"):
                current = result.setdefault(os.fsdecode(target[2:]), set())
        elif line.startswith(b"@@ "):
            in_header = False
            new_side = line.split(b" ")[2]  # "+start[,count]"
            line_no = int(new_side[1:].split(b",")[0])
        elif not in_header and current is not None and line.startswith(b"+"):
            current.add(line_no)
            line_no += 1
        elif not in_header and line.startswith(b" "):
            line_no += 1  # context, should a config or GIT_DIFF_OPTS add some
    return result


def staged_entries(patch: bytes) -> dict[str, tuple[str, str]]:
    """Parse the ``--raw`` lines that head a :data:`PATCH_ARGS` patch: path -> (new mode, new
    blob id). ``:old-mode new-mode old-id new-id status<TAB>path[<TAB>new path]``; a name
    holding a tab or a newline is C-quoted, so tabs and newlines only ever separate."""
    entries: dict[str, tuple[str, str]] = {}
    start = 0
    while patch.startswith(b":", start):
        end = patch.find(b"\n", start)
        if end == -1:
            end = len(patch)
        meta, *paths = patch[start + 1 : end].split(b"\t")
        _, mode, _, oid, _ = meta.decode().split()
        entries[os.fsdecode(unquote_path(paths[-1]))] = (mode, oid)
        start = end + 1
    return entries


def _selected(entries: dict[str, tuple[str, str]], files: list[str]) -> list[str]:
    return [p for p in entries if not files or p in files]


def scanned_blobs(
    entries: dict[str, tuple[str, str]], lines: dict[str, set[int]], files: list[str]
) -> list[str]:
    """The staged blobs the hook reads: of the selected files (``files``; all when none)
    those with added lines that are neither symbolic links nor submodules."""
    return [
        entries[p][1]
        for p in _selected(entries, files)
        if entries[p][0] not in ("120000", "160000") and lines.get(p)
    ]


OVERSIZED_CANDIDATES = "staged file(s) over --max-bytes that may hold keys"


def _oversized(path: str, data: bytes, added: set[int], max_bytes: int) -> Skipped:
    """A staged file over ``--max-bytes`` is skipped when it is binary or its added lines hold
    nothing the scanner could report (the prefilter has looked at them); otherwise the commit
    is not called clean: the blob is in memory already, but scanning a huge one is the user's
    call."""
    from binance_guard.detection.heuristics import is_binary
    from binance_guard.sources.source import Skipped

    skipped = Skipped(path, f"larger than {max_bytes} bytes")
    if is_binary(data):
        return skipped
    if wide_codec(data) is None:  # UTF-16 and UTF-32 lines are not split on a b"\n"
        lines = enumerate(data.split(b"\n"), 1)
        data = b"\n".join(line for number, line in lines if number in added)
    if not has_candidates(data):
        return skipped
    return Skipped(
        path,
        f"larger than {max_bytes} bytes, and its added lines may hold a key: not scanned "
        "(raise --max-bytes to scan it, or exclude the path)",
        OVERSIZED_CANDIDATES,
    )


def staged_sources(
    files: list[str], max_bytes: int, root: str | None, prefetch: Prefetch | None = None
) -> Iterator[Source | Skipped]:
    """Sources for the hook: added lines of staged files; named unstaged files in full.

    ``root``: the work tree's top (``git.toplevel``), None outside one. ``prefetch``: what
    the clean path read and started, if it did."""
    from binance_guard.detection.heuristics import is_binary
    from binance_guard.sources import git
    from binance_guard.sources.source import Skipped, Source, read_file

    if root is None:
        raise git.GitError("not inside a git work tree: the hook scans staged changes")
    if prefetch is not None:
        lines, entries = prefetch.lines, prefetch.entries
    else:
        patch = git.run(PATCH_ARGS, cwd=root)
        lines, entries = added_lines(patch), staged_entries(patch)
    wanted = files
    selected = _selected(entries, wanted)
    blob_ids = scanned_blobs(entries, lines, wanted)
    batch = prefetch.blob_batch(blob_ids) if prefetch is not None else None
    if batch is not None:
        blobs = git.parse_batch(batch, blob_ids)
    else:
        blobs = git.blob_contents(blob_ids, cwd=root)
    for path in selected:
        mode, oid = entries[path]
        if mode == "120000":
            yield Skipped(path, "symbolic link (not followed)")
        elif mode == "160000":
            yield Skipped(path, "submodule (gitlink, not followed)")
        elif lines.get(path):
            data = blobs.get(oid)
            if data is None:  # the index names an object the repository cannot give
                yield Skipped(path, "staged blob missing or corrupt", "staged blob(s) unreadable")
            elif len(data) > max_bytes:
                yield _oversized(path, data, lines[path], max_bytes)
            elif is_binary(data):
                yield Skipped(path, "binary")
            else:
                yield Source(path, data, lines=lines[path])
    for name in wanted:
        if name not in entries:
            yield read_file(os.path.join(root, name), name, max_bytes)
