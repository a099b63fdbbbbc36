"""`binance-guard scrub` with the real git-filter-repo on real repositories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testing.cli import run_cli
from testing.git_repo import commit, git, make_repo, write
from testing.keys import fake_key

K = [fake_key(f"scrub-{i}") for i in range(6)]
ED25519_BODY = "MC4CAQAwBQYDK2VwBCIEIHqlpoSYWD2h3BXJx5iLd4p8dV3bVGDm6v0cvgTUjd8F"
PEM = f"-----BEGIN PRIVATE KEY-----\n{ED25519_BODY}\n-----END PRIVATE KEY-----\n"


def _refs(repo: Path) -> dict[str, str]:
    out = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split() for line in out.splitlines())


def _counts(repo: Path) -> dict[str, int]:
    return {ref: int(git(repo, "rev-list", "--count", ref)) for ref in _refs(repo)}


def _all_content(repo: Path) -> bytes:
    objects = git(repo, "rev-list", "--all", "--objects").split()
    oids = [o for o in objects if len(o) == 40]
    proc = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repo,
        check=True,
        input="\n".join(oids).encode(),
        capture_output=True,
    )
    return proc.stdout


@pytest.fixture
def leaky(tmp_path: Path) -> Path:
    """Branches, tags, a merge, a deleted file, a side branch, a message and a PEM."""
    repo = make_repo(tmp_path / "leaky")
    commit(repo, {"README.md": "# bot\n", "bot.py": "from binance.client import Client\n"})
    commit(
        repo,
        {"bot.py": f'from binance.client import Client\nclient = Client("{K[0]}", "{K[1]}")\n'},
        "add keys",
    )
    commit(repo, {".env": f"BINANCE_API_KEY={K[2]}\n"}, "only change: a key")
    git(repo, "tag", "v1")
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, {"side.env": f"BINANCE_API_SECRET={K[3]}\n", "keys/binance.pem": PEM})
    git(repo, "tag", "-a", "-m", "annotated", "v2-side")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"notes.md": "notes\n"}, f"oops BINANCE_API_KEY={K[4]}")
    git(repo, "merge", "-q", "--no-ff", "side", "-m", "merge side")
    git(repo, "rm", "-q", ".env")
    git(repo, "commit", "-q", "-m", "remove .env")
    commit(repo, {"bot.py": "import os\n"}, "use env vars")
    return repo


def _assert_no_secret(repo: Path) -> None:
    content = _all_content(repo)
    for key in K[:5]:
        assert key.encode() not in content
    assert ED25519_BODY.encode() not in content


def _snapshot(repo: Path) -> list[tuple[str, dict[str, bytes]]]:
    """Every commit (oldest first) as (author line + message, {path: content})."""
    result = []
    for sha in git(repo, "rev-list", "--all", "--topo-order", "--reverse").split():
        meta = git(repo, "show", "-s", "--format=%an %ae %ad %cn %ce %cd%n%B", sha)
        files = {}
        for path in git(repo, "ls-tree", "-r", "--name-only", "-z", sha).split("\0"):
            if path:
                files[path] = subprocess.run(
                    ["git", "show", f"{sha}:{path}"], cwd=repo, capture_output=True, check=True
                ).stdout
        result.append((meta, files))
    return result


def _replace(data: bytes) -> bytes:
    for key in K[:5]:
        data = data.replace(key.encode(), b"***REMOVED-BINANCE-KEY***")
    return data.replace(ED25519_BODY.encode(), b"***REMOVED-PRIVATE-KEY***")


def _assert_identical_but_for_secrets(original: Path, scrubbed: Path) -> None:
    """Independent of the tool's own check: commit by commit, file by file."""
    before, after = _snapshot(original), _snapshot(scrubbed)
    assert len(before) == len(after)
    for (meta, files), (new_meta, new_files) in zip(before, after, strict=True):
        assert _replace(meta.encode()).decode() == new_meta
        assert {p: _replace(c) for p, c in files.items()} == new_files


