"""Running a short command to completion without the ``subprocess`` module.

``import subprocess`` costs ~4 ms (threading, selectors, signal, locale), a sixth of what a
blocked commit may cost, and ``os.posix_spawnp`` starts a process faster than its fork and
exec. Module top level imports only ``os``: the commit hook's clean path runs git through it.
Where there is no ``posix_spawnp`` (Windows), :mod:`subprocess` does the same job.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

CHUNK = 1 << 16


def run(
    argv: Sequence[str],
    *,
    stdin: bytes | None = None,
    stderr: bool = True,
    env: Mapping[str, str] | None = None,
) -> tuple[int, bytes, bytes]:
    """Exit status (negative: killed by that signal), standard output and standard error
    (discarded unless ``stderr``) of ``argv``, found on PATH. ``stdin``: its whole input;
    None leaves ours. OSError when it cannot start (FileNotFoundError: not on PATH)."""
    return start(argv, stdin=stdin, stderr=stderr, env=env)()


def start(
    argv: Sequence[str],
    *,
    stdin: bytes | None = None,
    stderr: bool = True,
    env: Mapping[str, str] | None = None,
) -> Callable[[], tuple[int, bytes, bytes]]:
    """:func:`run` in two steps: ``argv`` starts now, and calling the result waits for what
    :func:`run` returns. Meanwhile the command runs alongside us (on another core): for small
    outputs, which wait in the pipe (a larger one only blocks the command until then)."""
    if not hasattr(os, "posix_spawnp"):
        import subprocess

        proc = subprocess.run(
            argv,
            input=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if stderr else subprocess.DEVNULL,
            env=env,
            check=False,
        )
        result = (proc.returncode, proc.stdout, proc.stderr or b"")
        return lambda: result
    # Our ends are close-on-exec (os.pipe); the child gets the others as 0, 1 and 2.
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe() if stderr else (-1, -1)
    in_read, in_write = os.pipe() if stdin is not None else (-1, -1)
    actions: list[tuple[int | str, ...]] = [(os.POSIX_SPAWN_DUP2, out_write, 1)]
    actions.append(
        (os.POSIX_SPAWN_DUP2, err_write, 2)
        if stderr
        else (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)
    )
    if stdin is not None:
        actions.append((os.POSIX_SPAWN_DUP2, in_read, 0))
    try:
        pid = os.posix_spawnp(
            argv[0], list(argv), os.environ if env is None else env, file_actions=actions
        )
    except OSError:
        for fd in (out_read, err_read, in_write):
            if fd >= 0:
                os.close(fd)
        raise
    finally:
        for fd in (out_write, err_write, in_read):
            if fd >= 0:
                os.close(fd)
    rest = b""
    if stdin is not None:  # what the pipe takes now, so that it starts on it
        written = _write_some(in_write, stdin)
        rest = stdin[written:]
        if not rest:
            os.close(in_write)
            in_write = -1

    def finish() -> tuple[int, bytes, bytes]:
        try:
            if stderr or in_write >= 0:  # more than one pipe to serve
                out, err = _communicate(out_read, err_read, in_write, rest)
            else:
                out, err = _read_all(out_read), b""
        except BaseException:
            os.kill(pid, 9)  # SIGKILL, as subprocess.run does when interrupted
            os.waitpid(pid, 0)
            raise
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status), out, err

    return finish


def _write_some(fd: int, data: bytes) -> int:
    """Write what ``fd`` takes without waiting; how much that was (all: the command stopped
    reading, its output will say why)."""
    os.set_blocking(fd, False)
    written = 0
    try:
        while written < len(data):
            written += os.write(fd, data[written : written + CHUNK])
    except BlockingIOError:
        pass
    except BrokenPipeError:
        written = len(data)
    return written


def _read_all(fd: int) -> bytes:
    chunks = []
    try:
        while chunk := os.read(fd, CHUNK):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _communicate(out_fd: int, err_fd: int, in_fd: int, data: bytes) -> tuple[bytes, bytes]:
    """Feed ``data`` and drain both outputs at once: done in turn, a child blocked writing a
    full pipe would wait for us while we wait for it."""
    import select  # a small C module; only the paths that need more than one pipe load it

    chunks: dict[int, list[bytes]] = {fd: [] for fd in (out_fd, err_fd) if fd >= 0}
    poller = select.poll()
    for fd in chunks:
        poller.register(fd, select.POLLIN)
    view, written = memoryview(data), 0
    if in_fd >= 0:
        if data:
            os.set_blocking(in_fd, False)
            poller.register(in_fd, select.POLLOUT)
        else:
            os.close(in_fd)
            in_fd = -1
    open_fds = set(chunks) | ({in_fd} if in_fd >= 0 else set())
    try:
        while open_fds:
            for fd, event in poller.poll():
                if fd == in_fd:
                    try:
                        written += os.write(fd, view[written : written + CHUNK])
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:  # it stopped reading: its output says why
                        written = len(data)
                    if written >= len(data):
                        poller.unregister(fd)
                        os.close(fd)
                        open_fds.discard(fd)
                elif event & (select.POLLIN | select.POLLHUP | select.POLLERR):
                    chunk = os.read(fd, CHUNK)
                    if chunk:
                        chunks[fd].append(chunk)
                    else:
                        poller.unregister(fd)
                        os.close(fd)
                        open_fds.discard(fd)
    finally:
        for fd in open_fds:
            os.close(fd)
    return b"".join(chunks[out_fd]), b"".join(chunks.get(err_fd, []))
