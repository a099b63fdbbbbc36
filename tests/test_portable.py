"""Files and reports that travel: a baseline written here works in another environment and
with a separately installed detect-secrets; paths are the same wherever a scan starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testing.cli import run_cli
from testing.git_repo import commit, stage
from testing.keys import fake_key

BIN = Path(sys.executable).parent


def _bot(seed: str) -> str:
    key, secret = fake_key(seed), fake_key(seed + "s")
    return f'from binance.client import Client\nc = Client("{key}", "{secret}")\n'


@pytest.fixture
def project(repo: Path) -> Path:
    commit(repo, {"bot.py": _bot("p1"), "src/deep/conf.py": _bot("p2")})
    return repo


def _report(cwd: Path, target: str, fmt: str, *extra: str) -> str:
    proc = run_cli("scan", target, "--format", fmt, *extra, cwd=cwd)
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("fmt", ["json", "sarif", "text"])
def test_paths_are_relative_to_the_repository_wherever_the_scan_starts(
    project: Path, fmt: str
) -> None:
    from_root = _report(project, ".", fmt)
    assert from_root == _report(project / "src" / "deep", str(project), fmt)
    assert from_root == _report(Path("/"), str(project), fmt)
    assert from_root == _report(project.parent, "repo", fmt)
    if fmt == "json":
        paths = {f["path"] for f in json.loads(from_root)["findings"]}
        assert paths == {"bot.py", "src/deep/conf.py"}


def test_a_subdirectory_reports_repository_paths_and_the_baseline_matches(project: Path) -> None:
    written = run_cli("scan", "--write-baseline", ".secrets.baseline", cwd=project)
    assert written.returncode == 0, written.stderr
    deep = project / "src" / "deep"
    found = json.loads(_report(deep, ".", "json", "--no-config"))["findings"]
    assert {f["path"] for f in found} == {"src/deep/conf.py"}
    accepted = run_cli("scan", ".", "--baseline", str(project / ".secrets.baseline"), cwd=deep)
    assert accepted.returncode == 0, accepted.stdout


@pytest.mark.slow
def test_baseline_works_in_another_venv_with_a_separate_detect_secrets(
    project: Path, tmp_path: Path
) -> None:
    """Written from a subdirectory by this environment; used by a second one holding only
    detect-secrets (binance-guard reached through PATH, as with pipx or pre-commit)."""
    written = run_cli("scan", "..", "--write-baseline", "../.secrets.baseline", cwd=project / "src")
    assert written.returncode == 0, written.stderr
    # what is left, in the repository's terms: commit both files, give the hooks the baseline
    assert ".binance-guard/detect_secrets_plugin.py" in written.stderr
    assert "args: [--baseline, .secrets.baseline]" in written.stderr
    text = (project / ".secrets.baseline").read_text()
    assert str(tmp_path) not in text and "site-packages" not in text and str(BIN) not in text
    commit(
        project,
        {
            ".secrets.baseline": text,
            ".binance-guard/detect_secrets_plugin.py": (
                project / ".binance-guard" / "detect_secrets_plugin.py"
            ).read_text(),
        },
    )

    other = tmp_path / "other-venv"
    subprocess.run([sys.executable, "-m", "venv", str(other)], check=True)
    other_bin = other / ("Scripts" if os.name == "nt" else "bin")
    install = subprocess.run(
        [str(other_bin / "python"), "-m", "pip", "install", "-q", "detect-secrets"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PATH": f"{other_bin}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}"}

    def detect_secrets(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, cwd=project, env=env, capture_output=True, text=True, check=False
        )

    stage(project, {"new.py": _bot("p3")})  # detect-secrets scans what git tracks
    hook = detect_secrets(
        str(other_bin / "detect-secrets-hook"),
        "--baseline",
        ".secrets.baseline",
        "bot.py",
        "new.py",
    )
    assert hook.returncode == 1, hook.stdout + hook.stderr
    assert "new.py:2" in hook.stdout and "bot.py" not in hook.stdout
    assert "Binance API Key" in hook.stdout

    scan = detect_secrets(
        str(other_bin / "detect-secrets"), "scan", "--baseline", ".secrets.baseline"
    )
    assert scan.returncode == 0, scan.stderr
    updated = json.loads((project / ".secrets.baseline").read_text())
    assert {"bot.py", "new.py", "src/deep/conf.py"} <= set(updated["results"])
    assert {p["path"] for p in updated["plugins_used"] if "path" in p} == {
        "file://.binance-guard/detect_secrets_plugin.py"
    }
    # and binance-guard itself accepts what the other detect-secrets recorded
    assert run_cli("scan", ".", "--baseline", ".secrets.baseline", cwd=project).returncode == 0
