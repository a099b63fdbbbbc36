"""One ``git cat-file`` reads blobs of several repositories (the others as alternates), and
the readable ones when one is corrupt."""

from __future__ import annotations

from pathlib import Path

import pytest

from binance_guard.sources.git import GitError
from binance_guard.sources.objects import stream_blobs
from testing.git_repo import commit, damage_in_pack, git, make_repo


def test_blobs_of_other_repositories_are_read_through_alternates(tmp_path: Path) -> None:
    first = make_repo(tmp_path / "first")
    commit(first, {"a.txt": "in the first\n"})
    # Names git would split or unquote wrongly if passed as they are.
    others = [make_repo(tmp_path / name) for name in ("odd:name", 'quote"d', "back\\slash")]
    for index, repo in enumerate(others):
        commit(repo, {"b.txt": f"in other {index}\n"})
    wanted = [(first, "a.txt")] + [(repo, "b.txt") for repo in others]
    oids = [git(repo, "rev-parse", f"HEAD:{name}").strip() for repo, name in wanted]
    blobs = list(stream_blobs(str(first), oids, [str(repo) for repo in others]))
    assert [b.oid for b in blobs] == oids
    assert [b.data for b in blobs] == [b"in the first\n"] + [
        f"in other {i}\n".encode() for i in range(3)
    ]
    assert len(list(stream_blobs(str(first), oids))) == 1  # without them, git has only one


def test_a_corrupt_blob_is_set_aside_and_the_others_are_read(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {f"f{i}.txt": f"file {i}\n" * (i + 1) for i in range(9)})
    git(repo, "repack", "-adq")
    oids = [git(repo, "rev-parse", f"HEAD:f{i}.txt").strip() for i in range(9)]
    damage_in_pack(repo, oids[4])
    unreadable: list[str] = []
    blobs = list(stream_blobs(str(repo), oids, unreadable=unreadable))
    assert unreadable == [oids[4]]
    assert [b.oid for b in blobs] == oids[:4] + oids[5:]
    assert [b.data for b in blobs] == [f"file {i}\n".encode() * (i + 1) for i in range(9) if i != 4]
    with pytest.raises(GitError, match=f"object {oids[4]} is corrupt"):
        list(stream_blobs(str(repo), oids))
