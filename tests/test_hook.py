"""`binance-guard hook` on real repositories: only added lines count, context from the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testing.cli import run_cli
from testing.git_repo import GIT_ENV, commit, git, stage, write
from testing.keys import fake_hex_key, fake_key

KEY, SECRET = fake_key("hook-key"), fake_key("hook-secret")
BOT = f'from binance.client import Client\nclient = Client("{KEY}", "{SECRET}")\n'


def test_staged_key_blocks_with_an_actionable_message(repo: Path) -> None:
    stage(repo, {"bot.py": BOT})
    proc = run_cli("hook", cwd=repo)
    assert proc.returncode == 1
    out = proc.stdout
    assert "Commit blocked" in out
    assert "bot.py:2:" in out
    assert f"{KEY[:4]}********{KEY[-4:]}" in out
    assert "why:" in out and "argument 1 of 'Client(...)'" in out
    assert "API Management" in out and "environment variable" in out
    assert KEY not in out + proc.stderr and SECRET not in out + proc.stderr


def test_clean_commit_passes(repo: Path) -> None:
    commit(repo, {"a.py": "x = 1\n"})
    stage(repo, {"a.py": "x = 1\ny = 2\n", "b.md": "# notes\n"})
    proc = run_cli("hook", "a.py", "b.md", cwd=repo)
    assert (proc.returncode, proc.stdout) == (0, "")


def test_initial_commit_in_empty_repo(repo: Path) -> None:
    stage(repo, {".env": f"BINANCE_API_KEY={KEY}\nBINANCE_API_SECRET={SECRET}\n"})
    proc = run_cli("hook", cwd=repo)
    assert proc.returncode == 1
    assert ".env:1:" in proc.stdout and ".env:2:" in proc.stdout


def test_only_added_lines_count(repo: Path) -> None:
    commit(repo, {"bot.py": BOT})
    stage(repo, {"bot.py": BOT + "print('hello')\n"})
    assert run_cli("hook", "bot.py", cwd=repo).returncode == 0


def test_context_comes_from_the_whole_staged_file(repo: Path) -> None:
    top = "from binance.client import Client\n" + "".join(f"x{i} = {i}\n" for i in range(60))
    commit(repo, {"bot.py": top})
    stage(repo, {"bot.py": top + f'API_KEY = "{KEY}"\n'})
    proc = run_cli("hook", cwd=repo)
    assert proc.returncode == 1
    assert "bot.py:62:" in proc.stdout
    assert "elsewhere in the file" in proc.stdout


def test_the_index_counts_not_the_working_tree(repo: Path) -> None:
    stage(repo, {"a.py": "x = 1\n"})
    write(repo, "a.py", BOT)  # unstaged edit
    assert run_cli("hook", cwd=repo).returncode == 0
    stage(repo, {"b.py": BOT})
    write(repo, "b.py", "x = 1\n")  # staged key, cleaned only on disk
    assert run_cli("hook", cwd=repo).returncode == 1


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("", "  # pragma: allowlist secret"),  # detect-secrets
        ("# pragma: allowlist nextline secret\n", ""),
        ("", "  # gitleaks:allow"),
        ("", "  # trufflehog:ignore"),
        ("", "  # ggignore"),  # ggshield
        ("", "  // Pragma: Allowlist Secret"),
    ],
)
def test_inline_markers_of_each_scanner_allowlist_a_line(
    repo: Path, before: str, after: str
) -> None:
    """Users bring the markers of the scanner they came from; each accepts its own line only."""
    line = f'BINANCE_API_KEY = "{KEY}"'
    stage(repo, {"bot.py": f"{before}{line}{after}\n"})
    assert run_cli("hook", cwd=repo).returncode == 0
    stage(repo, {"bot.py": f"{before}{line}{after}\n{line.replace('API_KEY', 'KEY2')}\n"})
    proc = run_cli("hook", "--format", "json", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    assert [f["line"] for f in json.loads(proc.stdout)["findings"]] == [2 + before.count("\n")]


def test_baseline_accepts_known_secrets(repo: Path) -> None:
    commit(repo, {"bot.py": BOT})
    assert run_cli("scan", "--write-baseline", ".secrets.baseline", cwd=repo).returncode == 0
    stage(repo, {"other.py": BOT})
    proc = run_cli("hook", "--baseline", ".secrets.baseline", "other.py", cwd=repo)
    assert proc.returncode == 1  # the same secrets in another file are not accepted there
    stage(repo, {"bot.py": BOT.replace("client =", "c =")})
    proc = run_cli("hook", "--baseline", ".secrets.baseline", "bot.py", cwd=repo)
    assert proc.returncode == 0, proc.stdout
    stage(repo, {"bot.py": BOT + f'OTHER_SECRET = "{fake_key("new")}"\n'})
    proc = run_cli("hook", "--baseline", ".secrets.baseline", "bot.py", cwd=repo)
    assert proc.returncode == 1  # a new secret still blocks


def test_rename_without_changes_is_clean(repo: Path) -> None:
    commit(repo, {"bot.py": BOT})
    git(repo, "mv", "bot.py", "trader.py")
    assert run_cli("hook", "trader.py", cwd=repo).returncode == 0


def test_quoted_file_names(repo: Path) -> None:
    name = 'ключ "x"\t.env'
    stage(repo, {name: f"\n\nBINANCE_API_KEY={KEY}\n"})
    proc = run_cli("hook", cwd=repo)
    assert proc.returncode == 1
    assert 'ключ "x"\\t.env:3:' in proc.stdout  # the tab shown, not sent to the terminal


def test_symlinks_and_binaries_are_skipped(repo: Path) -> None:
    write(repo, "target.env", "x = 1\n")
    os.symlink("target.env", repo / "link.env")
    stage(repo, {"blob.bin": b"\x00\x01" + f"BINANCE_API_KEY={KEY}".encode()})
    git(repo, "add", "link.env", "target.env")
    assert run_cli("hook", cwd=repo).returncode == 0


def test_unstaged_named_files_are_scanned_whole(repo: Path) -> None:
    commit(repo, {"bot.py": BOT})
    proc = run_cli("hook", "bot.py", cwd=repo)  # as `pre-commit run --all-files` calls it
    assert proc.returncode == 1


def test_hex_testnet_key_needs_binance_context(repo: Path) -> None:
    hexkey = fake_hex_key(1)
    stage(repo, {"t.py": f'client = Client(api_key="{hexkey}", testnet=True)  # binance\n'})
    assert run_cli("hook", cwd=repo).returncode == 1
    stage(repo, {"lock.txt": f"pkg==1.0 --hash=sha256:{hexkey}\n"})
    git(repo, "rm", "-q", "--cached", "t.py")
    assert run_cli("hook", cwd=repo).returncode == 0


def test_a_key_outside_the_current_directory_blocks_under_diff_relative(repo: Path) -> None:
    """diff.relative limits git diff to the current directory: the hook must not."""
    git(repo, "config", "diff.relative", "true")
    (repo / "docs").mkdir()
    stage(repo, {"docs/notes.md": "# notes\n", "bot.py": BOT})
    proc = run_cli("hook", cwd=repo / "docs")
    assert proc.returncode == 1 and "bot.py:2:" in proc.stdout, proc.stderr


def test_a_staged_key_replaced_locally_by_a_clean_twin_still_blocks(repo: Path) -> None:
    """git replace changes what this clone shows, not what a commit and a push carry."""
    stage(repo, {"bot.py": BOT})
    staged_blob = git(repo, "rev-parse", ":bot.py").strip()
    write(repo, "twin.py", "print('nothing to see')\n")
    twin = git(repo, "hash-object", "-w", "twin.py").strip()
    git(repo, "replace", staged_blob, twin)
    proc = run_cli("hook", "bot.py", cwd=repo)
    assert proc.returncode == 1 and "bot.py:2:" in proc.stdout, proc.stderr


def test_outside_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BOT)
    proc = run_cli("hook", cwd=tmp_path, env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert proc.returncode == 2
    assert "not inside a git work tree" in proc.stderr


def test_pre_push_scans_the_pushed_range(repo: Path) -> None:
    base = commit(repo, {"a.py": "x = 1\n"})
    commit(repo, {"bot.py": BOT}, "key, committed with --no-verify")
    head = commit(repo, {"bot.py": "import os\n"}, "key removed again")
    pushed = {"PRE_COMMIT_FROM_REF": base, "PRE_COMMIT_TO_REF": head}
    proc = run_cli("pre-push", cwd=repo, env=pushed)
    assert proc.returncode == 1
    assert f"Push blocked by binance-guard (pushed commits {base[:12]}..{head[:12]})" in proc.stdout
    assert KEY not in proc.stdout
    clean = {"PRE_COMMIT_FROM_REF": head, "PRE_COMMIT_TO_REF": head}
    assert run_cli("pre-push", cwd=repo, env=clean).returncode == 0


# --- more shapes of a staged change -----------------------------------------------------------


def test_quoted_name_passed_on_the_command_line(repo: Path) -> None:
    name = 'ключ "x"\t\\.env'
    stage(repo, {name: f"\n\nBINANCE_API_KEY={KEY}\n", "clean.txt": "x\n"})
    proc = run_cli("hook", "clean.txt", name, cwd=repo)  # as pre-commit passes them
    assert proc.returncode == 1
    assert 'ключ "x"\\t\\.env:3:17' in proc.stdout
    assert run_cli("hook", "clean.txt", cwd=repo).returncode == 0


def test_every_hunk_is_scanned_and_only_hunks(repo: Path) -> None:
    old_key = fake_key("hook-old")
    body = ["from binance.client import Client", *[f"x{i} = {i}" for i in range(60)]]
    body[30] = f'OLD_KEY = "{old_key}"'  # committed earlier: not this commit's business
    commit(repo, {"bot.py": "\n".join(body) + "\n"})
    new = list(body)
    new[5] = f'API_KEY = "{KEY}"'
    new.insert(20, "++ b/other.py")  # a content line that reads "+++ b/other.py" in the patch
    new.insert(45, f'API_SECRET = "{SECRET}"')
    stage(repo, {"bot.py": "\n".join(new) + "\n"})
    proc = run_cli("hook", cwd=repo)
    assert proc.returncode == 1
    assert "bot.py:6:" in proc.stdout and "bot.py:46:" in proc.stdout
    assert "bot.py:32:" not in proc.stdout  # the old key, moved down by the insertion
    assert old_key[:4] + "********" not in proc.stdout


def test_renamed_and_edited_file_is_reported_under_its_new_name(repo: Path) -> None:
    body = "".join(f"x{i} = {i}\n" for i in range(30))
    commit(repo, {"old.py": body})
    git(repo, "mv", "old.py", "new.py")
    stage(repo, {"new.py": body + f"BINANCE_API_KEY = '{KEY}'\n"})
    proc = run_cli("hook", "new.py", cwd=repo)
    assert proc.returncode == 1 and "new.py:31:" in proc.stdout


def test_type_changes(repo: Path) -> None:
    write(repo, "target", "x\n")
    os.symlink("target", repo / "cfg.env")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "link")
    (repo / "cfg.env").unlink()
    stage(repo, {"cfg.env": f"BINANCE_API_KEY={KEY}\n"})  # symlink becomes a file with a key
    proc = run_cli("hook", "cfg.env", cwd=repo)
    assert proc.returncode == 1 and "cfg.env:1:" in proc.stdout
    git(repo, "commit", "-q", "--no-verify", "-m", "file")
    (repo / "cfg.env").unlink()
    os.symlink(f"BINANCE_API_KEY={KEY}", repo / "cfg.env")  # and back: a link is not content
    git(repo, "add", "cfg.env")
    assert run_cli("hook", "cfg.env", cwd=repo).returncode == 0


def test_invalid_utf8_and_crlf_around_a_key(repo: Path) -> None:
    stage(
        repo,
        {
            "dump.cfg": b"\xff\xfe\x80\n# \xe9\xe8 binance\r\napi_key="
            + KEY.encode()
            + b"\xc3\x28\r\n",
            "win.env": f"A=1\r\nBINANCE_API_SECRET={SECRET}\r\n",
        },
    )
    proc = run_cli("hook", cwd=repo)
    assert proc.returncode == 1
    assert "dump.cfg:3:9" in proc.stdout and "win.env:2:20" in proc.stdout


def test_from_a_subdirectory(repo: Path) -> None:
    stage(repo, {"src/app/bot.py": BOT})
    (repo / "docs").mkdir()
    proc = run_cli("hook", cwd=repo / "docs")
    assert proc.returncode == 1 and "src/app/bot.py:2:" in proc.stdout


def _install_plain_git_hook(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m binance_guard hook\n')
    hook.chmod(0o755)


def _git_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-q", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV, "HOME": str(repo)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_as_a_plain_git_hook_with_commit_all_and_commit_only(repo: Path) -> None:
    """``git commit -a`` and ``git commit <path>`` build a temporary index (GIT_INDEX_FILE):
    the hook must read that one, not .git/index."""
    commit(repo, {"bot.py": "import os\n", "notes.md": "x\n"})
    _install_plain_git_hook(repo)
    head = git(repo, "rev-parse", "HEAD")
    write(repo, "bot.py", BOT)  # modified, never `git add`ed
    blocked = _git_commit(repo, "-a", "-m", "all")
    assert blocked.returncode == 1 and "bot.py:2:" in blocked.stderr  # git: hook output
    blocked = _git_commit(repo, "-m", "only", "--", "bot.py")
    assert blocked.returncode == 1 and "bot.py:2:" in blocked.stderr
    assert git(repo, "rev-parse", "HEAD") == head
    write(repo, "notes.md", "y\n")
    assert _git_commit(repo, "-m", "only notes", "--", "notes.md").returncode == 0
    assert git(repo, "rev-parse", "HEAD") != head


# --- the clean path (no argparse, no scanner) must agree with the full one --------------------

SLOW = "import sys; from binance_guard.commands import run; sys.exit(run(sys.argv[1:]))"


def _both_paths(repo: Path, *args: str) -> tuple[int, int]:
    fast = run_cli("hook", *args, cwd=repo).returncode
    slow = subprocess.run(
        [sys.executable, "-c", SLOW, "hook", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        check=False,
    ).returncode
    return fast, slow


def test_clean_path_agrees_with_the_full_scan(repo: Path) -> None:
    commit(repo, {"bot.py": BOT, "a.py": "x = 1\n"})
    stage(repo, {"a.py": "x = 2\n"})
    assert _both_paths(repo) == (0, 0)
    assert _both_paths(repo, "a.py") == (0, 0)
    assert _both_paths(repo, "a.py", "bot.py") == (1, 1)  # bot.py unstaged: scanned whole
    assert _both_paths(repo, "--min-confidence", "low", "a.py") == (0, 0)
    assert _both_paths(repo, "--min-confidence", "low", "bot.py") == (1, 1)
    stage(repo, {"a.py": "sha = '" + "ab12" * 16 + "'\n"})  # a candidate that is no key
    assert _both_paths(repo, "a.py") == (0, 0)


def test_clean_path_is_not_fooled_by_patch_content(repo: Path) -> None:
    commit(repo, {"bot.py": BOT})
    stage(repo, {"fix.patch": "diff --git a/bot.py b/bot.py\n--- a/bot.py\n+++ b/bot.py\n"})
    assert _both_paths(repo, "bot.py", "fix.patch") == (1, 1)


# --- a blocked commit: detection and a message, not the imports of other commands ---------

OFF_THE_HOOK_PATH = (
    "argparse",
    "rich",
    "urllib",
    "cryptography",
    "detect_secrets",
    "multiprocessing",
    "binance_guard.history",
    "binance_guard.commands.parser",
    # what a found key needs neither: records are not dataclasses (dataclasses imports
    # inspect, ast, dis), git runs through os.posix_spawnp, SHA-256 without OpenSSL, TOML only
    # when a settings file exists (and typing with it)
    "dataclasses",
    "inspect",
    "subprocess",
    "threading",
    "hashlib",
    "_hashlib",
    "tomllib",
    "typing",
    "base64",  # decoding waits for a value that looks encoded
    "string",
    "select",  # git's input fits its pipe at once, its errors are not read: one pipe to read
)


def test_a_blocked_commit_imports_no_other_command(repo: Path) -> None:
    stage(repo, {"bot.py": BOT})
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "binance_guard", "hook", "bot.py"],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and "Commit blocked" in proc.stdout
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "binance_guard.detection.scanner" in imported
    assert not {
        m for m in imported if m.split(".")[0] in OFF_THE_HOOK_PATH or m in OFF_THE_HOOK_PATH
    }


@pytest.mark.parametrize("flags", [[], ["-v"], ["--include-examples"], ["--verbose"]])
def test_a_blocked_commit_reads_the_same_without_argparse(repo: Path, flags: list[str]) -> None:
    from binance_guard.sources.source import DEFAULT_MAX_BYTES

    commit(repo, {"a.py": "x = 1\n"})
    stage(repo, {"bot.py": BOT, "a.py": "x = 2\n"})
    simple = run_cli("hook", *flags, "bot.py", "a.py", cwd=repo)
    full = run_cli("hook", *flags, f"--max-bytes={DEFAULT_MAX_BYTES}", "bot.py", "a.py", cwd=repo)
    assert simple.returncode == 1 and "Commit blocked" in simple.stdout
    assert (simple.returncode, simple.stdout, simple.stderr) == (
        full.returncode,
        full.stdout,
        full.stderr,
    )


def test_the_argparse_free_hook_knows_every_flag() -> None:
    from binance_guard.commands import HOOK_FLAGS
    from binance_guard.sources.staged import FLAG_OPTIONS

    assert set(HOOK_FLAGS) == FLAG_OPTIONS


# --- git settings a user may have must not hide added lines ---------------------------------


def _key_added_mid_file(repo: Path) -> None:
    lines = ["from binance.client import Client", *[f"x{i} = {i}" for i in range(20)]]
    commit(repo, {"bot.py": "\n".join(lines) + "\n"})
    lines[4] = "y = 1"
    lines[9] = f'API_KEY = "{KEY}"'
    stage(repo, {"bot.py": "\n".join(lines) + "\n"})


def test_key_added_mid_file_is_found(repo: Path) -> None:
    _key_added_mid_file(repo)
    proc = run_cli("hook", "bot.py", cwd=repo)
    assert proc.returncode == 1 and "bot.py:10:" in proc.stdout


@pytest.mark.parametrize(
    "setting", ["config:diff.interHunkContext=10", "env:GIT_DIFF_OPTS=--unified=3"]
)
def test_diff_settings_do_not_hide_added_lines(repo: Path, setting: str) -> None:
    _key_added_mid_file(repo)
    kind, _, assignment = setting.partition(":")
    name, _, value = assignment.partition("=")
    env = {}
    if kind == "config":
        git(repo, "config", name, value)
    else:
        env[name] = value
    proc = run_cli("hook", "bot.py", cwd=repo, env=env)
    assert proc.returncode == 1 and "bot.py:10:" in proc.stdout


def test_textconv_drivers_do_not_shift_line_numbers(repo: Path, tmp_path: Path) -> None:
    conv = tmp_path / "conv.sh"
    conv.write_text('#!/bin/sh\necho "# converted"\necho "#"\ncat "$1"\n')
    conv.chmod(0o755)
    commit(repo, {".gitattributes": "*.py diff=conv\n"})
    git(repo, "config", "diff.conv.textconv", str(conv))
    _key_added_mid_file(repo)
    proc = run_cli("hook", "bot.py", cwd=repo)
    assert proc.returncode == 1 and "bot.py:10:" in proc.stdout


@pytest.mark.parametrize("attribute", ["-diff", "binary"])
def test_diff_attributes_do_not_hide_text_files(repo: Path, attribute: str) -> None:
    commit(repo, {".gitattributes": f"*.env {attribute}\n"})
    stage(repo, {"prod.env": f"BINANCE_API_KEY={KEY}\nBINANCE_API_SECRET={SECRET}\n"})
    proc = run_cli("hook", "prod.env", cwd=repo)
    assert proc.returncode == 1 and "prod.env:1:" in proc.stdout


# --- names and options ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [(f"\n\nBINANCE_API_KEY={KEY}\n", 1), ("sha256 = '" + "ab12" * 16 + "'\n", 0)],
    ids=["key", "clean-64-char-value"],
)
def test_names_with_a_leading_dash(repo: Path, content: str, expected: int) -> None:
    stage(repo, {"-dash.env": content})
    proc = run_cli("hook", "-dash.env", cwd=repo)
    assert proc.returncode == expected, proc.stderr
    if expected:
        assert "-dash.env:3:" in proc.stdout


def test_a_file_over_max_bytes_whose_added_lines_may_hold_a_key_stops_the_commit(
    repo: Path,
) -> None:
    """Skipping it would pass a key in a staged log or dump without a word; scanning a huge
    blob is the user's call (--max-bytes), so the commit is incomplete: exit 2."""
    stage(repo, {"big.env": f"BINANCE_API_KEY={KEY}\n" + "#" * 500 + "\n"})
    proc = run_cli("hook", "--max-bytes", "100", cwd=repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Commit stopped by binance-guard: not everything staged was scanned." in proc.stdout
    assert "big.env: larger than 100 bytes, and its added lines may hold a key" in proc.stdout
    assert KEY not in proc.stdout + proc.stderr
    doc = json.loads(run_cli("hook", "--max-bytes", "100", "--format", "json", cwd=repo).stdout)
    assert doc["incomplete"] == {"staged file(s) over --max-bytes that may hold keys": 1}
    assert run_cli("hook", "--max-bytes", "100", "--allow-incomplete", cwd=repo).returncode == 0
    assert run_cli("hook", "--max-bytes", "1000", cwd=repo).returncode == 1


def test_a_file_over_max_bytes_is_skipped_when_its_added_lines_are_clean(repo: Path) -> None:
    """Its unchanged lines are not the commit's: an old key there does not stop it."""
    commit(repo, {"big.env": f"BINANCE_API_KEY={KEY}\n"}, "old key")
    stage(repo, {"big.env": f"BINANCE_API_KEY={KEY}\n" + "#" * 500 + "\n"})
    stage(repo, {"sums.txt": "sha256 = '" + "ab12" * 16 + "'\n"})  # scanned: not a key
    proc = run_cli("hook", "-v", "--max-bytes", "100", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "skipped big.env: larger than 100 bytes" in proc.stdout
    assert "INCOMPLETE" not in proc.stdout
    stage(repo, {"dump.bin": b"\x00" + f"BINANCE_API_KEY={KEY}\n".encode() * 9})  # binary
    proc = run_cli("hook", "-v", "--max-bytes", "100", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "skipped dump.bin: larger than 100 bytes" in proc.stdout
