"""Parsing what git says about the index: C-quoted names, ``-U0`` hunks, ``--raw`` entries.

Hand-written patches pin the corner cases; real git output (every byte a file name can hold,
every staged status, random line edits) checks that the parser agrees with git itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from binance_guard.sources.staged import (
    PATCH_ARGS,
    added_lines,
    file_arguments,
    staged_entries,
    unquote_path,
)
from testing.git_repo import GIT_ENV, commit, git, make_repo, stage
from testing.keys import fake_key


def _git_bytes(repo: Path, *args: str, quote_path: bool = False) -> bytes:
    proc = subprocess.run(
        ["git", "-c", f"core.quotePath={str(quote_path).lower()}", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV, "HOME": str(repo)},
        capture_output=True,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


# --- unquote_path -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"plain.py", b"plain.py"),
        (b"b/with space.py", b"b/with space.py"),
        (b'"tab\\there"', b"tab\there"),
        (b'"q\\"uote \\\\ back"', b'q"uote \\ back'),
        (b'"new\\nline"', b"new\nline"),
        (b'"\\a\\b\\f\\r\\v"', b"\a\b\f\r\v"),
        # octal escapes: UTF-8 (core.quotePath=true) and bytes that are not UTF-8 at all
        (b'"\\320\\272\\320\\273\\321\\216\\321\\207.env"', "ключ.env".encode()),
        (b'"caf\\351.txt"', b"caf\xe9.txt"),
        (b'"\\001\\177\\377"', b"\x01\x7f\xff"),
        # an escape followed by a literal digit: exactly three octal digits are consumed
        (b'"\\1411"', b"a1"),
        (b'"b/\\342\\200\\250\\t"', "b/\u2028\t".encode()),
    ],
)
def test_unquote_path(raw: bytes, expected: bytes) -> None:
    assert unquote_path(raw) == expected


NAME_BYTES = [b for b in range(1, 256) if b != ord("/")]


def _odd_names() -> list[bytes]:
    return [b"n" + bytes([b]) + b"e" for b in NAME_BYTES] + [
        'ключ "x"\t.env'.encode(),
        b" leading space",
        b"trailing space ",
        b"-dash",
        b"\\",
        b'"',
    ]


@pytest.mark.parametrize("quote_path", [False, True])
def test_every_byte_a_name_can_hold_survives_git_quoting(tmp_path: Path, quote_path: bool) -> None:
    repo = make_repo(tmp_path / "repo")
    names = _odd_names()
    for name in names:
        (repo / os.fsdecode(name)).write_bytes(b"x\n")
    git(repo, "add", "-A")
    expected = {os.fsdecode(n) for n in names}

    patch = _git_bytes(repo, *PATCH_ARGS, quote_path=quote_path)
    lines = added_lines(patch)
    assert set(lines) == expected
    assert all(found == {1} for found in lines.values())
    assert set(staged_entries(patch)) == expected  # the --raw lines quote names as well


# --- added_lines on hand-written patches --------------------------------------------------

PATCH = b"""\
diff --git a/bot.py b/bot.py
index 1111111..2222222 100644
--- a/bot.py
+++ b/bot.py
@@ -3 +3 @@ def connect():
-old = 1
+new = 1
@@ -10,0 +11,3 @@ class Bot:
+++ b/evil.py
+--- a/evil.py
+@@ -1 +1 @@
@@ -20,2 +23,0 @@
-gone
-gone
@@ -30 +29 @@
-x = 1
\\ No newline at end of file
+x = 2
\\ No newline at end of file
diff --git "a/tab\\there.env" "b/tab\\there.env"
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ "b/tab\\there.env"
@@ -0,0 +1,2 @@
+A=1
+B=2
diff --git a/sp ace.py b/sp ace.py
index 4444444..5555555 100644
--- a/sp ace.py\t
+++ b/sp ace.py\t
@@ -1 +1 @@
-x
+y
diff --git a/logo.png b/logo.png
index 6666666..7777777 100644
Binary files a/logo.png and b/logo.png differ
diff --git a/old.py b/new.py
similarity index 90%
rename from old.py
rename to new.py
index 8888888..9999999 100644
--- a/old.py
+++ b/new.py
@@ -5 +5 @@
-a
+b
diff --git a/same.py b/moved.py
similarity index 100%
rename from same.py
rename to moved.py
diff --git a/only_removed.py b/only_removed.py
index aaaaaaa..bbbbbbb 100644
--- a/only_removed.py
+++ b/only_removed.py
@@ -2 +1,0 @@
-secret = 1
"""


def test_added_lines_of_a_multi_file_multi_hunk_patch() -> None:
    assert added_lines(PATCH) == {
        # content lines that look like headers ("+++ b/evil.py") are content: after "@@"
        "bot.py": {3, 11, 12, 13, 29},
        "tab\there.env": {1, 2},
        "sp ace.py": {1},
        "new.py": {5},
        "only_removed.py": set(),
    }


def test_added_lines_of_nothing() -> None:
    assert added_lines(b"") == {}


# --- added_lines against real git ---------------------------------------------------------

LINE = st.sampled_from(
    ["a", "b", "c", "", "+++ b/x.txt", "--- a/x.txt", "@@ -1 +1 @@", "diff --git a/x b/x", "\\"]
)


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(any(item == other for other in it) for item in short)


def _lines(text: str) -> list[str]:
    """The lines git counts: a last line without a newline is still a line."""
    return text.removesuffix("\n").split("\n") if text else []


def _removed_count(patch: bytes) -> int:
    total = 0
    for match in re.finditer(rb"^@@ -\d+(?:,(\d+))? \+", patch, re.MULTILINE):
        total += 1 if match.group(1) is None else int(match.group(1))
    return total


@settings(max_examples=80, deadline=None)
@given(
    old=st.lists(LINE, max_size=12),
    new=st.lists(LINE, max_size=12),
    old_eol=st.booleans(),
    new_eol=st.booleans(),
)
def test_added_lines_agree_with_git(
    old: list[str], new: list[str], old_eol: bool, new_eol: bool
) -> None:
    """What is not added must be what git kept: a subsequence of the old file, as long as the
    old file minus the lines git says were removed."""
    old_text = "\n".join(old) + ("\n" if old_eol else "")
    new_text = "\n".join(new) + ("\n" if new_eol else "")
    old, new = _lines(old_text), _lines(new_text)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "old.txt").write_text(old_text)
        (base / "new.txt").write_text(new_text)
        args = [a for a in PATCH_ARGS if a != "--cached"]
        patch = _git_bytes(base, *args, "--no-index", "old.txt", "new.txt")
    added = added_lines(patch).get("new.txt", set())
    assert added <= set(range(1, len(new) + 1))
    kept = [line for number, line in enumerate(new, 1) if number not in added]
    assert _is_subsequence(kept, old)
    assert len(kept) == len(old) - _removed_count(patch)


def test_added_lines_of_a_real_multi_hunk_change(repo: Path) -> None:
    old = [f"line {i}" for i in range(1, 41)]
    commit(repo, {"f.txt": "\n".join(old) + "\n"})
    new = list(old)
    new[2] = "changed 3"
    new.insert(20, "++ b/other.txt")  # becomes "+++ b/other.txt" in the patch
    new.insert(21, "inserted")
    del new[35]
    new.append("appended")
    stage(repo, {"f.txt": "\n".join(new) + "\n"})
    lines = added_lines(_git_bytes(repo, *PATCH_ARGS))
    assert lines == {"f.txt": {3, 21, 22, len(new)}}


# --- staged_entries -----------------------------------------------------------------------


def test_staged_entries_of_hand_written_raw_output() -> None:
    oid = "1" * 40
    null = "0" * 40
    raw = (
        (
            f":000000 100644 {null} {oid} A\tnew.py\n"
            f":100644 100644 {oid} {oid} M\tmod.py\n"
            f':100644 100755 {oid} {"2" * 40} R087\told name.py\t"new\\tname.py"\n'
            f":120000 100644 {oid} {'3' * 40} T\tlink\n"
            f":000000 120000 {null} {'4' * 40} A\tsym\n"
        ).encode()
        + b":000000 100644 "
        + f"{null} {oid} A".encode()
        + b"\tcaf\xe9\n"
        + b"\ndiff --git a/new.py b/new.py\n:not a raw line\n"
    )
    assert staged_entries(raw) == {
        "new.py": ("100644", oid),
        "mod.py": ("100644", oid),
        "new\tname.py": ("100755", "2" * 40),
        "link": ("100644", "3" * 40),
        "sym": ("120000", "4" * 40),
        os.fsdecode(b"caf\xe9"): ("100644", oid),
    }
    assert staged_entries(b"") == {}


def test_staged_entries_of_a_real_index(repo: Path) -> None:
    body = "".join(f"line {i}\n" for i in range(30))
    commit(
        repo,
        {"keep.py": "x = 1\n", "moved.py": body, "edited.py": body, "gone.py": "x\n"},
    )
    (repo / "dir").mkdir()
    git(repo, "mv", "moved.py", "dir/moved here.py")
    git(repo, "mv", "edited.py", "renamed.py")
    stage(repo, {"renamed.py": body + "one more\n", "added.py": "y = 2\n"})
    os.symlink("keep.py", repo / "link.py")
    git(repo, "add", "link.py")
    git(repo, "rm", "-q", "gone.py")
    entries = staged_entries(_git_bytes(repo, *PATCH_ARGS))
    blob = git(repo, "rev-parse", ":renamed.py").strip()
    assert set(entries) == {"dir/moved here.py", "renamed.py", "added.py", "link.py"}
    assert entries["renamed.py"] == ("100644", blob)
    assert entries["link.py"][0] == "120000"
    # a rename without changes is an entry without added lines: nothing to scan; a symlink's
    # target is its one line (the hook skips it by its mode)
    lines = added_lines(_git_bytes(repo, *PATCH_ARGS))
    assert lines == {"renamed.py": {31}, "added.py": {1}, "link.py": {1}}


# --- file_arguments -----------------------------------------------------------------------


def test_file_arguments_skip_option_values() -> None:
    args = [
        "--baseline",
        "a.baseline",
        "-v",
        "a.py",
        "--min-confidence",
        "low",
        "b.py",
        "--max-bytes=5",
        "--exclude-files",
        "^docs/",
        "c d.py",
    ]
    assert file_arguments(args) == ["a.py", "b.py", "c d.py"]


def test_the_fast_path_knows_every_hook_option() -> None:
    """The clean path skips option values without argparse: it must know the hook's options,
    or a new option's value would be taken for a file name (or the fast path lost)."""
    import argparse

    from binance_guard.commands import parser
    from binance_guard.sources.staged import FLAG_OPTIONS, VALUE_OPTIONS

    commands = next(a for a in parser.build()._actions if isinstance(a, argparse._SubParsersAction))
    hook = commands.choices["hook"]
    takes_value = {
        s for a in hook._actions if a.nargs != 0 and a.option_strings for s in a.option_strings
    }
    flags = {s for a in hook._actions if a.nargs == 0 for s in a.option_strings}
    assert takes_value == VALUE_OPTIONS
    assert flags - {"-h", "--help"} == FLAG_OPTIONS


