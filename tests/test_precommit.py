"""The real pre-commit framework runs the hooks from this repository's HEAD."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.git_repo import GIT_ENV, commit, git, make_repo, stage
from testing.keys import fake_key

ROOT = Path(__file__).resolve().parents[1]
KEY, SECRET = fake_key("pc-key"), fake_key("pc-secret")
BOT = f'from binance.client import Client\nclient = Client("{KEY}", "{SECRET}")\n'
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]

# The real framework builds the hook's environment once per module (pip install from a
# clone): seconds, not milliseconds. `pytest -m "not slow"` leaves these out.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, Path]]:
    """A clone of this repository (pre-commit needs a git URL and a rev) and a shared cache,
    so the hook's environment is built once."""
    base = tmp_path_factory.mktemp("pre-commit")
    clone = base / "binance-guard"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    rev = git(clone, "rev-parse", "HEAD").strip()
    yield clone, rev, base / "cache"
    shutil.rmtree(base, ignore_errors=True)


def _user_repo(
    tmp_path: Path, source: tuple[Path, str, Path], hook_id: str
) -> tuple[Path, dict[str, str]]:
    clone, rev, cache = source
    repo = make_repo(tmp_path / "user")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {clone}\n    rev: {rev}\n    hooks:\n      - id: {hook_id}\n"
    )
    commit(repo, {"README.md": "# bot\n"})
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(cache), "HOME": str(repo)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return repo, env


def _run(cmd: list[str], repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=False)


