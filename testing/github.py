"""GitHub Actions as a runner sets it up, with real git: an ``origin`` (a local bare
repository), the fetches actions/checkout makes, the event payload, and the environment and
files of a step."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from testing.cli import environ, run_cli
from testing.git_repo import git, make_repo, stage
from testing.keys import fake_key

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
EVENTS = DATA / "events"
SARIF_SCHEMA: dict[str, Any] = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
ZERO = "0" * 40
REPOSITORY = "acme/trading-bot"
SERVER = "https://github.com"
PR_NUMBER = 7

BASE_KEY = fake_key("gh-base")  # on main before the feature branch: never the PR's doing
LATER_KEY = fake_key("gh-later")  # on main after the branch point: not the PR's either
PR_KEY = fake_key("gh-pr")  # added and removed again inside the PR
ALL_KEYS = (BASE_KEY, LATER_KEY, PR_KEY)

_TOKEN = re.compile(r"__[A-Z_]+__")


def assert_no_secret(text: str, secrets: Iterable[str]) -> None:
    """Neither a secret nor any 9-character piece of it (redaction keeps 4 + 4)."""
    for secret in secrets:
        assert secret not in text
        pieces = {secret[i : i + 9] for i in range(len(secret) - 8)}
        leaked = [piece for piece in pieces if piece in text]
        assert not leaked, f"part of a secret leaked: {leaked[:3]}"


def validate_sarif(text: str, secrets: Iterable[str] = ALL_KEYS) -> dict[str, Any]:
    """Parse SARIF, validate it against the official 2.1.0 schema, check no secret is in it."""
    document: dict[str, Any] = json.loads(text)
    Draft7Validator(SARIF_SCHEMA).validate(document)
    assert document["version"] == "2.1.0"
    assert_no_secret(text, secrets)
    return document


def results(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = document["runs"][0]["results"]
    return found


def file_results(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Results located in a file (commit and tag messages have only a logical location)."""
    return [r for r in results(document) if "physicalLocation" in r["locations"][0]]


def uri(result: Mapping[str, Any]) -> str:
    value: str = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    return value


def line_hash(result: Mapping[str, Any]) -> str:
    value: str = result["partialFingerprints"]["primaryLocationLineHash"]
    return value


def workflow_commands(log: str) -> list[str]:
    """The lines of a step's output the runner executes as workflow commands: lines (ended by
    \\n, \\r or \\r\\n, as .NET reads them) starting with ``::`` after leading whitespace, or
    holding the legacy ``##[`` anywhere (actions/runner's TryParseV2 and TryParse), except
    between ``::stop-commands::TOKEN`` and ``::TOKEN::``."""
    commands, token = [], None
    for line in re.split(r"\r\n|\r|\n", log):
        if token is not None:
            if line == f"::{token}::":
                token = None
        elif line.startswith("::stop-commands::"):
            token = line.removeprefix("::stop-commands::")
        elif line.lstrip().startswith("::") or "##[" in line:
            commands.append(line)
    return commands


@dataclasses.dataclass
class Step:
    """One run of ``binance-guard ci`` in a workflow step and what it left behind."""

    proc: subprocess.CompletedProcess[str]
    summary: str
    outputs: dict[str, str]
    sarif_text: str | None

    @property
    def code(self) -> int:
        return self.proc.returncode

    @property
    def stdout(self) -> str:
        return self.proc.stdout

    @property
    def annotations(self) -> list[str]:
        return workflow_commands(self.stdout)

    def annotated_files(self) -> set[str]:
        return {m.group(1) for line in self.annotations if (m := re.search(r"file=([^,]*),", line))}

    @property
    def sarif(self) -> dict[str, Any]:
        assert self.sarif_text is not None
        return validate_sarif(self.sarif_text)

    def explain(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.proc.stderr}"


