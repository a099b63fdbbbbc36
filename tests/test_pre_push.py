"""The pre-push hook through the real pre-commit framework, pushing to a local bare remote,
and `binance-guard pre-push` run directly with the variables pre-commit sets."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from testing.cli import environ, run_cli
from testing.git_repo import commit, git, make_repo, with_pre_push_hook
from testing.github import (
    ROOT,
    assert_no_secret,
)
from testing.keys import fake_key

KEY, SECRET, OLD = fake_key("push-key"), fake_key("push-secret"), fake_key("push-old")
SECRETS = (KEY, SECRET, OLD)
BOT = f'from binance.client import Client\nclient = Client("{KEY}", "{SECRET}")\n'
CLEAN_BOT = "import os\nclient = Client(os.environ['K'], os.environ['S'])\n"
HOOK_ID = "binance-guard-pre-push"


@dataclasses.dataclass(frozen=True)
class HookSource:
    clone: Path  # a clone of this repository: pre-commit wants a git repo and a rev
    rev: str
    home: Path  # PRE_COMMIT_HOME shared by the session: the hook's venv is built once


@pytest.fixture(scope="session")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookSource]:
    base = tmp_path_factory.mktemp("pre-push-hook")
    clone = base / "binance-guard"
    subprocess.run(
        ["git", "clone", "-q", str(ROOT), str(clone)], check=True, env=environ(), timeout=120
    )
    source = HookSource(clone, git(clone, "rev-parse", "HEAD").strip(), base / "pre-commit-home")
    yield source
    shutil.rmtree(base, ignore_errors=True)


@dataclasses.dataclass
class User:
    """A developer's repository with the hook installed, and its ``origin``."""

    repo: Path
    remote: Path
    env: dict[str, str]

    def run(self, *cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            cmd, cwd=self.repo, env=self.env, capture_output=True, text=True, check=False
        )

    def push(self, *args: str) -> subprocess.CompletedProcess[str]:
        proc = self.run("git", "push", *args)
        assert_no_secret(proc.stdout + proc.stderr, SECRETS)
        return proc

    def remote_rev(self, ref: str) -> str | None:
        proc = subprocess.run(
            ["git", "rev-parse", "--verify", "-q", ref],
            cwd=self.remote,
            capture_output=True,
            text=True,
            check=False,
        )
        return proc.stdout.strip() or None

    def remote_has(self, sha: str) -> bool:
        proc = subprocess.run(
            ["git", "cat-file", "-e", f"{sha}^{{commit}}"], cwd=self.remote, check=False
        )
        return proc.returncode == 0


