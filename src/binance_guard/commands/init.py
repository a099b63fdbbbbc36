"""``binance-guard init``: set a repository up in one step, and again without harm.

Writes what is missing and merges into what exists: the pre-commit hooks (pinned by commit,
with the baseline when there is one), ``.gitignore`` entries for the files that usually hold
keys, a settings file and, on request, the GitHub workflow. A user's file is only replaced
with ``--force``; a merge that cannot be done safely is left to the user, with the text to add.
"""

from __future__ import annotations

import json
import os
import re
from importlib import metadata

import yaml

from binance_guard.config import CONFIG_FILE
from binance_guard.config import find as find_config
from binance_guard.errors import UsageError
from binance_guard.exit_codes import EXIT_CLEAN
from binance_guard.regex import compile_now
from binance_guard.report.sanitize import shell, terminal
from binance_guard.sources import git

REPO_URL = "https://github.com/binance-guard/binance-guard"
HOOK_IDS = ("binance-guard", "binance-guard-pre-push")
DEFAULT_BASELINE = ".secrets.baseline"
SHA = compile_now(r"[0-9a-f]{40}")
# Third-party actions of the workflow, pinned by commit to their current releases.
CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1  # v7.0.1"
UPLOAD_SARIF = (
    "github/codeql-action/upload-sarif@8aad20d150bbac5944a9f9d289da16a4b0d87c1e  # v4.36.2"
)

GITIGNORE_HEADER = "# Files that usually hold API keys (binance-guard init)"
# .env files, freqtrade's config*.json and key files, but not their committed examples.
GITIGNORE = (
    ".env",
    ".env.*",
    "!.env.example",
    "!.env.sample",
    "!.env.template",
    "config*.json",
    "!*.example.json",
    "!*.sample.json",
    "!**/config_examples/*.json",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
)

CONFIG_TEMPLATE = """\
# binance-guard settings, read by every command (README: "Configuration").
min_confidence = "medium"   # low | medium | high
exclude_paths = []          # regular expressions on repository-relative paths, e.g. "^vendor/"

[allowlist]
paths = []                  # findings in these paths are accepted
regexes = []                # findings on lines matching these are accepted
commits = []                # history: findings introduced by these commits are accepted

# One accepted secret, by the fingerprint of `binance-guard scan --format json`:
# [[allowlist.fingerprints]]
# fingerprint = "<64 hex digits>"
# reason = "testnet key, deleted in Binance on <date>"
"""

WORKFLOW = """\
# Written by binance-guard init: scan the commits of every pull request and push.
name: binance-guard
on: [pull_request, push]
permissions:
  contents: read
jobs:
  binance-guard:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      security-events: write  # the SARIF upload
    steps:
      - uses: {checkout}
        with:
          fetch-depth: 0  # the pull request's merge base must be in the checkout
      - uses: {action}@{rev}
        id: guard
        with:
          sarif-file: binance-guard.sarif{baseline}
      - uses: {upload}
        if: always() && steps.guard.outputs.sarif-file != ''
        with:
          sarif_file: binance-guard.sarif
          category: binance-guard
"""


def _installed_from() -> tuple[str | None, str | None]:
    """(git URL, commit) this copy of binance-guard was installed from, when pip recorded it
    (``pip install git+URL@SHA``) or it runs from a git checkout (``pip install -e``)."""
    try:
        raw = metadata.distribution("binance-guard").read_text("direct_url.json")
        direct = json.loads(raw) if raw else {}
    except (metadata.PackageNotFoundError, ValueError):
        direct = {}
    commit = direct.get("vcs_info", {}).get("commit_id")
    if commit:
        return str(direct.get("url", "")).removeprefix("git+") or None, commit
    url = str(direct.get("url", ""))
    if url.startswith("file://"):
        checkout = url.removeprefix("file://")
        if os.path.isfile(os.path.join(checkout, ".pre-commit-hooks.yaml")):
            try:
                head = git.run(["rev-parse", "HEAD"], cwd=checkout).decode().strip()
            except git.GitError:
                return None, None
            return None, head
    return None, None


def _hooks_block(url: str, rev: str, baseline: str | None, indent: str) -> str:
    args = f"\n{indent}      args: [--baseline, {baseline}]" if baseline else ""
    return (
        f"{indent}- repo: {url}\n"
        f"{indent}  rev: {rev}  # a full commit SHA until binance-guard has tags\n"
        f"{indent}  hooks:\n"
        f"{indent}    - id: {HOOK_IDS[0]}{args}\n"
        f"{indent}    - id: {HOOK_IDS[1]}{args}\n"
    )


