"""Running the real command line in a subprocess, as a user, a hook or CI runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from testing.git_repo import GIT_ENV


def run_cli(
    *args: str, cwd: Path | str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "binance_guard", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