def parse_outputs(text: str) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` in its one-line ``name=value`` form."""
    outputs = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        assert sep and "<<" not in name, f"not a name=value line: {line!r}"
        outputs[name] = value
    return outputs


class Origin:
    """A bare ``origin`` and a developer's clone (``work``) that pushes to it."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.bare = tmp / "origin.git"
        git(tmp, "init", "-q", "--bare", "-b", "main", str(self.bare))
        self.url = f"file://{self.bare}"
        self.work = make_repo(tmp / "work")
        git(self.work, "remote", "add", "origin", self.url)
        self._runs = 0

    def commit(self, files: Mapping[str, str], message: str = "change") -> str:
        stage(self.work, files)
        git(self.work, "commit", "-q", "--no-verify", "-m", message)
        return self.rev("HEAD")

    def rev(self, rev: str) -> str:
        return git(self.work, "rev-parse", rev).strip()

    def push(self, *refspecs: str) -> None:
        git(self.work, "push", "-q", "origin", *refspecs)

    def pull_request_refs(self, base: str, head: str, number: int = PR_NUMBER) -> str:
        """refs/pull/N/head and GitHub's test merge refs/pull/N/merge; the merge's sha."""
        tree = git(self.work, "merge-tree", "--write-tree", base, head).split()[0]
        merge = git(
            self.work,
            "commit-tree",
            tree,
            "-p",
            base,
            "-p",
            head,
            "-m",
            f"Merge {head} into {base}",
        ).strip()
        self.push(f"+{head}:refs/pull/{number}/head", f"+{merge}:refs/pull/{number}/merge")
        return merge

    def _new_dir(self, name: str) -> Path:
        self._runs += 1
        return self.tmp / f"{name}-{self._runs}"

    def checkout(self, sha: str, ref: str, fetch_depth: int = 0) -> Path:
        """What actions/checkout does for ``ref`` at ``sha`` (refs/heads/X or refs/pull/N/merge):
        fetch-depth 0 fetches every branch and tag first; 1 (its default) only that commit."""
        target = self._new_dir("checkout")
        target.mkdir()
        git(target, "init", "-q")
        git(target, "remote", "add", "origin", self.url)
        if ref.startswith("refs/heads/"):
            local = f"refs/remotes/origin/{ref.removeprefix('refs/heads/')}"
        else:
            local = f"refs/remotes/{ref.removeprefix('refs/')}"
        fetch = ["-c", "protocol.version=2", "fetch", "-q", "--prune", "--no-recurse-submodules"]
        if fetch_depth:
            git(target, *fetch, "--no-tags", f"--depth={fetch_depth}", "origin", f"+{sha}:{local}")
        else:
            git(
                target,
                *fetch,
                "origin",
                "+refs/heads/*:refs/remotes/origin/*",
                "+refs/tags/*:refs/tags/*",
            )
            git(target, *fetch, "--no-tags", "origin", f"+{sha}:{local}")
        if ref.startswith("refs/heads/"):
            git(target, "checkout", "-q", "--force", "-B", ref.removeprefix("refs/heads/"), local)
        else:
            git(target, "checkout", "-q", "--force", local)
        return target

    def clone(self, *args: str) -> Path:
        """A plain ``git clone ARGS file://origin``."""
        target = self._new_dir("clone")
        subprocess.run(
            ["git", "clone", "-q", *args, self.url, str(target)],
            check=True,
            env=environ(),
            capture_output=True,
        )
        return target

    def payload(self, name: str, **values: str) -> Path:
        """tests/data/events/NAME.json with its __TOKEN__s filled in (tree ids from the
        commits), written where GITHUB_EVENT_PATH can point."""
        text = (EVENTS / f"{name}.json").read_text()
        sha = values.get("AFTER_SHA") or values.get("HEAD_SHA")
        if "TREE_SHA" not in values and sha and sha != ZERO:
            values["TREE_SHA"] = self.rev(f"{sha}^{{tree}}")
        for token, value in values.items():
            text = text.replace(f"__{token}__", value)
        left = set(_TOKEN.findall(text))
        assert not left, f"{name}.json: unfilled {sorted(left)}"
        json.loads(text)
        path = self._new_dir(f"event-{name}").with_suffix(".json")
        path.write_text(text)
        return path

    def run_ci(
        self,
        checkout: Path,
        event: str,
        payload: Path,
        *args: str,
        sha: str,
        ref: str,
        head_ref: str = "",
        base_ref: str = "",
        summary_before: str = "",
        outputs_before: str = "",
        script: str | None = None,
        script_env: Mapping[str, str] | None = None,
    ) -> Step:
        """``binance-guard ci ARGS`` with the environment a runner gives a step; or, with
        ``script``, a ``run:`` script as the runner starts it (bash -eo pipefail)."""
        step = self._new_dir("step")
        step.mkdir()
        summary, outputs = step / "step_summary.md", step / "set_output"
        summary.write_text(summary_before)
        outputs.write_text(outputs_before)
        env = {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(payload),
            "GITHUB_SHA": sha,
            "GITHUB_REF": ref,
            "GITHUB_REF_NAME": ref.removeprefix("refs/heads/").removeprefix("refs/"),
            "GITHUB_REF_TYPE": "branch",
            "GITHUB_HEAD_REF": head_ref,
            "GITHUB_BASE_REF": base_ref,
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_REPOSITORY_OWNER": REPOSITORY.split("/")[0],
            "GITHUB_SERVER_URL": SERVER,
            "GITHUB_API_URL": "https://api.github.com",
            "GITHUB_WORKSPACE": str(checkout),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_RUN_ID": "8123456789",
            "GITHUB_WORKFLOW": "binance-guard",
            "RUNNER_OS": "Linux",
            "RUNNER_TEMP": str(step),
        }
        env.update(script_env or {})
        if script is None:
            sarif = Path(args[args.index("--sarif-file") + 1]) if "--sarif-file" in args else None
            proc = run_cli("ci", *args, cwd=checkout, env=env)
        else:
            sarif = checkout / env["BG_SARIF"] if env.get("BG_SARIF") else None
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                cwd=checkout,
                env=environ(env),
                capture_output=True,
                text=True,
                check=False,
            )
        outputs_text = outputs.read_text()
        assert outputs_text.startswith(outputs_before)
        return Step(
            proc=proc,
            summary=summary.read_text(),
            outputs=parse_outputs(outputs_text),
            sarif_text=sarif.read_text() if sarif and sarif.exists() else None,
        )


class Project(Origin):
    """A trading bot on ``origin``: main holds a key of its own (before and after the branch
    point); the pull request #7 from ``feature`` adds a key and removes it again.

        main:    readme - base(BASE_KEY) ---------------------- later(LATER_KEY)
                                      \\
        feature:                        added(PR_KEY) - removed - head(bot.py)
    """

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp)
        self.commit({"README.md": "# trading bot\n"}, "readme")
        self.base_commit = self.commit({"base.env": f"BINANCE_API_KEY={BASE_KEY}\n"}, "base key")
        self.push("main")
        git(self.work, "checkout", "-q", "-b", "feature")
        self.added = self.commit({"pr.env": f"BINANCE_API_KEY={PR_KEY}\n"}, "add credentials")
        self.removed = self.commit({"pr.env": "BINANCE_API_KEY=${BINANCE_API_KEY}\n"}, "use env")
        self.head = self.commit({"bot.py": "import os\nprint('grid bot')\n"}, "bot")
        self.push("feature")
        git(self.work, "checkout", "-q", "main")
        self.base = self.commit({"later.env": f"BINANCE_API_KEY={LATER_KEY}\n"}, "ops config")
        self.push("main")
        git(self.work, "checkout", "-q", "feature")
        self.merge_base = self.base_commit
        self.merge = self.pull_request_refs(self.base, self.head)

    def update_pull_request(self) -> None:
        """After new commits on feature (or main): push and let GitHub redo its refs."""
        self.head = self.rev("feature")
        self.base = self.rev("main")
        self.push("+feature", "+main")
        self.merge = self.pull_request_refs(self.base, self.head)

    def pr_payload(self, action: str = "opened", before: str | None = None) -> Path:
        values = {"BASE_SHA": self.base, "HEAD_SHA": self.head, "MERGE_SHA": self.merge}
        if before is not None:
            values["BEFORE_SHA"] = before
        return self.payload(f"pull_request_{action}", **values)

    def pr_checkout(self, fetch_depth: int = 0) -> Path:
        return self.checkout(self.merge, f"refs/pull/{PR_NUMBER}/merge", fetch_depth)

    def run_pr(
        self,
        checkout: Path,
        payload: Path,
        *args: str,
        summary_before: str = "",
        outputs_before: str = "",
    ) -> Step:
        return self.run_ci(
            checkout,
            "pull_request",
            payload,
            *args,
            sha=self.merge,
            ref=f"refs/pull/{PR_NUMBER}/merge",
            head_ref="feature",
            base_ref="main",
            summary_before=summary_before,
            outputs_before=outputs_before,
        )

    def run_push(self, checkout: Path, payload: Path, *args: str, after: str) -> Step:
        return self.run_ci(checkout, "push", payload, *args, sha=after, ref="refs/heads/feature")
