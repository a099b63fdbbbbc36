"""Baselines shared with detect-secrets: read theirs, write ours into theirs, refuse junk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from binance_guard.detection.scanner import scan_bytes
from binance_guard.integrations.baseline import Baseline, plugin_path
from testing.cli import run_cli
from testing.git_repo import commit, stage
from testing.keys import fake_key

KEY, SECRET = fake_key("bl-key"), fake_key("bl-secret")
BOT = f'from binance.client import Client\nclient = Client("{KEY}", "{SECRET}")\n'
CREDS = 'password = "Tr0ub4dor&3-horse-battery"\n'  # detect-secrets' KeywordDetector finds it
NO_INDIRECT = "detect_secrets.filters.heuristic.is_indirect_reference"
BIN = Path(sys.executable).parent
BINANCE_PLUGINS = {"BinanceApiKeyDetector", "BinanceSecretKeyDetector", "BinancePrivateKeyDetector"}


def _detect_secrets(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "detect-secrets"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
    )


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _types(baseline: dict[str, Any]) -> dict[str, set[str]]:
    return {name: {e["type"] for e in entries} for name, entries in baseline["results"].items()}


def test_a_detect_secrets_baseline_is_honoured(repo: Path) -> None:
    commit(repo, {"bot.py": BOT, "creds.py": CREDS})
    made = _detect_secrets(
        "scan", "--plugin", plugin_path(), "--disable-filter", NO_INDIRECT, cwd=repo
    )
    assert made.returncode == 0, made.stderr
    (repo / ".secrets.baseline").write_text(made.stdout)
    assert {"Binance API Key", "Binance Secret Key"} <= _types(json.loads(made.stdout))["bot.py"]

    assert run_cli("scan", cwd=repo).returncode == 1
    accepted = run_cli("scan", "--baseline", ".secrets.baseline", cwd=repo)
    assert accepted.returncode == 0, accepted.stdout
    stage(repo, {"bot.py": BOT + "print('trading')\n"})
    assert run_cli("hook", "--baseline", ".secrets.baseline", "bot.py", cwd=repo).returncode == 0


def test_a_baseline_from_plain_detect_secrets_also_counts(repo: Path) -> None:
    """Acceptance is by sha1 and file, whatever plugin found it (detect-secrets' own rule)."""
    commit(repo, {".env": f"BINANCE_API_KEY={KEY}\n"})
    made = _detect_secrets("scan", cwd=repo)  # only the built-in plugins
    (repo / "ds.baseline").write_text(made.stdout)
    assert "Binance" not in made.stdout and ".env" in _types(json.loads(made.stdout))
    assert run_cli("scan", "--baseline", "ds.baseline", cwd=repo).returncode == 0


def test_writing_into_an_existing_baseline_keeps_what_is_not_ours(repo: Path) -> None:
    commit(repo, {"bot.py": BOT, "creds.py": CREDS})
    made = _detect_secrets(
        "scan", "--plugin", plugin_path(), "--disable-filter", NO_INDIRECT, cwd=repo
    )
    baseline = repo / ".secrets.baseline"
    baseline.write_text(made.stdout)
    before = _load(baseline)

    written = run_cli("scan", "--write-baseline", ".secrets.baseline", cwd=repo)
    assert written.returncode == 0
    assert "wrote 2 finding(s) to .secrets.baseline" in written.stderr
    after = _load(baseline)
    assert after["version"] == before["version"]
    assert after["filters_used"] == before["filters_used"]  # still without is_indirect_reference
    theirs = {p["name"]: p for p in before["plugins_used"] if p["name"] not in BINANCE_PLUGINS}
    ours = {p["name"]: p for p in after["plugins_used"] if p["name"] in BINANCE_PLUGINS}
    assert {
        p["name"]: p for p in after["plugins_used"] if p["name"] not in BINANCE_PLUGINS
    } == theirs
    assert set(ours) == BINANCE_PLUGINS
    # by a repository-relative shim, not this machine's site-packages
    assert all(p["path"] == "file://.binance-guard/detect_secrets_plugin.py" for p in ours.values())
    assert len(after["plugins_used"]) == len({p["name"] for p in after["plugins_used"]})
    assert after["results"]["creds.py"] == before["results"]["creds.py"]
    binance = [e for e in after["results"]["bot.py"] if e["type"].startswith("Binance")]
    assert sorted(e["type"] for e in binance) == ["Binance API Key", "Binance Secret Key"]
    assert KEY not in baseline.read_text() and SECRET not in baseline.read_text()

    # The key goes away: rewriting drops our stale entries and nothing else.
    commit(repo, {"bot.py": "import os\n"})
    assert run_cli("scan", "--write-baseline", ".secrets.baseline", cwd=repo).returncode == 0
    final = _load(baseline)
    assert all(
        not e["type"].startswith("Binance")
        for entries in final["results"].values()
        for e in entries
    )
    assert final["results"]["creds.py"] == before["results"]["creds.py"]


@pytest.mark.parametrize("option", [("--output", "report.json"), ("--format", "sarif")])
def test_write_baseline_refuses_report_options(repo: Path, option: tuple[str, str]) -> None:
    """It writes no report: an --output file was created empty and said to be written."""
    commit(repo, {"bot.py": BOT})
    proc = run_cli("scan", "--write-baseline", ".secrets.baseline", *option, cwd=repo)
    assert proc.returncode == 2 and "--write-baseline writes only the baseline" in proc.stderr
    assert not (repo / ".secrets.baseline").exists() and not (repo / "report.json").exists()
    assert run_cli("scan", "--write-baseline", ".secrets.baseline", cwd=repo).returncode == 0


def test_writing_is_deterministic(repo: Path) -> None:
    commit(repo, {"bot.py": BOT, "z/.env": f"BINANCE_API_KEY={fake_key('z')}\n"})
    first, second = repo / "one.baseline", repo / "two.baseline"
    run_cli("scan", "--write-baseline", str(first), "bot.py", "z", cwd=repo)
    run_cli("scan", "--write-baseline", str(second), "z", "bot.py", cwd=repo)
    one, two = _load(first), _load(second)
    one.pop("generated_at")
    two.pop("generated_at")
    names = [f.pop("filename", None) for f in (*one["filters_used"], *two["filters_used"])]
    assert "one.baseline" in names and "two.baseline" in names  # each knows its own name
    assert one == two
    assert list(one["results"]) == ["bot.py", "z/.env"]
    assert [e["line_number"] for e in one["results"]["bot.py"]] == [2, 2]


def test_paths_are_compared_normalised(tmp_path: Path) -> None:
    finding = scan_bytes(f"BINANCE_API_KEY={KEY}\n".encode(), "./sub/../cfg/.env")[0]
    path = tmp_path / "b.json"
    path.write_text(
        json.dumps({"results": {"cfg//.env": [{"hashed_secret": finding.hashed_secret}]}})
    )
    assert finding in Baseline.load(str(path))
    moved = scan_bytes(f"BINANCE_API_KEY={KEY}\n".encode(), "cfg/other.env")[0]
    assert moved not in Baseline.load(str(path))


def test_entries_without_a_hash_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"results": {"a.py": [{"type": "x"}, "junk", 3]}}))
    assert Baseline.load(str(path)).known == set()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[" * 100_000, "is not valid JSON"),  # too deep for the parser
        ("[]", "has no 'results' object"),
        ('{"results": []}', "has no 'results' object"),
        ('{"version": "1.5.0"}', "has no 'results' object"),
        (None, "cannot read baseline"),
        ('{"findings": [{"path": "a.py"}]}', "findings[0] has no 'path' and 'fingerprint'"),
        ('{"findings": {"a.py": 1}}', "findings[0] has no 'path' and 'fingerprint'"),
    ],
)
def test_unusable_baselines_are_usage_errors(
    repo: Path, tmp_path: Path, content: str | None, message: str
) -> None:
    commit(repo, {".env": f"BINANCE_API_KEY={KEY}\n"})
    path = tmp_path / "bad.baseline"
    if content is not None:
        path.write_text(content)
    for command in (("scan",), ("hook", ".env")):
        proc = run_cli(*command, "--baseline", str(path), cwd=repo)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        assert message in proc.stderr and "Traceback" not in proc.stderr


