"""`binance-guard ci` as GitHub Actions runs it: payloads shaped like GitHub's, checkouts made
the way actions/checkout makes them from a real ``origin``, the step's environment and files."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from binance_guard.finding import fingerprint
from testing.cli import run_cli
from testing.git_repo import drop_from_pack, git
from testing.github import (
    ALL_KEYS,
    PR_KEY,
    ROOT,
    ZERO,
    Origin,
    Project,
    Step,
    assert_no_secret,
    results,
    uri,
)
from testing.keys import fake_hex_key, fake_key

NEW_KEY, MERGE_KEY, FORCE_KEY = fake_key("gh-new"), fake_key("gh-merge"), fake_key("gh-force")
SECRETS = (*ALL_KEYS, NEW_KEY, MERGE_KEY, FORCE_KEY)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def _scanned(stdout: str) -> str:
    first = stdout.splitlines()[0]
    assert first.startswith("binance-guard: scanning "), stdout
    return first.removeprefix("binance-guard: scanning ")


# --- pull requests ---------------------------------------------------------------------------


def test_pull_request_opened_reports_the_prs_key_and_not_the_base_branchs(
    project: Project,
) -> None:
    sarif = project.tmp / "results.sarif"
    step = project.run_pr(project.pr_checkout(), project.pr_payload(), "--sarif-file", str(sarif))

    assert step.code == 1, step.explain()
    assert _scanned(step.stdout) == (
        f"pull request #7: 3 commit(s) from merge base {project.merge_base[:12]} "
        f"to head {project.head[:12]}"
    )
    # added and removed again inside the PR: the blob is still in the PR's history
    assert step.annotated_files() == {"pr.env"}
    assert "base.env" not in step.stdout and "later.env" not in step.stdout
    assert_no_secret(step.stdout + step.proc.stderr, SECRETS)

    (result,) = results(step.sarif)
    assert uri(result) == "pr.env"
    assert result["properties"]["commit"] == project.added
    assert result["properties"]["in_head"] is False
    provenance = step.sarif["runs"][0]["versionControlProvenance"][0]
    assert provenance == {
        "repositoryUri": "https://github.com/acme/trading-bot",
        "revisionId": project.head,
    }
    assert f"| high | Binance API key | pr.env:1 | `{PR_KEY[:4]}********{PR_KEY[-4:]}` |" in (
        step.summary
    )
    assert step.outputs == {"findings": "1", "allowed-inline": "0", "sarif-file": str(sarif)}


def test_pull_request_synchronize_scans_the_whole_pull_request(project: Project) -> None:
    """A new push to the PR: every commit from the merge base is judged again, so a key
    added by the new commits is reported along with the earlier one."""
    before = project.head
    new = project.commit({"sizing.py": f'api_key = "{NEW_KEY}"  # binance\n'}, "order sizing")
    project.update_pull_request()
    step = project.run_pr(project.pr_checkout(), project.pr_payload("synchronize", before))
    assert step.code == 1, step.explain()
    assert "pull request #7: 4 commit(s)" in _scanned(step.stdout)
    assert step.annotated_files() == {"pr.env", "sizing.py"}
    assert f"introduced in {new[:12]}" in step.stdout
    assert_no_secret(step.stdout, SECRETS)


def test_a_pull_request_editing_the_settings_is_flagged_where_reviewers_look(
    project: Project,
) -> None:
    """A change to the settings file is a warning on that file and a note in the job summary
    (a pull request that leaves it alone gets neither); the pull request's own allowlist entry
    applies once merged (tests/test_ci_settings.py)."""
    plain = project.run_pr(project.pr_checkout(), project.pr_payload())
    assert not any("settings changed" in a for a in plain.annotations)
    assert "edits .binance-guard.toml" not in plain.summary
    before = project.head
    project.commit(
        {
            ".binance-guard.toml": "[[allowlist.fingerprints]]\n"
            f'fingerprint = "{fingerprint(PR_KEY)}"\nreason = "a test key"\n'
        },
        "quiet the check",
    )
    project.update_pull_request()
    step = project.run_pr(project.pr_checkout(), project.pr_payload("synchronize", before))
    assert step.code == 1, step.explain()  # the base branch's settings judge it
    (warning,) = [a for a in step.annotations if a.startswith("::warning ")]
    assert warning.startswith(
        "::warning file=.binance-guard.toml,title=binance-guard%3A settings changed::"
    )
    assert "the edits apply once merged" in warning
    assert "**Note:** This change edits .binance-guard.toml" in step.summary
    assert_no_secret(step.stdout + step.summary, SECRETS)
    full = project.run_ci(  # the same commits as a full history: no change under review
        project.pr_checkout(),
        "workflow_dispatch",
        project.payload("workflow_dispatch"),
        sha=project.merge,
        ref="refs/heads/main",
    )
    assert "full history" in _scanned(full.stdout), full.explain()
    assert not any("settings changed" in a for a in full.annotations)


def test_only_the_base_branch_has_a_key(project: Project) -> None:
    git(project.work, "checkout", "-q", "-B", "feature", project.base_commit)
    project.commit({"bot.py": "print('clean')\n"}, "clean bot")
    project.update_pull_request()
    step = project.run_pr(project.pr_checkout(), project.pr_payload())
    assert step.code == 0, step.explain()
    assert "pull request #7: 1 commit(s)" in _scanned(step.stdout)
    assert step.annotations == []
    assert "No Binance credentials found." in step.summary
    assert step.outputs["findings"] == "0"


def test_key_added_in_a_merge_resolution_inside_the_pr(project: Project) -> None:
    """feature merges main (bringing LATER_KEY, not the PR's doing) and the conflict
    resolution adds a key of its own: only that one is the PR's."""
    before = project.head
    git(project.work, "checkout", "-q", "main")
    project.commit({"cfg.env": "LEVERAGE=1\n"}, "main: leverage 1")
    git(project.work, "checkout", "-q", "feature")
    project.commit({"cfg.env": "LEVERAGE=2\n"}, "feature: leverage 2")
    merged = git(project.work, "merge", "-q", "main", check=False)
    assert "CONFLICT" in merged
    (project.work / "cfg.env").write_text(f"LEVERAGE=2\nBINANCE_API_KEY={MERGE_KEY}\n")
    git(project.work, "add", "cfg.env")
    git(project.work, "commit", "-q", "--no-verify", "--no-edit")
    merge_commit = project.rev("HEAD")
    project.update_pull_request()

    step = project.run_pr(project.pr_checkout(), project.pr_payload("synchronize", before))
    assert step.code == 1, step.explain()
    # feature now contains main: the merge base is main's tip
    assert _scanned(step.stdout) == (
        f"pull request #7: 5 commit(s) from merge base {project.base[:12]} "
        f"to head {merge_commit[:12]}"
    )
    assert step.annotated_files() == {"cfg.env", "pr.env"}
    assert "file=cfg.env,line=2," in step.stdout
    assert f"introduced in {merge_commit[:12]}" in step.stdout
    assert "later.env" not in step.stdout and "base.env" not in step.stdout
    assert_no_secret(step.stdout, SECRETS)


def test_key_in_a_commit_message_of_the_pr(project: Project) -> None:
    before = project.head
    project.commit({"notes.md": "x\n"}, f"temporary: BINANCE_API_KEY={NEW_KEY}")
    project.update_pull_request()
    step = project.run_pr(project.pr_checkout(), project.pr_payload("synchronize", before))
    assert step.code == 1, step.explain()
    message = [a for a in step.annotations if "file=" not in a]
    assert len(message) == 1 and message[0].startswith("::error title=binance-guard%3A ")
    assert_no_secret(step.stdout, SECRETS)


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [("any", 1), ("low", 1), ("medium", 1), ("high", 1), ("critical", 1), ("never", 0)],
)
def test_fail_on_with_a_high_finding(project: Project, fail_on: str, code: int) -> None:
    step = project.run_pr(project.pr_checkout(), project.pr_payload(), "--fail-on", fail_on)
    assert step.code == code, step.explain()
    # the findings are reported whatever fails the step
    assert step.annotated_files() == {"pr.env"}
    assert step.outputs["findings"] == "1"


