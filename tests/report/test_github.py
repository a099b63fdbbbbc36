"""GitHub Actions output of `binance-guard ci`: workflow-command annotations, the job summary
and the step outputs, read from the files and the log a runner would have."""

from __future__ import annotations

from pathlib import Path

from testing.github import Origin, Step, assert_no_secret
from testing.keys import fake_key

KEY, OTHER = fake_key("github-key"), fake_key("github-other")
REDACTED = f"{KEY[:4]}********{KEY[-4:]}"
TITLE = "title=binance-guard%3A Binance API key"


def _dispatch(
    tmp_path: Path,
    files: dict[str, str],
    *args: str,
    summary_before: str = "",
    outputs_before: str = "",
) -> Step:
    """Commit FILES to main on origin and run ci for a workflow_dispatch of main."""
    origin = Origin(tmp_path)
    origin.commit({"README.md": "# bot\n"}, "readme")
    head = origin.commit(files, "add files") if files else origin.rev("HEAD")
    origin.push("main")
    checkout = origin.checkout(head, "refs/heads/main")
    payload = origin.payload("workflow_dispatch")
    step = origin.run_ci(
        checkout,
        "workflow_dispatch",
        payload,
        *args,
        sha=head,
        ref="refs/heads/main",
        summary_before=summary_before,
        outputs_before=outputs_before,
    )
    assert step.code in (0, 1), step.explain()
    assert_no_secret(step.stdout + step.proc.stderr + step.summary, (KEY, OTHER))
    return step


def test_annotation_properties_are_escaped(tmp_path: Path) -> None:
    step = _dispatch(
        tmp_path,
        {
            "conf,prod:1%.env": f"BINANCE_API_KEY={KEY}\n",
            "new\nline.env": f"BINANCE_API_KEY={OTHER}\n",
        },
    )
    assert step.code == 1
    assert len(step.annotations) == 2 == int(step.outputs["findings"])
    prefixes = {a.split("::")[1] for a in step.annotations}
    assert prefixes == {
        f"error file=conf%2Cprod%3A1%25.env,line=1,col=17,{TITLE}",
        f"error file=new%0Aline.env,line=1,col=17,{TITLE}",
    }
    # nothing after the file property could be read as another command on a line of its own
    assert not [line for line in step.stdout.splitlines() if line.startswith("line.env")]


def test_annotation_message(tmp_path: Path) -> None:
    origin_step = _dispatch(tmp_path, {"deploy/bot.env": f"\n\nBINANCE_API_KEY={KEY}\n"})
    (annotation,) = origin_step.annotations
    command, properties, message = annotation.split("::", 2)[0:3]
    assert command == ""
    assert properties == f"error file=deploy/bot.env,line=3,col=17,{TITLE}"
    assert message.startswith(f"Binance API key {REDACTED} (high) introduced in ")
    assert "Delete it in Binance API Management first" in message
    assert "\n" not in message and "\r" not in message


def test_low_severity_findings_are_warnings(tmp_path: Path) -> None:
    step = _dispatch(tmp_path, {"util.py": f'api_key = "{KEY}"\n'}, "--min-confidence", "low")
    (annotation,) = step.annotations
    assert annotation.startswith(f"::warning file=util.py,line=1,col=12,{TITLE}::")
    assert f"{REDACTED} (low)" in annotation


def test_a_real_path_starting_with_a_parenthesis_keeps_its_location(tmp_path: Path) -> None:
    step = _dispatch(tmp_path, {"(old)/bot.env": f"BINANCE_API_KEY={KEY}\n"})
    (annotation,) = step.annotations
    assert annotation.startswith(f"::error file=(old)/bot.env,line=1,col=17,{TITLE}::")


def test_job_summary_table(tmp_path: Path) -> None:
    step = _dispatch(
        tmp_path,
        {"a|b.env": f"BINANCE_API_KEY={KEY}\n", "new\nline.env": f"BINANCE_API_KEY={OTHER}\n"},
        summary_before="## lint\n\nok\n",
    )
    head = step.annotations[0].rsplit("introduced in ", 1)[1][:12]
    other = f"{OTHER[:4]}********{OTHER[-4:]}"
    lines = step.summary.splitlines()
    assert lines[:4] == ["## lint", "", "ok", "## binance-guard"]
    assert lines[5].startswith("Scanned: event 'workflow\\_dispatch' has no commit range: ")
    assert lines[7].startswith("**2 Binance credential(s) found.**")
    assert lines[9:] == [
        "| severity | type | location | value | commit |",
        "| --- | --- | --- | --- | --- |",
        # literal text: | escaped, the newline shown as \n (its backslash escaped)
        f"| high | Binance API key | a\\|b.env:1 | `{REDACTED}` | {head} |",
        f"| high | Binance API key | new\\\\nline.env:1 | `{other}` | {head} |",
    ]


def test_clean_run_summary_and_outputs(tmp_path: Path) -> None:
    step = _dispatch(tmp_path, {"bot.py": "import os\n"}, outputs_before="lint=ok\n")
    assert step.code == 0 and step.annotations == []
    assert step.summary.endswith("No Binance credentials found. :white_check_mark:\n")
    assert step.outputs == {"lint": "ok", "findings": "0", "allowed-inline": "0", "sarif-file": ""}


def test_outputs_name_the_sarif_file(tmp_path: Path) -> None:
    sarif = tmp_path / "reports" / "binance-guard.sarif"
    sarif.parent.mkdir()
    step = _dispatch(tmp_path, {"bot.env": f"BINANCE_API_KEY={KEY}\n"}, "--sarif-file", str(sarif))
    assert step.outputs == {"findings": "1", "allowed-inline": "0", "sarif-file": str(sarif)}
    assert step.sarif_text is not None


def test_annotations_are_capped_and_the_summary_counts_the_rest(tmp_path: Path) -> None:
    """GitHub shows 10 annotations per step: the 11th onwards are counted, not dropped."""
    files = {f"keys/{n:02}.env": f"BINANCE_API_KEY={fake_key(f'cap-{n}')}\n" for n in range(13)}
    step = _dispatch(tmp_path, files)
    assert step.code == 1
    assert len(step.annotations) == 10
    assert "13 Binance credential(s) found" in step.summary
    assert "3 more are not" in step.summary
    assert step.summary.count("keys/") == 13  # every finding is in the table
    assert step.outputs["findings"] == "13"
