"""scrub never loses a commit and never leaves a secret behind, even when things go wrong.

Real repositories for each shape (reflog-only commits, operations in progress, linked
worktrees, SSH-signed commits and tags), a second scrub days later, and failure injection: a
`git` on PATH that fails git-filter-repo's final step, or SIGTERMs / SIGKILLs the scrub at a
chosen git subcommand. Each asserts the repository is intact or exactly restorable, and that
no file outside the repository and its 0600 backup holds a secret.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from binance_guard.detection.scanner import scan_bytes
from binance_guard.scrub.backup import default_backup
from binance_guard.scrub.rules import MARKER
from testing.cli import run_cli
from testing.git_repo import GIT_ENV, commit, git, make_repo, write
from testing.keys import fake_key

K = [fake_key(f"integrity-{i}") for i in range(6)]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = run_cli(*args, env=env)
    for secret in K:
        assert secret not in proc.stdout + proc.stderr, f"a full secret was printed by {args}"
    return proc


def _refs(repo: Path) -> dict[str, str]:
    out = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ") for line in out.splitlines())


def _repo(path: Path) -> Path:
    repo = make_repo(path)
    commit(repo, {"README.md": "# bot\n"}, "initial")
    commit(repo, {".env": f"BINANCE_API_KEY={K[0]}\n"}, "add key")
    commit(repo, {"bot.py": "import os\n"}, "code")
    return repo


def _secret_files(root: Path, *, besides: tuple[Path, ...]) -> list[Path]:
    """Files under root holding a whole key in plain text, outside the given trees."""
    found = []
    for path in root.rglob("*"):
        if any(path == b or b in path.parents for b in besides) or not path.is_file():
            continue
        data = path.read_bytes()
        if any(k.encode() in data for k in K):
            found.append(path)
    return found


# --- never destroys ---------------------------------------------------------------------------


def test_reflog_only_commit_is_kept_and_in_the_backup(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    wip = commit(repo, {"wip.txt": f"BINANCE_API_SECRET={K[1]}\n"}, "wip")
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 commit(s) only reflogs reach" in proc.stdout
    assert git(repo, "cat-file", "-t", wip).strip() == "commit"  # still here
    assert wip in git(repo, "reflog", "--format=%H")
    (bundle,) = tmp_path.glob("repo.backup-*.bundle")
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o600
    assert f"refs/kept-by-binance-guard/{wip}" in git(repo, "bundle", "list-heads", str(bundle))
    message = proc.stdout
    assert (
        str(bundle) in message and "every removed secret" in message and f"rm {bundle}" in message
    )


def test_prune_drops_reflog_only_commits_which_the_backup_keeps(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    wip = commit(repo, {"wip.txt": "work in progress\n"}, "wip")
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    proc = _cli("scrub", "--in-place", "--yes", "--prune", str(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert subprocess.run(["git", "cat-file", "-e", wip], cwd=repo, check=False).returncode != 0
    (bundle,) = tmp_path.glob("repo.backup-*.bundle")
    restored = make_repo(tmp_path / "restored")
    git(restored, "fetch", "-q", "--update-head-ok", str(bundle), "refs/*:refs/*")
    assert git(restored, "show", f"{wip}:wip.txt") == "work in progress\n"


def test_backup_inside_the_work_tree_is_refused(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    refs = _refs(repo)
    proc = _cli("scrub", "--in-place", "--yes", "--output", str(repo / "b.bundle"), str(repo))
    assert proc.returncode == 2
    assert "inside the repository" in proc.stderr and "nothing was changed" in proc.stderr
    assert _refs(repo) == refs and not (repo / "b.bundle").exists()


def _conflict(repo: Path) -> str:
    """A branch whose README conflicts with main's; returns its tip."""
    git(repo, "checkout", "-q", "-b", "other", "HEAD~1")
    tip = commit(repo, {"README.md": "# theirs\n"}, "theirs")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"README.md": "# ours\n"}, "ours")
    return tip