def _where(exc: yaml.YAMLError) -> str:
    """The parser's problem and its line and column: not its message, which quotes the line
    (a key on it would be printed)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or type(exc).__name__
    return f"{problem}, line {mark.line + 1}, column {mark.column + 1}" if mark else problem


class _Init:
    def __init__(self, root: str, force: bool) -> None:
        self.root, self.force = root, force
        self.done: list[str] = []
        self.left: list[str] = []

    def path(self, name: str) -> str:
        """``name`` in the repository, refused when it or a folder on its way is a symbolic
        link: a cloned repository's links would send what init writes anywhere (a
        ``.gitignore`` -> ~/.bashrc appended to, ``--force`` overwriting ~/.ssh files)."""
        parts = name.split("/")
        for end in range(1, len(parts) + 1):
            if os.path.islink(os.path.join(self.root, *parts[:end])):
                raise UsageError(
                    f"{'/'.join(parts[:end])} is a symbolic link: init writes only files of "
                    "the repository itself; replace the link with a file and run again"
                )
        return os.path.join(self.root, name)

    def create(self, name: str, content: str, what: str) -> None:
        target = self.path(name)
        existed = os.path.exists(target)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(content)
        self.done.append(f"{'replaced' if existed else 'created'} {name}: {what}")

    def pre_commit(self, url: str, rev: str, baseline: str | None) -> None:
        name = ".pre-commit-config.yaml"
        target = self.path(name)
        if not os.path.exists(target) or self.force:
            self.create(name, "repos:\n" + _hooks_block(url, rev, baseline, "  "), "both hooks")
            return
        try:
            with open(target, encoding="utf-8", newline="") as handle:
                text = handle.read()
            config = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise UsageError(
                f"{name} is not valid YAML ({_where(exc)}); fix it or use --force"
            ) from None
        except (UnicodeDecodeError, RecursionError) as exc:
            why = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else "nested too deeply"
            raise UsageError(f"{name} is not valid YAML ({why}); fix it or use --force") from None
        repos = _list(config.get("repos") if isinstance(config, dict) else None)
        present = {
            h.get("id"): h.get("args") or []
            for r in repos
            if isinstance(r, dict)
            for h in _list(r.get("hooks"))
            if isinstance(h, dict)
        }
        if set(HOOK_IDS) <= set(present):
            self.done.append(f"kept {name}: it already runs both binance-guard hooks")
            pins = [
                (r.get("rev"), {h.get("id") for h in _list(r.get("hooks")) if isinstance(h, dict)})
                for r in repos
                if isinstance(r, dict)
            ]
            pinned = {str(r) for r, hooks in pins if hooks & set(HOOK_IDS)}
            if pinned - {rev}:  # --rev, or a newer install: it must not pass unheard
                self.left.append(
                    f"{name} pins binance-guard at rev {', '.join(sorted(pinned))}, not {rev}: "
                    "edit its rev: line"
                )
            if baseline and any("--baseline" not in present[h] for h in HOOK_IDS):
                self.left.append(f"add `args: [--baseline, {baseline}]` to both hooks in {name}")
            return
        merged = _append_repo(text, url, rev, baseline)
        expected = [*repos, yaml.safe_load(_hooks_block(url, rev, baseline, ""))[0]]
        if merged is None or (yaml.safe_load(merged) or {}).get("repos") != expected:
            self.left.append(
                f"add to the repos: list of {name}:\n" + _hooks_block(url, rev, baseline, "  ")
            )
            return
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(merged)
        self.done.append(f"updated {name}: added the binance-guard hooks, kept the rest")

    def gitignore(self) -> None:
        target = self.path(".gitignore")
        try:
            # Any bytes: only our own lines are looked for, and appended.
            with open(target, encoding="utf-8", errors="surrogateescape", newline="") as handle:
                text = handle.read()
            existed = True
        except FileNotFoundError:
            text, existed = "", False
        have = {line.strip() for line in text.splitlines()}
        missing = [entry for entry in GITIGNORE if entry not in have]
        if not missing:
            self.done.append("kept .gitignore: it already ignores the usual key files")
        else:
            eol = _line_ending(text)
            prefix = "" if not text or text.endswith("\n") else eol
            block = eol.join(([GITIGNORE_HEADER] if GITIGNORE_HEADER not in have else []) + missing)
            with open(target, "a", encoding="utf-8", newline="") as handle:
                handle.write(f"{prefix}{block}{eol}")
            done = "updated" if existed else "created"
            self.done.append(f"{done} .gitignore: {', '.join(missing)}")
        tracked = git.run(
            ["ls-files", "-z", "--cached", "--ignored", "--exclude-standard"], cwd=self.root
        )
        for name in (os.fsdecode(n) for n in tracked.split(b"\0") if n):
            # The repository's file names: escaped for the terminal, one word of the command.
            self.left.append(
                f"{terminal(name)} is committed but now ignored: if it holds keys, delete them "
                f"in Binance, then `git rm --cached -- {terminal(shell(name))}` (and "
                "`binance-guard history .`)"
            )

    def settings(self) -> None:
        found = find_config(self.root)
        if found is not None and not self.force:
            self.done.append(f"kept {os.path.relpath(found[0], self.root)}: settings exist")
            return
        self.create(CONFIG_FILE, CONFIG_TEMPLATE, "settings and allowlist, all defaults")

    def workflow(self, url: str, rev: str, baseline: str | None) -> None:
        name = ".github/workflows/binance-guard.yml"
        if os.path.exists(self.path(name)) and not self.force:
            self.done.append(f"kept {name}: it exists (--force replaces it)")
            return
        action = url.removeprefix("https://github.com/").removesuffix(".git")
        content = WORKFLOW.format(
            checkout=CHECKOUT,
            upload=UPLOAD_SARIF,
            action=action,
            rev=rev,
            baseline=f"\n          baseline: {baseline}" if baseline else "",
        )
        self.create(name, content, "the binance-guard Action on pull requests and pushes")


def _list(value: object) -> list[object]:
    """A YAML value where a list belongs, when it is one (``repos: 5`` is not)."""
    return value if isinstance(value, list) else []


def _append_repo(text: str, url: str, rev: str, baseline: str | None) -> str | None:
    """``text`` with our repository added at the end of its block-style ``repos:`` list,
    indented like the list's first item; None when the layout is not one we can extend."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"repos:\s*(#.*)?$", line)), None)
    if start is None:
        return None
    end = start + 1
    indent: str | None = None
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if indent is None:
            item = re.match(r"( *)- ", line)
            if item is None:
                return None
            indent = item.group(1)
        if not line.startswith(indent) or (not indent and not line.startswith(("-", " "))):
            break
        end = index + 1
    if indent is None:
        return None
    eol = _line_ending(text)
    head = "".join(lines[:end])
    if head and not head.endswith("\n"):
        head += eol
    block = _hooks_block(url, rev, baseline, indent).replace("\n", eol)
    return head + block + "".join(lines[end:])