def _user(tmp_path: Path, source: HookSource, push_main: bool = True) -> User:
    repo = make_repo(tmp_path / "user")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump(
            {"repos": [{"repo": str(source.clone), "rev": source.rev, "hooks": [{"id": HOOK_ID}]}]}
        )
    )
    commit(repo, {"README.md": "# bot\n"}, "readme")
    env = environ({"PRE_COMMIT_HOME": str(source.home), "HOME": str(repo)})
    user = User(repo, remote, env)
    installed = user.run(sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (repo / ".git" / "hooks" / "pre-push").exists()
    if push_main:
        pushed = user.push("-q", "origin", "main")
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    return user


def _blocked(proc: subprocess.CompletedProcess[str]) -> str:
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "Push blocked by binance-guard" in output
    assert "binance-guard (commits being pushed)" in output and "Failed" in output
    return output


@pytest.mark.slow
def test_key_committed_with_no_verify_does_not_reach_the_remote(
    tmp_path: Path, hook_source: HookSource
) -> None:
    user = _user(tmp_path, hook_source)
    before = user.remote_rev("main")
    added = commit(user.repo, {"bot.py": BOT}, "bot, hook skipped")
    git(user.repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", "still no verify")
    removed = commit(user.repo, {"bot.py": CLEAN_BOT}, "key removed again")

    output = _blocked(user.push("origin", "main"))
    assert f"pushed commits {before[:12] if before else ''}" in output
    assert "bot.py" in output and f"{KEY[:4]}********{KEY[-4:]}" in output
    assert user.remote_rev("main") == before
    assert not user.remote_has(added) and not user.remote_has(removed)


@pytest.mark.slow
def test_clean_push_reaches_the_remote(tmp_path: Path, hook_source: HookSource) -> None:
    user = _user(tmp_path, hook_source)
    head = commit(user.repo, {"bot.py": CLEAN_BOT}, "bot")
    proc = user.push("origin", "main")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"binance-guard \(commits being pushed\)\.+Passed", proc.stdout + proc.stderr)
    assert user.remote_rev("main") == head


@pytest.mark.slow
def test_new_branch(tmp_path: Path, hook_source: HookSource) -> None:
    user = _user(tmp_path, hook_source)
    main = git(user.repo, "rev-parse", "main").strip()
    git(user.repo, "checkout", "-q", "-b", "feature")
    key_commit = commit(user.repo, {"bot.py": BOT}, "bot")
    # pre-commit passes the parent of the first commit the remote lacks
    assert f"(pushed commits {main[:12]}..{key_commit[:12]})" in _blocked(
        user.push("origin", "feature")
    )
    assert user.remote_rev("feature") is None and not user.remote_has(key_commit)

    git(user.repo, "checkout", "-q", "-b", "clean", "main")
    head = commit(user.repo, {"notes.md": "nothing secret\n"}, "notes")
    proc = user.push("-u", "origin", "clean")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert user.remote_rev("clean") == head


@pytest.mark.slow
def test_first_push_to_an_empty_remote(tmp_path: Path, hook_source: HookSource) -> None:
    """pre-commit sets no PRE_COMMIT_FROM_REF when the root commit is pushed."""
    user = _user(tmp_path, hook_source, push_main=False)
    commit(user.repo, {"bot.py": BOT}, "bot")
    commit(user.repo, {"bot.py": CLEAN_BOT}, "key removed again")
    output = _blocked(user.push("origin", "main"))
    assert "(commits of refs/heads/main not on the remote)" in output
    assert user.remote_rev("main") is None

    clean = _user(tmp_path / "clean", hook_source, push_main=False)
    head = commit(clean.repo, {"bot.py": CLEAN_BOT}, "bot")
    proc = clean.push("origin", "main")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert clean.remote_rev("main") == head


@pytest.mark.slow
def test_orphan_branch(tmp_path: Path, hook_source: HookSource) -> None:
    """Also without PRE_COMMIT_FROM_REF: only the orphan's own commits are judged."""
    user = _user(tmp_path, hook_source)
    git(user.repo, "checkout", "-q", "--orphan", "gh-pages")
    git(user.repo, "rm", "-q", "-r", "--cached", ".")
    commit(user.repo, {"index.html": f"<!-- BINANCE_API_KEY={KEY} -->\n"}, "pages")
    output = _blocked(user.push("origin", "gh-pages"))
    assert "(commits of refs/heads/gh-pages not on the remote)" in output
    assert user.remote_rev("gh-pages") is None

    git(user.repo, "checkout", "-q", "--orphan", "docs")
    git(user.repo, "rm", "-q", "-r", "--cached", ".")
    head = commit(user.repo, {"index.md": "# docs\n"}, "docs")
    proc = user.push("origin", "docs")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert user.remote_rev("docs") == head


@pytest.mark.slow
def test_a_key_already_on_the_remote_does_not_block_later_pushes(
    tmp_path: Path, hook_source: HookSource
) -> None:
    user = _user(tmp_path, hook_source)
    commit(user.repo, {"old.env": f"BINANCE_API_KEY={OLD}\n"}, "old key")
    forced = user.push("--no-verify", "-q", "origin", "main")  # someone skipped the hook
    assert forced.returncode == 0
    head = commit(user.repo, {"bot.py": CLEAN_BOT}, "bot")
    proc = user.push("origin", "main")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert user.remote_rev("main") == head


def test_hook_definition() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks[HOOK_ID]
    assert hook["stages"] == ["pre-push"]
    assert hook["pass_filenames"] is False and hook["always_run"] is True
    assert hook["language"] == "python"
    assert hook["entry"].split()[-1] == "pre-push"


# --- `binance-guard pre-push` run directly ---------------------------------------------------


@pytest.fixture
def pushed(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository whose origin has main (with an old key); feature adds a key and removes it."""
    repo = make_repo(tmp_path / "repo")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    commit(repo, {"README.md": "# bot\n"})
    shas = {"old": commit(repo, {"old.env": f"BINANCE_API_KEY={OLD}\n"}, "old key")}
    git(repo, "push", "-q", "origin", "main")
    git(repo, "checkout", "-q", "-b", "feature")
    shas["clean"] = commit(repo, {"a.py": "x = 1\n"})
    shas["added"] = commit(repo, {"bot.py": BOT}, "key, committed with --no-verify")
    shas["removed"] = commit(repo, {"bot.py": CLEAN_BOT}, "key removed again")
    return repo, shas


def test_direct_pre_push_with_from_and_to_refs(pushed: tuple[Path, dict[str, str]]) -> None:
    repo, shas = pushed
    env = {"PRE_COMMIT_FROM_REF": shas["old"], "PRE_COMMIT_TO_REF": shas["removed"]}
    proc = run_cli("pre-push", cwd=repo, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    span = f"{shas['old'][:12]}..{shas['removed'][:12]}"
    assert proc.stdout.splitlines()[0] == f"Push blocked by binance-guard (pushed commits {span})."
    assert "bot.py" in proc.stdout and "old.env" not in proc.stdout
    assert_no_secret(proc.stdout + proc.stderr, SECRETS)

    env = {"PRE_COMMIT_FROM_REF": shas["removed"], "PRE_COMMIT_TO_REF": shas["removed"]}
    assert run_cli("pre-push", cwd=repo, env=env).returncode == 0
    env = {"PRE_COMMIT_FROM_REF": shas["old"], "PRE_COMMIT_TO_REF": shas["clean"]}
    clean = run_cli("pre-push", cwd=repo, env=env)
    assert clean.returncode == 0 and clean.stdout == "", clean.stdout + clean.stderr


def test_direct_pre_push_without_from_ref(pushed: tuple[Path, dict[str, str]]) -> None:
    repo, _ = pushed
    env = {"PRE_COMMIT_LOCAL_BRANCH": "refs/heads/feature", "PRE_COMMIT_REMOTE_NAME": "origin"}
    proc = run_cli("pre-push", cwd=repo, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "(commits of refs/heads/feature not on the remote)" in proc.stdout
    assert "bot.py" in proc.stdout and "old.env" not in proc.stdout

    bare = run_cli("pre-push", cwd=repo)  # nothing set: HEAD against every remote
    assert bare.returncode == 1
    assert "(commits of HEAD not on the remote)" in bare.stdout
    assert "old.env" not in bare.stdout

    git(repo, "checkout", "-q", "main")
    assert run_cli("pre-push", cwd=repo, env={"PRE_COMMIT_REMOTE_NAME": "origin"}).returncode == 0


# --- as a plain git hook: .git/hooks/pre-push runs `binance-guard pre-push "$@"` ---------------


@dataclasses.dataclass
class Plain:
    repo: Path
    remote: Path
    env: dict[str, str]

    def push(self, *args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["git", "push", *args],
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert_no_secret(proc.stdout + proc.stderr, SECRETS)
        return proc

    def remote_rev(self, ref: str) -> str | None:
        out = git(self.remote, "rev-parse", "--verify", "-q", ref, check=False).strip()
        return out or None


@pytest.fixture
def plain(tmp_path: Path) -> Plain:
    """A repository whose pre-push hook is binance-guard itself, no pre-commit involved."""
    repo, remote = with_pre_push_hook(tmp_path)
    user = Plain(repo, remote, environ({"HOME": str(repo)}))
    assert user.push("-q", "origin", "main").returncode == 0
    return user


def _plain_blocked(proc: subprocess.CompletedProcess[str]) -> str:
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "Push blocked by binance-guard" in output
    assert "Nothing was sent" in output and "Fix the commits before pushing" in output
    assert "anyone who cloned" not in output.lower() and "force-push" not in output
    return output


def test_plain_hook_checks_the_branch_pushed_not_the_one_checked_out(plain: Plain) -> None:
    git(plain.repo, "checkout", "-q", "-b", "leaky")
    commit(plain.repo, {"bot.py": BOT}, "bot with keys")
    git(plain.repo, "checkout", "-q", "main")
    output = _plain_blocked(plain.push("origin", "leaky"))
    assert "leaky" in output and "bot.py" in output
    assert re.search(r"[1-9] still at HEAD, 0 in history only", output)  # the pushed tip
    assert plain.remote_rev("leaky") is None


def test_a_branch_named_after_the_key_it_brings_is_masked(plain: Plain) -> None:
    """The push's description names its refs: masked like the report below it."""
    git(plain.repo, "checkout", "-q", "-b", f"leak-{KEY}")
    commit(plain.repo, {"bot.py": BOT}, "bot with keys")
    output = _plain_blocked(plain.push("origin", "HEAD"))  # push() asserts nothing leaked
    assert "refs/heads/leak-********" in output


def test_plain_hook_key_removed_later_is_history_only(plain: Plain) -> None:
    commit(plain.repo, {"bot.py": BOT}, "bot with keys")
    commit(plain.repo, {"bot.py": CLEAN_BOT}, "keys out again")
    before = plain.remote_rev("main")
    output = _plain_blocked(plain.push("origin", "main"))
    assert re.search(r"0 still at HEAD, [1-9] in history only", output)
    assert "git rebase -i" in output
    assert plain.remote_rev("main") == before


def test_plain_hook_checks_every_ref_of_one_push(plain: Plain) -> None:
    commit(plain.repo, {"docs.md": "docs\n"}, "clean on main")
    git(plain.repo, "checkout", "-q", "-b", "leaky")
    commit(plain.repo, {"bot.py": BOT}, "bot with keys")
    git(plain.repo, "checkout", "-q", "main")
    before = plain.remote_rev("main")
    _plain_blocked(plain.push("origin", "main", "leaky"))
    assert plain.remote_rev("main") == before and plain.remote_rev("leaky") is None
    assert plain.push("-q", "origin", "main").returncode == 0  # the clean one alone goes


def test_plain_hook_stops_a_push_of_a_large_file_that_may_hold_a_key(plain: Plain) -> None:
    """Over --max-bytes it is not scanned, and not called clean: a bot's log with its keys
    committed with --no-verify would otherwise go out."""
    hook = plain.repo / ".git" / "hooks" / "pre-push"
    hook.write_text(hook.read_text().replace('"$@"', '--max-bytes 1000 "$@"'))
    commit(plain.repo, {"bot.log": BOT + "." * 2000}, "a log")
    before = plain.remote_rev("main")
    proc = plain.push("origin", "main")
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "Push stopped by binance-guard" in proc.stdout
    assert "INCOMPLETE: 1 blob(s) over --max-bytes that may hold keys" in proc.stderr
    assert plain.remote_rev("main") == before
    commit(plain.repo, {"bot.log": "." * 2000}, "log emptied")
    commit(plain.repo, {"bot.log": "ok\n" * 1000}, "a clean log")  # the key is still behind
    assert plain.push("-q", "origin", "main").returncode != 0


def test_plain_hook_lets_deletions_and_clean_branches_through(plain: Plain) -> None:
    git(plain.repo, "checkout", "-q", "-b", "feature")
    commit(plain.repo, {"bot.py": CLEAN_BOT}, "clean bot")
    assert plain.push("-q", "origin", "feature").returncode == 0
    assert plain.remote_rev("feature") is not None
    assert plain.push("-q", "origin", "--delete", "feature").returncode == 0
    assert plain.remote_rev("feature") is None
    commit(plain.repo, {"bot.py": BOT}, "keys")  # the same hook does block
    _plain_blocked(plain.push("origin", "feature"))


def test_plain_hook_force_push_checks_only_what_the_remote_lacks(plain: Plain) -> None:
    commit(plain.repo, {"a.txt": "a\n"}, "a")
    assert plain.push("-q", "origin", "main").returncode == 0
    git(plain.repo, "reset", "-q", "--hard", "HEAD~1")
    commit(plain.repo, {"bot.py": BOT}, "rewritten with keys")
    _plain_blocked(plain.push("--force", "origin", "main"))


def test_plain_hook_stops_a_tag_of_a_tag_whose_inner_message_holds_a_key(plain: Plain) -> None:
    """Pushing `outer` sends the tag it tags too, message and all: that message went out."""
    git(plain.repo, "tag", "-a", "inner", "-m", f"BINANCE_API_KEY={KEY}")
    git(plain.repo, "-c", "advice.nestedTag=false", "tag", "-a", "outer", "-m", "ok", "inner")
    git(plain.repo, "tag", "-d", "inner")
    output = _plain_blocked(plain.push("origin", "outer"))
    assert "(tag message)" in output
    assert plain.remote_rev("refs/tags/outer") is None


@pytest.mark.parametrize("where", ["message", "author", "committer", "tagger"])
def test_plain_hook_stops_a_key_in_a_message_or_an_identity(plain: Plain, where: str) -> None:
    """Names, emails and messages go out with the commits and tags that hold them."""
    leaky = f"BINANCE_API_KEY={KEY}"
    message = leaky if where == "message" else "clean"
    author = [f"--author={leaky} <bot@example.com>"] if where == "author" else []
    env = {"GIT_COMMITTER_NAME": leaky} if where in ("committer", "tagger") else {}
    git(plain.repo, "commit", "-q", "--allow-empty", "-m", message, *author, env=env)
    if where == "tagger":
        git(plain.repo, "push", "-q", "--no-verify", "origin", "main")
        git(plain.repo, "tag", "-a", "v1", "-m", "v1", env=env)
        output = _plain_blocked(plain.push("origin", "v1"))
        assert plain.remote_rev("refs/tags/v1") is None
    else:
        before = plain.remote_rev("main")
        output = _plain_blocked(plain.push("origin", "main"))
        assert plain.remote_rev("main") == before
    label = "(commit message)" if where == "message" else f"({where})"
    assert label in output


def test_pre_push_rejects_malformed_input(plain: Plain) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "binance_guard", "pre-push", "origin", str(plain.remote)],
        cwd=plain.repo,
        env=plain.env,
        input="refs/heads/main --upload-pack=x refs/heads/main 0\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("binance-guard: error:")


def test_a_push_to_a_url_with_credentials_does_not_print_them(plain: Plain) -> None:
    """`git push https://user:token@host/repo.git` names the remote by that URL: the
    blocked push's message printed the token."""
    commit(plain.repo, {"bot.py": BOT}, "bot with keys")
    url = "https://deploy:ghp_notARealTokenButSecret@github.com/acme/bot.git"
    head = git(plain.repo, "rev-parse", "HEAD").strip()
    proc = subprocess.run(
        [sys.executable, "-m", "binance_guard", "pre-push", url, url],
        cwd=plain.repo,
        env=plain.env,
        input=f"refs/heads/main {head} refs/heads/main {'0' * 40}\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "push to https://***@github.com/acme/bot.git" in proc.stdout
    assert "ghp_" not in proc.stdout + proc.stderr and "deploy" not in proc.stdout
    assert_no_secret(proc.stdout + proc.stderr, SECRETS)


def test_plain_hook_stops_a_push_it_could_not_read(plain: Plain) -> None:
    """A pushed commit's blob lost from the object store: the push is stopped and says why
    (rev-list used to die on it: a git error and nothing counted)."""
    commit(plain.repo, {"settings.env": "BINANCE_API_KEY=${FROM_VAULT}\n"}, "settings")
    blob = git(plain.repo, "rev-parse", "HEAD:settings.env").strip()
    (plain.repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    before = plain.remote_rev("main")
    proc = plain.push("origin", "main")
    assert proc.returncode != 0
    assert "Push stopped by binance-guard" in proc.stdout + proc.stderr
    assert "INCOMPLETE: 1 object(s) missing or lost" in proc.stderr, proc.stderr
    assert plain.remote_rev("main") == before