def _start(repo: Path, operation: str, tmp_path: Path) -> None:
    if operation == "bisect":
        git(repo, "bisect", "start")
    elif operation == "rebase":
        git(repo, "rebase", "-q", "--exec", "false", "HEAD~1", check=False)
    elif operation == "merge":
        _conflict(repo)
        git(repo, "merge", "-q", "other", check=False)
    elif operation == "cherry-pick":
        git(repo, "cherry-pick", _conflict(repo), check=False)
    elif operation == "revert":
        commit(repo, {"README.md": "# later\n"}, "later")
        commit(repo, {"README.md": "# latest\n"}, "latest")
        git(repo, "revert", "--no-edit", "HEAD~1", check=False)
    elif operation == "am":
        (tmp_path / "bad.patch").write_text(
            "From: a <a@b>\nSubject: x\n\n---\n--- a/none\n+++ b/none\n@@ -1 +1 @@\n-a\n+b\n"
        )
        git(repo, "am", str(tmp_path / "bad.patch"), check=False)


IN_PROGRESS = {
    "bisect": ("a bisect", "BISECT_LOG"),
    "rebase": ("a rebase", "rebase-merge"),
    "merge": ("a merge", "MERGE_HEAD"),
    "cherry-pick": ("a cherry-pick", "CHERRY_PICK_HEAD"),
    "revert": ("a revert", "REVERT_HEAD"),
    "am": ("git am", "rebase-apply"),
}


@pytest.mark.parametrize("operation", list(IN_PROGRESS))
def test_operation_in_progress_is_refused(tmp_path: Path, operation: str) -> None:
    repo = _repo(tmp_path / "repo")
    _start(repo, operation, tmp_path)
    words, state = IN_PROGRESS[operation]
    assert (repo / ".git" / state).exists(), "the operation did not start"
    refs = _refs(repo)
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 2
    assert f"{words} is in progress" in proc.stderr or f"{words}" in proc.stderr
    assert _refs(repo) == refs and (repo / ".git" / state).exists()
    assert not list(tmp_path.glob("*.bundle"))


@pytest.mark.parametrize("mark", ["--skip-worktree", "--assume-unchanged"])
def test_files_hidden_from_status_are_refused(tmp_path: Path, mark: str) -> None:
    """The issue's failing filter-repo: its reset cannot overwrite a skip-worktree file."""
    repo = _repo(tmp_path / "repo")
    git(repo, "update-index", mark, ".env")
    (repo / ".env").write_text("changed locally\n")
    refs = _refs(repo)
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 2 and ".env is marked" in proc.stderr, proc.stderr
    assert _refs(repo) == refs and (repo / ".env").read_text() == "changed locally\n"
    assert not list(tmp_path.glob("*.bundle"))


