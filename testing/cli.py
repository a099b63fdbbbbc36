"""Running the real command line in a subprocess, as a user, a hook or CI runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from testing.git_repo import GIT_ENV

_OUTER = ("GITHUB_", "RUNNER_", "ACTIONS_", "PRE_COMMIT")


def environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without whatever a surrounding CI job or hook set, with the
    test venv first on PATH and a fixed git identity."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OUTER) and k != "CI"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **GIT_ENV, **(extra or {})}


def run_cli(
    *args: str, cwd: Path | str | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m binance_guard ARGS`` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "binance_guard", *args],
        cwd=cwd,
        env=environ(env),
        capture_output=True,
        text=True,
        check=False,
    )
