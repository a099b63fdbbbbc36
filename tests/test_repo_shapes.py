"""Repository shapes users have and the other tests do not build: SHA-256 object ids, …
Each is a real repository with a generated fake key committed in it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testing.cli import environ, run_cli
from testing.git_repo import commit, git, make_repo, store_blob, with_pre_push_hook, write
from testing.keys import fake_key

KEY, SECRET = fake_key("shapes-key"), fake_key("shapes-secret")
LEAK = f'from binance.client import Client\nclient = Client("{KEY}", "{SECRET}")\n'


def _no_secret_shown(*texts: str) -> None:
    for text in texts:
        assert KEY not in text and SECRET not in text


@pytest.fixture
def sha256_repo(tmp_path: Path) -> Path:
    """A SHA-256 repository whose history (not its tip) holds a key."""
    repo = tmp_path / "sha256"
    repo.mkdir()
    git(repo, "init", "-q", "--object-format=sha256", "-b", "main")
    commit(repo, {"a.txt": "hello\n"}, "init")
    commit(repo, {"bot.py": LEAK}, "key")
    git(repo, "rm", "-q", "bot.py")
    git(repo, "commit", "-q", "--no-verify", "-m", "remove")
    assert len(git(repo, "rev-parse", "HEAD").strip()) == 64
    return repo


def test_sha256_scrub_in_place_rewrites_and_backs_up(sha256_repo: Path, tmp_path: Path) -> None:
    before = git(sha256_repo, "for-each-ref")
    proc = run_cli("scrub", "--in-place", "--yes", str(sha256_repo))
    _no_secret_shown(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 secret(s) to remove" in proc.stdout
    after = run_cli("history", str(sha256_repo))
    assert after.returncode == 0, after.stdout + after.stderr
    assert git(sha256_repo, "rev-parse", "--show-object-format").strip() == "sha256"
    git(sha256_repo, "fsck", "--no-progress")
    (bundle,) = tmp_path.glob("sha256.backup-*.bundle")
    restored = tmp_path / "restored"
    git(tmp_path, "clone", "-q", "--mirror", str(bundle), str(restored))
    assert git(restored, "for-each-ref") == before


def test_sha256_history_and_plain_pre_push(sha256_repo: Path, tmp_path: Path) -> None:
    """64-digit ids everywhere: history, a new branch pushed (remote id all zeros, 64 of
    them) is stopped, a deletion goes through."""
    proc = run_cli("history", str(sha256_repo))
    assert proc.returncode == 1 and "bot.py:2" in proc.stdout, proc.stdout + proc.stderr
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "--object-format=sha256", str(remote))
    git(sha256_repo, "remote", "add", "origin", str(remote))
    hook = sha256_repo / ".git" / "hooks" / "pre-push"
    hook.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m binance_guard pre-push "$@"\n')
    hook.chmod(0o755)
    env = environ({"HOME": str(sha256_repo)})
    push = subprocess.run(
        ["git", "push", "origin", "main"], cwd=sha256_repo, env=env, capture_output=True, text=True
    )
    _no_secret_shown(push.stdout, push.stderr)
    assert push.returncode != 0 and "Push blocked by binance-guard" in push.stdout, push.stderr
    assert git(remote, "for-each-ref") == ""
    git(sha256_repo, "push", "-q", "--no-verify", "origin", "main:gone")
    deletion = subprocess.run(
        ["git", "push", "origin", ":gone"], cwd=sha256_repo, env=env, capture_output=True
    )
    assert deletion.returncode == 0, deletion.stderr
    assert git(remote, "for-each-ref") == ""


# --- GIT_DIR / GIT_WORK_TREE in the environment (hooks, scripts, bare-repo dotfile setups) ------


@pytest.fixture
def leaky_tree(tmp_path: Path) -> Path:
    """A work tree whose tracked file holds a key, its git directory elsewhere."""
    tree = make_repo(tmp_path / "tree")
    commit(tree, {"README.md": "# bot\n"})
    write(tree, "bot.py", LEAK)
    git(tree, "add", "bot.py")
    return tree


def test_scan_with_git_work_tree_set_from_elsewhere(leaky_tree: Path, tmp_path: Path) -> None:
    """git lists the work tree's files relative to its top, not to the current directory:
    they were looked for in the wrong place, and the run said clean."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"GIT_DIR": str(leaky_tree / ".git"), "GIT_WORK_TREE": str(leaky_tree)}
    proc = run_cli("scan", cwd=elsewhere, env=env)
    _no_secret_shown(proc.stdout, proc.stderr)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "bot.py:2" in proc.stdout


# --- pushing tags -------------------------------------------------------------------------------


