"""`binance-guard history` on real repositories: every blob once, exact attribution."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from testing.cli import run_cli
from testing.git_repo import commit, git, make_repo, stage, write
from testing.keys import fake_hex_key, fake_key

K = [fake_key(f"history-{i}") for i in range(8)]


def _env(key: str) -> str:
    return f"BINANCE_API_KEY={key}\n"


def _history(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    proc = run_cli("history", str(repo), "--format", "json", *args)
    for key in K:
        assert key not in proc.stdout + proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _by_path(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["path"]: f for f in doc["findings"]}


def test_key_added_then_removed_is_in_history_only(repo: Path) -> None:
    commit(repo, {"README.md": "hi\n"})
    added = commit(repo, {"bot.env": _env(K[0])}, "add key")
    commit(repo, {"bot.env": "BINANCE_API_KEY=${FROM_VAULT}\n"}, "remove key")
    code, doc = _history(repo)
    assert code == 1
    (finding,) = doc["findings"]
    assert (finding["commit"], finding["path"], finding["line"]) == (added, "bot.env", 1)
    assert finding["in_head"] is False and finding["history_only"] is True
    assert finding["author"] == "Test Author <author@example.com>"
    assert finding["refs"] == ["refs/heads/main"]


def test_key_in_a_file_later_deleted(repo: Path) -> None:
    added = commit(repo, {"old/config.env": _env(K[1])})
    git(repo, "rm", "-q", "old/config.env")
    git(repo, "commit", "-q", "-m", "delete")
    _, doc = _history(repo)
    assert _by_path(doc)["old/config.env"]["commit"] == added
    assert _by_path(doc)["old/config.env"]["in_head"] is False


def test_key_still_at_head_and_in_worktree(repo: Path) -> None:
    added = commit(repo, {"bot.env": _env(K[0])})
    commit(repo, {"other.txt": "x\n"})
    finding = _by_path(_history(repo)[1])["bot.env"]
    assert (finding["commit"], finding["in_head"], finding["in_worktree"]) == (added, True, True)
    write(repo, "bot.env", "cleaned\n")
    assert _by_path(_history(repo)[1])["bot.env"]["in_worktree"] is False


def test_key_only_on_a_side_branch(repo: Path) -> None:
    commit(repo, {"README.md": "hi\n"})
    git(repo, "checkout", "-q", "-b", "experiment")
    added = commit(repo, {"exp.env": _env(K[2])})
    git(repo, "checkout", "-q", "main")
    finding = _by_path(_history(repo)[1])["exp.env"]
    assert finding["commit"] == added
    assert finding["refs"] == ["refs/heads/experiment"]
    assert finding["in_head"] is False


@pytest.mark.parametrize("annotated", [False, True])
def test_key_only_in_a_tag(repo: Path, annotated: bool) -> None:
    commit(repo, {"README.md": "hi\n"})
    git(repo, "checkout", "-q", "--detach")
    added = commit(repo, {"release.env": _env(K[3])})
    git(repo, "tag", *(["-a", "-m", "v1"] if annotated else []), "v1")
    git(repo, "checkout", "-q", "main")
    finding = _by_path(_history(repo)[1])["release.env"]
    assert (finding["commit"], finding["refs"]) == (added, ["refs/tags/v1"])


def test_key_in_a_commit_message(repo: Path) -> None:
    sha = commit(repo, {"a.txt": "a\n"}, f"debug: BINANCE_API_KEY={K[4]}")
    finding = _by_path(_history(repo)[1])["(commit message)"]
    assert (finding["commit"], finding["line"], finding["in_head"]) == (sha, 1, True)
    assert finding["location"] == "commit_message"


def test_a_message_repeating_a_key_pair_yields_it_once_never_swapped(repo: Path) -> None:
    key, secret = K[6], K[7]
    message = (
        "Squashed: binance client\n\n"
        f'api_key = "{key}"\napi_secret = "{secret}"\n\n'
        f'-client = Client("{secret}", "{key}")\n'  # the bug this commit fixed, quoted
        f'+client = Client("{key}", "{secret}")\n\n'
        f"BINANCE_API_KEY={key}\nBINANCE_API_SECRET={secret}\n"
    )
    sha = commit(repo, {"a.txt": "a\n"}, message)
    found = [f for f in _history(repo)[1]["findings"] if f["location"] == "commit_message"]
    assert [(f["commit"], f["type"], f["line"]) for f in found] == [
        (sha, "binance_api_key", 3),
        (sha, "binance_secret_key", 4),
    ]
    assert found[0]["pair"]["fingerprint"] == found[1]["fingerprint"]
    assert found[1]["pair"]["fingerprint"] == found[0]["fingerprint"]


def test_key_written_in_a_merge_resolution_is_attributed_to_the_merge(repo: Path) -> None:
    commit(repo, {"cfg.env": "BINANCE_API_KEY=\n"})
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, {"cfg.env": "BINANCE_API_KEY=side\n"})
    git(repo, "checkout", "-q", "main")
    commit(repo, {"cfg.env": "BINANCE_API_KEY=main\n"})
    git(repo, "merge", "-q", "side", check=False)  # conflict
    write(repo, "cfg.env", _env(K[5]))
    git(repo, "add", "cfg.env")
    git(repo, "commit", "-q", "--no-edit")
    merge = git(repo, "rev-parse", "HEAD").strip()
    finding = _by_path(_history(repo)[1])["cfg.env"]
    assert finding["commit"] == merge
    assert finding["in_head"] is True


def test_key_merged_from_a_branch_keeps_its_branch_commit(repo: Path) -> None:
    commit(repo, {"README.md": "hi\n"})
    git(repo, "checkout", "-q", "-b", "feature")
    added = commit(repo, {"f.env": _env(K[6])})
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "feature", "-m", "merge feature")
    finding = _by_path(_history(repo)[1])["f.env"]
    assert finding["commit"] == added
    assert set(finding["refs"]) == {"refs/heads/feature", "refs/heads/main"}


def test_key_removed_and_added_again(repo: Path) -> None:
    first = commit(repo, {"bot.env": _env(K[0])})
    commit(repo, {"bot.env": "gone\n"})
    again = commit(repo, {"bot.env": "# restored\n" + _env(K[0])})
    finding = _by_path(_history(repo)[1])["bot.env"]
    assert finding["commit"] == first
    assert [(r["commit"], r["line"]) for r in finding["reintroduced"]] == [(again, 2)]
    assert finding["in_head"] is True


def test_same_key_in_two_files(repo: Path) -> None:
    first = commit(repo, {"a.env": _env(K[1])})
    second = commit(repo, {"b/c.env": _env(K[1])})
    by_path = _by_path(_history(repo)[1])
    assert by_path["a.env"]["commit"] == first and by_path["b/c.env"]["commit"] == second
    assert by_path["a.env"]["fingerprint"] == by_path["b/c.env"]["fingerprint"]


def test_renamed_file_keeps_its_introduction(repo: Path) -> None:
    added = commit(repo, {"old.env": _env(K[2])})
    git(repo, "mv", "old.env", "new.env")
    git(repo, "commit", "-q", "-m", "rename")
    by_path = _by_path(_history(repo)[1])
    assert by_path["old.env"]["commit"] == added
    assert by_path["old.env"]["in_head"] is False and by_path["new.env"]["in_head"] is True


def test_hex_testnet_key_in_history(repo: Path) -> None:
    commit(
        repo, {"t.py": f'client = Client(api_key="{fake_hex_key(3)}", testnet=True)  # binance\n'}
    )
    assert len(_history(repo)[1]["findings"]) == 1


def test_empty_repository(repo: Path) -> None:
    code, doc = _history(repo)
    assert code == 0 and doc["findings"] == []
    assert "no commits" in doc["notes"][0]


def test_not_a_repository(tmp_path: Path) -> None:
    proc = run_cli("history", str(tmp_path), env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert proc.returncode == 2
    assert "not a git repository" in proc.stderr


def test_shallow_clone_says_what_it_cannot_see(repo: Path, tmp_path: Path) -> None:
    commit(repo, {"bot.env": _env(K[0])})
    commit(repo, {"bot.env": "gone\n"})
    commit(repo, {"x.txt": "x\n"})
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True)
    proc = run_cli("history", str(clone), "--format", "json")
    assert proc.returncode == 2 and "INCOMPLETE" in proc.stderr  # the key is beyond the boundary
    assert json.loads(proc.stdout)["incomplete"] == {"commit(s) at a shallow boundary": 1}
    code, doc = _history(clone, "--allow-incomplete")
    assert code == 0
    assert any("shallow clone" in n for n in doc["notes"])


def test_bare_repository(repo: Path, tmp_path: Path) -> None:
    added = commit(repo, {"bot.env": _env(K[0])})
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    finding = _by_path(_history(bare)[1])["bot.env"]
    assert finding["commit"] == added and finding["in_worktree"] is None


def test_submodule_is_noted_not_followed(repo: Path, tmp_path: Path) -> None:
    inner = make_repo(tmp_path / "inner")
    commit(inner, {"inner.env": _env(K[7])})
    commit(repo, {"README.md": "hi\n"})
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "vendor/x")
    git(repo, "commit", "-q", "-m", "submodule")
    code, doc = _history(repo)
    assert code == 0
    assert any("vendor/x: submodule" in n for n in doc["notes"])


def test_odd_paths_large_and_binary_blobs(repo: Path) -> None:
    odd = "d\u00e9j\u00e0 vu\tkey.env"
    commit(
        repo,
        {
            odd: _env(K[1]),
            "big.env": _env(K[2]) + "#" * 5000,
            "blob.bin": b"\x00" + _env(K[3]).encode(),
        },
    )
    proc = run_cli("history", str(repo), "--format", "json", "--max-bytes", "2000")
    doc = json.loads(proc.stdout)
    assert {f["path"] for f in doc["findings"]} == {odd}
    assert doc["skipped_objects"] == {"binary": 1, "larger than 2000 bytes": 1}
    # Not scanned, but the prefilter saw something key-shaped in it: not called clean.
    assert doc["incomplete"] == {"blob(s) over --max-bytes that may hold keys": 1}
    assert proc.returncode == 2


def test_a_large_blob_without_anything_key_shaped_is_only_skipped(repo: Path) -> None:
    commit(repo, {"big.log": "line\n" * 1000, "blob.bin": b"\x00" + _env(K[3]).encode() * 99})
    proc = run_cli("history", str(repo), "--format", "json", "--max-bytes", "2000")
    doc = json.loads(proc.stdout)
    assert doc["skipped_objects"] == {"larger than 2000 bytes": 2}  # the binary one is no suspect
    assert doc["incomplete"] == {} and proc.returncode == 0


def test_detached_head(repo: Path) -> None:
    commit(repo, {"bot.env": _env(K[0])})
    commit(repo, {"x.txt": "x\n"})
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    finding = _by_path(_history(repo)[1])["bot.env"]
    assert finding["in_head"] is True


def test_range_reports_only_keys_introduced_in_it(repo: Path) -> None:
    commit(repo, {"old.env": _env(K[0])})
    base = commit(repo, {"x.txt": "x\n"})
    commit(repo, {"old.env": "# edited\n" + _env(K[0]), "new.env": _env(K[1])})
    _, doc = _history(repo, "--rev", f"{base}..main")
    assert set(_by_path(doc)) == {"new.env"}
    _, doc = _history(repo, "--since-commit", base)
    assert set(_by_path(doc)) == {"new.env"}


def test_text_output_groups_by_key_most_recent_first(repo: Path) -> None:
    stage(repo, {"a.env": _env(K[0])})
    git(repo, "commit", "-q", "--date", "2021-01-01T00:00:00", "-m", "older key")
    stage(repo, {"b.env": _env(K[1]), "c.env": _env(K[1])})
    git(repo, "commit", "-q", "--date", "2022-01-01T00:00:00", "-m", "newer key")
    out = run_cli("history", str(repo)).stdout
    first, second = out.index(K[1][:4] + "****"), out.index(K[0][:4] + "****")
    assert first < second
    assert out.count(K[1][:4] + "****") == 1  # one group for the key found in two files
    assert "b.env" in out and "c.env" in out
    assert "STILL AT HEAD" in out


def test_parallel_readers_find_what_one_reader_finds(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from binance_guard.history import scan as history_scan
    from binance_guard.policy import Policy
    from binance_guard.sources.objects import inventory

    for i in range(6):
        commit(repo, {f"f{i}.env": _env(K[i]), f"g{i}.txt": "filler\n" * 50})
    stock = inventory(str(repo), None, 1 << 20)
    calls: list[int] = []
    single = history_scan._scan_blobs(
        str(repo), stock, Policy(), None, 1, lambda: None, lambda: calls.append(1)
    )
    monkeypatch.setattr(history_scan, "PARALLEL_MIN_BYTES", 0)
    seen: list[tuple[int, int, int]] = []
    signalled: list[bool] = []
    parallel = history_scan._scan_blobs(
        str(repo),
        stock,
        Policy(),
        lambda *args: seen.append(args),
        2,
        lambda: signalled.append(True),
        lambda: calls.append(2),
    )
    assert calls == [1, 2]  # the parent's own work, once per run
    assert len(parallel) > 2  # several chunks per reader
    merged = {oid: f for part in parallel for oid, f in part.found.items()}
    assert merged.keys() == single[0].found.keys() and len(merged) == 6
    assert sum(p.blobs for p in parallel) == single[0].blobs == len(stock.blobs)
    assert seen and seen[-1][0] == len(stock.blobs)
    assert signalled  # the attribution walk may start before the blob pass ends


def test_readers_started_afresh_while_a_thread_runs_find_the_same(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread (the progress bar's) makes forking unsafe: the readers are spawned instead."""
    import threading

    from binance_guard.history import scan as history_scan
    from binance_guard.policy import Policy
    from binance_guard.sources.objects import inventory

    for i in range(3):
        commit(repo, {f"f{i}.env": _env(K[i])})
    stock = inventory(str(repo), None, 1 << 20)
    monkeypatch.setattr(history_scan, "PARALLEL_MIN_BYTES", 0)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        parts = history_scan._scan_blobs(
            str(repo), stock, Policy(), None, 2, lambda: None, lambda: None
        )
    finally:
        stop.set()
        thread.join()
    assert len({oid for part in parts for oid in part.found}) == 3
    assert sum(part.blobs for part in parts) == len(stock.blobs)


