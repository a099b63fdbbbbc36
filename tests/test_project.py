"""The project follows its own advice: its history is clean under its own settings, it runs
its own hooks and Action, and its packaging metadata has one source."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import binance_guard
from testing.cli import run_cli

ROOT = Path(__file__).parent.parent
PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout (sdist)")
def test_own_history_is_clean_under_own_config() -> None:
    # HEAD's history (what a clone has), not every branch of a shared working repository
    head = ("--rev", "HEAD", "--no-progress")
    bare = run_cli("history", str(ROOT), *head, "--no-config", "--format", "json")
    assert bare.returncode == 1, bare.stderr
    assert json.loads(bare.stdout)["findings"]  # the fixtures' fake keys are there
    own = run_cli("history", str(ROOT), *head)
    assert own.returncode == 0, own.stdout + own.stderr


def test_readme_set_up_commands_are_what_ci_and_the_quick_start_run() -> None:
    """The README's two one-liners: CI runs the test one as written, and the main job's is the
    history scan the test above holds clean."""
    blocks = [
        b.strip() for b in re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    ]
    venv = "python3 -m venv .venv && .venv/bin/pip install"
    tests = f"{venv} -e '.[test]' && .venv/bin/python -m pytest"
    assert f"{venv} . && .venv/bin/binance-guard history ." in blocks
    assert tests in blocks
    assert tests in (ROOT / ".ci" / "run").read_text().splitlines()


def test_own_pre_commit_config_runs_own_hooks_ruff_and_mypy() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    ids = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert {"binance-guard", "binance-guard-pre-push", "ruff", "mypy"} <= ids


def _uses(workflow: dict[str, Any]) -> list[str]:
    return [s["uses"] for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]


def test_own_workflow_tests_and_runs_own_action_pinned() -> None:
    (path,) = (ROOT / ".github" / "workflows").glob("*.yml")
    workflow = yaml.safe_load(path.read_text())
    uses = _uses(workflow)
    assert "./" in uses
    assert all(PINNED.fullmatch(u) for u in uses if u != "./"), uses
    runs = [s.get("run", "") for job in workflow["jobs"].values() for s in job["steps"]]
    assert ".ci/run" in runs


def test_version_has_one_source_and_license_is_mit() -> None:
    assert importlib.metadata.version("binance-guard") == binance_guard.__version__
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()


@pytest.mark.slow
def test_sdist_holds_what_its_tests_need(tmp_path: Path) -> None:
    """Built from this tree, unpacked elsewhere: its own tests find their data."""
    import tarfile

    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, setuptools.build_meta as b; print(b.build_sdist(sys.argv[1]))",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    with tarfile.open(tmp_path / proc.stdout.strip().splitlines()[-1]) as sdist:
        sdist.extractall(tmp_path / "unpacked", filter="data")
    (unpacked,) = (tmp_path / "unpacked").iterdir()
    for needed in ("LICENSE", "testing/keys.py", "fixtures/expected.json", ".ci/run"):
        assert (unpacked / needed).is_file(), needed
    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/detection/test_corpus.py",
            "tests/test_config.py::test_readme_example_is_a_valid_config",
        ],
        cwd=unpacked,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout[-2000:]
    assert " passed" in tests.stdout