@pytest.mark.parametrize(("fail_on", "code"), [("any", 1), ("medium", 1), ("high", 0)])
def test_fail_on_with_a_medium_finding(tmp_path: Path, fail_on: str, code: int) -> None:
    origin = Origin(tmp_path)
    hex_key = fake_hex_key("gh-medium")
    head = origin.commit({"exchange.py": f'exchange = "binance"\n\napi_key = "{hex_key}"\n'})
    origin.push("main")
    checkout = origin.checkout(head, "refs/heads/main")
    payload = origin.payload("workflow_dispatch")
    step = origin.run_ci(
        checkout,
        "workflow_dispatch",
        payload,
        "--fail-on",
        fail_on,
        sha=head,
        ref="refs/heads/main",
    )
    assert step.code == code, step.explain()
    assert "| medium | Binance API key | exchange.py:3 |" in step.summary


# --- shallow checkouts -----------------------------------------------------------------------


def test_shallow_clone_of_the_pr_head_is_deepened(project: Project) -> None:
    checkout = project.clone("--depth", "1", "--branch", "feature")
    assert git(checkout, "rev-parse", "--is-shallow-repository").strip() == "true"
    step = project.run_pr(checkout, project.pr_payload())
    assert step.code == 1, step.explain()
    assert "note: shallow checkout: fetched the full history to find the merge base" in (
        step.stdout
    )
    assert f"from merge base {project.merge_base[:12]}" in step.stdout
    assert step.annotated_files() == {"pr.env"}