def test_a_readers_error_is_raised_by_the_scan(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from binance_guard.history import scan as history_scan
    from binance_guard.policy import Policy
    from binance_guard.sources import git as git_source
    from binance_guard.sources.objects import inventory

    commit(repo, {"a.env": _env(K[0])})
    stock = inventory(str(repo), None, 1 << 20)
    monkeypatch.setattr(history_scan, "PARALLEL_MIN_BYTES", 0)
    with pytest.raises(git_source.GitError):  # git cannot start in a directory that is gone
        history_scan._scan_blobs(
            str(tmp_path / "gone"), stock, Policy(), None, 2, lambda: None, lambda: None
        )


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_jobs_flag_gives_the_same_report(repo: Path, jobs: str) -> None:
    for i in range(3):
        commit(repo, {f"f{i}.env": _env(K[i])})
    assert _history(repo, "--jobs", jobs) == _history(repo)


def test_jobs_must_be_positive(repo: Path) -> None:
    proc = run_cli("history", str(repo), "--jobs", "0")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_default_jobs_is_what_this_process_may_use() -> None:
    import os

    from binance_guard.history.scan import default_jobs

    assert 1 <= default_jobs() <= min(8, len(os.sched_getaffinity(0)))


def test_readers_get_chunks_of_shrinking_bytes_end_of_pack_first() -> None:
    """Sizes 3:2:1 of the bytes for 3 chunks, in the order they are read: the last, which
    decides when the readers finish, is the smallest; the end of the pack comes first."""
    from binance_guard.history.scan import _chunks
    from binance_guard.sources.objects import Inventory

    sizes = [100] * 12
    stock = Inventory([f"{i:040x}" for i in range(12)], sizes, sum(sizes))
    chunks = _chunks(stock, 3)
    assert [len(c) for c in chunks] == [6, 4, 2]
    assert [oid for chunk in reversed(chunks) for oid in chunk] == stock.blobs  # pack order
    big = [1000, 10, 10, 10, 10, 10, 500, 500, 10, 10]
    stock = Inventory([f"{i:040x}" for i in range(10)], big, sum(big))
    assert [len(c) for c in _chunks(stock, 3)] == [3, 6, 1]  # by bytes: 520, 550, 1000 (one blob)


def test_lfs_pointer_files_are_not_keys(repo: Path) -> None:
    oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 12345\n"
    commit(repo, {"binance/model.bin": pointer, ".gitattributes": "*.bin filter=lfs\n"})
    code, doc = _history(repo)
    assert (code, doc["findings"]) == (0, [])
    # The file a pointer stands for is on the LFS server: not looked at, and said so.
    (why,) = doc["skipped_objects"]
    assert why.startswith("Git LFS pointer") and doc["skipped_objects"][why] == 1


def test_key_in_an_annotated_tag_message(repo: Path) -> None:
    commit(repo, {"a.txt": "a\n"})
    git(repo, "tag", "-a", "v1", "-m", f"release notes\nBINANCE_API_KEY={K[4]}\n")
    tag_object = git(repo, "rev-parse", "v1").strip()
    finding = _by_path(_history(repo)[1])["(tag message)"]
    assert (finding["commit"], finding["line"], finding["refs"]) == (
        tag_object,
        2,
        ["refs/tags/v1"],
    )


@pytest.mark.parametrize("reached_by", ["a tag of it", "refs/original"])
def test_key_in_a_tag_no_refs_tags_ref_names(repo: Path, reached_by: str) -> None:
    """A tag of a tag (`git tag -a outer inner`, inner deleted) pushes both messages, and git
    filter-branch keeps old tags under refs/original/: both were called clean, exit 0."""
    commit(repo, {"a.txt": "a\n"})
    git(repo, "tag", "-a", "inner", "-m", f"BINANCE_API_KEY={K[5]}")
    inner = git(repo, "rev-parse", "inner").strip()
    date = git(repo, "for-each-ref", "--format=%(taggerdate:iso-strict)", "refs/tags/inner")
    if reached_by == "a tag of it":
        git(repo, "-c", "advice.nestedTag=false", "tag", "-a", "outer", "-m", "outer", "inner")
        ref = "refs/tags/outer"
    else:
        ref = "refs/original/refs/tags/inner"
        git(repo, "update-ref", ref, "inner")
    git(repo, "tag", "-d", "inner")
    code, doc = _history(repo)
    finding = _by_path(doc)["(tag message)"]
    assert (code, finding["commit"], finding["refs"]) == (1, inner, [ref])
    assert finding["author"] == "Test Committer <committer@example.com>"
    assert finding["date"] == date.strip()


def test_keys_in_author_committer_and_tagger_names_and_emails(repo: Path) -> None:
    """git-filter-repo (scrub) rewrites names and emails, and git pushes them in every commit
    made with them: a key pasted as user.name was in no file or message, and exit 0."""
    commit(repo, {"a.txt": "a\n"})
    leaky = {"GIT_COMMITTER_NAME": f"BINANCE_API_KEY={K[0]}"}
    stage(repo, {"a.txt": "b\n"})
    git(repo, "commit", "-q", "-m", "b", f"--author=binance {K[1]} <a@example.com>", env=leaky)
    by_committer = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "tag", "-a", "v1", "-m", "v1", env=leaky)
    tag_object = git(repo, "rev-parse", "v1").strip()
    commit(repo, {"a.txt": "c\n"})  # the author alone: the committer is the usual one
    git(repo, "checkout", "-q", "--detach", "HEAD~2")
    git(repo, "commit", "-q", "--allow-empty", "-m", "d", f"--author=binance {K[1]} <a@b.c>")
    side = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "branch", "side")
    git(repo, "checkout", "-q", "main")
    code, doc = _history(repo)
    found = sorted(
        (f["location"], f["path"], f["commit"], f["in_head"], tuple(f["refs"]))
        for f in doc["findings"]
    )
    assert code == 1
    assert found == sorted(
        [
            ("author", "(author)", by_committer, True, ("refs/heads/main", "refs/tags/v1")),
            ("author", "(author)", side, False, ("refs/heads/side",)),
            ("committer", "(committer)", by_committer, True, ("refs/heads/main", "refs/tags/v1")),
            ("tagger", "(tagger)", tag_object, False, ("refs/tags/v1",)),
        ]
    )
    assert {f["fingerprint"] for f in doc["findings"]} == {_fp(K[0]), _fp(K[1])}