def test_a_previous_json_report_is_a_baseline(repo: Path, tmp_path: Path) -> None:
    """gitleaks' --baseline-path habit: what history found, in files that are gone, is
    accepted by path and fingerprint; a new secret, or a known one elsewhere, is not."""
    commit(repo, {"old.py": BOT}, "a key, later removed")
    (repo / "old.py").unlink()
    commit(repo, {"README.md": "# bot\n"}, "remove it")
    known = tmp_path / "known.json"
    written = run_cli("history", ".", "--format", "json", "--output", str(known), cwd=repo)
    assert written.returncode == 1 and len(_load(known)["findings"]) == 2, written.stderr
    assert run_cli("history", ".", "--baseline", str(known), cwd=repo).returncode == 0
    commit(repo, {"new.py": f'BINANCE_API_SECRET = "{fake_key("bl-new")}"\n', "old.py": BOT})
    proc = run_cli("history", ".", "--baseline", str(known), "--format", "json", cwd=repo)
    assert proc.returncode == 1
    assert {f["path"] for f in json.loads(proc.stdout)["findings"]} == {"new.py"}
    stage(repo, {"moved.py": BOT})
    assert run_cli("hook", "--baseline", str(known), cwd=repo).returncode == 1


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_a_baseline_that_is_not_a_regular_file_is_a_usage_error(
    repo: Path, tmp_path: Path, target: str
) -> None:
    """A repository's .secrets.baseline linked to /dev/zero was read until memory ran out; a
    FIFO was waited on for ever (its own hook configuration passes --baseline)."""
    commit(repo, {".env": f"BINANCE_API_KEY={KEY}\n"})
    if target == "fifo":
        os.mkfifo(tmp_path / "fifo")
        target = str(tmp_path / "fifo")
    (repo / ".secrets.baseline").symlink_to(target)
    for command in (("scan",), ("hook", ".env")):
        proc = run_cli(*command, "--baseline", ".secrets.baseline", cwd=repo)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        assert "baseline .secrets.baseline is not a regular file" in proc.stderr


