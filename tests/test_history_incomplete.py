"""history, scrub and scan never call clean what they could not read.

Partial clones from a local file:// origin (present: git's lazy fetch brings the blobs; gone:
counted, exit 2), a blob deleted from the only pack, and a bare repository passed to scan.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from testing.cli import run_cli
from testing.git_repo import commit, damage_in_pack, drop_from_pack, git, make_repo
from testing.keys import fake_key

K = [fake_key(f"incomplete-{i}") for i in range(2)]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    proc = run_cli(*args)
    for key in K:
        assert key not in proc.stdout + proc.stderr
    return proc


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A key in an old commit only: HEAD's files (what a partial clone checks out) are clean."""
    repo = make_repo(tmp_path / "origin")
    commit(repo, {"README.md": "# bot\n"}, "initial")
    commit(repo, {"deploy.env": f"BINANCE_API_KEY={K[0]}\n"}, "add key")
    commit(repo, {"deploy.env": "BINANCE_API_KEY=${FROM_VAULT}\n"}, "key out")
    git(repo, "config", "uploadpack.allowFilter", "true")
    return repo


def _partial(origin: Path, path: Path) -> Path:
    subprocess.run(
        ["git", "clone", "-q", "--filter=blob:none", f"file://{origin}", str(path)], check=True
    )
    listing = git(path, "rev-list", "--objects", "--all", "--missing=print")
    assert "?" in listing, "the clone is not partial"
    return path


def test_partial_clone_fetches_from_its_promisor_and_finds_the_old_key(
    origin: Path, tmp_path: Path
) -> None:
    clone = _partial(origin, tmp_path / "clone")
    proc = _cli("history", str(clone), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert [f["path"] for f in doc["findings"]] == ["deploy.env"]
    assert doc["incomplete"] == {}
    assert any("fetched" in note for note in doc["notes"])


def test_partial_clone_with_the_origin_gone_is_incomplete(origin: Path, tmp_path: Path) -> None:
    clone = _partial(origin, tmp_path / "clone")
    shutil.move(origin, tmp_path / "moved")
    proc = _cli("history", str(clone), "--format", "json")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "INCOMPLETE" in proc.stderr and "--allow-incomplete" in proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["findings"] == []
    assert doc["incomplete"] == {"object(s) not fetched (partial clone)": 1}
    text = _cli("history", str(clone))
    assert text.returncode == 2 and "found in history" not in text.stdout
    assert "INCOMPLETE: 1 object(s) not fetched (partial clone)" in text.stdout
    accepted = _cli("history", str(clone), "--allow-incomplete")
    assert accepted.returncode == 0 and "incomplete (accepted)" in accepted.stderr
    scrub = _cli("scrub", "--in-place", "--yes", str(clone))
    assert scrub.returncode == 2 and "cannot scrub what could not be read" in scrub.stderr
    # Brought back, the same command finds the key.
    shutil.move(tmp_path / "moved", origin)
    assert _cli("history", str(clone)).returncode == 1


def test_object_deleted_from_the_pack_is_incomplete(origin: Path) -> None:
    repo = origin
    blob = git(repo, "rev-parse", "HEAD~1:deploy.env").strip()
    drop_from_pack(repo, blob)
    assert subprocess.run(["git", "cat-file", "-e", blob], cwd=repo).returncode != 0
    proc = _cli("history", str(repo), "--format", "json")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["incomplete"] == {"object(s) missing or lost": 1}
    # A range that does not reach the lost blob is complete; one that does counts it (git
    # rev-list used to die on it: a git error, no report).
    assert _cli("history", str(repo), "--rev", "HEAD~1..HEAD").returncode == 0
    ranged = _cli("history", str(repo), "--rev", "HEAD~2..HEAD", "--format", "json")
    assert ranged.returncode == 2, ranged.stderr
    assert json.loads(ranged.stdout)["incomplete"] == {"object(s) missing or lost": 1}


def test_scan_refuses_a_bare_repository(origin: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(origin), str(bare)], check=True)
    proc = _cli("scan", str(bare))
    assert proc.returncode == 2
    assert "is a git directory" in proc.stderr and f"binance-guard history {bare}" in proc.stderr
    assert "no Binance credentials" not in proc.stdout
    assert _cli("history", str(bare)).returncode == 1  # where the key really is


def test_corrupt_object_is_incomplete(origin: Path) -> None:
    blob = git(origin, "rev-parse", "HEAD~1:deploy.env").strip()
    loose = origin / ".git" / "objects" / blob[:2] / blob[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not zlib at all")
    proc = _cli("history", str(origin), "--format", "json")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["incomplete"] == {"object(s) corrupt or unreadable": 1}


def test_damaged_pack_bytes_are_counted_and_the_rest_is_scanned(origin: Path) -> None:
    """Bytes of one blob damaged inside the pack: git cat-file dies on it (it used to end the
    run with a git error and no report); the other objects are still read."""
    repo = origin
    commit(repo, {"other.env": f"BINANCE_API_KEY={K[1]}\n"}, "another key")
    git(repo, "repack", "-adq")
    blob = git(repo, "rev-parse", "HEAD~2:deploy.env").strip()
    damage_in_pack(repo, blob)
    assert subprocess.run(["git", "cat-file", "-p", blob], cwd=repo).returncode != 0

    proc = _cli("history", str(repo), "--format", "json")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["incomplete"] == {"object(s) corrupt or unreadable": 1}
    assert [f["path"] for f in doc["findings"]] == ["other.env"]
    assert "INCOMPLETE: 1 object(s) corrupt or unreadable" in proc.stderr
    accepted = _cli("history", str(repo), "--allow-incomplete")
    assert accepted.returncode == 1 and "other.env" in accepted.stdout