def test_in_place_scrub_removes_every_secret_and_nothing_else(leaky: Path) -> None:
    refs, counts = _refs(leaky), _counts(leaky)
    files_before = git(leaky, "ls-tree", "-r", "--name-only", "main")
    proc = run_cli("scrub", "--in-place", "--yes", str(leaky))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for key in K:
        assert key not in out + proc.stderr
    assert out.count("[ok]") == 3
    assert "Revoke the keys first" in out
    for ref in ("refs/heads/main", "refs/heads/side", "refs/tags/v1", "refs/tags/v2-side"):
        assert f"push --force origin {ref}:{ref}" in out
    _assert_no_secret(leaky)
    assert _counts(leaky) == counts  # no commit vanished, the key-only commit included
    assert _refs(leaky).keys() == refs.keys()
    assert git(leaky, "ls-tree", "-r", "--name-only", "main") == files_before
    assert "***REMOVED-BINANCE-KEY***" in git(leaky, "show", "v1:.env")
    assert "***REMOVED-PRIVATE-KEY***" in git(leaky, "show", "side:keys/binance.pem")
    assert "oops BINANCE_API_KEY=***REMOVED-BINANCE-KEY***" in git(leaky, "log", "--format=%B")
    history = run_cli("history", str(leaky), "--format", "json")
    assert json.loads(history.stdout)["findings"] == []

    bundle = next(leaky.parent.glob("leaky.backup-*.bundle"))
    restored = leaky.parent / "restored"
    subprocess.run(["git", "clone", "-q", "--mirror", str(bundle), str(restored)], check=True)
    assert _refs(restored) == refs
    _assert_identical_but_for_secrets(restored, leaky)

    again = run_cli("scrub", "--in-place", "--yes", str(leaky))
    assert (again.returncode, "nothing to scrub" in again.stdout) == (0, True)


def test_dry_run_changes_nothing(leaky: Path) -> None:
    refs = _refs(leaky)
    proc = run_cli("scrub", str(leaky))
    assert proc.returncode == 1
    assert "would change" in proc.stdout and "dry run" in proc.stdout
    assert "refs/heads/side" in proc.stdout and "keys/binance.pem" in proc.stdout
    assert _refs(leaky) == refs
    assert not list(leaky.parent.glob("*.bundle")) and not list(leaky.parent.glob("*.git"))


def test_mirror_mode_leaves_the_original_untouched(leaky: Path, tmp_path: Path) -> None:
    refs = _refs(leaky)
    target = tmp_path / "clean.git"
    proc = run_cli("scrub", "--yes", "--output", str(target), str(leaky))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _refs(leaky) == refs
    _assert_no_secret(target)
    assert f"git -C {target} push --force" in proc.stdout


def test_dirty_tree_is_refused_with_nothing_changed(leaky: Path) -> None:
    refs = _refs(leaky)
    write(leaky, "README.md", "uncommitted\n")
    proc = run_cli("scrub", "--in-place", "--yes", str(leaky))
    assert proc.returncode == 2
    assert "uncommitted changes" in proc.stderr
    assert _refs(leaky) == refs and not list(leaky.parent.glob("*.bundle"))


def test_findings_file_limits_the_scrub(leaky: Path, tmp_path: Path) -> None:
    history = json.loads(run_cli("history", str(leaky), "--format", "json").stdout)
    only = [f for f in history["findings"] if f["path"] == "side.env"]
    (tmp_path / "only.json").write_text(json.dumps({"findings": only}))
    proc = run_cli(
        "scrub", "--in-place", "--yes", "--findings", str(tmp_path / "only.json"), str(leaky)
    )
    assert proc.returncode == 0, proc.stderr
    content = _all_content(leaky)
    assert K[3].encode() not in content and K[2].encode() in content


def test_findings_from_another_repository_are_refused(leaky: Path, tmp_path: Path) -> None:
    other = make_repo(tmp_path / "other")
    commit(other, {"x.env": f"BINANCE_API_KEY={K[5]}\n"})
    (tmp_path / "other.json").write_text(run_cli("history", str(other), "--format", "json").stdout)
    proc = run_cli("scrub", "--findings", str(tmp_path / "other.json"), str(leaky))
    assert proc.returncode == 2
    assert "not in this repository's history" in proc.stderr


def test_clean_repository_has_nothing_to_do(repo: Path) -> None:
    commit(repo, {"a.py": "x = 1\n"})
    proc = run_cli("scrub", "--yes", str(repo))
    assert proc.returncode == 0 and "nothing to scrub" in proc.stdout


def test_bare_repository_in_place(leaky: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(leaky), str(bare)], check=True)
    counts = _counts(bare)
    proc = run_cli("scrub", "--in-place", "--yes", str(bare))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _assert_no_secret(bare)
    assert _counts(bare) == counts


@pytest.mark.parametrize(("answer", "code"), [("y\n", 0), ("n\n", 1)])
def test_terminal_confirmation(leaky: Path, tmp_path: Path, answer: str, code: int) -> None:
    import os
    import pty
    import sys

    refs = _refs(leaky)
    controller, terminal = pty.openpty()
    os.write(controller, answer.encode())
    proc = subprocess.run(
        [sys.executable, "-m", "binance_guard", "scrub", "--in-place", str(leaky)],
        stdin=terminal,
        capture_output=True,
        text=True,
        check=False,
    )
    os.close(terminal)
    os.close(controller)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Rewrite this repository now? [y/N]" in proc.stdout
    if answer.startswith("y"):
        _assert_no_secret(leaky)
    else:
        assert _refs(leaky) == refs and "dry run" in proc.stdout
