"""`binance-guard ci` as GitHub Actions runs it: event payloads, real repositories, SARIF."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from testing.cli import run_cli
from testing.git_repo import commit, git, make_repo
from testing.keys import fake_key

DATA = Path(__file__).resolve().parent / "data"
SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
BASE_KEY, PR_KEY, MERGE_KEY = fake_key("ci-base"), fake_key("ci-pr"), fake_key("ci-merge")
ZERO = "0" * 40


def _validate_sarif(text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(text)
    Draft7Validator(SCHEMA).validate(document)
    for key in (BASE_KEY, PR_KEY, MERGE_KEY):
        assert key not in text
    return document


class Project:
    """An origin with main (holding a key of its own) and a feature branch, and a checkout."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.origin = tmp_path / "origin.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.origin)], check=True)
        work = make_repo(tmp_path / "work")
        git(work, "remote", "add", "origin", str(self.origin))
        commit(work, {"README.md": "# bot\n"})
        self.base = commit(work, {"base.env": f"BINANCE_API_KEY={BASE_KEY}\n"}, "base key")
        git(work, "push", "-q", "origin", "main")
        git(work, "checkout", "-q", "-b", "feature")
        self.added = commit(work, {"pr.env": f"BINANCE_API_KEY={PR_KEY}\n"}, "add key")
        commit(work, {"pr.env": "BINANCE_API_KEY=${FROM_VAULT}\n"}, "remove it again")
        self.head = commit(work, {"bot.py": "print('hi')\n"}, "bot")
        git(work, "push", "-q", "origin", "feature")
        self.work = work

    def checkout(self, *clone_args: str) -> Path:
        target = self.tmp / f"checkout-{len(list(self.tmp.iterdir()))}"
        subprocess.run(
            ["git", "clone", "-q", *clone_args, f"file://{self.origin}", str(target)], check=True
        )
        git(target, "checkout", "-q", self.head)
        return target

    def shallow_checkout(self) -> Path:
        """What actions/checkout makes by default: the head commit only."""
        target = self.tmp / "shallow"
        subprocess.run(
            [
                "git",
                "clone",
                "-q",
                "--depth",
                "1",
                "--branch",
                "feature",
                f"file://{self.origin}",
                str(target),
            ],
            check=True,
        )
        return target

    def event(self, name: str, **values: str) -> Path:
        text = (DATA / "events" / f"{name}.json").read_text()
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        path = self.tmp / f"event-{name}-{len(values)}-{len(list(self.tmp.iterdir()))}.json"
        path.write_text(text)
        return path

    def run(
        self, checkout: Path, event: str, payload: Path, *args: str
    ) -> subprocess.CompletedProcess[str]:
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(payload),
            "GITHUB_SHA": self.head,
            "GITHUB_REPOSITORY": "acme/bot",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_STEP_SUMMARY": str(self.tmp / "summary.md"),
            "GITHUB_OUTPUT": str(self.tmp / "output.txt"),
        }
        return run_cli("ci", *args, cwd=checkout, env=env)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def _pr(project: Project) -> Path:
    return project.event("pull_request", BASE_SHA=project.base, HEAD_SHA=project.head)


