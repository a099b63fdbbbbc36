"""Hostile and odd input: whatever a repository, a file name or a payload holds, a run ends
with exit 0 (clean), 1 (findings) or 2 (one line `binance-guard: error: ...`), never a
traceback. Real files, real git, the real command line in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from binance_guard import commands
from binance_guard.commands import scan as scan_command
from testing import hostile
from testing.cli import environ, run_cli
from testing.git_repo import commit, git, make_repo
from testing.github import (
    assert_no_secret,
    parse_outputs,
    results,
    validate_sarif,
    workflow_commands,
)
from testing.hostile import RAW_CONTROL
from testing.keys import fake_key

KEY = fake_key("hostile-key")
LINE = f"BINANCE_API_KEY={KEY}\n"
NOT_UTF8 = os.fsdecode(b"caf\xe9\xff.env")


def _one_line_error(stderr: str) -> None:
    assert stderr.startswith("binance-guard: error: ") and len(stderr.splitlines()) == 1, stderr
    assert "internal error" not in stderr


DEPTH = 1100  # deeper than Python's default recursion limit (1000)


def _nest(top: Path, leaf: str, content: str) -> None:
    """top/d/d/.../d/leaf, made with relative steps: the full path soon exceeds PATH_MAX."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(DEPTH):
            os.mkdir("d", dir_fd=fd)
            fd, parent = os.open("d", os.O_RDONLY, dir_fd=fd), fd
            os.close(parent)
        with open(os.open(leaf, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as handle:
            handle.write(content)
    finally:
        os.close(fd)


def _unnest(top: Path, leaf: str) -> None:
    """Remove what _nest made, deepest first (shutil.rmtree recurses, and pytest's cleanup
    of tmp_path uses it)."""
    fds = [os.open(top, os.O_RDONLY)]
    for _ in range(DEPTH):
        fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
    os.unlink(leaf, dir_fd=fds[-1])
    while len(fds) > 1:
        os.close(fds.pop())
        os.rmdir("d", dir_fd=fds[-1])
    os.close(fds[0])


def test_directories_nested_deeper_than_the_recursion_limit() -> None:
    # Not under tmp_path: pytest removes old temporary directories with shutil.rmtree,
    # which recurses too, and would fail in every later session if this one were killed.
    top = Path(tempfile.mkdtemp(prefix="binance-guard-deep-"))
    (top / "deep").mkdir()
    _nest(top / "deep", "k.env", LINE)
    try:
        for args in (("deep",), ("--all-files", "deep")):
            proc = run_cli("scan", "--format", "json", *args, cwd=top)
            assert proc.returncode == 1, proc.stderr
            (finding,) = json.loads(proc.stdout)["findings"]
            assert finding["path"] == "deep/" + "d/" * DEPTH + "k.env"
            assert KEY not in proc.stdout
    finally:
        _unnest(top / "deep", "k.env")
        (top / "deep").rmdir()
        top.rmdir()


def test_a_file_name_that_is_not_utf8_in_sarif(repo: Path) -> None:
    commit(repo, {NOT_UTF8: LINE})
    proc = run_cli("scan", "--format", "sarif", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    (result,) = results(validate_sarif(proc.stdout, [KEY]))
    # the file's own bytes, percent-encoded
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "caf%E9%FF.env"
    )


def test_every_git_value_after_end_of_options(repo: Path) -> None:
    """A revision named like an option is a revision, not an option."""
    commit(repo, {"a.env": LINE})
    git(repo, "branch", "feature")
    found = run_cli("history", "--no-progress", "--rev", "feature", cwd=repo)
    assert found.returncode == 1, found.stderr
    proc = run_cli("history", "--no-progress", "--rev=--output=x", cwd=repo)
    _one_line_error(proc.stderr)
    assert proc.returncode == 2 and not (repo / "x").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("audit", "--api-key", KEY), "unrecognized arguments: --api-key"),
        (("scan", "--max-bytes", KEY), "argument --max-bytes: not a whole number"),
        (("history", "--min-confidence", KEY), "argument --min-confidence: invalid choice"),
        ((KEY,), "argument COMMAND: invalid choice"),
        (("scan", "--format", "\x1b]0;owned\x07"), "argument --format: invalid choice"),
        (("hook", "--max-bytes"), "argument --max-bytes: expected one argument"),
    ],
)
def test_a_bad_command_line_is_one_line_without_the_key(
    tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    """A key typed where an option was expected (audit reads its key from the environment,
    and --api-key is a natural guess) is not repeated in full in the error, which CI logs
    keep; the message is one line, escaped, like every other error."""
    code, out, err = _bg(*args, cwd=tmp_path)
    assert code == 2 and out == ""
    _one_line_error(err)
    assert words in err
    _no_secret(err)
    _safe_for_a_terminal(err)


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        ("scan -", 2, "(standard input): unreadable: standard input is closed"),
        ("pre-push origin file:///elsewhere", 2, "error: standard input is closed"),
        ("scrub", 1, "dry run: nothing was changed"),
    ],
)
def test_a_closed_standard_input(repo: Path, args: str, code: int, words: str) -> None:
    """Started with fd 0 closed (``<&-``) Python has no sys.stdin: an unreadable input,
    a usage error, or no one to ask; it was an internal error."""
    commit(repo, {"a.env": LINE})
    proc = subprocess.run(
        ["bash", "-c", f'"$0" -m binance_guard {args} <&-', sys.executable],
        cwd=repo,
        env=environ(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert words in proc.stdout + proc.stderr
    assert "internal error" not in proc.stderr and KEY not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("link", "args"),
    [
        ("report.json", ("scan", "--format", "json", "--output", "report.json", ".")),
        (".secrets.baseline", ("scan", "--write-baseline", ".secrets.baseline", ".")),
        (".binance-guard/detect_secrets_plugin.py", ("scan", "--write-baseline", "b.json", ".")),
        ("binance-guard.sarif", ("ci", "--sarif-file", "binance-guard.sarif")),
    ],
)
def test_an_output_that_is_a_link_in_the_repository_is_not_written_through(
    repo: Path, tmp_path: Path, link: str, args: tuple[str, ...]
) -> None:
    """The repository's links are its author's: the Action's default binance-guard.sarif,
    committed as a link, made ci overwrite whatever file of the runner it named."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    commit(repo, {"a.env": LINE})
    (repo / link).parent.mkdir(exist_ok=True)
    (repo / link).symlink_to(victim)
    code, out, err = _bg(*args, cwd=repo, env={"GITHUB_EVENT_NAME": "workflow_dispatch"})
    assert code == 2, out + err
    assert f"{link} is a symbolic link" in err and "internal error" not in err
    assert victim.read_text() == "precious\n" and KEY not in out + err


def test_a_bug_is_still_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise ValueError(f"quoting the input: {KEY}")

    monkeypatch.setattr(scan_command, "run", broken)
    assert commands.run(["scan", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("binance-guard: error: internal error: ValueError at ")
    assert len(err.splitlines()) == 1 and KEY not in err


# --- property-based: hostile names, contents, messages and authors, every output ----------

NAME_KEY, NAME_SECRET = fake_key("hostile-name-key"), fake_key("hostile-name-secret")
MESSAGE_KEY = fake_key("hostile-message")
SECRETS = (KEY, NAME_KEY, NAME_SECRET, MESSAGE_KEY)
# A key used as a name: the secret's reason once said "assigned to '<key>'" in full.
BOT = f'import binance\nKEYS = {{"{NAME_KEY}": "{NAME_SECRET}"}}\n'
# Each example runs the CLI several times on a new repository: few examples, many shapes each
# (the strategies put several hostile sequences in every name, content and message).
FEW = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _bg(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The CLI, its output read as a terminal or a runner would get the bytes."""
    proc = subprocess.run(
        [sys.executable, "-m", "binance_guard", *args],
        cwd=cwd,
        env=environ(env),
        capture_output=True,
        check=False,
    )
    out, err = (b.decode("utf-8", "surrogateescape") for b in (proc.stdout, proc.stderr))
    return proc.returncode, out, err


def _safe_for_a_terminal(output: str) -> None:
    """Lines, and inside them no control character, escape sequence or bidi override, and
    nothing a GitHub runner would execute (its log is a terminal too)."""
    raw = RAW_CONTROL.search(output.replace("\n", ""))
    assert raw is None, f"raw {raw.group()!r} in output: {output[:2000]!r}"
    assert workflow_commands(output) == []


def _no_secret(*outputs: str) -> None:
    assert_no_secret("\n".join(outputs), SECRETS)


def _hostile_repo(top: Path, name: bytes, content: str) -> tuple[Path, str]:
    repo = make_repo(top / "repo")
    display = os.fsdecode(name)
    directory = repo / os.fsdecode(name)
    directory.mkdir()
    (directory / (display + ".py")).write_bytes(
        (content + "\n" + BOT + LINE + content + "\n").encode("utf-8", "surrogateescape")
    )
    git(repo, "add", "-A")
    return repo, f"{display}/{display}.py"


@FEW
@given(name=hostile.file_name(), content=hostile.text().map(lambda s: s.replace("\x00", "")))
def test_hostile_files_in_scan_and_hook(name: bytes, content: str) -> None:
    with tempfile.TemporaryDirectory() as top:
        repo, path = _hostile_repo(Path(top), name, content)
        for fmt in ("text", "json", "sarif"):
            code, out, err = _bg("scan", "--format", fmt, "-v", cwd=repo)
            assert code == 1, (fmt, out, err)
            _no_secret(out, err)
            _safe_for_a_terminal(out + err)  # JSON and SARIF escape everything themselves
            if fmt == "json":
                found = json.loads(out)["findings"]
                assert {f["path"] for f in found} == {path} and len(found) == 3
            elif fmt == "sarif":
                assert len(results(validate_sarif(out, SECRETS))) == 3
            else:
                assert "3 credentials" in out
        code, out, err = _bg("hook", cwd=repo)
        assert code == 1 and out.startswith("Commit blocked by binance-guard."), (out, err)
        _no_secret(out, err)
        _safe_for_a_terminal(out + err)


@FEW
@given(
    name=hostile.file_name(),
    message=hostile.text().map(lambda s: s.replace("\x00", "")),  # git refuses NUL
    author=hostile.text(6).map(lambda s: "".join(c for c in s if c not in "\x00\n<>")),
)
def test_hostile_history_in_history_and_ci(name: bytes, message: str, author: str) -> None:
    with tempfile.TemporaryDirectory() as top:
        repo, _ = _hostile_repo(Path(top), name, "x = 1")
        (Path(top) / "message").write_bytes(
            f"{message}\n\nBINANCE_API_KEY={MESSAGE_KEY}\n{message}\n".encode(
                "utf-8", "surrogateescape"
            )
        )
        env = {"GIT_AUTHOR_NAME": f"a{author}z", "GIT_AUTHOR_EMAIL": "a@example.com"}
        subprocess.run(
            ["git", "commit", "-q", "--no-verify", "--cleanup=verbatim", "-F", "../message"],
            cwd=repo,
            env=environ(env),
            check=True,
            capture_output=True,
        )
        for fmt in ("text", "json", "sarif"):
            code, out, err = _bg("history", "--no-progress", "--format", fmt, cwd=repo)
            assert code == 1, (fmt, out, err)
            _no_secret(out, err)
            _safe_for_a_terminal(out + err)
            if fmt == "json":
                assert len(json.loads(out)["findings"]) == 4  # three in the file, one message
        summary, outputs, sarif = (Path(top) / n for n in ("summary.md", "outputs", "ci.sarif"))
        step = {
            "GITHUB_EVENT_NAME": "workflow_dispatch",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
        }
        code, log, err = _bg("ci", "--sarif-file", str(sarif), cwd=repo, env=step)
        assert code == 1, (log, err)
        _no_secret(log, err, summary.read_text(), outputs.read_text(), sarif.read_text())
        # the runner executes exactly our four annotations, nothing a name or message forged;
        # the rest of the log (our commands and the stop-commands block around the report
        # aside: a file property keeps the name, as it must) is shown as it is
        commands_run = workflow_commands(log)
        shown = [line for line in log.split("\n") if not line.startswith("::")]
        _safe_for_a_terminal("\n".join(shown) + err)
        assert len(commands_run) == 4, commands_run
        assert all(
            re.match(r"::(error|warning) (file=[^:]*,line=\d+,col=\d+,)?title=", c)
            for c in commands_run
        )
        assert parse_outputs(outputs.read_text()) == {
            "findings": "4",
            "allowed-inline": "0",
            "sarif-file": str(sarif),
        }
        assert len(results(validate_sarif(sarif.read_text(), SECRETS))) == 4
        table = summary.read_text().split("| --- | --- | --- | --- | --- |\n")[1].splitlines()
        assert len(table) == 4
        for row in table:  # five cells: six unescaped bars, no markup, no HTML
            assert len(re.findall(r"(?<!\\)\|", row)) == 6, row
            _safe_for_a_terminal(row)


def test_record_separators_inside_messages_and_names(repo: Path) -> None:
    """git keeps \\x01 in messages and names; it once split a record and crashed history."""
    commit(repo, {"a.txt": "x\n"}, f"a\x01b\n\nBINANCE_API_KEY={KEY}\n")
    git(repo, "tag", "-a", "v1", "-m", f"tag\x01tag {'0' * 40}\nBINANCE_API_KEY={MESSAGE_KEY}")
    code, out, err = _bg("history", "--no-progress", "--format", "json", cwd=repo)
    assert code == 1, err
    assert sorted(f["path"] for f in json.loads(out)["findings"]) == [
        "(commit message)",
        "(tag message)",
    ]
    _no_secret(out, err)


def test_a_repository_configured_to_run_a_command_does_not_run_it(tmp_path: Path) -> None:
    """A directory handed over with its .git (an archive, an artifact) carries its own
    config: git runs core.fsmonitor's command whenever it looks at the work tree. Scanning
    someone's repository must not run their commands."""
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"bot.env": LINE})
    (repo / "bot.env").write_text(LINE + "# changed\n")
    ran = tmp_path / "ran"
    git(repo, "config", "core.fsmonitor", f"touch {ran}; false")
    for args in (("scan", "."), ("history", "--no-progress", "."), ("scrub", ".")):
        if args[0] == "scrub":
            git(repo, "-c", "core.fsmonitor=false", "checkout", "bot.env")  # scrub: a clean tree
        code, out, err = _bg(*args, cwd=repo)
        assert code == 1, (args, out, err)
        assert not ran.exists(), args


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("audit", "--private-key-file", "/dev/zero"), "--private-key-file"),
        (("scrub", "--findings", "/dev/zero", "."), "--findings"),
        (("fleet", "--from", "/dev/zero"), "--from"),
    ],
)
def test_a_file_option_naming_an_endless_stream(
    repo: Path, args: tuple[str, ...], option: str
) -> None:
    """A pipe or <(...) is a file as good as any, read whole; /dev/zero (or a pipe that never
    ends) would fill the memory: read up to a limit, then one error line."""
    commit(repo, {".env": LINE})
    code, out, err = _bg(*args, cwd=repo, env={"BINANCE_API_KEY": KEY})
    assert code == 2, (out, err)
    _one_line_error(err)
    assert f"{option} /dev/zero: larger than " in err


def test_names_and_messages_forge_no_workflow_command(repo: Path) -> None:
    """The runner executes a log line starting with "::" after spaces, or holding the legacy
    "##[" anywhere: scan's and the hook's lines start with a file name, and history's hold
    authors. A pull request's names must not raise annotations, mask the log or stop the
    step's commands when the hook runs in CI (pre-commit run --all-files)."""
    names = ["::error::forged.env", " ::add-mask::x.env", "a##[error]forged.env"]
    for text in (LINE, f"{LINE}BINANCE_API_KEY={MESSAGE_KEY}\n"):  # committed; staged
        for name in names:
            (repo / name).write_text(text)
        git(repo, "add", "-A")  # "git add -- ::error::..." would read pathspec magic
        if text == LINE:
            message = "##[stop-commands]x\n\n::error::forged"
            git(repo, "commit", "-q", "-m", message, "--author=##[warning]forged <a@b.c>")
    for args in (("scan", "-v"), ("hook", *names), ("history", "--no-progress")):
        code, out, err = _bg(*args, cwd=repo)
        assert code == 1, (args, out, err)
        assert workflow_commands(out + err) == [], args