def _line_ending(text: str) -> str:
    """The file's own line ending (a Windows checkout's CRLF), for the lines added to it."""
    return "\r\n" if "\r\n" in text else "\n"


def run(
    repo: str,
    *,
    force: bool,
    github_action: bool,
    baseline: str | None,
    repo_url: str | None,
    rev: str | None,
) -> int:
    root = git.toplevel(repo)
    if root is None:
        raise UsageError(f"{repo}: not inside a git work tree (run `git init` first)")
    installed_url, installed_rev = _installed_from()
    url = repo_url or installed_url or REPO_URL
    rev = rev or installed_rev
    if rev is None or not SHA.fullmatch(rev):
        raise UsageError(
            "cannot tell which binance-guard commit to pin: pass --rev <full 40-digit commit SHA>"
            f" of {url}" + (f" (not {rev!r})" if rev else "")
        )
    if baseline is None and os.path.exists(os.path.join(root, DEFAULT_BASELINE)):
        baseline = DEFAULT_BASELINE
    init = _Init(root, force)
    init.pre_commit(url, rev, baseline)
    init.gitignore()
    init.settings()
    if github_action:
        init.workflow(url, rev, baseline)
    print(f"binance-guard init in {terminal(root)}:")
    for line in init.done:
        print(f"  {line}")
    print("What is left:")
    for line in init.left:
        print(f"  - {line}")
    print("  - pre-commit install --hook-type pre-commit --hook-type pre-push")
    print("  - binance-guard history .   (keys committed before today are still in history)")
    if not github_action:
        print("  - optional: binance-guard init --github-action (pull request and push checks)")
    return EXIT_CLEAN
