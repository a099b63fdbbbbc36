"""`binance-guard ci` judges a change by the settings of the branch it goes to: a pull request
(or a push) that edits .binance-guard.toml, a --config file or a --baseline in the repository
is shown doing so, and its edits apply once merged. Real git, GitHub's payloads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from binance_guard.finding import fingerprint
from testing.cli import run_cli
from testing.git_repo import git
from testing.github import ALL_KEYS, PR_KEY, Project, Step, assert_no_secret
from testing.keys import fake_key

DOCS_KEY, PUSHED_KEY = fake_key("settings-docs"), fake_key("settings-push")
SECRETS = (*ALL_KEYS, DOCS_KEY, PUSHED_KEY)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def _allowlist(key: str) -> str:
    return f'[[allowlist.fingerprints]]\nfingerprint = "{fingerprint(key)}"\nreason = "test key"\n'


def _edit_pull_request(project: Project, files: dict[str, str], *args: str) -> Step:
    """A new commit on the pull request (its key, PR_KEY, is in pr.env), and ci on it."""
    before = project.head
    project.commit(files, "quiet the check")
    project.update_pull_request()
    return project.run_pr(project.pr_checkout(), project.pr_payload("synchronize", before), *args)


def _settings_warning(step: Step, name: str) -> str:
    (warning,) = [a for a in step.annotations if a.startswith("::warning ")]
    title = "binance-guard%3A settings changed"
    assert warning.startswith(f"::warning file={name},title={title}::"), warning
    assert f"**Note:** This change edits {name}" in step.summary
    return warning


@pytest.mark.parametrize(
    ("files", "args"),
    [
        ({".binance-guard.toml": _allowlist(PR_KEY)}, ()),
        ({".binance-guard.toml": 'exclude_paths = ["^pr\\\\.env$"]\n'}, ()),
        ({".binance-guard.toml": '[allowlist]\npaths = ["pr"]\n'}, ()),
        ({".binance-guard.toml": 'min_confidence = "high"\n[allowlist]\nregexes = ["."]\n'}, ()),
        ({"ci/guard.toml": _allowlist(PR_KEY)}, ("--config", "ci/guard.toml")),
        (
            {
                "pyproject.toml": "[tool.binance-guard]\n"
                + _allowlist(PR_KEY).replace("[[", "[[tool.binance-guard.")
            },
            (),
        ),
    ],
    ids=[
        "fingerprint",
        "exclude_paths",
        "allowlist.paths",
        "allowlist.regexes",
        "--config",
        "pyproject",
    ],
)
def test_a_pull_request_cannot_allowlist_its_own_key(
    project: Project, files: dict[str, str], args: tuple[str, ...]
) -> None:
    step = _edit_pull_request(project, files, *args)
    assert step.code == 1, step.explain()
    assert step.annotated_files() >= {"pr.env"}
    assert f"settings as the base commit has them ({project.base[:12]})" in step.stdout
    assert_no_secret(step.stdout + step.summary, SECRETS)


def test_the_edit_is_shown_and_applies_once_merged(project: Project) -> None:
    step = _edit_pull_request(project, {".binance-guard.toml": _allowlist(PR_KEY)})
    assert step.code == 1, step.explain()
    warning = _settings_warning(step, ".binance-guard.toml")
    assert "the edits apply once merged" in warning
    assert "the edits apply once merged" in step.summary


def test_settings_from_head_is_the_opt_out(project: Project) -> None:
    """``--settings-from head`` (the Action's ``settings-from: head``): the checkout's
    settings, as before, and the warning says what that allows."""
    step = _edit_pull_request(
        project, {".binance-guard.toml": _allowlist(PR_KEY)}, "--settings-from", "head"
    )
    assert step.code == 0, step.explain()
    assert step.outputs["findings"] == "0"
    warning = _settings_warning(step, ".binance-guard.toml")
    assert "settings-from: head" in warning and "can silence its own key" in warning
    assert "settings as the base commit" not in step.stdout


def test_a_pull_request_that_edits_only_the_settings_passes_with_the_note(
    project: Project,
) -> None:
    """The base branch's settings apply to the pull request (its docs are excluded there),
    and its own edit to them passes, shown for review."""
    git(project.work, "checkout", "-q", "main")
    project.commit({".binance-guard.toml": 'exclude_paths = ["^docs/"]\n'}, "exclude docs")
    git(project.work, "checkout", "-q", "-B", "feature", "main")
    project.commit(
        {
            "docs/example.env": f"BINANCE_API_KEY={DOCS_KEY}\n",
            ".binance-guard.toml": 'exclude_paths = ["^docs/", "^vendor/"]\n',
        },
        "exclude vendor too",
    )
    project.update_pull_request()
    step = project.run_pr(project.pr_checkout(), project.pr_payload())
    assert step.code == 0, step.explain()
    assert f"settings as the base commit has them ({project.base[:12]})" in step.stdout
    assert "the edits apply once merged" in _settings_warning(step, ".binance-guard.toml")
    # the control: without the base's exclusion the same key fails
    plain = project.run_pr(project.pr_checkout(), project.pr_payload(), "--no-config")
    assert plain.code == 1 and "docs/example.env" in plain.annotated_files(), plain.explain()
    assert_no_secret(step.stdout + step.summary + plain.stdout, SECRETS)


def test_a_baseline_in_the_repository_is_read_at_base(project: Project) -> None:
    """A detect-secrets baseline the workflow names (``baseline: .secrets.baseline``): the
    base branch's accepts the pull request's key; one the pull request adds does not."""
    accepted = project.clone()
    git(accepted, "checkout", "-q", project.added)
    written = run_cli("scan", "--write-baseline", ".secrets.baseline", cwd=accepted)
    assert written.returncode == 0, written.stderr
    baseline = (accepted / ".secrets.baseline").read_text()
    added = _edit_pull_request(
        project, {".secrets.baseline": baseline}, "--baseline", ".secrets.baseline"
    )
    assert added.code == 1, added.explain()
    assert added.annotated_files() >= {"pr.env", ".secrets.baseline"}
    assert "edits .secrets.baseline" in added.summary

    git(project.work, "checkout", "-q", "main")
    project.commit({".secrets.baseline": baseline}, "accept the revoked key")
    git(project.work, "checkout", "-q", "feature")
    git(project.work, "rm", "-q", ".secrets.baseline")
    git(project.work, "commit", "-q", "--no-verify", "-m", "baseline is main's")
    project.update_pull_request()
    merged = project.run_pr(
        project.pr_checkout(), project.pr_payload(), "--baseline", ".secrets.baseline"
    )
    assert merged.code == 0, merged.explain()
    assert merged.outputs["findings"] == "0"


def test_a_baseline_the_workflow_makes_in_the_checkout_is_read_as_named(
    project: Project,
) -> None:
    """A file no commit holds (an earlier step wrote it into the workspace) is not the
    change's: it is read from the disk, as before."""
    checkout = project.pr_checkout()
    written = run_cli("history", ".", "--format", "json", "--output", "known.json", cwd=checkout)
    assert written.returncode == 1, written.stderr
    step = project.run_pr(checkout, project.pr_payload(), "--baseline", "known.json")
    assert step.code == 0, step.explain()
    assert step.outputs["findings"] == "0" and step.annotations == []
    assert "settings as the base commit has them" in step.stdout


def test_pull_request_target_is_judged_by_the_base_settings_too(project: Project) -> None:
    before = project.head
    project.commit({".binance-guard.toml": _allowlist(PR_KEY)}, "quiet the check")
    project.update_pull_request()
    step = project.run_ci(
        project.pr_checkout(),
        "pull_request_target",
        project.pr_payload("synchronize", before),
        sha=project.base,
        ref="refs/heads/main",
    )
    assert step.code == 1, step.explain()
    assert step.annotated_files() == {"pr.env", ".binance-guard.toml"}


def _push(project: Project, before: str, after: str, branch: str) -> Step:
    payload = project.payload("push_existing_branch", BEFORE_SHA=before, AFTER_SHA=after)
    data = json.loads(payload.read_text())
    data["ref"] = f"refs/heads/{branch}"
    payload.write_text(json.dumps(data))
    checkout = project.checkout(after, f"refs/heads/{branch}")
    return project.run_ci(checkout, "push", payload, sha=after, ref=f"refs/heads/{branch}")


def test_a_push_to_main_is_judged_by_mains_settings_before_it(project: Project) -> None:
    """A push that allowlists the key it brings fails; from the next push on, the pushed
    settings are main's and apply."""
    git(project.work, "checkout", "-q", "main")
    before = project.base
    first = project.commit(
        {
            ".binance-guard.toml": _allowlist(PUSHED_KEY),
            "keys.env": f"BINANCE_API_KEY={PUSHED_KEY}\n",
        },
        "keys, allowlisted",
    )
    project.push("main")
    step = _push(project, before, first, "main")
    assert step.code == 1, step.explain()
    assert step.annotated_files() == {"keys.env", ".binance-guard.toml"}
    assert "the edits apply once merged" in step.summary
    assert f"settings as the base commit has them ({before[:12]})" in step.stdout

    second = project.commit({"more.env": f"BINANCE_API_KEY={PUSHED_KEY}\n"}, "again")
    project.push("main")
    step = _push(project, first, second, "main")
    assert step.code == 0, step.explain()
    assert step.annotations == []
    assert_no_secret(step.stdout + step.summary, SECRETS)


def test_a_new_branch_is_judged_by_the_default_branchs_settings(project: Project) -> None:
    git(project.work, "checkout", "-q", "-b", "fresh", "main")
    head = project.commit(
        {
            ".binance-guard.toml": _allowlist(PUSHED_KEY),
            "keys.env": f"BINANCE_API_KEY={PUSHED_KEY}\n",
        },
        "keys, allowlisted",
    )
    project.push("fresh")
    payload = project.payload("push_new_branch", AFTER_SHA=head)
    data = json.loads(payload.read_text())
    data["ref"] = "refs/heads/fresh"
    payload.write_text(json.dumps(data))
    step = project.run_ci(
        project.checkout(head, "refs/heads/fresh"),
        "push",
        payload,
        sha=head,
        ref="refs/heads/fresh",
    )
    assert step.code == 1, step.explain()
    assert f"settings as the base commit has them ({project.base[:12]})" in step.stdout


def test_a_settings_file_that_is_a_link_at_base_is_an_error(project: Project) -> None:
    git(project.work, "checkout", "-q", "main")
    (project.work / ".binance-guard.toml").symlink_to("/etc/hostname")
    git(project.work, "add", ".binance-guard.toml")
    git(project.work, "commit", "-q", "--no-verify", "-m", "linked settings")
    git(project.work, "checkout", "-q", "feature")
    project.update_pull_request()
    step = project.run_pr(project.pr_checkout(), project.pr_payload())
    assert step.code == 2, step.explain()
    assert step.proc.stderr == (
        f"binance-guard: error: .binance-guard.toml in commit {project.base[:12]}: not a file\n"
    )


# --- inline allow comments ---------------------------------------------------------------------

INLINE_KEY, NEXTLINE_KEY, OLD_KEY = fake_key("inline"), fake_key("nextline"), fake_key("old")


def test_keys_a_pull_request_allows_inline_pass_and_are_shown(project: Project) -> None:
    """An allow comment the pull request writes is honoured (the developer's word, on the
    line) and shown: a warning on the line and a row in the job summary. One the base branch
    already had is not the pull request's doing, nor one in a path the base excludes."""
    git(project.work, "checkout", "-q", "main")
    project.commit(
        {
            "ops.env": f"BINANCE_API_KEY={OLD_KEY}  # gitleaks:allow\n",
            ".binance-guard.toml": 'exclude_paths = ["^docs/"]\n',
        },
        "old key",
    )
    git(project.work, "checkout", "-q", "-B", "feature", "main")
    inline = project.commit(
        {
            "sizing.py": f'api_key = "{INLINE_KEY}"  # binance, gitleaks:allow\n',
            "ops.env": f"BINANCE_API_KEY={OLD_KEY}  # gitleaks:allow\nSYMBOL=BTCUSDT\n",
            "docs/a.env": f"BINANCE_API_KEY={OLD_KEY}  # ggignore\n",
        },
        "sizing",
    )
    nextline = project.commit(
        {"bot.env": f"# pragma: allowlist nextline secret\nBINANCE_API_KEY={NEXTLINE_KEY}\n"},
        "bot",
    )
    project.update_pull_request()
    step = project.run_pr(project.pr_checkout(), project.pr_payload())
    assert step.code == 0, step.explain()
    assert step.outputs["findings"] == "0" and step.outputs["allowed-inline"] == "2"
    allowed = [a for a in step.annotations if "allowed inline in this change" in a]
    assert len(allowed) == 2, step.explain()
    assert allowed[0].startswith("::warning file=sizing.py,line=1,title=binance-guard%3A ")
    assert f"on a line {inline[:12]} marks allowed by an inline comment" in allowed[0]
    assert allowed[1].startswith("::warning file=bot.env,line=2,")
    assert "**Allowed by an inline comment this change writes (2):**" in step.summary
    assert f"| Binance API key | bot.env:2 | `{NEXTLINE_KEY[:4]}" in step.summary
    assert f"| {nextline[:12]} |" in step.summary
    for path in ("ops.env", "docs/a.env"):
        assert path not in step.summary and path not in "".join(step.annotations)
    assert_no_secret(step.stdout + step.summary, (*SECRETS, INLINE_KEY, NEXTLINE_KEY, OLD_KEY))
    # the control: the same change without its comments fails on both keys
    git(project.work, "checkout", "-q", "main")
    git(project.work, "checkout", "-q", "-B", "feature", "main")
    project.commit(
        {
            "sizing.py": f'api_key = "{INLINE_KEY}"  # binance\n',
            "bot.env": f"BINANCE_API_KEY={NEXTLINE_KEY}\n",
        },
        "unmarked",
    )
    project.update_pull_request()
    plain = project.run_pr(project.pr_checkout(), project.pr_payload())
    assert plain.code == 1 and plain.annotated_files() == {"sizing.py", "bot.env"}, plain.explain()


def test_a_file_too_large_to_scan_is_not_read_for_inline_comments(project: Project) -> None:
    """--max-bytes bounds what ci reads for allow comments as it bounds the scan (which calls
    the run incomplete): a change's large file is never read whole into memory."""
    git(project.work, "checkout", "-q", "-B", "feature", "main")
    line = f"BINANCE_API_KEY={INLINE_KEY}  # gitleaks:allow\n"
    project.commit({"big.env": line + "#\n" * 600, "small.env": line}, "big")
    project.update_pull_request()
    step = project.run_pr(project.pr_checkout(), project.pr_payload(), "--max-bytes", "1000")
    assert step.code == 2, step.explain()
    allowed = [a for a in step.annotations if "allowed inline in this change" in a]
    assert [a.split(",")[0] for a in allowed] == ["::warning file=small.env"], step.explain()
    assert "1 blob(s) over --max-bytes that may hold keys" in step.stdout