def test_default_actions_checkout_of_the_merge_ref(project: Project) -> None:
    """fetch-depth 1 of refs/pull/7/merge: neither the base nor the head commit is there."""
    checkout = project.pr_checkout(fetch_depth=1)
    step = project.run_pr(checkout, project.pr_payload())
    assert step.code == 1, step.explain()
    assert "note: fetched 2 missing commit(s) from origin" in step.stdout
    assert "pull request #7: 3 commit(s)" in _scanned(step.stdout)
    assert step.annotated_files() == {"pr.env"}


@pytest.mark.parametrize("origin_state", ["removed", "unreachable"])
def test_shallow_checkout_without_origin_asks_for_fetch_depth_0(
    project: Project, origin_state: str
) -> None:
    checkout = project.clone("--depth", "1", "--branch", "feature")
    if origin_state == "removed":
        git(checkout, "remote", "remove", "origin")
    else:
        git(checkout, "remote", "set-url", "origin", f"file://{project.tmp}/gone.git")
    sarif = project.tmp / "results.sarif"
    step = project.run_pr(checkout, project.pr_payload(), "--sarif-file", str(sarif))
    assert step.code == 2, step.explain()
    assert "fetch-depth: 0" in step.proc.stderr
    assert step.proc.stderr.startswith("binance-guard: error: ")
    assert "Traceback" not in step.proc.stderr


# --- pushes ----------------------------------------------------------------------------------


def test_push_to_an_existing_branch_scans_before_to_after(project: Project) -> None:
    before = project.head
    project.commit({"sizing.py": "SIZE = 0.01\n"}, "order sizing")
    after = project.commit({"keys.env": f"BINANCE_API_KEY={NEW_KEY}\n"}, "keys")
    project.push("feature")
    payload = project.payload("push_existing_branch", BEFORE_SHA=before, AFTER_SHA=after)
    for depth in (0, 1):
        checkout = project.checkout(after, "refs/heads/feature", fetch_depth=depth)
        step = project.run_push(checkout, payload, after=after)
        assert step.code == 1, step.explain()
        assert f"push: 2 commit(s) {before[:12]}..{after[:12]}" in _scanned(step.stdout)
        # PR_KEY was pushed before `before`: an earlier run reported it
        assert step.annotated_files() == {"keys.env"}


def test_clean_push_to_an_existing_branch(project: Project) -> None:
    before = project.head
    after = project.commit({"sizing.py": "SIZE = 0.01\n"}, "order sizing")
    project.push("feature")
    payload = project.payload("push_existing_branch", BEFORE_SHA=before, AFTER_SHA=after)
    sarif = project.tmp / "clean.sarif"
    step = project.run_push(
        project.checkout(after, "refs/heads/feature"),
        payload,
        "--sarif-file",
        str(sarif),
        after=after,
    )
    assert step.code == 0, step.explain()
    assert step.annotations == []
    assert results(step.sarif) == []
    assert step.outputs == {"findings": "0", "allowed-inline": "0", "sarif-file": str(sarif)}


def test_push_creating_a_branch_compares_with_the_default_branch(project: Project) -> None:
    payload = project.payload("push_new_branch", AFTER_SHA=project.head)
    step = project.run_push(
        project.checkout(project.head, "refs/heads/feature"), payload, after=project.head
    )
    assert step.code == 1, step.explain()
    assert _scanned(step.stdout) == (
        f"new branch feature: commits not on main (3 commit(s) up to {project.head[:12]})"
    )
    assert step.annotated_files() == {"pr.env"}


