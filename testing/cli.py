"""Running the real command line in a subprocess, as a user, a hook or CI runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
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


def as_unprivileged(path: Path) -> list[str]:
    """A command prefix that runs as a user to whom ``chmod 0`` means unreadable: nothing
    for a normal user; for root, a new user namespace (``unshare --user``: uid nobody, no
    capability over the test's files), with the temporary directories above ``path`` made
    traversable. Raises OSError when neither is possible."""
    if os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "--user", "true"]).returncode != 0:
        raise OSError("root, and no user namespace to drop the capability to read anything")
    tmp = Path(tempfile.gettempdir()).resolve()
    for directory in [path.resolve(), *path.resolve().parents]:
        if directory == tmp or not directory.is_relative_to(tmp):
            break
        directory.chmod(directory.stat().st_mode | 0o005)
    return [unshare, "--user"]


def run_cli_unprivileged(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """:func:`run_cli` as a user who cannot read what the test made unreadable."""
    return subprocess.run(
        [*as_unprivileged(cwd), sys.executable, "-m", "binance_guard", *args],
        cwd=cwd,
        env=environ(),
        capture_output=True,
        text=True,
        check=False,
    )


def run_cli_at_terminal(*args: str, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """``python -m binance_guard ARGS`` with stderr on a terminal (a pseudo-terminal) and
    stdout to a file, as in ``binance-guard ... > report.json``: exit code, stdout, and
    everything written to the terminal."""
    import pty

    controller, tty = pty.openpty()
    screen = b""
    # stdout to a file, not a pipe: the terminal is read until the end.
    with tempfile.TemporaryFile() as stdout:
        proc = subprocess.Popen(
            [sys.executable, "-m", "binance_guard", *args],
            env=environ(env),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=tty,
        )
        os.close(tty)
        while True:
            try:
                data = os.read(controller, 1 << 16)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not data:
                break
            screen += data
        os.close(controller)
        code = proc.wait()
        stdout.seek(0)
        return code, stdout.read().decode(), screen.decode(errors="replace")
