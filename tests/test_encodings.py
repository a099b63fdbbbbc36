"""UTF-16/32 text and piped input read alike by every front end (issue 10): a key that
``scan`` finds in a UTF-16 or UTF-32 file (base64-encoded too) is found by the commit hook,
history, pre-push, ci and scrub too, and ``scan -``, ``/dev/stdin``, FIFOs and ``<(...)`` read
like files."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from binance_guard.detection.prefilter import has_candidates, patch_has_candidates
from binance_guard.detection.scanner import scan_bytes
from binance_guard.scrub.rules import MARKER
from testing.cli import environ, run_cli
from testing.git_repo import commit, git, stage
from testing.github import Project, assert_no_secret
from testing.keys import fake_key

KEY, SECRET = fake_key("utf16-key"), fake_key("utf16-secret")
ENV = f"BINANCE_API_KEY={KEY}\r\nBINANCE_API_SECRET={SECRET}\r\n"
# PowerShell 5's `>` (BOM, little-endian), other Windows tools, and both orders without a BOM.
ENCODINGS = {
    "utf-16 LE with BOM": b"\xff\xfe" + ENV.encode("utf-16-le"),
    "utf-16 BE with BOM": b"\xfe\xff" + ENV.encode("utf-16-be"),
    "utf-16 LE": ENV.encode("utf-16-le"),
    "utf-16 BE": ENV.encode("utf-16-be"),
    "utf-32 LE with BOM": b"\xff\xfe\0\0" + ENV.encode("utf-32-le"),
    "utf-32 BE with BOM": b"\0\0\xfe\xff" + ENV.encode("utf-32-be"),
    "utf-32 LE": ENV.encode("utf-32-le"),
    "utf-32 BE": ENV.encode("utf-32-be"),
}
# A Kubernetes Secret's data: each value base64-encoded once (`echo key | base64` adds "\n").
K8S_SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: binance-bot\ndata:\n"
    f"  api-key: {base64.b64encode(KEY.encode()).decode()}\n"
    f"  api-secret: {base64.b64encode((SECRET + chr(10)).encode()).decode()}\n"
)
WIDE = {
    "utf-16 LE with BOM": ("utf-16-le", b"\xff\xfe"),
    "utf-16 BE": ("utf-16-be", b""),
    "utf-32 LE with BOM": ("utf-32-le", b"\xff\xfe\0\0"),
    "utf-32 BE with BOM": ("utf-32-be", b"\0\0\xfe\xff"),
    "utf-32 LE": ("utf-32-le", b""),
}


def _wide(text: str, encoding: str) -> bytes:
    codec, bom = WIDE[encoding]
    return bom + text.encode(codec)


def _findings(proc: subprocess.CompletedProcess[str]) -> list[tuple[str, int]]:
    assert_no_secret(proc.stdout + proc.stderr, (KEY, SECRET))
    return sorted((f["path"], f["line"]) for f in json.loads(proc.stdout)["findings"])


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_the_prefilter_and_the_scanner_read_utf16(encoding: str) -> None:
    data = ENCODINGS[encoding]
    assert has_candidates(data)
    assert patch_has_candidates(b"diff --git a/k.env b/k.env\n+" + data)
    assert [(f.type, f.line) for f in scan_bytes(data, ".env")] == [
        ("binance_api_key", 1),
        ("binance_secret_key", 2),
    ]


def test_utf16_without_a_key_stays_clean() -> None:
    text = "Binance bot settings: 上海 " + "word " * 40 + "\n"
    for check in (has_candidates, patch_has_candidates):
        assert not check(text.encode("utf-16-le"))
        assert not check(text.encode("utf-32"))
        assert not check(text.encode("utf-32-be"))
        assert not check(bytes(range(256)) * 64)  # binary with NULs


def test_lines_git_counts_map_to_text_lines() -> None:
    """In UTF-16/32, 上 (U+4E0A) holds a b"\\n" byte: git counts more lines than the text has."""
    text = f"上上\n上\nbinance\nKEY={KEY}\n"
    for encoding in WIDE:
        data = _wide(text, encoding)
        key_git_line = data[: data.find("KEY".encode(WIDE[encoding][0]))].count(b"\n") + 1
        assert key_git_line > 4
        assert [f.line for f in scan_bytes(data, "a.txt", lines={key_git_line})] == [4]
        assert scan_bytes(data, "a.txt", lines={1, 2, 3}) == []


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_private_key_passes_the_prefilter(codec: str) -> None:
    header = "-----BEGIN PRIVATE KEY-----\n".encode(codec)
    assert has_candidates(header) and patch_has_candidates(b"+++ b/key.pem\n+" + header)


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_scan(repo: Path, encoding: str) -> None:
    commit(repo, {"keys.env": ENCODINGS[encoding]})
    proc = run_cli("scan", "--format", "json", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    assert _findings(proc) == [("keys.env", 1), ("keys.env", 2)]


def _install_commit_hook(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m binance_guard hook\n')
    hook.chmod(0o755)


def _git_commit(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-q", "-m", "settings"],
        cwd=repo,
        env=environ({"HOME": str(repo)}),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_git_commit_is_blocked_by_the_hook(repo: Path, encoding: str) -> None:
    _install_commit_hook(repo)
    stage(repo, {"keys.env": ENCODINGS[encoding]})
    proc = _git_commit(repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    output = proc.stdout + proc.stderr
    assert "Commit blocked" in output and "keys.env:1:" in output and "keys.env:2:" in output
    assert_no_secret(output, (KEY, SECRET))
    assert git(repo, "rev-list", "--all") == ""


def test_hook_counts_only_added_lines_of_utf16_files(repo: Path) -> None:
    """Lines git numbers differently from the text (上 holds a b"\\n" byte) still map right:
    an old key is not blamed on the commit, a new one is reported on its text line."""
    _install_commit_hook(repo)
    old = f"上上\nbinance\nKEY={KEY}\n"
    commit(repo, {"a.txt": old.encode("utf-16-le")})
    stage(repo, {"a.txt": (old + "上\nnote 上\n").encode("utf-16-le")})
    assert _git_commit(repo).returncode == 0
    stage(repo, {"a.txt": (old + f"上\nnote 上\nSECRET={SECRET}\n").encode("utf-16-le")})
    proc = _git_commit(repo)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "a.txt:6:8" in output and "a.txt:3:" not in output, output


def test_history_and_pre_push(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    base = commit(repo, {"README.md": "# bot\n"})
    git(repo, "push", "-q", "origin", "main")
    head = commit(repo, {"keys.env": ENCODINGS["utf-16 LE with BOM"]}, "settings")

    history = run_cli("history", "--format", "json", str(repo))
    assert history.returncode == 1, history.stderr
    assert _findings(history) == [("keys.env", 1), ("keys.env", 2)]

    env = {"PRE_COMMIT_FROM_REF": base, "PRE_COMMIT_TO_REF": head}
    push = run_cli("pre-push", cwd=repo, env=env)
    assert push.returncode == 1, push.stdout + push.stderr
    assert "Push blocked" in push.stdout and "keys.env" in push.stdout
    assert_no_secret(push.stdout + push.stderr, (KEY, SECRET))


def test_ci_push(tmp_path: Path) -> None:
    project = Project(tmp_path)
    before = project.rev("HEAD")
    stage(project.work, {"keys.env": ENCODINGS["utf-16 BE"]})
    git(project.work, "commit", "-q", "--no-verify", "-m", "settings")
    after = project.rev("HEAD")
    project.push("feature")
    payload = project.payload("push_existing_branch", BEFORE_SHA=before, AFTER_SHA=after)
    checkout = project.checkout(after, "refs/heads/feature")
    step = project.run_push(checkout, payload, after=after)
    assert step.code == 1, step.explain()
    assert step.annotated_files() == {"keys.env"}


@pytest.mark.parametrize("encoding", list(WIDE))
def test_a_base64_key_in_a_wide_file_is_found_by_every_front_end(repo: Path, encoding: str) -> None:
    data = _wide(K8S_SECRET, encoding)
    expected = [("binance_api_key", 6), ("binance_secret_key", 7)]
    assert [(f.type, f.line) for f in scan_bytes(data, "secret.yaml")] == expected
    assert has_candidates(data) and patch_has_candidates(b"+++ b/secret.yaml\n+" + data)
    commit(repo, {"README.md": "# bot\n"})
    stage(repo, {"secret.yaml": data})
    lines = [("secret.yaml", 6), ("secret.yaml", 7)]
    scan = run_cli("scan", "--format", "json", cwd=repo)
    assert scan.returncode == 1 and _findings(scan) == lines, scan.stderr
    hook = run_cli("hook", "--format", "json", cwd=repo)
    assert hook.returncode == 1 and _findings(hook) == lines, hook.stderr
    git(repo, "commit", "-q", "--no-verify", "-m", "secret")
    history = run_cli("history", "--format", "json", str(repo))
    assert history.returncode == 1 and _findings(history) == lines, history.stderr


def test_scrub_removes_utf32_and_base64_keys(repo: Path) -> None:
    commit(repo, {"README.md": "# bot\n"})
    commit(
        repo,
        {
            "keys.env": ENCODINGS["utf-32 BE with BOM"],
            "secret.yaml": _wide(K8S_SECRET, "utf-16 LE with BOM"),
            "plain.yaml": K8S_SECRET,
        },
        "settings",
    )
    commit(repo, {"keys.env": "", "secret.yaml": "", "plain.yaml": ""}, "keys out")
    assert run_cli("history", str(repo)).returncode == 1
    proc = run_cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_no_secret(proc.stdout + proc.stderr, (KEY, SECRET))
    listing = git(repo, "rev-list", "--all", "--objects", "--no-object-names")
    objects = subprocess.run(
        ["git", "cat-file", "--batch"], cwd=repo, input=listing.encode(), capture_output=True
    ).stdout
    forms = [
        form
        for secret in (KEY, SECRET)
        for text in (secret, base64.b64encode(secret.encode()).decode())
        for form in (text, base64.b64encode((secret + "\n").encode()).decode())
    ]
    for form in forms:
        for codec in ("utf-8", "utf-16-le", "utf-32-be"):
            assert form.encode(codec) not in objects
    assert run_cli("history", str(repo)).returncode == 0


def test_scrub_removes_the_utf16_key(repo: Path) -> None:
    data = ENCODINGS["utf-16 LE with BOM"]
    commit(repo, {"README.md": "# bot\n"})
    commit(repo, {"keys.env": data}, "settings")
    commit(repo, {"keys.env": "BINANCE_API_KEY=${KEY}\n"}, "keys from the environment")
    proc = run_cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_no_secret(proc.stdout + proc.stderr, (KEY, SECRET))
    listing = git(repo, "rev-list", "--all", "--objects", "--no-object-names")
    objects = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repo,
        input=listing.encode(),
        capture_output=True,
        check=True,
    ).stdout
    for secret in (KEY, SECRET):
        assert secret.encode("utf-16-le") not in objects
    scrubbed = subprocess.run(
        ["git", "show", "HEAD~1:keys.env"], cwd=repo, capture_output=True, check=True
    ).stdout
    assert scrubbed == b"\xff\xfe" + ENV.replace(KEY, MARKER).replace(SECRET, MARKER).encode(
        "utf-16-le"
    )
    assert run_cli("history", str(repo)).returncode == 0


# --- piped input ------------------------------------------------------------------------------

PIPED = f"BINANCE_API_KEY={KEY}\n"


def _shell(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        cwd=cwd,
        env=environ({"KEY_LINE": PIPED}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("script", "path"),
    [
        ('printf %s "$KEY_LINE" | $SCAN -', "(standard input)"),
        ('printf %s "$KEY_LINE" | $SCAN /dev/stdin', "/dev/stdin"),
        ('$SCAN <(printf %s "$KEY_LINE")', None),
        ("$SCAN /dev/stdin < k.env", "/dev/stdin"),
    ],
)  # fmt: skip
def test_piped_input_is_scanned(tmp_path: Path, script: str, path: str | None) -> None:
    (tmp_path / "k.env").write_text(PIPED)
    scan = f"{sys.executable} -m binance_guard scan --format json"
    proc = _shell(f"SCAN='{scan}'; {script}", tmp_path)
    assert proc.returncode == 1, script + proc.stdout + proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    assert [f["line"] for f in findings] == [1]
    assert path is None or findings[0]["path"] == path


def test_named_fifo_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "keys.env"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(PIPED))
    writer.start()
    proc = run_cli("scan", "--format", "json", str(fifo))
    writer.join(timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert [f["line"] for f in json.loads(proc.stdout)["findings"]] == [1]


@pytest.mark.parametrize("name", ["-", "/dev/stdin"])
def test_piped_input_over_max_bytes_is_not_called_clean(tmp_path: Path, name: str) -> None:
    """A stream over --max-bytes goes through the prefilter like a file over it: a key in a
    piped log is incomplete (exit 2), where it said "no Binance credentials found"."""
    scan = f"{sys.executable} -m binance_guard scan --format json --max-bytes 100"
    dots = "head -c 500 /dev/zero | tr '\\0' ."
    keyed = _shell(f'{{ printf %s "$KEY_LINE"; {dots}; }} | {scan} {name}', tmp_path)
    assert keyed.returncode == 2, keyed.stdout + keyed.stderr
    assert json.loads(keyed.stdout)["incomplete"] == {
        "file(s) over --max-bytes that may hold keys": 1
    }
    assert KEY not in keyed.stdout + keyed.stderr
    plain = _shell(f"{dots} | {scan} {name}", tmp_path)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert json.loads(plain.stdout)["incomplete"] == {}
