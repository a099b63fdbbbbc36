"""`binance-guard scan` end to end: what it reads, what it prints, how it exits."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from testing.cli import run_cli
from testing.git_repo import commit, write
from testing.keys import fake_key

KEY, SECRET = fake_key("cli-key"), fake_key("cli-secret")
PAIR = f"BINANCE_API_KEY={KEY}\nBINANCE_API_SECRET={SECRET}\n"
EXAMPLE = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"


def _json(*args: str, cwd: Path) -> tuple[int, Any]:
    proc = run_cli("scan", *args, "--format", "json", cwd=cwd)
    assert KEY not in proc.stdout + proc.stderr and SECRET not in proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_json_findings_have_the_documented_fields(repo: Path) -> None:
    commit(repo, {".env": PAIR})
    code, doc = _json(cwd=repo)
    assert code == 1
    key, secret = doc["findings"]
    assert (key["type"], key["path"], key["line"]) == ("binance_api_key", ".env", 1)
    assert (secret["type"], secret["line"]) == ("binance_secret_key", 2)
    assert key["redacted"] == f"{KEY[:4]}********{KEY[-4:]}"
    assert key["confidence"] == "high"
    pair = key["pair"]
    assert pair["line"] == 2 and pair["fingerprint"] == secret["fingerprint"]
    assert _json(cwd=repo)[1]["findings"][0]["fingerprint"] == key["fingerprint"]  # stable


def test_git_tracked_files_by_default_all_files_on_request(repo: Path) -> None:
    commit(repo, {".gitignore": "ignored.env\n", "clean.txt": "hello\n"})
    write(repo, "ignored.env", PAIR)
    write(repo, "untracked.env", PAIR.replace("BINANCE_", "BINANCE_TESTNET_"))
    _, doc = _json(cwd=repo)
    assert {f["path"] for f in doc["findings"]} == {"untracked.env"}
    _, doc = _json("--all-files", cwd=repo)
    assert {f["path"] for f in doc["findings"]} == {"untracked.env", "ignored.env"}
    _, doc = _json("ignored.env", cwd=repo)  # named files are always scanned
    assert {f["path"] for f in doc["findings"]} == {"ignored.env"}


def test_outside_git_every_file_is_scanned_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "cfg.env").write_text(PAIR)
    code, doc = _json(".", cwd=tmp_path)
    assert code == 1 and len(doc["findings"]) == 2
    assert any("not in a git repository" in str(n) for n in doc["notes"])


def test_clean_tree_exits_zero(repo: Path) -> None:
    commit(repo, {"a.py": "x = 1\n"})
    proc = run_cli("scan", cwd=repo)
    assert proc.returncode == 0
    assert "no Binance credentials found" in proc.stdout


def test_bad_input_is_skipped_or_survived(repo: Path) -> None:
    files: dict[str, str | bytes] = {
        "binary.bin": b"\x00\x89PNG" + PAIR.encode(),
        "latin1.env": b"caf\xe9 \xff\xfe\n" + PAIR.encode() + b"\xc3\x28\n",
        "big.env": PAIR + "#" * 3000 + "\n",
        "-odd name \u043a\u043b\u044e\u0447.env": PAIR,
    }
    commit(repo, files)
    os.symlink("latin1.env", repo / "link.env")
    _, doc = _json("--max-bytes", "2000", cwd=repo)
    found = {f["path"] for f in doc["findings"]}
    assert found == {"latin1.env", "-odd name \u043a\u043b\u044e\u0447.env"}
    reasons = {s["path"]: s["reason"] for s in doc["skipped"]}
    assert reasons["binary.bin"] == "binary"
    assert str(reasons["big.env"]).startswith("larger than 2000 bytes")
    assert reasons["link.env"] == "symbolic link (not followed)"
    text = run_cli("scan", "--max-bytes", "2000", "-v", cwd=repo).stdout
    assert "skipped big.env: larger than 2000 bytes" in text


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_reported(repo: Path) -> None:
    commit(repo, {"secret.env": PAIR})
    (repo / "secret.env").chmod(0)
    _, doc = _json(cwd=repo)
    assert doc["skipped"][0]["reason"].startswith("unreadable")


def test_exit_codes(repo: Path, tmp_path: Path) -> None:
    assert run_cli("scan", "missing.py", cwd=repo).returncode == 2
    assert run_cli("scan", "--format", "xml", cwd=repo).returncode == 2
    (tmp_path / "bad.baseline").write_text("{not json")
    proc = run_cli("scan", "--baseline", str(tmp_path / "bad.baseline"), cwd=repo)
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr


def test_documented_examples_are_opt_in_and_never_fail(repo: Path) -> None:
    commit(repo, {"docs.md": f"curl -H 'X-MBX-APIKEY: {EXAMPLE}' https://api.binance.com\n"})
    assert _json(cwd=repo)[1]["findings"] == []
    code, doc = _json("--include-examples", cwd=repo)
    assert code == 0
    assert [f["public_example"] for f in doc["findings"]] == [True]
    assert "public example" in run_cli("scan", "--include-examples", cwd=repo).stdout


def test_min_confidence(repo: Path) -> None:
    commit(repo, {"settings.py": f'api_key = "{KEY}"\n'})  # a key, but nothing says Binance
    assert _json(cwd=repo)[1]["findings"] == []
    code, doc = _json("--min-confidence", "low", cwd=repo)
    assert code == 1 and doc["findings"][0]["confidence"] == "low"


def test_show_secrets_is_the_only_way_to_see_a_value(repo: Path) -> None:
    commit(repo, {".env": PAIR})
    proc = run_cli("scan", "--show-secrets", cwd=repo)
    assert KEY in proc.stdout
    doc = json.loads(run_cli("scan", "--show-secrets", "--format", "json", cwd=repo).stdout)
    assert doc["findings"][0]["secret"] == KEY


def test_exclude_files(repo: Path) -> None:
    commit(repo, {"docs/sample.env": PAIR, "bot.env": PAIR})
    _, doc = _json("--exclude-files", "^docs/", cwd=repo)
    assert {f["path"] for f in doc["findings"]} == {"bot.env"}
    assert run_cli("history", ".", "--exclude-files", "env$", cwd=repo).returncode == 0
    assert run_cli("scan", "--exclude-files", "(", cwd=repo).returncode == 2