def test_a_branch_named_after_the_key_it_brings_is_masked(project: Project) -> None:
    """The range's description names the pushed ref: in the log and the job summary it is
    masked like the findings."""
    branch = f"leak-{PR_KEY}"
    git(project.work, "checkout", "-q", "-b", branch, project.added)
    project.push(branch)
    payload = _rewrite(
        project.payload("push_new_branch", AFTER_SHA=project.added),
        lambda data: data.update(ref=f"refs/heads/{branch}"),
    )
    step = project.run_ci(
        project.checkout(project.added, f"refs/heads/{branch}"),
        "push",
        payload,
        sha=project.added,
        ref=f"refs/heads/{branch}",
    )
    assert step.code == 1, step.explain()
    assert _scanned(step.stdout).startswith("new branch leak-********: commits not on main")
    assert "new branch leak-\\*\\*\\*" in step.summary
    assert_no_secret(step.stdout + step.summary + step.proc.stderr, SECRETS)


def test_push_creating_a_branch_from_a_default_shallow_checkout(project: Project) -> None:
    payload = project.payload("push_new_branch", AFTER_SHA=project.head)
    checkout = project.checkout(project.head, "refs/heads/feature", fetch_depth=1)
    step = project.run_push(checkout, payload, after=project.head)
    assert step.annotated_files() == {"pr.env"}, step.explain()


def _force_push(project: Project) -> tuple[str, str]:
    """Rewrite feature: drop its commits, start again from the branch point with a new key."""
    old = project.head
    git(project.work, "checkout", "-q", "-B", "feature", project.merge_base)
    new = project.commit({"bot.py": f'API_KEY = "{FORCE_KEY}"  # binance\n'}, "rewrite")
    project.push("+feature")
    return old, new


def test_force_push_with_the_old_tip_still_on_the_server(project: Project) -> None:
    old, new = _force_push(project)
    payload = project.payload("push_force", BEFORE_SHA=old, AFTER_SHA=new)
    step = project.run_push(project.checkout(new, "refs/heads/feature"), payload, after=new)
    assert step.code == 1, step.explain()
    assert "push (force push): 1 commit(s)" in _scanned(step.stdout)
    assert step.annotated_files() == {"bot.py"}


def test_force_push_with_the_old_tip_gone(project: Project) -> None:
    _, new = _force_push(project)
    gone = "1234567890abcdef1234567890abcdef12345678"
    payload = project.payload("push_force", BEFORE_SHA=gone, AFTER_SHA=new)
    step = project.run_push(project.checkout(new, "refs/heads/feature"), payload, after=new)
    assert step.code == 1, step.explain()
    assert "note: old tip 1234567890ab unavailable (force push?)" in step.stdout
    assert _scanned(step.stdout) == (
        f"new branch feature: commits not on main (1 commit(s) up to {new[:12]})"
    )
    assert step.annotated_files() == {"bot.py"}


def test_force_push_with_the_old_tip_gone_in_a_default_shallow_checkout(
    project: Project,
) -> None:
    _, new = _force_push(project)
    gone = "1234567890abcdef1234567890abcdef12345678"
    payload = project.payload("push_force", BEFORE_SHA=gone, AFTER_SHA=new)
    checkout = project.checkout(new, "refs/heads/feature", fetch_depth=1)
    step = project.run_push(checkout, payload, after=new)
    assert step.annotated_files() == {"bot.py"}, step.explain()


def test_branch_deletion_has_nothing_to_scan(project: Project) -> None:
    payload = project.payload("push_delete_branch", BEFORE_SHA=project.head)
    checkout = project.checkout(project.base, "refs/heads/main")
    sarif = project.tmp / "deleted.sarif"
    step = project.run_ci(
        checkout,
        "push",
        payload,
        "--sarif-file",
        str(sarif),
        sha=project.base,
        ref="refs/heads/feature",
    )
    assert step.code == 0, step.explain()
    assert _scanned(step.stdout) == "push deleted refs/heads/feature: nothing to scan"
    assert results(step.sarif) == []
    assert step.outputs["findings"] == "0"
    assert "No Binance credentials found." in step.summary