def test_a_found_value_repeated_bare_in_a_message_or_an_identity_is_reported_there(
    repo: Path,
) -> None:
    """Alone, `<key>@example.com` or a message quoting a key has no context the scanner
    trusts; but scrub replaces every copy of a value it removes, so history names each."""
    found_at = commit(repo, {"bot.env": _env(K[3])})
    leaky = {"GIT_COMMITTER_EMAIL": f"{K[3]}@example.com"}
    stage(repo, {"a.txt": "a\n"})
    git(repo, "commit", "-q", "-m", f"rotate\n\nold one was {K[3]}", env=leaky)
    repeated = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "tag", "-a", "v1", "-m", f"not {K[3]} any more", env=leaky)
    tag_object = git(repo, "rev-parse", "v1").strip()
    code, doc = _history(repo)
    found = sorted(
        (f["location"], f["commit"], f["line"], f["column"], f["fingerprint"] == _fp(K[3]))
        for f in doc["findings"]
    )
    assert code == 1
    assert found == sorted(
        [
            ("file", found_at, 1, 17, True),
            ("commit_message", repeated, 3, 13, True),
            ("committer", repeated, 1, 17, True),
            ("tag_message", tag_object, 1, 5, True),
            ("tagger", tag_object, 1, 17, True),
        ]
    )
    repeat = next(f for f in doc["findings"] if f["location"] == "committer")
    assert repeat["reasons"] == ["the value found at bot.env:1, repeated"]


