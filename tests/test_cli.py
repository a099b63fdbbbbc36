"""`binance-guard scan` end to end: what it reads, what it prints, how it exits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testing.cli import run_cli
from testing.git_repo import commit, git, stage, write
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
        "big.env": "#" * 3000 + "\n",
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
    history = run_cli("history", "--include-examples", "--no-progress", cwd=repo)
    assert history.returncode == 0 and "public example (" in history.stdout
    assert "What to do now" not in history.stdout  # nothing to delete or rotate


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


# --- the JSON document, checked against a schema ---------------------------------------------

PAIR_SCHEMA = {
    "type": "object",
    "required": ["id", "type", "path", "line", "fingerprint"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "type": {"enum": ["binance_api_key", "binance_secret_key"]},
        "path": {"type": "string"},
        "line": {"type": "integer", "minimum": 1},
        "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
}
FINDING_SCHEMA = {
    "type": "object",
    "required": [
        "type",
        "path",
        "line",
        "column",
        "fingerprint",
        "redacted",
        "confidence",
        "severity",
        "reasons",
        "public_example",
        "pair",
    ],
    "properties": {
        "type": {
            "enum": ["binance_api_key", "binance_secret_key", "binance_private_key", "private_key"]
        },
        "path": {"type": "string"},
        "line": {"type": "integer", "minimum": 1},
        "column": {"type": "integer", "minimum": 1},
        "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "redacted": {"type": "string"},
        "confidence": {"enum": ["low", "medium", "high"]},
        "severity": {"enum": ["low", "medium", "high", "critical"]},
        "reasons": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "public_example": {"type": "boolean"},
        "pair": {"oneOf": [{"type": "null"}, PAIR_SCHEMA]},
        "algorithm": {"type": "string"},
    },
    "not": {"required": ["secret"]},
}
REPORT_SCHEMA = {
    "type": "object",
    "required": ["findings", "skipped", "notes", "incomplete"],
    "additionalProperties": False,
    "properties": {
        "findings": {"type": "array", "items": FINDING_SCHEMA},
        "incomplete": {"type": "object", "additionalProperties": {"type": "integer"}},
        "skipped": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "reason"],
                "additionalProperties": False,
                "properties": {"path": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}


def _pem(seed: int = 0) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    # derived from a fixed test seed here: never a real key
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed + 1] * 32))
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_json_report_matches_its_schema(repo: Path) -> None:
    import jsonschema

    other = fake_key("cli-other")
    commit(
        repo,
        {
            ".env": PAIR,
            "bot.py": f'from binance.client import Client\nAPI_KEY = "{other}"\n',
            "keys/binance.pem": "# binance api\n" + _pem(),
            "logo.png": b"\x89PNG\x00\x00" + KEY.encode(),
        },
    )
    write(repo, "plain/ignored.txt", "x\n")
    code, doc = _json(cwd=repo)
    assert code == 1
    jsonschema.validate(doc, REPORT_SCHEMA)
    by_type = {(f["path"], f["type"]) for f in doc["findings"]}
    assert by_type == {
        (".env", "binance_api_key"),
        (".env", "binance_secret_key"),
        ("bot.py", "binance_api_key"),
        ("keys/binance.pem", "binance_private_key"),
    }
    pem = next(f for f in doc["findings"] if f["type"] == "binance_private_key")
    assert pem["algorithm"] == "ed25519" and pem["redacted"].startswith("-----BEGIN PRIVATE KEY")
    assert doc["skipped"] == [{"path": "logo.png", "reason": "binary"}]
    again = _json(cwd=repo)[1]
    assert [f["fingerprint"] for f in again["findings"]] == [
        f["fingerprint"] for f in doc["findings"]
    ]
    shown = json.loads(run_cli("scan", "--show-secrets", "--format", "json", cwd=repo).stdout)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(shown, REPORT_SCHEMA)  # the only document with "secret" in it


# --- no output ever holds a secret ----------------------------------------------------------


def test_no_output_of_any_command_holds_a_secret(repo: Path) -> None:
    other, pem = fake_key("cli-leak"), _pem(1)
    body = [line for line in pem.splitlines() if "-----" not in line]
    files = {
        ".env": PAIR,
        "bot.py": f'from binance.client import Client\nc = Client("{other}", "x")\n',
        "deploy/binance.pem": "# binance\n" + pem,
    }
    commit(repo, files)
    write(repo, "big.env", PAIR + "#" * 5000)
    secrets = [KEY, SECRET, other, *body]
    runs = [
        ("scan",),
        ("scan", "-v", "--max-bytes", "1000"),
        ("scan", "--format", "json"),
        ("scan", "--format", "sarif"),
        ("scan", "--min-confidence", "low", "--include-examples"),
        ("scan", "--all-files", "--format", "json"),
        ("scan", ".env", "bot.py", "deploy/binance.pem"),
        ("scan", "--write-baseline", ".secrets.baseline"),
        ("history", "--no-progress"),
        ("history", "--format", "json"),
        ("history", "--format", "sarif"),
    ]
    outputs = []
    for args in runs:
        proc = run_cli(*args, cwd=repo)
        over = "--max-bytes" in args  # big.env is over it and holds a key: not called clean
        assert proc.returncode in ((2,) if over else (0, 1)), (args, proc.stderr)
        outputs.append((args, proc.stdout + proc.stderr))
    stage(repo, {name: text + "\n# touched\n" + text for name, text in files.items()})
    hook = run_cli("hook", "-v", cwd=repo)
    assert hook.returncode == 1
    outputs.append((("hook",), hook.stdout + hook.stderr))
    outputs.append((("baseline file",), (repo / ".secrets.baseline").read_text()))
    for args, output in outputs:
        for secret in secrets:
            assert secret not in output, f"{' '.join(args)} printed a secret"

    shown = run_cli("scan", "--show-secrets", cwd=repo).stdout
    assert all(s in shown for s in (KEY, SECRET, other))
    shown_json = json.loads(run_cli("scan", "--show-secrets", "--format", "json", cwd=repo).stdout)
    assert {f["secret"] for f in shown_json["findings"]} >= {KEY, SECRET, other}


# --- exit codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("frobnicate",),
        ("scan", "--bogus"),
        ("scan", "--format", "xml"),
        ("scan", "--min-confidence", "extreme"),
        ("scan", "--max-bytes", "lots"),
        ("scan", "--max-bytes", "0"),  # would skip every file and say "clean"
        ("scan", "--max-bytes", "-5"),
        ("hook", "--max-bytes", "0"),
        ("history", "--max-bytes=-1"),
        ("scan", "--max-bytes", "9" * 30),  # read() of more than sys.maxsize overflows
        ("hook", "--max-bytes", "9" * 30),
        ("scan", "missing.py"),
        ("scan", "a.py", "missing/dir"),
        ("scan", "--baseline", "missing.baseline"),
        ("scan", "--exclude-files", "("),
        ("hook", "--min-confidence"),
    ],
)
def test_usage_errors_exit_2(repo: Path, args: tuple[str, ...]) -> None:
    commit(repo, {"a.py": f"BINANCE_API_KEY={KEY}\n"})
    stage(repo, {"a.py": f"BINANCE_API_KEY={KEY}\nBINANCE_API_SECRET={SECRET}\n"})
    proc = run_cli(*args, cwd=repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert proc.stderr.strip()  # says why


def test_version_and_help_exit_0(repo: Path) -> None:
    assert run_cli("--version", cwd=repo).returncode == 0
    assert run_cli("scan", "--help", cwd=repo).returncode == 0
    assert "--show-secrets" in run_cli("scan", "--help", cwd=repo).stdout
    plugin = run_cli("plugin-path", cwd=repo)
    assert plugin.returncode == 0 and Path(plugin.stdout.strip()).is_file()


def test_findings_exit_1_skips_alone_exit_0(repo: Path) -> None:
    commit(repo, {"logo.png": b"\x00" + PAIR.encode(), "a.py": "x = 1\n"})
    assert run_cli("scan", cwd=repo).returncode == 0
    commit(repo, {".env": PAIR})
    assert run_cli("scan", cwd=repo).returncode == 1
    assert run_cli("scan", "a.py", "logo.png", cwd=repo).returncode == 0


# --- odd files ----------------------------------------------------------------------------


def test_odd_file_names(repo: Path) -> None:
    names = ["new\nline.env", "-dash.env", "sp ace.env", "tab\t.env", 'q"uote\\.env', "ключ.env"]
    commit(repo, {name: f"\n{PAIR}" for name in names})
    _, doc = _json(cwd=repo)
    assert {(f["path"], f["line"]) for f in doc["findings"]} == {
        (name, line) for name in names for line in (2, 3)
    }
    # a leading dash is an option to argparse: name it after "--" or with a directory
    after_dashes = run_cli("scan", "--format", "json", "--", "-dash.env", cwd=repo)
    assert [f["path"] for f in json.loads(after_dashes.stdout)["findings"]] == ["-dash.env"] * 2
    assert len(_json("./-dash.env", cwd=repo)[1]["findings"]) == 2
    assert _json("new\nline.env", cwd=repo)[1]["findings"][0]["path"] == "new\nline.env"
    text = run_cli("scan", cwd=repo).stdout
    assert "ключ.env:2:17" in text and "sp ace.env:3:20" in text


def test_symlinks_are_not_followed_even_when_named(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.env").write_text(PAIR)
    commit(repo, {"a.py": "x = 1\n"})
    os.symlink(outside / "secret.env", repo / "linked.env")
    os.symlink(outside, repo / "linked_dir")
    for args in ((), ("--all-files",), ("linked.env", "linked_dir")):
        code, doc = _json(*args, cwd=repo)
        assert (code, doc["findings"]) == (0, []), args
    reasons = {
        s["path"]: s["reason"] for s in _json("linked.env", "linked_dir", cwd=repo)[1]["skipped"]
    }
    assert reasons == {
        "linked.env": "symbolic link (not followed)",
        "linked_dir": "symbolic link (not followed)",
    }


def test_special_files_never_block_the_scan(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.env")
    (tmp_path / "cfg.env").write_text(PAIR)
    proc = subprocess.run(
        [sys.executable, "-m", "binance_guard", "scan", "-v", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "skipped pipe.env: not a regular file" in proc.stdout


def test_scanning_a_repository_from_outside(repo: Path, tmp_path: Path) -> None:
    commit(repo, {".gitignore": "*.log\n", "cfg/.env": PAIR})
    write(repo, "debug.log", PAIR)
    code, doc = _json("repo", cwd=tmp_path)
    assert code == 1
    assert {f["path"] for f in doc["findings"]} == {"cfg/.env"}  # repository-relative
    assert doc["notes"] == []


def test_invalid_utf8_around_a_key_in_a_git_repo(repo: Path) -> None:
    commit(repo, {"dump.cfg": b"\xff\xfe\x80 BINANCE_API_KEY=" + KEY.encode() + b" \xc3\x28\n"})
    code, doc = _json(cwd=repo)
    assert code == 1 and [f["line"] for f in doc["findings"]] == [1]


def _run_bytes(
    args: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "binance_guard", *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        check=False,
    )


def test_file_names_that_are_not_utf8_under_a_utf8_locale(repo: Path) -> None:
    (repo / os.fsdecode(b"caf\xe9.env")).write_bytes(PAIR.encode())
    git(repo, "add", "-A")
    utf8 = {"PYTHONIOENCODING": "utf-8"}  # what en_US.UTF-8 and friends give Python
    scan = _run_bytes(["scan"], repo, utf8)
    assert b"Traceback" not in scan.stderr
    assert scan.returncode == 1 and b".env:1:17" in scan.stdout
    hook = _run_bytes(["hook"], repo, utf8)
    assert b"Traceback" not in hook.stderr
    assert hook.returncode == 1 and b".env:1:17" in hook.stdout
