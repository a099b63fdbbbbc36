"""One ``git cat-file`` reads blobs of several repositories (the others as alternates), and
the readable ones when one is corrupt."""

from __future__ import annotations

from pathlib import Path

import pytest

from binance_guard.sources.git import GitError
from binance_guard.sources.objects import (
    commit_messages,
    inventory,
    inventory_and_messages,
    stream_blobs,
)
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


def test_one_rev_list_gives_the_inventory_and_the_messages_log_gives(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    oid = "0123456789" * 4
    messages = [
        f"a message ending in what looks like object ids\n\n{oid}\n{oid}",
        f"\x01{oid} and \x02{oid}\x02\n: record marks inside a message",
        "commit " + oid,
    ]
    for index, message in enumerate(messages):
        commit(repo, {f"f{index}.txt": f"{index}\n"}, message)
    git(repo, "commit", "-q", "--allow-empty", "--allow-empty-message", "-m", "")
    git(repo, "tag", "-a", "v1", "-m", "a tag object")
    stock, found = inventory_and_messages(str(repo), ["--all"], 1 << 20)
    assert stock == inventory(str(repo), ["--all"], 1 << 20)
    assert found == list(commit_messages(str(repo), ["--all"]))
    assert len(found) == 4 and len(stock.blobs) == 3