WITHOUT_POSIX_SPAWN = (
    "import os, sys\n"
    "del os.posix_spawnp\n"  # as on Windows
    "from binance_guard.cli import main\n"
    "code = main(['hook'])\n"
    "print('scanner loaded' if 'binance_guard.detection.scanner' in sys.modules else 'fast')\n"
    "sys.exit(code)\n"
)


def test_hook_without_posix_spawn_falls_back_to_subprocess(repo: Path) -> None:
    """Windows has no os.posix_spawnp: the clean path must still work, and still be fast."""

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", WITHOUT_POSIX_SPAWN],
            cwd=repo,
            env={**os.environ, **GIT_ENV},
            capture_output=True,
            text=True,
            check=False,
        )

    commit(repo, {"README.md": "# bot\n"})
    stage(repo, {"notes.md": "nothing to see\n"})
    clean = hook()
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.strip().endswith("fast")
    key, secret = fake_key("win-key"), fake_key("win-secret")
    stage(repo, {"bot.py": f"from binance.client import Client\nc = Client('{key}', '{secret}')\n"})
    blocked = hook()
    assert blocked.returncode == 1 and "bot.py:2" in blocked.stdout, blocked.stderr


def test_the_hook_runs_git_as_every_other_command() -> None:
    from binance_guard.sources import git, staged

    assert ("git", *git.OPTIONS) == staged.GIT