def _fp(secret: str) -> str:
    from binance_guard.finding import fingerprint

    return fingerprint(secret)


def test_keys_only_in_older_stash_entries_are_reported_where_they_are(repo: Path) -> None:
    """stash@{1} and older live only in refs/stash's reflog, which --all does not read: they
    were a note, exit 0, while `git stash pop` brings them back and scrub rewrites them."""
    commit(repo, {"a.txt": "a\n"})
    write(repo, "a.txt", _env(K[6]))
    git(repo, "stash", "-q")
    in_file = git(repo, "rev-parse", "stash@{0}").strip()
    write(repo, "a.txt", "b\n")
    git(repo, "stash", "push", "-q", "-m", f"BINANCE_API_KEY={K[5]}")
    in_message = git(repo, "rev-parse", "stash@{0}").strip()
    for text in ("c\n", "d\n"):
        write(repo, "a.txt", text)
        git(repo, "stash", "-q")
    code, doc = _history(repo)
    found = sorted((f["path"], f["commit"], f["in_head"], f["refs"]) for f in doc["findings"])
    assert (code, doc["notes"]) == (1, [])
    assert found == [
        ("(commit message)", in_message, False, ["stash@{2}"]),
        ("a.txt", in_file, False, ["stash@{3}"]),
    ]


