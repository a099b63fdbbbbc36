"""Patterns compiled on first use answer as the compiled ones, str and bytes alike; patterns
made from stored programs are the patterns re compiles."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from binance_guard import regex
from binance_guard.regex import compile_later, compile_now
from testing.git_repo import GIT_ENV, stage
from testing.keys import fake_key
from testing.regex_programs import patterns


def test_a_later_pattern_answers_as_the_compiled_one() -> None:
    later, now = compile_later(r"(\w+)=(\d+)", re.ASCII), re.compile(r"(\w+)=(\d+)", re.ASCII)
    text = "a=1 b=22 c=x"
    assert [m.groups() for m in later.finditer(text)] == [m.groups() for m in now.finditer(text)]
    assert later.sub("-", text) == now.sub("-", text) and later.pattern == now.pattern
    assert compile_later(rb"0x[0-9a-f]+").findall(b"0x1f 0xg") == [b"0x1f"]


def test_nothing_is_compiled_before_first_use() -> None:
    broken = compile_later("(unclosed")
    with pytest.raises(re.error):
        broken.search("x")


def test_a_pattern_from_a_stored_program_is_the_one_re_compiles() -> None:
    """Stored programs may outlive their pattern (then unused) but are never wrong."""
    found = patterns()
    assert len(found) > 40 and (r"[ \t]*", 0) in found  # str and bytes, eager and later
    for pattern, flags in [*regex._STORED, *found, ("(?P<x>a)|b", re.IGNORECASE)]:
        mine, theirs = compile_now(pattern, flags), re.compile(pattern, flags)  # type: ignore[type-var]
        assert mine == theirs  # the same flags, pattern and code
        assert (mine.groups, mine.groupindex) == (theirs.groups, theirs.groupindex)


def test_a_blocked_commit_compiles_no_pattern(repo: Path) -> None:
    """What the stored programs are for: ``re`` compiled none of a blocked commit's."""
    if not regex._STORED:
        pytest.skip(f"no programs stored for {regex.PYTHON}")
    bot = f"from binance.client import Client\nclient = Client('{fake_key(1)}', '{fake_key(2)}')\n"
    stage(repo, {"bot.py": bot})
    code = (
        "import re, sys; from binance_guard.cli import main; main(['hook']); print(len(re._cache))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Commit blocked" in proc.stdout, proc.stdout
    compiled = proc.stdout.splitlines()[-1]
    assert compiled == "0", f"{compiled} compiled: run python -m testing.regex_programs"