@pytest.fixture
def pushing(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A repository whose plain pre-push hook is binance-guard, main already pushed."""
    repo, remote = with_pre_push_hook(tmp_path)
    git(repo, "push", "-q", "origin", "main")
    return repo, remote, environ({"HOME": str(repo)})


def test_pre_push_of_a_tag_whose_message_holds_a_key(
    pushing: tuple[Path, Path, dict[str, str]],
) -> None:
    """The tag's commit is on the remote already; its message is new. `history` reports tag
    messages, the push let this one through."""
    repo, remote, env = pushing
    git(repo, "tag", "-a", "v1", "-m", f"release\nBINANCE_API_KEY={KEY}\nBINANCE_SECRET={SECRET}")
    push = subprocess.run(
        ["git", "push", "origin", "v1"], cwd=repo, env=env, capture_output=True, text=True
    )
    _no_secret_shown(push.stdout, push.stderr)
    assert push.returncode != 0 and "Push blocked by binance-guard" in push.stdout, push.stderr
    assert "(tag message)" in push.stdout
    assert git(remote, "tag", "-l") == ""
    git(repo, "tag", "-a", "v2", "-m", "release notes", "main")
    assert subprocess.run(["git", "push", "-q", "origin", "v2"], cwd=repo, env=env).returncode == 0


# --- submodules ---------------------------------------------------------------------------------


def test_a_submodule_is_named_as_not_scanned_and_scans_on_its_own(tmp_path: Path) -> None:
    """Like gitleaks and TruffleHog, a submodule is not followed; the user is told which (the
    summary said only "skipped: 1 directory"), and scanning it finds its key."""
    inner = make_repo(tmp_path / "inner")
    commit(inner, {"bot.py": LEAK})
    outer = make_repo(tmp_path / "outer")
    commit(outer, {"README.md": "# bot\n"})
    git(outer, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "lib")
    git(outer, "commit", "-q", "-m", "submodule")
    scan = run_cli("scan", ".", cwd=outer)
    assert scan.returncode == 0, scan.stdout + scan.stderr
    assert "skipped: 1 submodule or nested repository" in scan.stdout
    history = run_cli("history", ".", cwd=outer)
    assert history.returncode == 0 and "lib: submodule (gitlink) not followed" in history.stdout
    for proc in (run_cli("scan", "lib", cwd=outer), run_cli("history", "lib", cwd=outer)):
        _no_secret_shown(proc.stdout, proc.stderr)
        assert proc.returncode == 1 and "bot.py" in proc.stdout, proc.stdout + proc.stderr


# --- git replace: the local view differs from what is pushed ------------------------------------


def _replace_leaky_commit(repo: Path) -> str:
    """A key committed then removed, the leaky commit then replaced locally (git replace) by
    a clean twin: git log shows the twin, git push still sends the original."""
    commit(repo, {"bot.py": LEAK}, "key")
    leaky = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "rm", "-q", "bot.py")
    git(repo, "commit", "-q", "--no-verify", "-m", "remove")
    git(repo, "checkout", "-q", f"{leaky}~1")
    commit(repo, {"bot.py": "client = Client(os.environ['K'], os.environ['S'])\n"}, "key")
    twin = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "main")
    git(repo, "replace", leaky, twin)
    return leaky


def test_history_sees_through_git_replace(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"README.md": "# bot\n"})
    leaky = _replace_leaky_commit(repo)
    proc = run_cli("history", ".", "--format", "json", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    [commit_id] = {f["commit"] for f in json.loads(proc.stdout)["findings"]}
    assert commit_id == leaky


def test_pre_push_sees_through_git_replace(pushing: tuple[Path, Path, dict[str, str]]) -> None:
    repo, remote, env = pushing
    before = git(remote, "rev-parse", "main")
    _replace_leaky_commit(repo)
    push = subprocess.run(
        ["git", "push", "origin", "main"], cwd=repo, env=env, capture_output=True, text=True
    )
    _no_secret_shown(push.stdout, push.stderr)
    assert push.returncode != 0 and "Push blocked by binance-guard" in push.stdout, push.stderr
    assert git(remote, "rev-parse", "main") == before


def test_scrub_rewrites_the_original_not_the_replacement(tmp_path: Path) -> None:
    """filter-repo followed the replacement (the rewrite took the twin's content and the
    proof failed); before that, nothing was found to scrub."""
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"README.md": "# bot\n"})
    leaky = _replace_leaky_commit(repo)
    proc = run_cli("scrub", "--in-place", "--yes", ".", cwd=repo)
    _no_secret_shown(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 secret(s) to remove" in proc.stdout
    objects = git(repo, "--no-replace-objects", "log", "--all", "-p", "--format=%H %s")
    assert leaky not in objects and "remove" in objects
    assert KEY not in objects and SECRET not in objects and "***REMOVED***" in objects


def test_pre_push_of_a_tag_of_a_blob_holding_a_key(
    pushing: tuple[Path, Path, dict[str, str]],
) -> None:
    """A tag can name a blob (git.git tags its signing key): no commit introduces it, and the
    range scan found the key, called it "already present before the range" and let it go."""
    repo, remote, env = pushing
    blob = store_blob(repo, LEAK)
    git(repo, "tag", "keys", blob)
    push = subprocess.run(
        ["git", "push", "origin", "keys"], cwd=repo, env=env, capture_output=True, text=True
    )
    _no_secret_shown(push.stdout, push.stderr)
    assert push.returncode != 0, push.stdout + push.stderr
    assert "INCOMPLETE: 2 secret(s) in no commit" in push.stderr
    assert git(remote, "tag", "-l") == ""


def test_history_of_a_tag_of_a_tree_holding_a_key(tmp_path: Path) -> None:
    """All refs scanned: the key's blob was found and set aside as "only in unreachable
    objects", though a tag reaches it (and `git push --tags` sends it)."""
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"README.md": "# bot\n"})
    blob = store_blob(repo, LEAK)
    tree = subprocess.run(
        ["git", "mktree"],
        cwd=repo,
        input=f"100644 blob {blob}\tbot.py\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    git(repo, "tag", "snapshot", tree)
    proc = run_cli("history", ".", cwd=repo)
    _no_secret_shown(proc.stdout, proc.stderr)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "INCOMPLETE: 2 secret(s) in no commit" in proc.stderr
    assert "refs/tags/snapshot points at a blob or tree" in proc.stdout  # and what to do
    # scrub cannot rewrite it (git-filter-repo leaves such refs alone): refused, by name,
    # even when the user accepts incomplete scans.
    for extra in ([], ["--allow-incomplete"]):
        head = git(repo, "rev-parse", "HEAD")
        proc = run_cli("scrub", "--in-place", "--yes", *extra, ".", cwd=repo)
        _no_secret_shown(proc.stdout, proc.stderr)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "refs/tags/snapshot point(s) at a file or tree" in proc.stderr
        assert git(repo, "rev-parse", "HEAD") == head
    git(repo, "tag", "-d", "snapshot")  # now it is unreachable: a note, not a failure
    proc = run_cli("history", ".", cwd=repo)
    assert proc.returncode == 0 and "only in unreachable objects" in proc.stdout


def test_scrub_in_a_sparse_checkout(tmp_path: Path) -> None:
    """In place, the files outside the sparse cone are marked skip-worktree: refused, with
    nothing changed, and the way that works in a sparse checkout named (a mirror clone)."""
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"app/main.py": "x = 1\n", "ops/bot.py": LEAK})
    git(repo, "sparse-checkout", "set", "app")
    before = git(repo, "for-each-ref")
    refused = run_cli("scrub", "--in-place", "--yes", ".", cwd=repo)
    assert refused.returncode == 2 and "ops/bot.py" in refused.stderr, refused.stderr
    assert "sparse-checkout disable" in refused.stderr and "without --in-place" in refused.stderr
    assert git(repo, "for-each-ref") == before
    mirror = run_cli("scrub", "--yes", "--output", str(tmp_path / "clean.git"), ".", cwd=repo)
    _no_secret_shown(mirror.stdout, mirror.stderr)
    assert mirror.returncode == 0, mirror.stdout + mirror.stderr
    assert run_cli("history", str(tmp_path / "clean.git")).returncode == 0