@pytest.mark.parametrize(
    "content",
    [
        '{"results": {"a.py": null}}',
        '{"results": {".env": [{"hashed_secret": ["not", "a", "string"]}]}}',
    ],
)
def test_malformed_results_are_usage_errors(repo: Path, tmp_path: Path, content: str) -> None:
    commit(repo, {".env": f"BINANCE_API_KEY={KEY}\n"})
    path = tmp_path / "bad.baseline"
    path.write_text(content)
    proc = run_cli("scan", "--baseline", str(path), cwd=repo)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2


def test_write_baseline_refuses_an_unreadable_file(repo: Path, tmp_path: Path) -> None:
    commit(repo, {".env": f"BINANCE_API_KEY={KEY}\n"})
    (tmp_path / "bad.baseline").write_text("{not json")
    proc = run_cli("scan", "--write-baseline", str(tmp_path / "bad.baseline"), cwd=repo)
    assert proc.returncode == 2 and "cannot update baseline" in proc.stderr
    assert (tmp_path / "bad.baseline").read_text() == "{not json"  # left alone
    proc = run_cli("scan", "--write-baseline", str(tmp_path), cwd=repo)  # a directory
    assert proc.returncode == 2 and "cannot update baseline" in proc.stderr


@pytest.mark.parametrize(
    "content",
    [
        "[]",
        '{"results": []}',
        '{"plugins_used": null}',
        '{"plugins_used": [5]}',
        '{"results": {"a.py": 5}}',
        '{"results": {"a.py": [5]}}',
        "[" * 100_000,
    ],
)
def test_write_baseline_refuses_json_of_another_shape(
    repo: Path, tmp_path: Path, content: str
) -> None:
    commit(repo, {".env": f"BINANCE_API_KEY={KEY}\n"})
    path = tmp_path / "other.json"
    path.write_text(content)
    proc = run_cli("scan", "--write-baseline", str(path), cwd=repo)
    assert proc.returncode == 2 and proc.stderr.startswith("binance-guard: error: cannot update")
    assert len(proc.stderr.splitlines()) == 1
    assert path.read_text() == content
