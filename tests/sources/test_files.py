"""Which files ``scan`` reads from disk, and what it says about the ones it does not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from binance_guard.sources.files import file_sources, paths_to_scan
from binance_guard.sources.source import Skipped, Source
from testing.git_repo import commit, git, make_repo, write


def _by_path(items: list[Source | Skipped]) -> dict[str, Source | Skipped]:
    return {item.path: item for item in items}


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_git_directories_list_what_git_would_track(in_tmp: Path) -> None:
    repo = make_repo(in_tmp / "repo")
    commit(repo, {".gitignore": "*.log\nbuild/\n", "src/a.py": "a\n", "gone.py": "x\n"})
    write(repo, "new.py", "untracked but not ignored\n")
    write(repo, "debug.log", "ignored\n")
    write(repo, "build/out.py", "ignored directory\n")
    (repo / "gone.py").unlink()  # tracked, deleted on disk

    notes: list[str] = []
    items = _by_path(list(file_sources(["repo"], notes=notes)))
    assert notes == []
    assert set(items) == {".gitignore", "src/a.py", "gone.py", "new.py"}
    assert items["gone.py"] == Skipped("gone.py", "no such file or directory")
    assert items["src/a.py"] == Source("src/a.py", b"a\n")

    every = set(_by_path(list(file_sources(["repo"], all_files=True))))
    assert every == {
        ".gitignore",
        "src/a.py",
        "new.py",
        "debug.log",
        "build/out.py",
    }
    assert not any("/.git/" in p for p in every)


def test_a_subdirectory_of_a_repository_lists_only_its_own_files(in_tmp: Path) -> None:
    repo = make_repo(in_tmp / "repo")
    commit(repo, {"a/one.py": "1\n", "b/two.py": "2\n"})
    os.chdir(repo / "a")
    assert [p for p, _ in paths_to_scan(["."], False, [])] == ["./one.py"]
    # reported relative to the top of the repository, wherever the scan starts
    assert [s.path for s in file_sources(["."])] == ["a/one.py"]
    assert [s.path for s in file_sources([str(repo / "b")])] == ["b/two.py"]
    assert [s.path for s in file_sources(["../b/two.py"])] == ["b/two.py"]
    os.chdir("/")
    assert [s.path for s in file_sources([str(repo)])] == ["a/one.py", "b/two.py"]


def test_outside_git_everything_is_walked_with_a_note(in_tmp: Path) -> None:
    write(in_tmp, "plain/a.txt", "a\n")
    write(in_tmp, "plain/.hidden/b.txt", "b\n")
    notes: list[str] = []
    paths = sorted(s.path for s in file_sources(["plain"], notes=notes))
    assert paths == ["plain/.hidden/b.txt", "plain/a.txt"]
    assert notes == ["plain: not in a git repository, scanning every file"]
    notes.clear()
    list(file_sources(["plain"], all_files=True, notes=notes))
    assert notes == []  # --all-files asked for exactly this


def test_special_files_are_skipped_never_opened(in_tmp: Path) -> None:
    write(in_tmp, "dir/real.env", "x\n")
    os.mkfifo(in_tmp / "dir" / "pipe.env")  # opening it would block forever
    os.symlink("real.env", in_tmp / "dir" / "link.env")
    os.symlink(str(in_tmp / "dir"), in_tmp / "dirlink")
    items = _by_path(list(file_sources(["dir", "dirlink"], all_files=True)))
    assert items["dir/pipe.env"] == Skipped("dir/pipe.env", "not a regular file")
    assert items["dir/link.env"] == Skipped("dir/link.env", "symbolic link (not followed)")
    assert items["dirlink"] == Skipped("dirlink", "symbolic link (not followed)")
    assert isinstance(items["dir/real.env"], Source)


def test_nested_repository_is_not_entered(in_tmp: Path) -> None:
    outer = make_repo(in_tmp / "outer")
    commit(outer, {"a.py": "a\n"})
    inner = make_repo(outer / "vendor" / "inner")
    commit(inner, {"b.py": "b\n"})
    git(outer, "add", "vendor/inner")  # a gitlink, as a submodule leaves behind
    items = _by_path(list(file_sources(["outer"])))
    assert items["vendor/inner"] == Skipped(
        "vendor/inner", "submodule or nested repository (not followed: scan it alone)"
    )
    # named explicitly, the nested repository is scanned as its own, paths relative to it
    assert [s.path for s in file_sources(["outer/vendor/inner"])] == ["b.py"]


def test_size_limit_is_inclusive(in_tmp: Path) -> None:
    write(in_tmp, "exact.txt", b"x" * 100)
    write(in_tmp, "over.txt", b"x" * 101)
    items = _by_path(list(file_sources(["exact.txt", "over.txt"], max_bytes=100)))
    assert isinstance(items["exact.txt"], Source)
    assert items["over.txt"] == Skipped("over.txt", "larger than 100 bytes (101)")


def test_bytes_are_passed_through_untouched(in_tmp: Path) -> None:
    data = b"caf\xe9 \xff\xfe\r\nline two\xc3\x28\n"
    write(in_tmp, "latin1.txt", data)
    write(in_tmp, "nul.bin", b"text\x00more")
    items = _by_path(list(file_sources(["latin1.txt", "nul.bin"])))
    assert items["latin1.txt"] == Source("latin1.txt", data)
    assert items["nul.bin"] == Skipped("nul.bin", "binary")


def test_odd_names_round_trip(in_tmp: Path) -> None:
    repo = make_repo(in_tmp / "repo")
    names = ["sp ace.env", "new\nline.env", "-dash.env", "ключ.env", 'q"uote\\.env', "tab\t.env"]
    commit(repo, dict.fromkeys(names, "x\n"))
    raw = os.fsdecode(b"caf\xe9.env")
    (repo / raw).write_bytes(b"x\n")
    os.chdir(repo)
    paths = {s.path for s in file_sources(["."])}
    assert paths == {*names, raw}