def test_pre_push_to_a_new_host_behind_the_same_remote_name(
    pushing: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    """Publishing a private bot: `git remote set-url origin <new public repository>`, then push.
    refs/remotes/origin/* still describe the old host, which had the key: trusting them, the
    hook let the whole history through to a host that had none of it."""
    repo, _old, env = pushing
    commit(repo, {"bot.py": LEAK}, "key")
    commit(repo, {"bot.py": "client = Client(os.environ['K'], os.environ['S'])\n"}, "fix")
    git(repo, "push", "-q", "--no-verify", "origin", "main")  # the private host has it all
    new = tmp_path / "public.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(new))
    git(repo, "remote", "set-url", "origin", str(new))
    push = subprocess.run(
        ["git", "push", "origin", "main"], cwd=repo, env=env, capture_output=True, text=True
    )
    _no_secret_shown(push.stdout, push.stderr)
    assert push.returncode != 0 and "Push blocked by binance-guard" in push.stdout, push.stderr
    assert "git fetch --prune origin" in push.stdout
    assert git(new, "for-each-ref") == ""
    git(repo, "fetch", "-q", "--prune", "origin")  # refs/remotes/origin/* now tell the truth
    again = subprocess.run(
        ["git", "push", "origin", "main"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert again.returncode != 0 and "Push blocked by binance-guard" in again.stdout


def test_fleet_of_a_sha256_repository(sha256_repo: Path, tmp_path: Path) -> None:
    """64-digit ids through mirrors, the store and refs read from files (a run with nothing
    new reads none), beside a SHA-1 repository holding the same key."""
    sha1 = make_repo(tmp_path / "sha1")
    commit(sha1, {"bot.py": LEAK})
    cache, repos = tmp_path / "cache", (str(sha256_repo), str(sha1))

    def run() -> dict[str, Any]:
        proc = run_cli(
            "fleet", "--cache-dir", str(cache), "--workers", "1", "--format", "json", *repos
        )
        _no_secret_shown(proc.stdout, proc.stderr)
        assert proc.returncode == 1, proc.stderr
        document: dict[str, Any] = json.loads(proc.stdout)
        return document

    first = run()
    assert {Path(str(f["repo"])).name for f in first["findings"]} == {"sha256", "sha1"}
    again = run()
    assert again["summary"]["blobs_scanned"] == 0
    assert {r["status"] for r in again["repos"]} == {"unchanged"}