def test_workflow_dispatch_scans_the_full_history(project: Project) -> None:
    payload = project.payload("workflow_dispatch")
    checkout = project.checkout(project.base, "refs/heads/main")
    step = project.run_ci(
        checkout, "workflow_dispatch", payload, sha=project.base, ref="refs/heads/main"
    )
    assert step.code == 1, step.explain()
    assert _scanned(step.stdout) == (
        f"event 'workflow_dispatch' has no commit range: full history of {project.base[:12]} "
        "(3 commit(s))"
    )
    assert step.annotated_files() == {"base.env", "later.env"}
    assert_no_secret(step.stdout, SECRETS)


def test_unreadable_event_payload_is_an_error(project: Project) -> None:
    broken = project.tmp / "broken.json"
    broken.write_text("{not json")
    step = project.run_pr(project.pr_checkout(), broken)
    assert step.code == 2
    assert "cannot read the event payload" in step.proc.stderr


# --- step summary and outputs ----------------------------------------------------------------


def test_summary_and_outputs_are_appended_to(project: Project) -> None:
    earlier_summary = "## tests\n\nall green\n"
    earlier_outputs = "coverage=93\n"
    step = project.run_pr(
        project.pr_checkout(),
        project.pr_payload(),
        summary_before=earlier_summary,
        outputs_before=earlier_outputs,
    )
    assert step.summary.startswith(earlier_summary + "## binance-guard\n")
    assert (
        f"Scanned: pull request #7: 3 commit(s) from merge base {project.merge_base[:12]}"
        in step.summary
    )
    assert "| severity | type | location | value | commit |" in step.summary
    assert f"| {project.added[:12]} |" in step.summary
    assert step.outputs == {
        "coverage": "93",
        "findings": "1",
        "allowed-inline": "0",
        "sarif-file": "",
    }
    assert_no_secret(step.summary, SECRETS)


# --- the action --------------------------------------------------------------------------------


def _action() -> dict[str, Any]:
    action: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return action


def _scan_step() -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in _action()["runs"]["steps"] if s.get("id") == "scan")
    return step


def test_action_is_a_composite_running_binance_guard_ci() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    assert {
        "fail-on",
        "min-confidence",
        "exclude-files",
        "baseline",
        "config",
        "verify",
        "allow-incomplete",
        "sarif-file",
    } <= set(action["inputs"])
    assert "args" not in action["inputs"]  # typed inputs, no free string to split
    assert {"findings", "allowed-inline", "sarif-file"} <= set(action["outputs"])
    for name in ("findings", "allowed-inline", "sarif-file"):
        assert action["outputs"][name]["value"] == f"${{{{ steps.scan.outputs.{name} }}}}"
    assert action["inputs"]["fail-on"]["default"] == "any"
    script = _scan_step()["run"]
    assert "binance-guard" in script and "args=(ci " in script
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
        if "uses" in step:
            assert len(step["uses"].split("@")[1]) == 40  # pinned by commit, not a tag


