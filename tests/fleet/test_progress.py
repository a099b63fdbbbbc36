"""fleet's progress: on the terminal's stderr while it runs, never in the report on stdout,
and nothing at all when stderr is not a terminal."""

from __future__ import annotations

import json
from pathlib import Path

from testing.cli import run_cli, run_cli_at_terminal
from testing.fleet import KEYS, make_fleet


def test_progress_goes_to_the_terminal_and_the_report_stays_clean(tmp_path: Path) -> None:
    make_fleet(tmp_path / "org")
    args = ("fleet", "--cache-dir", str(tmp_path / "c"), "--workers", "1", "--format", "json")
    code, out, screen = run_cli_at_terminal(*args, str(tmp_path / "org"))
    assert code == 1, screen
    assert out.startswith("{")  # the report alone: not a byte of the bar
    assert json.loads(out)["summary"]["repos"] == 4
    assert "fleet" in screen and "repos," in screen and "findings" in screen
    for key in KEYS:
        assert key not in screen

    code, out, screen = run_cli_at_terminal(*args, "--no-progress", str(tmp_path / "org"))
    assert code == 1 and out.startswith("{") and screen == ""

    quiet = run_cli(*args, str(tmp_path / "org"))
    assert quiet.returncode == 1 and quiet.stdout.startswith("{") and quiet.stderr == ""
