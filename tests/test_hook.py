"""`binance-guard hook` on real repositories: only added lines count, context from the file."""

from __future__ import annotations

import os
from pathlib import Path

from testing.cli import run_cli
from testing.git_repo import commit, git, stage, write
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


def test_pragma_allowlists_a_line(repo: Path) -> None:
    stage(repo, {"bot.py": f'BINANCE_API_KEY = "{KEY}"  # pragma: allowlist secret\n'})
    assert run_cli("hook", cwd=repo).returncode == 0


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
    assert f"{name}:3:" in proc.stdout


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
