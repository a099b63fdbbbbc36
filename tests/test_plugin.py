"""The real detect-secrets CLI loading binance-guard's plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from binance_guard.integrations.baseline import plugin_path
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
    program = program.removesuffix("-raw")
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

    from binance_guard.integrations.plugin import BinanceApiKeyDetector

    assert BinanceApiKeyDetector().verify(KEY) is VerifiedResult.UNVERIFIED


# --- verify() stays offline inside a real detect-secrets run --------------------------------

NETWORK_GUARD = """
import os
import socket

_LOG = os.environ["BG_NETWORK_LOG"]


def _refuse(*args, **kwargs):
    with open(_LOG, "a") as log:
        log.write(repr(args[1:2]) + "\\n")
    raise OSError("network disabled by the test")


socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
"""


def _offline(cwd: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """detect-secrets with every socket connection and DNS lookup refused and logged."""
    guard = tmp_path / "guard"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(NETWORK_GUARD)
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(guard),
        "BG_NETWORK_LOG": str(tmp_path / "network.log"),
    }
    return subprocess.run(
        [str(BIN / "detect-secrets"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def test_detect_secrets_verification_never_reaches_the_network(repo: Path, tmp_path: Path) -> None:
    commit(repo, {"bot.py": BOT, ".env": f"BINANCE_API_KEY={fake_key('ds-env')}\n"})
    plugin = ("--plugin", plugin_path(), "--disable-filter", NO_INDIRECT)
    proc = _offline(repo, tmp_path, "scan", *plugin)
    assert proc.returncode == 0, proc.stderr
    baseline = json.loads(proc.stdout)
    ours = [
        e
        for entries in baseline["results"].values()
        for e in entries
        if e["type"].startswith("Binance")
    ]
    assert len(ours) == 3 and not any(e["is_verified"] for e in ours)
    # only verified secrets wanted: ours never claim to be verified, so none are left
    only = _offline(repo, tmp_path, "scan", *plugin, "--only-verified")
    assert only.returncode == 0, only.stderr
    left = json.loads(only.stdout)["results"]
    assert not any(e["type"].startswith("Binance") for v in left.values() for e in v)
    assert not (tmp_path / "network.log").exists()

    # the guard works: a connection attempt is refused and logged
    probe = _offline(repo, tmp_path, "--version")
    assert probe.returncode == 0
    guarded = subprocess.run(
        [sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 9))"],
        env={
            **os.environ,
            "PYTHONPATH": str(tmp_path / "guard"),
            "BG_NETWORK_LOG": str(tmp_path / "network.log"),
        },
        capture_output=True,
        check=False,
    )
    assert guarded.returncode != 0 and (tmp_path / "network.log").exists()


# --- settings carried in a baseline -------------------------------------------------------


def test_min_confidence_in_plugins_used_is_honoured(repo: Path) -> None:
    commit(repo, {"settings.py": f'api_key = "{KEY}"\n'})  # low confidence: no Binance context
    url = f"file://{plugin_path()}"
    names = ["BinanceApiKeyDetector", "BinanceSecretKeyDetector", "BinancePrivateKeyDetector"]

    def scan_with(extra: dict[str, str]) -> set[str]:
        (repo / ".secrets.baseline").write_text(
            json.dumps(
                {
                    "version": "1.5.0",
                    "plugins_used": [{"name": n, "path": url, **extra} for n in names],
                    "filters_used": [],
                    "results": {},
                }
            )
        )
        proc = _ds("scan", "--baseline", ".secrets.baseline", cwd=repo)
        assert proc.returncode == 0, proc.stderr
        written = json.loads((repo / ".secrets.baseline").read_text())
        return _types(written, "settings.py")

    assert scan_with({}) == set()
    assert scan_with({"min_confidence": "low"}) == {"Binance API Key"}
    written = json.loads((repo / ".secrets.baseline").read_text())
    assert {p.get("min_confidence") for p in written["plugins_used"]} == {"low"}


def test_detect_secrets_hook_with_the_plugin_and_no_baseline(repo: Path) -> None:
    commit(repo, {"bot.py": BOT, "clean.py": "import os\n"})
    args = ("--plugin", plugin_path(), "--disable-filter", NO_INDIRECT)
    proc = _ds(*args, "clean.py", cwd=repo, program="detect-secrets-hook-raw")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = _ds(*args, "bot.py", cwd=repo, program="detect-secrets-hook-raw")
    assert proc.returncode == 1
    assert "Binance API Key" in proc.stdout and "Binance Secret Key" in proc.stdout
    assert KEY not in proc.stdout and SECRET not in proc.stdout


def test_plugin_path_command_matches_the_module(repo: Path) -> None:
    proc = run_cli("plugin-path", cwd=repo)
    assert proc.returncode == 0
    assert proc.stdout.strip() == plugin_path() and Path(plugin_path()).is_file()


@pytest.mark.parametrize("separator", ["\x0c", "\u2028", "\x85"], ids=["formfeed", "u2028", "nel"])
def test_line_separators_other_than_newline(repo: Path, separator: str) -> None:
    filler = "".join(f"x{i} = {i}\n" for i in range(40))
    source = (
        f"from binance.client import Client\n# page{separator}break\n{filler}API_KEY = '{KEY}'\n"
    )
    commit(repo, {"bot.py": source})
    assert [
        f["line"]
        for f in json.loads(run_cli("scan", "--format", "json", cwd=repo).stdout)["findings"]
    ] == [43]
    proc = _ds("scan", "--plugin", plugin_path(), "--disable-filter", NO_INDIRECT, cwd=repo)
    assert "Binance API Key" in _types(json.loads(proc.stdout), "bot.py")