def test_pull_request_scans_only_its_commits(project: Project) -> None:
    checkout = project.checkout()
    sarif = project.tmp / "out.sarif"
    proc = project.run(checkout, "pull_request", _pr(project), "--sarif-file", str(sarif))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "pull request #7: 3 commit(s) from merge base" in proc.stdout
    assert "::error file=pr.env,line=1,col=17,title=binance-guard%3A Binance API key::" in (
        proc.stdout
    )
    assert "base.env" not in proc.stdout  # a key already on main is not this PR's doing
    assert PR_KEY not in proc.stdout + proc.stderr
    document = _validate_sarif(sarif.read_text())
    (result,) = document["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pr.env"
    assert result["properties"]["commit"] == project.added
    assert document["runs"][0]["versionControlProvenance"][0]["revisionId"] == project.head
    summary = (project.tmp / "summary.md").read_text()
    assert "| high | Binance API key | `pr.env:1` |" in summary
    outputs = (project.tmp / "output.txt").read_text()
    assert "findings=1\n" in outputs and f"sarif-file={sarif}\n" in outputs


@pytest.mark.parametrize(
    ("fail_on", "code"), [("any", 1), ("high", 1), ("critical", 0), ("never", 0)]
)
def test_fail_on(project: Project, fail_on: str, code: int) -> None:
    proc = project.run(project.checkout(), "pull_request", _pr(project), "--fail-on", fail_on)
    assert proc.returncode == code


def test_key_in_a_merge_resolution_inside_the_pr(project: Project) -> None:
    work = project.work
    git(work, "checkout", "-q", "main")
    commit(work, {"cfg.env": "A=1\n"})
    git(work, "push", "-q", "origin", "main")
    git(work, "checkout", "-q", "feature")
    commit(work, {"cfg.env": "A=2\n"})
    git(work, "merge", "-q", "main", check=False)
    (work / "cfg.env").write_text(f"BINANCE_API_KEY={MERGE_KEY}\n")
    git(work, "add", "cfg.env")
    git(work, "commit", "-q", "--no-edit")
    project.head = git(work, "rev-parse", "HEAD").strip()
    git(work, "push", "-q", "origin", "feature")
    base = git(work, "rev-parse", "main").strip()
    payload = project.event("pull_request", BASE_SHA=base, HEAD_SHA=project.head)
    proc = project.run(project.checkout(), "pull_request", payload)
    assert "file=cfg.env" in proc.stdout and "file=pr.env" in proc.stdout


def test_shallow_checkout_fetches_what_it_needs(project: Project) -> None:
    checkout = project.shallow_checkout()
    proc = project.run(checkout, "pull_request", _pr(project))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "note: fetched" in proc.stdout or "shallow checkout" in proc.stdout
    assert "file=pr.env" in proc.stdout


def test_shallow_checkout_without_origin_says_fetch_depth(project: Project) -> None:
    checkout = project.shallow_checkout()
    git(checkout, "remote", "remove", "origin")
    proc = project.run(checkout, "pull_request", _pr(project))
    assert proc.returncode == 2
    assert "fetch-depth: 0" in proc.stderr


def test_push_scans_before_to_after(project: Project) -> None:
    payload = project.event("push", REF="feature", BEFORE_SHA=project.added, AFTER_SHA=project.head)
    proc = project.run(project.checkout(), "push", payload)
    assert proc.returncode == 0  # the key came before `before`
    assert f"2 commit(s) {project.added[:12]}..{project.head[:12]}" in proc.stdout


def test_push_of_a_new_branch_compares_with_the_default_branch(project: Project) -> None:
    payload = project.event("push", REF="feature", BEFORE_SHA=ZERO, AFTER_SHA=project.head)
    proc = project.run(project.checkout(), "push", payload)
    assert proc.returncode == 1
    assert "new branch feature: commits not on main (3 commit(s)" in proc.stdout
    assert "file=pr.env" in proc.stdout and "base.env" not in proc.stdout


def test_force_push_with_a_vanished_old_tip(project: Project) -> None:
    gone = "1234567890abcdef1234567890abcdef12345678"
    payload = project.event("push", REF="feature", BEFORE_SHA=gone, AFTER_SHA=project.head)
    payload.write_text(payload.read_text().replace('"forced": false', '"forced": true'))
    proc = project.run(project.checkout(), "push", payload)
    assert proc.returncode == 1
    assert "unavailable (force push?)" in proc.stdout
    assert "file=pr.env" in proc.stdout


def test_branch_deletion_has_nothing_to_scan(project: Project) -> None:
    payload = project.event("push", REF="feature", BEFORE_SHA=project.head, AFTER_SHA=ZERO)
    proc = project.run(project.checkout(), "push", payload)
    assert proc.returncode == 0 and "nothing to scan" in proc.stdout


def test_other_events_scan_the_full_history(project: Project) -> None:
    proc = project.run(project.checkout(), "workflow_dispatch", project.event("workflow_dispatch"))
    assert proc.returncode == 1
    assert "has no commit range: full history" in proc.stdout
    assert "file=base.env" in proc.stdout and "file=pr.env" in proc.stdout


def test_sarif_from_scan_and_history_is_valid_and_stable(repo: Path) -> None:
    commit(repo, {"a.env": f"BINANCE_API_KEY={BASE_KEY}\n", "b.env": f"BINANCE_API_KEY={PR_KEY}\n"})
    first = _validate_sarif(run_cli("scan", "--format", "sarif", cwd=repo).stdout)
    second = _validate_sarif(run_cli("scan", "--format", "sarif", cwd=repo).stdout)
    hashes = [
        r["partialFingerprints"]["primaryLocationLineHash"] for r in first["runs"][0]["results"]
    ]
    assert len(set(hashes)) == 2
    assert hashes == [
        r["partialFingerprints"]["primaryLocationLineHash"] for r in second["runs"][0]["results"]
    ]
    rules = first["runs"][0]["tool"]["driver"]["rules"]
    assert all(float(rule["properties"]["security-severity"]) > 0 for rule in rules)
    _validate_sarif(run_cli("history", ".", "--format", "sarif", cwd=repo).stdout)
    empty = make_repo(repo.parent / "empty")
    commit(empty, {"x.txt": "x\n"})
    _validate_sarif(run_cli("scan", "--format", "sarif", cwd=empty).stdout)


def test_action_definition_runs_binance_guard_ci() -> None:
    import yaml

    action = yaml.safe_load((DATA.parents[1] / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"fail-on", "baseline", "verify", "sarif-file", "args"} <= set(action["inputs"])
    assert {"findings", "sarif-file"} <= set(action["outputs"])
    script = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "binance-guard" in script and "args=(ci " in script
