"""The process runner behind every short git call: pipes fed and drained at once, exit codes,
standard error, and a command that is not there."""

from __future__ import annotations

import sys

import pytest

from binance_guard.sources import process

# Echoes its input twice, to stdout and (reversed) to stderr, larger than any pipe buffer,
# and exits 3: a runner that wrote all input before reading would wait forever.
ECHO = (
    "import sys; data = sys.stdin.buffer.read(); "
    "sys.stdout.buffer.write(data * 2); sys.stderr.buffer.write(data[::-1]); sys.exit(3)"
)


def test_large_input_and_outputs_do_not_deadlock() -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    code, out, err = process.run([sys.executable, "-c", ECHO], stdin=data)
    assert (code, out, err) == (3, data * 2, data[::-1])


def test_standard_error_is_dropped_on_request_and_input_may_be_empty() -> None:
    code, out, err = process.run([sys.executable, "-c", ECHO], stdin=b"", stderr=False)
    assert (code, out, err) == (3, b"", b"")


def test_a_command_that_stops_reading_early_is_no_error() -> None:
    code, out, _ = process.run(
        [sys.executable, "-c", "import sys; sys.stdout.write('done')"], stdin=b"x" * (1 << 22)
    )
    assert (code, out) == (0, b"done")


def test_a_missing_command_raises_file_not_found() -> None:
    with pytest.raises(FileNotFoundError):
        process.run(["binance-guard-no-such-command-xyz"])


def test_a_started_command_is_collected_later() -> None:
    finish = process.start([sys.executable, "-c", ECHO], stdin=b"ab", stderr=False)
    other = process.run([sys.executable, "-c", ECHO], stdin=b"cd")  # meanwhile
    assert other == (3, b"cdcd", b"dc")
    assert finish() == (3, b"abab", b"")