def test_commit_with_a_key_is_blocked_and_clean_commit_passes(
    tmp_path: Path, hook_source: tuple[Path, str, Path]
) -> None:
    repo, env = _user_repo(tmp_path, hook_source, "binance-guard")
    assert _run([*PRE_COMMIT, "install"], repo, env).returncode == 0
    head = git(repo, "rev-parse", "HEAD")

    stage(repo, {"bot.py": BOT})
    blocked = _run(["git", "commit", "-m", "add bot"], repo, env)
    assert blocked.returncode != 0
    output = blocked.stdout + blocked.stderr
    assert "binance-guard" in output and "bot.py:2:" in output
    assert "API Management" in output
    assert KEY not in output and SECRET not in output
    assert git(repo, "rev-parse", "HEAD") == head

    stage(repo, {"bot.py": "import os\nclient = Client(os.environ['K'], os.environ['S'])\n"})
    passed = _run(["git", "commit", "-m", "add bot"], repo, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert git(repo, "rev-parse", "HEAD") != head


def test_a_key_in_utf16_without_a_byte_order_mark_is_blocked(
    tmp_path: Path, hook_source: tuple[Path, str, Path]
) -> None:
    """pre-commit's identify takes such a file for binary: a hook limited to text files was
    never even started for it."""
    repo, env = _user_repo(tmp_path, hook_source, "binance-guard")
    assert _run([*PRE_COMMIT, "install"], repo, env).returncode == 0
    text = f"BINANCE_API_KEY={KEY}\nBINANCE_API_SECRET={SECRET}\n"
    stage(repo, {"credentials": text.encode("utf-16-le")})
    blocked = _run(["git", "commit", "-m", "add credentials"], repo, env)
    assert blocked.returncode != 0
    assert "credentials:1:" in blocked.stdout + blocked.stderr


def test_pre_push_stops_a_key_committed_with_no_verify(
    tmp_path: Path, hook_source: tuple[Path, str, Path]
) -> None:
    repo, env = _user_repo(tmp_path, hook_source, "binance-guard-pre-push")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    assert _run(["git", "push", "-q", "origin", "main"], repo, env).returncode == 0
    assert _run([*PRE_COMMIT, "install", "--hook-type", "pre-push"], repo, env).returncode == 0

    commit(repo, {"bot.py": BOT}, "key, hook skipped")
    commit(repo, {"bot.py": "import os\n"}, "key removed again")
    pushed = _run(["git", "push", "origin", "main"], repo, env)
    assert pushed.returncode != 0
    assert "Push blocked" in pushed.stdout + pushed.stderr
    assert KEY not in pushed.stdout + pushed.stderr
    remote_head = git(remote, "rev-parse", "main").strip()
    assert remote_head != git(repo, "rev-parse", "HEAD").strip()

    git(repo, "checkout", "-q", "-b", "clean", remote_head)
    commit(repo, {"notes.md": "nothing secret\n"})
    new_branch = _run(["git", "push", "origin", "clean"], repo, env)
    assert new_branch.returncode == 0, new_branch.stdout + new_branch.stderr


def test_run_all_files_scans_what_is_already_committed(
    tmp_path: Path, hook_source: tuple[Path, str, Path]
) -> None:
    repo, env = _user_repo(tmp_path, hook_source, "binance-guard")
    commit(repo, {"bot.py": BOT, "notes.md": "# notes\n"}, "committed with --no-verify")
    proc = _run([*PRE_COMMIT, "run", "--all-files"], repo, env)
    assert proc.returncode == 1
    assert "bot.py:2:" in proc.stdout and "API Management" in proc.stdout
    assert KEY not in proc.stdout + proc.stderr
    commit(repo, {"bot.py": "import os\n"})
    clean = _run([*PRE_COMMIT, "run", "--all-files"], repo, env)
    assert clean.returncode == 0, clean.stdout


def test_file_names_that_look_like_options_stay_file_names(
    tmp_path: Path, hook_source: tuple[Path, str, Path]
) -> None:
    """pre-commit appends file names to the hook's arguments: a pull request's file named
    --exclude-files=.* let `pre-commit run --all-files` pass its key, --show-secrets printed
    it, --output=README.md overwrote the README."""
    repo, env = _user_repo(tmp_path, hook_source, "binance-guard")
    names = ("--exclude-files=.*", "--show-secrets", "--output=README.md")
    commit(repo, {"bot.py": BOT, **{name: "x\n" for name in names}}, "a pull request")
    proc = _run([*PRE_COMMIT, "run", "--all-files"], repo, env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "bot.py:2:" in proc.stdout and KEY not in proc.stdout + proc.stderr
    assert (repo / "README.md").read_text() == "# bot\n"


def test_unstaged_key_is_stashed_for_the_commit_and_kept(
    tmp_path: Path, hook_source: tuple[Path, str, Path]
) -> None:
    """pre-commit stashes unstaged edits: a clean staged change commits even though the
    working tree holds a key, and the key is still there afterwards (nothing committed)."""
    repo, env = _user_repo(tmp_path, hook_source, "binance-guard")
    assert _run([*PRE_COMMIT, "install"], repo, env).returncode == 0
    commit(repo, {"bot.py": "import os\n"})
    stage(repo, {"bot.py": "import os\nimport sys\n"})
    (repo / "bot.py").write_text("import os\nimport sys\n" + BOT)
    done = _run(["git", "commit", "-m", "imports"], repo, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(repo, "show", "HEAD:bot.py") == "import os\nimport sys\n"
    assert (repo / "bot.py").read_text().endswith(BOT)


def test_file_name_with_a_leading_dash_commits(
    tmp_path: Path, hook_source: tuple[Path, str, Path]
) -> None:
    repo, env = _user_repo(tmp_path, hook_source, "binance-guard")
    assert _run([*PRE_COMMIT, "install"], repo, env).returncode == 0
    digest = "3f" + "".join(f"{(i * 37) % 256:02x}" for i in range(31))  # a 64-char checksum
    stage(repo, {"-notes.md": f"release checksum: {digest}\n"})
    done = _run(["git", "commit", "-m", "notes"], repo, env)
    assert done.returncode == 0, done.stdout + done.stderr


def test_commit_all_and_commit_only_through_the_framework(
    tmp_path: Path, hook_source: tuple[Path, str, Path]
) -> None:
    """`git commit -a` and `git commit -- PATH` commit a temporary index (GIT_INDEX_FILE):
    through pre-commit too, the hook reads that one, not .git/index."""
    repo, env = _user_repo(tmp_path, hook_source, "binance-guard")
    assert _run([*PRE_COMMIT, "install"], repo, env).returncode == 0
    commit(repo, {"bot.py": "import os\n", "notes.md": "x\n"})
    head = git(repo, "rev-parse", "HEAD")
    (repo / "bot.py").write_text(BOT)  # modified, never `git add`ed
    for args in (["-a"], ["--", "bot.py"], ["--only", "bot.py"]):
        blocked = _run(["git", "commit", "-m", "bot", *args], repo, env)
        output = blocked.stdout + blocked.stderr
        assert blocked.returncode != 0 and "bot.py:2:" in output, (args, output)
        assert KEY not in output and SECRET not in output
    assert git(repo, "rev-parse", "HEAD") == head
    (repo / "notes.md").write_text("y\n")
    done = _run(["git", "commit", "-m", "notes", "--", "notes.md"], repo, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(repo, "show", "HEAD:bot.py") == "import os\n"