def test_readme_workflow_names_every_input_of_the_action() -> None:
    """The README's workflow (its commented lines too) and action.yml agree on the inputs."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"uses: binance-guard/binance-guard@.*?\n(.*?)\n      - uses:", readme, re.S)
    assert block is not None
    documented = set(re.findall(r"^ {10}(?:# )?([a-z-]+):", block.group(1), re.M))
    assert documented == set(_action()["inputs"]), documented ^ set(_action()["inputs"])


def _run_action(
    project: Project,
    checkout: Path,
    payload: Path,
    program: Path = Path(sys.executable).parent / "binance-guard",
    **inputs: str,
) -> Step:
    """The action's scan step, run by bash as the runner runs it: inputs through its env,
    ``program`` (binance-guard) from the venv the install step makes under $RUNNER_TEMP."""
    step = _scan_step()
    action = _action()
    env: dict[str, str] = {}
    for name, expression in step["env"].items():
        key = expression.removeprefix("${{ inputs.").removesuffix(" }}")
        assert key in action["inputs"], expression
        env[name] = inputs.get(key.replace("-", "_"), str(action["inputs"][key]["default"]))
    runner_temp = project.tmp / f"runner-temp-{len(list(project.tmp.iterdir()))}"
    installed = runner_temp / "binance-guard" / "bin"
    installed.mkdir(parents=True)
    (installed / "binance-guard").symlink_to(program)
    return project.run_ci(
        checkout,
        "pull_request",
        payload,
        sha=project.merge,
        ref="refs/pull/7/merge",
        head_ref="feature",
        base_ref="main",
        script=step["run"],
        script_env={**env, "RUNNER_TEMP": str(runner_temp)},
    )


def test_action_scan_step_with_its_defaults(project: Project) -> None:
    checkout = project.pr_checkout()
    step = _run_action(project, checkout, project.pr_payload())
    assert step.code == 1, step.explain()
    assert step.annotated_files() == {"pr.env"}
    assert step.outputs == {
        "findings": "1",
        "allowed-inline": "0",
        "sarif-file": "binance-guard.sarif",
    }
    assert [uri(r) for r in results(step.sarif)] == ["pr.env"]


def test_action_scan_step_with_inputs(project: Project) -> None:
    checkout = project.pr_checkout()
    never = _run_action(project, checkout, project.pr_payload(), fail_on="never")
    assert never.code == 0, never.explain()
    assert never.outputs["findings"] == "1"
    excluded = _run_action(
        project,
        checkout,
        project.pr_payload(),
        sarif_file="bg.sarif",
        exclude_files="^docs/\n^pr\\.env$\n",
        min_confidence="high",
    )
    assert excluded.code == 0, excluded.explain()
    assert excluded.outputs == {"findings": "0", "allowed-inline": "0", "sarif-file": "bg.sarif"}
    assert results(excluded.sarif) == []


def test_action_baseline_input_accepts_known_keys(project: Project) -> None:
    """A detect-secrets baseline written when the key was accepted (say, a revoked one)."""
    accepted = project.clone()
    git(accepted, "checkout", "-q", project.added)
    baseline = project.tmp / "accepted.baseline"
    written = run_cli("scan", "--write-baseline", str(baseline), cwd=accepted)
    assert written.returncode == 0, written.stderr
    step = _run_action(project, project.pr_checkout(), project.pr_payload(), baseline=str(baseline))
    assert step.code == 0, step.explain()
    assert step.outputs["findings"] == "0" and step.annotations == []


# --- hostile payloads ------------------------------------------------------------------------


def _rewrite(payload: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    data = json.loads(payload.read_text())
    change(data)
    payload.write_text(json.dumps(data))
    return payload


def _fails_cleanly(step: Step, message: str) -> None:
    assert step.code == 2, step.explain()
    assert step.proc.stderr.startswith("binance-guard: error: "), step.explain()
    assert message in step.proc.stderr and len(step.proc.stderr.splitlines()) == 1
    assert "internal error" not in step.proc.stderr


@pytest.mark.parametrize(
    ("event", "field"),
    [("push", "after"), ("push", "before"), ("pull_request", "head"), ("pull_request", "base")],
)
def test_a_payload_commit_that_is_an_option_never_reaches_git(
    project: Project, event: str, field: str
) -> None:
    marker = project.tmp / "pwned"
    exploit = f"--upload-pack=touch {marker};true"
    checkout = project.checkout(project.head, "refs/heads/feature", fetch_depth=1)
    # The control: handed to `git fetch` as the payload value once was, it runs the command.
    git(checkout, "fetch", "--quiet", "origin", exploit, check=False)
    assert marker.exists()
    marker.unlink()

    if event == "push":
        payload = project.payload(
            "push_existing_branch", BEFORE_SHA=project.added, AFTER_SHA=project.head
        )
        step = project.run_push(
            checkout, _rewrite(payload, lambda d: d.update({field: exploit})), after=project.head
        )
    else:
        payload = _rewrite(
            project.pr_payload(), lambda d: d["pull_request"][field].update(sha=exploit)
        )
        step = project.run_pr(checkout, payload)
    _fails_cleanly(step, "is not a commit id")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("event", "content", "message"),
    [
        ("pull_request", {"pull_request": {}}, "pull_request.base.sha is missing"),
        ("pull_request", {"pull_request": None}, "pull_request.base.sha is missing"),
        ("pull_request", {"pull_request": {"base": {"sha": 5}}}, "base.sha is not a commit id"),
        ("pull_request", [1, 2], "not a JSON object"),
        ("push", "after", "not a JSON object"),
        ("push", {"after": 5}, "after is not a commit id"),
        ("push", {"after": ["a"] * 40}, "after is not a commit id"),
        ("push", {"after": "A" * 40}, "after is not a commit id"),
        ("push", {"after": "__HEAD__", "before": None}, "before is missing"),
        ("push", {"after": "__HEAD__", "ref": "refs/heads/a b"}, "ref is not a valid git ref"),
        ("push", {"after": "__HEAD__", "ref": ["x"]}, "ref is not a valid git ref"),
        (
            "push",
            {"after": "__HEAD__", "before": ZERO, "repository": {"default_branch": "-x"}},
            "repository.default_branch is not a valid git ref",
        ),
        ("push", "[" * 100_000, "cannot read the event payload"),
    ],
)
def test_malformed_payloads_are_one_line_errors(
    project: Project, event: str, content: object, message: str
) -> None:
    payload = project.tmp / "event.json"
    text = content if isinstance(content, str) and content != "after" else json.dumps(content)
    payload.write_text(text.replace("__HEAD__", project.head))
    step = project.run_ci(
        project.pr_checkout(), event, payload, sha=project.merge, ref="refs/heads/feature"
    )
    _fails_cleanly(step, message)


def test_a_github_sha_that_is_not_a_commit_id_is_an_error(project: Project) -> None:
    checkout = project.checkout(project.base, "refs/heads/main")
    payload = project.payload("workflow_dispatch")
    step = project.run_ci(
        checkout, "workflow_dispatch", payload, sha="--all", ref="refs/heads/main"
    )
    _fails_cleanly(step, "GITHUB_SHA is not a commit id")


def test_action_inputs_reach_the_command_intact(project: Project, tmp_path: Path) -> None:
    """Spaces, quotes and glob characters in inputs are neither split nor expanded: each
    input is one argument, each exclude-files line one pattern."""
    argv_file = tmp_path / "argv.json"
    recorder = tmp_path / "record-argv"
    recorder.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(argv_file)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
    )
    recorder.chmod(0o755)
    checkout = project.pr_checkout()
    (checkout / "tests").mkdir(exist_ok=True)
    (checkout / "tests" / "match-me.py").write_text("\n")  # what an unquoted glob would find
    patterns = ["tests/.*", '^my docs/it\'s "quoted"$', "*.env", "  padded  "]
    step = _run_action(
        project,
        checkout,
        project.pr_payload(),
        program=recorder,
        exclude_files="\n".join(patterns) + "\n",
        exclude_lines="# it's *\n\n$(whoami)\n",
        baseline="my baselines/$HOME *.json",
        config="conf dir/it's.toml",
        min_confidence="high",
        fail_on="critical",
        settings_from="head",
        sarif_file="out dir/[a].sarif",
        allow_incomplete="true",
    )
    assert step.code == 0, step.explain()
    argv = json.loads(argv_file.read_text())
    assert argv == [
        "ci",
        "--sarif-file",
        "out dir/[a].sarif",
        "--fail-on",
        "critical",
        "--settings-from",
        "head",
        "--min-confidence",
        "high",
        "--baseline",
        "my baselines/$HOME *.json",
        "--config",
        "conf dir/it's.toml",
        "--allow-incomplete",
        *[arg for p in patterns for arg in ("--exclude-files", p)],
        *("--exclude-lines", "# it's *", "--exclude-lines", "$(whoami)"),
    ]


def test_action_refuses_a_verify_input_that_is_not_a_boolean(project: Project) -> None:
    step = _run_action(project, project.pr_checkout(), project.pr_payload(), verify="yes")
    assert step.code == 2 and "verify input must be true or false" in step.proc.stdout


def test_an_incomplete_run_is_not_summarised_as_clean(tmp_path: Path) -> None:
    """An object the checkout cannot give (lost from its object store): the step fails with
    exit 2, and neither the job summary nor the annotations look like a clean run."""
    origin = Origin(tmp_path)
    origin.commit({"settings.env": "BINANCE_API_KEY=${FROM_VAULT}\n"}, "settings")
    head = origin.commit({"settings.env": "BINANCE_API_KEY=${FROM_ENV}\n"}, "settings again")
    origin.push("main")
    checkout = origin.checkout(head, "refs/heads/main")
    drop_from_pack(checkout, git(checkout, "rev-parse", "HEAD~1:settings.env").strip())
    step = origin.run_ci(
        checkout,
        "workflow_dispatch",
        origin.payload("workflow_dispatch"),
        sha=head,
        ref="refs/heads/main",
    )
    assert step.code == 2, step.explain()
    assert ":white_check_mark:" not in step.summary
    assert "**INCOMPLETE: not everything was looked at" in step.summary
    assert "1 object(s) missing or lost" in step.summary
    assert step.annotations == [
        "::error title=binance-guard%3A incomplete scan::INCOMPLETE: not everything was looked "
        "at (exit 2 unless --allow-incomplete): 1 object(s) missing or lost"
    ]