def test_a_key_in_a_git_note_is_a_note_not_a_file(repo: Path) -> None:
    """git push origin refs/notes/* sends notes, scrub rewrites them: a note's path is the id
    of the commit it annotates, a file nobody has (SARIF pointed at it)."""
    annotated = commit(repo, {"a.txt": "a\n"})
    git(repo, "notes", "add", "-m", f"deployed with BINANCE_API_KEY={K[2]}", "HEAD")
    notes_commit = git(repo, "rev-parse", "refs/notes/commits").strip()
    code, doc = _history(repo)
    (finding,) = doc["findings"]
    assert (code, finding["location"], finding["path"], finding["commit"]) == (
        1,
        "note",
        annotated,
        notes_commit,
    )
    assert (finding["refs"], finding["in_head"]) == (["refs/notes/commits"], False)
    sarif = json.loads(run_cli("history", str(repo), "--format", "sarif").stdout)
    (result,) = sarif["runs"][0]["results"]
    (place,) = result["locations"]
    assert "physicalLocation" not in place
    assert place["message"]["text"] == f"note on {annotated} in {notes_commit[:12]}, line 1"


def test_keys_only_a_replace_ref_or_another_worktrees_head_reaches(
    repo: Path, tmp_path: Path
) -> None:
    """git replace's refs/replace/* are pushed like any ref (and their objects with them);
    a linked worktree's detached HEAD holds commits no ref names: both are walked."""
    base = commit(repo, {"a.txt": "a\n"})
    git(repo, "worktree", "add", "-q", "--detach", str(tmp_path / "wt"), "main")
    elsewhere = commit(tmp_path / "wt", {"b.txt": _env(K[1])})
    git(repo, "checkout", "-q", "--detach")
    replacement = commit(repo, {"a.txt": _env(K[0])})
    git(repo, "checkout", "-q", "main")
    git(repo, "replace", "-f", base, replacement)
    code, doc = _history(repo)
    found = sorted((f["path"], f["commit"], f["refs"]) for f in doc["findings"])
    assert code == 1
    assert found == [
        ("a.txt", replacement, [f"refs/replace/{base}"]),
        ("b.txt", elsewhere, [f"HEAD of {tmp_path / 'wt'}"]),
    ]


