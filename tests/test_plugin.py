"""The real detect-secrets CLI loading binance-guard's plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from binance_guard.baseline import plugin_path
from testing.cli import run_cli
from testing.git_repo import commit
from testing.keys import fake_key

KEY, SECRET = fake_key("ds-key"), fake_key("ds-secret")
BOT = f'from binance.client import Client\nclient = Client("{KEY}", "{SECRET}")\n'
NO_INDIRECT = "detect_secrets.filters.heuristic.is_indirect_reference"
BIN = Path(sys.executable).parent


def _ds(*args: str, cwd: Path, program: str = "detect-secrets") -> subprocess.CompletedProcess[str]:
    if program == "detect-secrets-hook":
        args = ("--baseline", ".secrets.baseline", *args)
    return subprocess.run(
        [str(BIN / program), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
    )


def _types(baseline: dict[str, object], name: str) -> set[str]:
    results = baseline["results"]
    assert isinstance(results, dict)
    return {entry["type"] for entry in results.get(name, [])}


def test_scan_with_the_plugin_finds_positional_keys(repo: Path) -> None:
    commit(repo, {"bot.py": BOT})
    proc = _ds("scan", "--plugin", plugin_path(), "--disable-filter", NO_INDIRECT, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    baseline = json.loads(proc.stdout)
    assert {"Binance API Key", "Binance Secret Key"} <= _types(baseline, "bot.py")
    used = {p["name"]: p.get("path") for p in baseline["plugins_used"]}
    for name in ("BinanceApiKeyDetector", "BinanceSecretKeyDetector", "BinancePrivateKeyDetector"):
        assert used[name] == f"file://{plugin_path()}"


def test_default_filters_drop_positional_keys_as_the_readme_warns(repo: Path) -> None:
    commit(repo, {"bot.py": BOT})
    proc = _ds("scan", "--plugin", plugin_path(), cwd=repo)
    assert not {"Binance API Key", "Binance Secret Key"} & _types(json.loads(proc.stdout), "bot.py")


def test_baseline_written_by_binance_guard_drives_detect_secrets(repo: Path) -> None:
    commit(repo, {"bot.py": BOT})
    assert run_cli("scan", "--write-baseline", ".secrets.baseline", cwd=repo).returncode == 0
    written = json.loads((repo / ".secrets.baseline").read_text())
    assert _types(written, "bot.py") == {"Binance API Key", "Binance Secret Key"}
    assert KEY not in (repo / ".secrets.baseline").read_text()

    # detect-secrets loads the plugins from plugins_used and keeps the known secrets.
    rescan = _ds("scan", "--baseline", ".secrets.baseline", cwd=repo)
    assert rescan.returncode == 0, rescan.stderr
    again = json.loads((repo / ".secrets.baseline").read_text())
    assert {"Binance API Key", "Binance Secret Key"} <= _types(again, "bot.py")

    hook_known = _ds("bot.py", cwd=repo, program="detect-secrets-hook")
    assert hook_known.returncode == 0, hook_known.stdout
    (repo / "new.py").write_text(BOT.replace(KEY, fake_key("ds-new")))
    hook_new = _ds("new.py", cwd=repo, program="detect-secrets-hook")
    assert hook_new.returncode == 1
    assert "Binance" in hook_new.stdout


def test_string_scan_and_verify_stay_offline(repo: Path) -> None:
    proc = _ds("scan", "--plugin", plugin_path(), "--string", f"BINANCE_API_KEY={KEY}", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "BinanceApiKeyDetector" in proc.stdout and "True" in proc.stdout

    # detect-secrets calls verify() during scans; it must answer without any network use.
    from detect_secrets.constants import VerifiedResult

    from binance_guard.detection.plugin import BinanceApiKeyDetector

    assert BinanceApiKeyDetector().verify(KEY) is VerifiedResult.UNVERIFIED
