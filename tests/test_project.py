"""The project follows its own advice: its history is clean under its own settings, it runs
its own hooks and Action, and its packaging metadata has one source."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import binance_guard
from testing.cli import run_cli
from testing.git_repo import GIT_ENV, commit, git, make_repo, stage
from testing.keys import fake_key

ROOT = Path(__file__).parent.parent
PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
BOT = 'from binance.client import Client\nclient = Client("{}", "{}")\n'


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


def _snippets(heading: str, language: str) -> list[str]:
    """The ``language`` code blocks of the README section under ``## heading``."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split(f"\n## {heading}", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def _sh(snippet: str, repo: Path) -> subprocess.CompletedProcess[str]:
    """A snippet as a user pastes it: this environment's binance-guard and detect-secrets
    first on PATH, stopping at the first failing line."""
    env = {**os.environ, **GIT_ENV, "HOME": str(repo)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        ["sh", "-ec", snippet], cwd=repo, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_readme_detect_secrets_snippets_run_as_written(repo: Path) -> None:
    """Each block accepts the committed keys and still stops a new one, with the real
    detect-secrets CLIs."""
    commit(repo, {"bot.py": BOT.format(fake_key("rd-1"), fake_key("rd-2"))})
    blocks = _snippets("Using the detect-secrets plugin", "sh")
    assert len(blocks) == 2
    for block in blocks:
        (repo / ".secrets.baseline").unlink(missing_ok=True)
        stage(repo, {"bot.py": BOT.format(fake_key("rd-1"), fake_key("rd-2")) + "# edited\n"})
        accepted = _sh(block, repo)
        assert accepted.returncode == 0, block + accepted.stdout + accepted.stderr
        baseline = json.loads((repo / ".secrets.baseline").read_text())
        assert {e["type"] for e in baseline["results"]["bot.py"]} >= {"Binance API Key"}
        stage(repo, {"new.py": BOT.format(fake_key("rd-3"), fake_key("rd-4"))})
        hook = block.strip().splitlines()[-1]
        assert hook.startswith("detect-secrets-hook")
        stopped = _sh(hook, repo)
        assert stopped.returncode == 1 and "new.py:2" in stopped.stdout, stopped.stdout
        assert "bot.py" not in stopped.stdout
        git(repo, "rm", "-q", "--cached", "new.py")


def test_readme_plain_pre_push_hook_blocks_a_push(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "user")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    (snippet,) = [
        b for b in _snippets("Block a push, even of commits", "sh") if ".git/hooks/pre-push" in b
    ]
    assert _sh(snippet, repo).returncode == 0
    commit(repo, {"bot.py": BOT.format(fake_key("rp-1"), fake_key("rp-2"))})
    pushed = _sh("git push origin main", repo)
    assert pushed.returncode != 0 and "Push blocked by binance-guard" in pushed.stdout
    assert git(remote, "for-each-ref") == ""


def test_readme_pre_commit_snippet_names_the_hooks_this_repository_defines() -> None:
    (snippet,) = _snippets("Block leaks at commit time", "yaml")
    config = yaml.safe_load(snippet)
    (entry,) = config["repos"]
    defined = [h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())]
    assert [h["id"] for h in entry["hooks"]] == defined
    assert snippet.count("# args: [--baseline, .secrets.baseline]") == len(defined)
    assert entry["repo"] == "https://github.com/binance-guard/binance-guard"


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