def test_a_key_only_in_a_reset_away_commit_is_noted_not_reported(repo: Path) -> None:
    """Only HEAD's reflog reaches it: never pushed or cloned, kept by scrub in its backup and
    deleted with --prune (gitleaks --log-opts=--all and trufflehog read no reflog at all)."""
    commit(repo, {"a.txt": "a\n"})
    commit(repo, {"a.txt": _env(K[6])}, f"BINANCE_API_KEY={K[7]}")
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    code, doc = _history(repo)
    assert (code, doc["findings"]) == (0, [])
    assert doc["notes"] == [
        "1 secret(s) only in unreachable objects (reset-away or deleted commits: git reflog): "
        "not reported"
    ]


def test_a_file_of_many_keys_is_scanned_once_per_blob_not_once_per_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attribution rescanned a blob for every secret in it: quadratic in a file of keys."""
    from binance_guard.detection.scanner import scan_bytes
    from binance_guard.history import scan as history_scan
    from binance_guard.policy import Policy

    calls = []

    def counting(data: bytes, path: str, lines: Any = None, **options: Any) -> Any:
        calls.append(path)
        return scan_bytes(data, path, lines, **options)

    monkeypatch.setattr("binance_guard.history.scan.scan_bytes", counting)
    counts = []
    for keys in (4, 16):
        calls.clear()
        repo = make_repo(tmp_path / f"repo{keys}")
        body = "".join(f"BINANCE_API_KEY_{i} = '{fake_key(f'many-{i}')}'\n" for i in range(keys))
        commit(repo, {"keys.py": "import binance\n" + body})
        report = history_scan.scan_history(str(repo), None, Policy(), 1 << 20)
        assert len({f.fingerprint for f in report.findings}) == keys
        assert all(f.attribution and f.attribution.in_worktree for f in report.findings)
        counts.append(len(calls))
    assert counts[0] == counts[1], counts
