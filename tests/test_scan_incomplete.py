"""scan and the commit hook never call clean a file they could not read.

A file or directory that is there but cannot be read (permissions; as root, run in a user
namespace where ``chmod 0`` counts) makes the run incomplete: exit 2, counted in JSON's
``incomplete``, named in the text. What is skipped on purpose (binary, links, too large,
excluded, deleted) is listed and the run is complete.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from testing.cli import as_unprivileged, run_cli, run_cli_unprivileged
from testing.git_repo import commit, git, stage
from testing.keys import fake_key

K = [fake_key(f"scan-incomplete-{i}") for i in range(3)]


def _env(key: str) -> str:
    return f"BINANCE_API_KEY={key}\n"


@pytest.fixture
def unprivileged(repo: Path) -> Path:
    try:
        as_unprivileged(repo)
    except OSError as exc:
        pytest.skip(str(exc))
    return repo


def _no_secret(*outputs: str) -> None:
    for key in K:
        assert all(key not in out for out in outputs)


def test_an_unreadable_tracked_file_makes_the_scan_incomplete(unprivileged: Path) -> None:
    repo = unprivileged
    commit(repo, {"secret.env": _env(K[0]), "ok.env": _env(K[1])})
    everything = run_cli("scan", "--format", "json", cwd=repo)  # root, or before chmod
    assert {f["path"] for f in json.loads(everything.stdout)["findings"]} >= {"ok.env"}
    (repo / "secret.env").chmod(0)

    proc = run_cli_unprivileged("scan", "--format", "json", cwd=repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert {f["path"] for f in doc["findings"]} == {"ok.env"}
    assert doc["incomplete"] == {"file(s) unreadable": 1}
    assert {"path": "secret.env", "reason": "unreadable: Permission denied"} in doc["skipped"]
    assert "INCOMPLETE: 1 file(s) unreadable" in proc.stderr and "--allow-incomplete" in proc.stderr

    text = run_cli_unprivileged("scan", cwd=repo)
    assert text.returncode == 2
    assert "INCOMPLETE: 1 file(s) unreadable" in text.stdout
    assert "secret.env: unreadable: Permission denied" in text.stdout
    named = run_cli_unprivileged("scan", "secret.env", cwd=repo)
    assert named.returncode == 2 and "found in what could be read" in named.stdout
    accepted = run_cli_unprivileged("scan", "--allow-incomplete", cwd=repo)
    assert accepted.returncode == 1, accepted.stderr  # ok.env's key
    assert "incomplete (accepted): 1 file(s) unreadable" in accepted.stderr
    # Excluded, it is not meant to be read: complete.
    excluded = run_cli_unprivileged("scan", "--exclude-files", "secret", cwd=repo)
    assert excluded.returncode == 1, excluded.stdout + excluded.stderr
    _no_secret(proc.stdout, proc.stderr, text.stdout, accepted.stdout, everything.stdout)


def test_an_unreadable_directory_makes_the_scan_incomplete(unprivileged: Path) -> None:
    """git ls-files leaves out an untracked directory it cannot open, with only a warning;
    the walk of --all-files cannot list it either."""
    repo = unprivileged
    commit(repo, {"ok.env": _env(K[1])})
    (repo / "private").mkdir()
    (repo / "private" / "deploy.env").write_text(_env(K[0]))
    assert "private/deploy.env" in run_cli("scan", "-v", cwd=repo).stdout
    (repo / "private").chmod(0)
    for flags in ([], ["--all-files"]):
        proc = run_cli_unprivileged("scan", "--format", "json", *flags, cwd=repo)
        assert proc.returncode == 2, (flags, proc.stdout + proc.stderr)
        doc = json.loads(proc.stdout)
        assert doc["incomplete"] == {"directory(ies) unreadable": 1}
        assert {"path": "private", "reason": "unreadable directory: Permission denied"} in doc[
            "skipped"
        ]
        assert [f["path"] for f in doc["findings"]] == ["ok.env"]
    (repo / "private").chmod(0o755)


def test_what_is_skipped_on_purpose_is_listed_and_complete(repo: Path) -> None:
    commit(
        repo,
        {
            "found.env": _env(K[0]),
            "logo.png": b"\x89PNG\x00\x00" + _env(K[1]).encode(),
            "big.env": "LOG_LEVEL=debug\n" * 200,  # nothing key-shaped in it
            "vendor/lib.env": _env(K[2]),
            "gone.env": _env(K[2]),
        },
    )
    os.symlink("found.env", repo / "link.env")
    os.symlink("nowhere.env", repo / "broken.env")
    (repo / "gone.env").unlink()  # tracked, deleted in the work tree: nothing left to read
    proc = run_cli(
        "scan", "--format", "json", "--max-bytes", "2000", "--exclude-files", "^vendor/", cwd=repo
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert [f["path"] for f in doc["findings"]] == ["found.env"]
    assert doc["incomplete"] == {}
    reasons = {s["path"]: s["reason"].split(" (")[0] for s in doc["skipped"]}
    assert reasons == {
        "logo.png": "binary",
        "big.env": "larger than 2000 bytes",
        "vendor/lib.env": "excluded",
        "gone.env": "no such file or directory",
        "link.env": "symbolic link",
        "broken.env": "symbolic link",
    }
    named = run_cli("scan", "broken.env", cwd=repo)
    assert named.returncode == 0 and "skipped: 1 symbolic link" in named.stdout
    _no_secret(proc.stdout, proc.stderr)


def test_a_file_over_max_bytes_that_may_hold_a_key_makes_the_run_incomplete(
    repo: Path,
) -> None:
    """Not scanned (the user's limit), but read through the prefilter: a key in a bot's log
    over the limit is not called clean."""
    commit(repo, {"bot.log": "started\n" * 300 + _env(K[0])})
    proc = run_cli("scan", "--format", "json", "--max-bytes", "2000", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["incomplete"] == {"file(s) over --max-bytes that may hold keys": 1}
    text = run_cli("scan", "--max-bytes", "2000", cwd=repo)
    assert text.returncode == 2
    assert "bot.log: larger than 2000 bytes" in text.stdout and "INCOMPLETE" in text.stdout
    assert run_cli("scan", "--max-bytes", "2000", "--allow-incomplete", cwd=repo).returncode == 0
    assert run_cli("scan", "--max-bytes", "3000", cwd=repo).returncode == 1
    _no_secret(proc.stdout, proc.stderr, text.stdout, text.stderr)


def test_the_prefilter_of_a_large_file_sees_a_key_across_its_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from binance_guard.sources import source

    monkeypatch.setattr(source, "PREFILTER_CHUNK", 4096)
    for at in (4096 - 30, 3 * 4096 - 1, 4096 * 5):  # across the first, third, at the sixth
        path = tmp_path / f"at-{at}.log"
        path.write_bytes(b"." * at + _env(K[1]).encode() + b"." * 5000)
        skipped = source.read_file(str(path), path.name, max_bytes=1000)
        assert isinstance(skipped, source.Skipped) and skipped.unread, at
    clean = tmp_path / "clean.log"
    clean.write_bytes(b"debug line\n" * 3000)
    skipped = source.read_file(str(clean), "clean.log", max_bytes=1000)
    assert isinstance(skipped, source.Skipped) and not skipped.unread


def test_a_staged_blob_that_cannot_be_read_stops_the_commit(repo: Path) -> None:
    """git diff shows the work-tree file when it matches the index, so the patch holds the
    key while the blob the commit would record is gone: that used to pass as clean."""
    commit(repo, {"README.md": "# bot\n"})
    stage(repo, {"deploy.env": _env(K[0])})
    blob = git(repo, "rev-parse", ":deploy.env").strip()
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()

    proc = run_cli("hook", "deploy.env", cwd=repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Commit stopped" in proc.stdout
    assert "deploy.env: staged blob missing or corrupt" in proc.stdout
    doc = json.loads(run_cli("hook", "--format", "json", cwd=repo).stdout)
    assert doc["incomplete"] == {"staged blob(s) unreadable": 1}
    assert run_cli("hook", "--allow-incomplete", cwd=repo).returncode == 0
    # Staged again, the blob exists and the key is found.
    git(repo, "add", "deploy.env")
    assert run_cli("hook", cwd=repo).returncode == 1


def test_an_unreadable_file_named_to_the_hook_stops_the_commit(unprivileged: Path) -> None:
    repo = unprivileged
    commit(repo, {"README.md": "# bot\n"})
    (repo / "local.env").write_text(_env(K[0]))
    assert run_cli("hook", "local.env", cwd=repo).returncode == 1
    (repo / "local.env").chmod(0)
    proc = run_cli_unprivileged("hook", "local.env", cwd=repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "local.env: unreadable: Permission denied" in proc.stdout
    _no_secret(proc.stdout, proc.stderr)
