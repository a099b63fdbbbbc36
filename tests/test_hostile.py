"""Hostile and odd input: whatever a repository, a file name or a payload holds, a run ends
with exit 0 (clean), 1 (findings) or 2 (one line `binance-guard: error: ...`), never a
traceback. Real files, real git, the real command line in a subprocess."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from binance_guard import commands
from binance_guard.commands import scan as scan_command
from testing.cli import run_cli
from testing.git_repo import commit, git
from testing.github import results, validate_sarif
from testing.keys import fake_key

KEY = fake_key("hostile-key")
LINE = f"BINANCE_API_KEY={KEY}\n"
NOT_UTF8 = os.fsdecode(b"caf\xe9\xff.env")


def _one_line_error(stderr: str) -> None:
    assert stderr.startswith("binance-guard: error: ") and len(stderr.splitlines()) == 1, stderr
    assert "internal error" not in stderr


DEPTH = 1100  # deeper than Python's default recursion limit (1000)


def _nest(top: Path, leaf: str, content: str) -> None:
    """top/d/d/.../d/leaf, made with relative steps: the full path soon exceeds PATH_MAX."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(DEPTH):
            os.mkdir("d", dir_fd=fd)
            fd, parent = os.open("d", os.O_RDONLY, dir_fd=fd), fd
            os.close(parent)
        with open(os.open(leaf, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as handle:
            handle.write(content)
    finally:
        os.close(fd)


def _unnest(top: Path, leaf: str) -> None:
    """Remove what _nest made, deepest first (shutil.rmtree recurses, and pytest's cleanup
    of tmp_path uses it)."""
    fds = [os.open(top, os.O_RDONLY)]
    for _ in range(DEPTH):
        fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
    os.unlink(leaf, dir_fd=fds[-1])
    while len(fds) > 1:
        os.close(fds.pop())
        os.rmdir("d", dir_fd=fds[-1])
    os.close(fds[0])


def test_directories_nested_deeper_than_the_recursion_limit() -> None:
    # Not under tmp_path: pytest removes old temporary directories with shutil.rmtree,
    # which recurses too, and would fail in every later session if this one were killed.
    top = Path(tempfile.mkdtemp(prefix="binance-guard-deep-"))
    (top / "deep").mkdir()
    _nest(top / "deep", "k.env", LINE)
    try:
        for args in (("deep",), ("--all-files", "deep")):
            proc = run_cli("scan", "--format", "json", *args, cwd=top)
            assert proc.returncode == 1, proc.stderr
            (finding,) = json.loads(proc.stdout)["findings"]
            assert finding["path"] == "deep/" + "d/" * DEPTH + "k.env"
            assert KEY not in proc.stdout
    finally:
        _unnest(top / "deep", "k.env")
        (top / "deep").rmdir()
        top.rmdir()


def test_a_file_name_that_is_not_utf8_in_sarif(repo: Path) -> None:
    commit(repo, {NOT_UTF8: LINE})
    proc = run_cli("scan", "--format", "sarif", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    (result,) = results(validate_sarif(proc.stdout, [KEY]))
    # the file's own bytes, percent-encoded
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "caf%E9%FF.env"
    )


def test_every_git_value_after_end_of_options(repo: Path) -> None:
    """A revision named like an option is a revision, not an option."""
    commit(repo, {"a.env": LINE})
    git(repo, "branch", "feature")
    found = run_cli("history", "--no-progress", "--rev", "feature", cwd=repo)
    assert found.returncode == 1, found.stderr
    proc = run_cli("history", "--no-progress", "--rev=--output=x", cwd=repo)
    _one_line_error(proc.stderr)
    assert proc.returncode == 2 and not (repo / "x").exists()


def test_a_bug_is_still_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise ValueError(f"quoting the input: {KEY}")

    monkeypatch.setattr(scan_command, "run", broken)
    assert commands.run(["scan", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("binance-guard: error: internal error: ValueError at ")
    assert len(err.splitlines()) == 1 and KEY not in err