def test_linked_worktree_is_refused_and_a_mirror_is_offered(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    git(repo, "worktree", "add", "-q", str(tmp_path / "linked"), "-b", "linked")
    refs = _refs(repo)
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 2 and "linked worktree" in proc.stderr
    assert str(tmp_path / "linked") in proc.stderr and "without --in-place" in proc.stderr
    assert "git worktree remove PATH" in proc.stderr and "prune" not in proc.stderr
    assert _refs(repo) == refs
    mirror = _cli("scrub", "--yes", "--output", str(tmp_path / "clean.git"), str(repo))
    assert mirror.returncode == 0, mirror.stdout + mirror.stderr


@pytest.mark.parametrize("where", ["file", "directory", "branch", "tag"])
def test_a_name_holding_a_secret_is_refused(tmp_path: Path, where: str) -> None:
    """git-filter-repo replaces contents and messages, not names: the key in a file, folder,
    branch or tag name stayed in the rewritten history while every check said ok."""
    repo = _repo(tmp_path / "repo")
    if where in ("file", "directory"):
        name = f"keys/{K[0]}.txt" if where == "file" else f"{K[0]}/notes.txt"
        commit(repo, {name: "rotated weekly\n"}, "notes")
        git(repo, "rm", "-q", "-r", name.split("/")[0])  # gone from HEAD, still in history
        git(repo, "commit", "-q", "-m", "drop")
    else:
        git(repo, "branch" if where == "branch" else "tag", f"v-{K[0]}")
    refs = _refs(repo)
    for args in (("scrub",), ("scrub", "--yes"), ("scrub", "--in-place", "--yes")):
        proc = _cli(*args, str(repo))
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "1 file or ref name(s) hold a secret" in proc.stderr, proc.stderr
        assert MARKER in proc.stderr and "(nothing was changed)" in proc.stderr
    assert _refs(repo) == refs
    assert not list(tmp_path.glob("*.bundle")) and not list(tmp_path.glob("*.scrubbed-*"))


@pytest.mark.parametrize("in_place", [False, True])
def test_git_dir_in_the_environment_is_refused(tmp_path: Path, in_place: bool) -> None:
    """GIT_DIR reached the git of scrub's own repositories: the backup's `git init` and
    `update-ref` ran on the user's repository (failing on its existing refs), and a dry run
    pointed git-filter-repo at the user's history, stopped only by its fresh-clone check."""
    repo = _repo(tmp_path / "repo")
    refs = _refs(repo)
    mode = ["--in-place", "--yes"] if in_place else []
    proc = _cli("scrub", *mode, str(repo), env={"GIT_DIR": str(repo / ".git")})
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "error: GIT_DIR set" in proc.stderr
    assert "env -u GIT_DIR binance-guard scrub PATH" in proc.stderr
    assert _refs(repo) == refs and sorted(p.name for p in tmp_path.iterdir()) == ["repo"]


def test_a_submodule_is_named_as_not_scrubbed(tmp_path: Path) -> None:
    """A key in a submodule's repository is not this repository's history: 'nothing to
    scrub' says which submodule it did not look into."""
    sub = _repo(tmp_path / "sub")
    top = make_repo(tmp_path / "top")
    git(top, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "lib")
    git(top, "commit", "-q", "-m", "add lib")
    proc = _cli("scrub", "--in-place", "--yes", str(top))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "note: lib: submodule (gitlink) not followed; scan it separately" in proc.stdout
    assert "nothing to scrub" in proc.stdout
    assert K[0] in git(sub, "show", "HEAD:.env")  # the submodule's key is where it was


def test_a_worktree_whose_directory_is_gone_is_pruned_not_removed(tmp_path: Path) -> None:
    """Deleted with rm -rf, a worktree stays registered (HEAD and index under .git/worktrees)
    until pruned: the refusal says which command forgets it, and then the scrub runs."""
    repo = _repo(tmp_path / "repo")
    for name in ("gone", "locked"):
        git(repo, "worktree", "add", "-q", str(tmp_path / name), "-b", name)
        subprocess.run(["rm", "-rf", str(tmp_path / name)], check=True)
    git(repo, "worktree", "lock", str(tmp_path / "locked"))
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 2
    assert f"directory is gone ({tmp_path / 'gone'}, {tmp_path / 'locked'})" in proc.stderr
    assert "git worktree prune" in proc.stderr and "git worktree unlock PATH" in proc.stderr
    assert "git worktree remove" not in proc.stderr, proc.stderr
    git(repo, "worktree", "unlock", str(tmp_path / "locked"))
    git(repo, "worktree", "prune")
    done = _cli("scrub", "--in-place", "--yes", str(repo))
    assert done.returncode == 0, done.stdout + done.stderr


def _ssh_signing(repo: Path, tmp_path: Path) -> None:
    key = tmp_path / "signing_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    git(repo, "config", "gpg.format", "ssh")
    git(repo, "config", "user.signingkey", str(key))


def test_signed_commits_and_tags_are_counted_before_the_rewrite(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    _ssh_signing(repo, tmp_path)
    commit(repo, {"README.md": "# bot\n"}, "unsigned, before the key")
    write(repo, ".env", f"BINANCE_API_KEY={K[0]}\n")
    git(repo, "add", ".env")
    git(repo, "commit", "-q", "-S", "-m", "signed, adds the key")
    write(repo, "bot.py", "import os\n")
    git(repo, "add", "bot.py")
    git(repo, "commit", "-q", "-S", "-m", "signed, after")
    git(repo, "tag", "-s", "-m", "release", "v1")
    assert "gpgsig" in git(repo, "cat-file", "commit", "HEAD")  # really signed
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 signed commit(s) and 1 signed tag(s)" in proc.stderr
    assert "git commit --amend --no-edit --no-verify -S" in proc.stderr
    assert "git tag -f -s" in proc.stderr
    assert proc.stderr.index("signed commit") < proc.stderr.index("backup of all refs")
    assert "gpgsig" not in git(repo, "cat-file", "commit", "HEAD")


# --- a fixed point ------------------------------------------------------------------------------


def test_marker_creates_no_finding() -> None:
    """The python-binance case: a marker beside another value must not give it key context."""
    hex_value = "0123456789abcdef" * 4
    for template in (
        'api_key = "{m}"\nother = "{v}"\n',
        "{m} {v}\n",
        "key: {m}\nsecret: {v}\n",
    ):
        with_marker = scan_bytes(template.format(m=MARKER, v=hex_value).encode(), "config.py")
        plain = scan_bytes(template.format(m="placeholder", v=hex_value).encode(), "config.py")
        assert [f.fingerprint for f in with_marker] == [f.fingerprint for f in plain]
    assert "binance" not in MARKER.lower() and "key" not in MARKER.lower()


def test_second_scrub_same_day_and_days_later(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    first = _cli("scrub", "--in-place", "--yes", str(repo))
    assert first.returncode == 0, first.stdout + first.stderr
    again = _cli("scrub", "--in-place", "--yes", str(repo))
    assert again.returncode == 0 and "nothing to scrub" in again.stdout
    commit(repo, {"deploy.env": f"BINANCE_API_SECRET={K[1]}\n"}, "another key")
    same_day = _cli("scrub", "--in-place", "--yes", str(repo))
    assert same_day.returncode == 0, same_day.stdout + same_day.stderr
    assert "1 secret(s) to remove" in same_day.stdout
    # Days later: filter-repo's state is old enough for its hidden Y/N question.
    ran = repo / ".git/filter-repo/already_ran"
    assert ran.exists()
    os.utime(ran, (ran.stat().st_mtime - 5 * 86400,) * 2)
    later = "2030-01-05T12:00:00+00:00"
    write(repo, "late.env", f"BINANCE_API_KEY={K[2]}\n")
    git(repo, "add", "late.env")
    subprocess.run(
        ["git", "commit", "-q", "-m", "days later"],
        cwd=repo,
        env={**os.environ, **GIT_ENV, "GIT_COMMITTER_DATE": later, "GIT_AUTHOR_DATE": later},
        check=True,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "binance_guard", "scrub", "--in-place", "--yes", str(repo)],
        env={**os.environ, **GIT_ENV},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Y/N" not in proc.stdout + proc.stderr
    assert _cli("history", str(repo)).returncode == 0
    assert "nothing to scrub" in _cli("scrub", "--in-place", "--yes", str(repo)).stdout


def test_two_scrubs_in_one_second_get_their_own_backup(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    first = Path(default_backup(str(repo), "20300105-120000"))
    assert first.parent == tmp_path and not first.exists()
    first.write_bytes(b"an earlier run's backup")
    second = Path(default_backup(str(repo), "20300105-120000"))
    assert second != first and second.parent == tmp_path and second.suffix == ".bundle"


# --- failure and interruption -------------------------------------------------------------------

SHIM = """#!/bin/bash
# A git that misbehaves once at one subcommand, then behaves.
sub=""
args=("$@")
i=0
while [ $i -lt ${#args[@]} ]; do
  a="${args[$i]}"
  case "$a" in
    -c|-C) i=$((i+2)); continue ;;
    -*) i=$((i+1)); continue ;;
    *) sub="$a"; break ;;
  esac
done
if [ "$sub" = "$SHIM_AT" ] && [ -e "$SHIM_TRIGGER" ] && [ -e "${SHIM_AFTER:-/}" ]; then
  rm -f "$SHIM_TRIGGER"
  if [ "$SHIM_DO" = fail ]; then
    echo "fatal: injected failure" >&2
    exit 128
  fi
  p=$PPID
  while [ "$p" -gt 1 ]; do
    if tr '\\0' ' ' < /proc/$p/cmdline | grep -q -- '-m binance_guard'; then
      if [ "$SHIM_DO" = KILL ]; then  # everything: the scrub and filter-repo's group
        kill -KILL -- -"$(ps -o pgid= $p | tr -d ' ')" -"$(ps -o pgid= $$ | tr -d ' ')"
      fi
      kill -"$SHIM_DO" "$p"
      break
    fi
    p=$(awk '{print $4}' /proc/$p/stat)
  done
fi
exec "$REAL_GIT" "$@"
"""


def _shimmed(tmp_path: Path, at: str, do: str, after: Path | None = None) -> dict[str, str]:
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    (shim_dir / "git").write_text(SHIM)
    (shim_dir / "git").chmod(0o755)
    trigger = tmp_path / "trigger"
    trigger.write_text("")
    real = subprocess.run(["which", "git"], capture_output=True, text=True, check=True)
    temp = tmp_path / "tmp"
    temp.mkdir()
    return {
        **os.environ,
        **GIT_ENV,
        "PATH": f"{shim_dir}:{os.environ['PATH']}",
        "REAL_GIT": real.stdout.strip(),
        "SHIM_AT": at,
        "SHIM_DO": do,
        "SHIM_TRIGGER": str(trigger),
        "TMPDIR": str(temp),
        "SHIM_AFTER": str(after or "/"),
    }


def _snapshot(repo: Path) -> tuple[dict[str, str], str, str, str]:
    return (
        _refs(repo),
        git(repo, "symbolic-ref", "HEAD"),
        git(repo, "status", "--porcelain"),
        (repo / ".env").read_text() if (repo / ".env").exists() else "",
    )


def test_failing_filter_repo_rolls_back_exactly(tmp_path: Path) -> None:
    """git-filter-repo's last step (reset --hard) fails after it moved the refs."""
    repo = _repo(tmp_path / "repo")
    git(repo, "rm", "-q", ".env")
    git(repo, "commit", "-q", "-m", "drop .env")
    before = _snapshot(repo)
    env = _shimmed(tmp_path, "reset", "fail")
    proc = subprocess.run(
        [sys.executable, "-m", "binance_guard", "scrub", "--in-place", "--yes", str(repo)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert not (tmp_path / "trigger").exists(), "the failure was not injected"
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "git-filter-repo failed" in proc.stderr and "rolled back" in proc.stderr
    assert _snapshot(repo) == before
    assert not (repo / ".git" / "binance-guard-scrub.json").exists()
    assert not list((tmp_path / "tmp").iterdir())
    assert _secret_files(tmp_path, besides=(repo,)) == []


def test_failed_rewrite_puts_every_stash_entry_back(tmp_path: Path) -> None:
    """The rewrite moves the stash entries (all of them, each by a ref of its own): a
    rollback puts the stash list back as it was, not with "fast-import" and rollback entries
    on top of it, and leaves none of those refs behind."""
    repo = _repo(tmp_path / "repo")
    for text in ("first\n", "second\n"):
        write(repo, "README.md", text)
        git(repo, "stash", "push", "-q", "-m", f"keep {text.strip()}")
    stashes = git(repo, "reflog", "show", "--date=raw", "--format=%H %gn %gd %gs", "refs/stash")
    before = _snapshot(repo)
    env = _shimmed(tmp_path, "reset", "fail")
    proc = subprocess.run(
        [sys.executable, "-m", "binance_guard", "scrub", "--in-place", "--yes", str(repo)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert not (tmp_path / "trigger").exists(), "the failure was not injected"
    assert proc.returncode == 2 and "rolled back" in proc.stderr, proc.stdout + proc.stderr
    assert _snapshot(repo) == before
    assert git(repo, "reflog", "show", "--date=raw", "--format=%H %gn %gd %gs", "refs/stash") == (
        stashes
    )


# (subcommand, only once this file exists): the backup, the rewrite's read and write sides,
# filter-repo's last step after it moved the refs, and our proof afterwards.
MOMENTS = {
    "bundle": None,
    "fast-export": None,
    "fast-import": None,
    "reset": None,
    "ls-tree": ".git/filter-repo/already_ran",
}


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("sig", ["TERM", "INT", "KILL"])
def test_interrupted_scrub_is_intact_or_exactly_restorable(
    tmp_path: Path, moment: str, sig: str
) -> None:
    repo = _repo(tmp_path / "repo")
    before = _snapshot(repo)
    after = MOMENTS[moment]
    env = _shimmed(tmp_path, moment, sig, repo / after if after else None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "binance_guard", "scrub", "--in-place", "--yes", str(repo)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    out, err = proc.communicate(timeout=300)
    temp = {"TMPDIR": env["TMPDIR"]}
    assert not (tmp_path / "trigger").exists(), f"never reached {moment}"
    assert proc.returncode in (-getattr(signal, f"SIG{sig}"), 2, 130), out + err
    if sig != "KILL":
        assert "interrupted" in err and "rolled back" in err, err
        assert _snapshot(repo) == before
    else:
        again = _cli("scrub", "--in-place", "--yes", str(repo), env=temp)
        journal = repo / ".git" / "binance-guard-scrub.json"
        if journal.exists():
            assert again.returncode == 2
            assert f"binance-guard scrub --rollback {repo}" in again.stderr
            restore = _cli("scrub", "--rollback", str(repo), env=temp)
            assert restore.returncode == 0, restore.stderr
            assert "rolled back" in restore.stdout
        assert _snapshot(repo) == before
    assert not (repo / ".git" / "binance-guard-scrub.json").exists()
    assert _cli("scrub", str(repo), env=temp).returncode == 1  # a dry run; cleans stale dirs
    assert list(Path(env["TMPDIR"]).iterdir()) == []
    for bundle in tmp_path.glob("*.bundle"):
        assert stat.S_IMODE(bundle.stat().st_mode) == 0o600
    assert _secret_files(tmp_path, besides=(repo, *tmp_path.glob("*.bundle"))) == []


def test_rollback_clears_the_index_lock_an_interrupted_reset_left(tmp_path: Path) -> None:
    """git removes index.lock on SIGTERM, except between creating and registering it (a
    TERM at filter-repo's reset failed the automatic rollback about one run in forty): a lock
    newer than the journal that no process holds is the interrupted reset's. One a running
    process holds stays, and the rollback says it failed."""
    repo = _repo(tmp_path / "repo")
    before = _snapshot(repo)
    env = _shimmed(tmp_path, "reset", "KILL")
    subprocess.run(
        [sys.executable, "-m", "binance_guard", "scrub", "--in-place", "--yes", str(repo)],
        env=env,
        capture_output=True,
        start_new_session=True,
        check=False,
    )
    assert (repo / ".git" / "binance-guard-scrub.json").exists()
    lock = repo / ".git" / "index.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import time; f = open({str(lock)!r}, 'a'); time.sleep(60)"]
    )
    try:
        while not lock.exists():
            time.sleep(0.01)
        time.sleep(0.2)  # opened, not only created
        temp = {"TMPDIR": env["TMPDIR"]}
        held = _cli("scrub", "--rollback", str(repo), env=temp)
        assert held.returncode == 2 and "index.lock" in held.stderr, held.stderr
        assert lock.exists()
    finally:
        holder.kill()
        holder.wait()
    head_lock = repo / ".git" / "HEAD.lock"  # reset --hard moves HEAD too
    head_lock.write_text("")
    restore = _cli("scrub", "--rollback", str(repo), env=temp)
    assert restore.returncode == 0, restore.stderr
    assert not lock.exists() and not head_lock.exists() and _snapshot(repo) == before
