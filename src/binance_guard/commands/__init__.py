"""The subcommands behind ``binance-guard``, one module each, like pre-commit's.

Imported only once the entry point has ruled out the hook's clean path; each command's
module is imported only when that command runs.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys

from binance_guard.commands import parser
from binance_guard.commands.common import EXIT_CLEAN, EXIT_ERROR
from binance_guard.errors import GuardError

MODULES = {
    "scan": "scan",
    "verify": "scan",
    "hook": "hook",
    "pre-push": "hook",
    "history": "history",
    "scrub": "scrub",
    "audit": "audit",
    "ci": "ci",
}


def _parse(args: list[str]) -> argparse.Namespace:
    """pre-commit passes file names verbatim, and ``-notes.md`` is a file, not an option:
    for the hooks, unknown arguments naming existing files are files."""
    command_line = parser.build()
    options, unknown = command_line.parse_known_args(args)
    if unknown:
        if options.command != "hook" or not all(os.path.lexists(a) for a in unknown):
            command_line.error(f"unrecognized arguments: {' '.join(unknown)}")
        options.files = [*options.files, *unknown]
    return options


def run(args: list[str]) -> int:
    # File names that are not UTF-8 reach the terminal as the bytes they are.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="surrogateescape")
    options = _parse(args)
    try:
        if options.command == "plugin-path":
            from binance_guard.integrations.baseline import plugin_path

            print(plugin_path())
            return EXIT_CLEAN
        module = importlib.import_module(f"binance_guard.commands.{MODULES[options.command]}")
        handler = module.pre_push if options.command == "pre-push" else module.run
        code: int = handler(options)
        return code
    except (GuardError, OSError) as exc:
        print(f"binance-guard: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
